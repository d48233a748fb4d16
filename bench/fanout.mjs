// Fan-out: one publisher, N subscribers on one y-webrtc topic. Throughput is
// a burst (every message sent at once, clocked until the last subscriber has
// the last one); latency is paced well below saturation, one-way, from the
// send timestamp carried in the payload (publisher and subscribers share this
// process and its clock). Every subscriber checks it got every message once,
// in order.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

const DATA = Buffer.from('"data":"');

function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

// A subscriber's view of one phase: `"data":"<phase> <seq> <sent ms> <padding>"`.
class Subscriber {
  constructor(ws) {
    this.ws = ws;
    this.reset("-");
    this.synced = false;
    ws.on("message", (frame) => this.receive(frame));
  }

  reset(phase) {
    this.phase = phase;
    this.expected = 0;
    this.delivered = 0;
    this.reordered = 0;
    this.latencies = [];
    this.last = 0;
  }

  receive(frame) {
    const now = performance.now();
    const at = frame.indexOf(DATA);
    if (at < 0) return;
    const head = frame.toString("latin1", at + DATA.length, at + DATA.length + 48).split(" ");
    if (head[0] === "sync") {
      this.synced = true;
      return;
    }
    if (head[0] !== this.phase) return;
    const seq = Number(head[1]);
    if (seq < this.expected) this.reordered++;
    else this.expected = seq + 1;
    this.delivered++;
    this.latencies.push(now - Number(head[2]));
    this.last = now;
  }
}

function frame(topic, phase, seq, bytes) {
  const head = `{"type":"publish","topic":"${topic}","data":"${phase} ${seq} ${performance.now().toFixed(3)} `;
  const tail = '"}';
  return head + "x".repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition, ms) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(5);
  return condition();
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

function tally(subscribers, sent) {
  let delivered = 0;
  let reordered = 0;
  for (const s of subscribers) {
    delivered += s.delivered;
    reordered += s.reordered;
  }
  return { delivered, lost: sent * subscribers.length - delivered, reordered };
}

// One server, one subscriber count, each message size: throughput and latency.
export async function fanout(url, n, sizes, { topic = `bench-${n}`, timeoutMs = 20_000 } = {}) {
  const publisher = await connect(url);
  const subscribers = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => connect(url)));
    subscribers.push(...batch.map((ws) => new Subscriber(ws)));
  }
  for (const s of subscribers) s.ws.send(JSON.stringify({ type: "subscribe", topics: [topic] }));
  // Subscribes travel on other sockets than the publish: repeat a sync publish
  // until every subscriber is known to receive.
  const synced = await until(() => {
    publisher.send(JSON.stringify({ type: "publish", topic, data: "sync " }));
    return subscribers.every((s) => s.synced);
  }, 10_000);
  if (!synced) throw new Error(`${url}: subscribers never received the topic`);
  await sleep(100);

  const results = [];
  for (const bytes of sizes) {
    const burst = Math.min(5000, Math.max(100, Math.round(20_000 / n)));
    const paced = n <= 2 ? 200 : n <= 50 ? 100 : 50;
    const rate = Math.min(200, Math.round(2000 / n));  // messages/s: ~2,000 deliveries/s at most, far from saturation

    // Warm-up (JIT, first sends), not measured.
    for (const s of subscribers) s.reset("W");
    for (let seq = 0; seq < 20; seq++) publisher.send(frame(topic, "W", seq, bytes));
    await until(() => subscribers.every((s) => s.delivered === 20), timeoutMs);

    // Three bursts; the median rate counts.
    const bursts = [];
    const throughput = { lost: 0, reordered: 0 };
    for (let round = 0; round < 3; round++) {
      const phase = `T${round}`;
      for (const s of subscribers) s.reset(phase);
      const start = performance.now();
      for (let seq = 0; seq < burst; seq++) publisher.send(frame(topic, phase, seq, bytes));
      await until(() => subscribers.every((s) => s.delivered >= burst), timeoutMs);
      const end = Math.max(...subscribers.map((s) => s.last));
      const counts = tally(subscribers, burst);
      throughput.lost += counts.lost;
      throughput.reordered += counts.reordered;
      bursts.push(counts.delivered / ((end - start) / 1000));
    }

    for (const s of subscribers) s.reset("L");
    const t0 = performance.now();
    for (let seq = 0; seq < paced; seq++) {
      const due = t0 + (seq * 1000) / rate;
      while (performance.now() < due) await sleep(Math.max(0, Math.min(4, due - performance.now())));
      publisher.send(frame(topic, "L", seq, bytes));
    }
    await until(() => subscribers.every((s) => s.delivered >= paced), timeoutMs);
    const latency = tally(subscribers, paced);
    const latencies = subscribers.flatMap((s) => s.latencies).sort((a, b) => a - b);

    results.push({
      n,
      bytes,
      burst,
      messagesPerSecond: bursts.sort((a, b) => a - b)[1],
      bursts,
      paced,
      rate,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      lost: throughput.lost + latency.lost,
      reordered: throughput.reordered + latency.reordered,
    });
  }
  await Promise.all([publisher, ...subscribers.map((s) => s.ws)].map((ws) => new Promise((resolve) => {
    ws.once("close", resolve);
    ws.close();
  })));
  return results;
}
