// Fan-out: one publisher, N subscribers on one y-webrtc topic. Throughput is
// a burst (every message sent at once, clocked until the last subscriber has
// the last one); latency is paced well below saturation, one-way, from the
// send timestamp carried in the payload (publisher and subscribers share this
// process and its clock). Every subscriber checks it got every message
// exactly once, in order.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { cpuSeconds } from "./servers.mjs";

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
    this.reset("-", 0);
    this.synced = false;
    ws.on("message", (frame) => this.receive(frame));
  }

  reset(phase, count) {
    this.phase = phase;
    this.seen = new Uint8Array(count);
    this.expected = 0;
    this.delivered = 0;
    this.reordered = 0;
    this.duplicates = 0;
    this.latencies = [];
    this.bySeq = new Float64Array(count);
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
    if (this.seen[seq]) {
      this.duplicates++;
      return;
    }
    this.seen[seq] = 1;
    if (seq < this.expected) this.reordered++;
    else this.expected = seq + 1;
    this.delivered++;
    this.latencies.push((this.bySeq[seq] = now - Number(head[2])));
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

export function median(values) {
  return [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

function tally(subscribers, sent) {
  let delivered = 0;
  let reordered = 0;
  let duplicates = 0;
  for (const s of subscribers) {
    delivered += s.delivered;
    reordered += s.reordered;
    duplicates += s.duplicates;
  }
  return { delivered, lost: sent * subscribers.length - delivered, reordered, duplicates };
}

// One publisher and `n` subscribers of one topic on one server (`pid`: the
// process whose CPU time the server's work shows up in).
export class Room {
  // A failed open closes the sockets it did open, so that a caller can try again.
  static async open({ ws: url, pid }, n, topic = `bench-${n}`) {
    const opened = [];
    const open = async (count) => {
      const settled = await Promise.allSettled(Array.from({ length: count }, () => connect(url)));
      opened.push(...settled.filter((s) => s.status === "fulfilled").map((s) => s.value));
      const failed = settled.find((s) => s.status === "rejected");
      if (failed) throw failed.reason;
      return settled.map((s) => s.value);
    };
    try {
      const [publisher] = await open(1);
      publisher.once("close", (code, reason) => (publisher.closedWith = `${code} ${reason}`));
      const subscribers = [];
      for (let i = 0; i < n; i += 50) subscribers.push(...(await open(Math.min(50, n - i))).map((ws) => new Subscriber(ws)));
      for (const s of subscribers) s.ws.send(JSON.stringify({ type: "subscribe", topics: [topic] }));
      // Subscribes travel on other sockets than the publish: repeat a sync publish
      // until every subscriber is known to receive.
      const synced = await until(() => {
        publisher.send(JSON.stringify({ type: "publish", topic, data: "sync " }));
        return subscribers.every((s) => s.synced);
      }, 10_000);
      if (!synced) throw new Error(`${url}: subscribers never received the topic`);
      await sleep(100);
      return new Room(publisher, subscribers, topic, pid);
    } catch (error) {
      for (const ws of opened) ws.terminate();
      throw error;
    }
  }

  constructor(publisher, subscribers, topic, pid) {
    this.pid = pid;
    this.publisher = publisher;
    this.subscribers = subscribers;
    this.topic = topic;
    this.round = 0;
  }

  async #deliver(count, bytes, pace, timeoutMs) {
    const phase = `P${this.round++}`;
    for (const s of this.subscribers) s.reset(phase, count);
    const cpu = cpuSeconds(this.pid);
    const start = performance.now();
    // A burst leaves as one write (ws has no cork of its own; its socket
    // does): the server reads it in batches as large as it can take. Frame
    // by frame, how many waited per read depended on this process's speed,
    // and a server that outran it paid a wake-up per frame (BENCHMARKS.md,
    // "What runs, and how it is measured").
    const socket = pace ? undefined : this.publisher._socket;
    socket?.cork();
    for (let seq = 0; seq < count; seq++) {
      if (pace) {
        const due = start + (seq * 1000) / pace;
        while (performance.now() < due) await sleep(Math.max(0, Math.min(4, due - performance.now())));
      }
      this.publisher.send(frame(this.topic, phase, seq, bytes));
    }
    socket?.uncork();
    await until(() => this.publisher.closedWith || this.subscribers.every((s) => s.delivered >= count), timeoutMs);
    if (this.publisher.closedWith) throw new Error(`the server closed the publisher: ${this.publisher.closedWith}`);
    const end = Math.max(...this.subscribers.map((s) => s.last));
    const counts = tally(this.subscribers, count);
    return { ...counts, seconds: (end - start) / 1000, cpu: cpuSeconds(this.pid) - cpu, latencies: this.subscribers.flatMap((s) => s.latencies), publishes: this.#publishes(count) };
  }

  // Per publish, its first and last delivery's latency (ms): whether a late
  // delivery came from a publish that started late or from a slow fan-out.
  #publishes(count) {
    return Array.from({ length: count }, (_, seq) => {
      const all = this.subscribers.map((s) => s.bySeq[seq]);
      return { first: Math.min(...all), last: Math.max(...all) };
    });
  }

  // Every message at once: delivered messages/s until the last subscriber has the last one.
  burst(count, bytes, timeoutMs = 20_000) {
    return this.#deliver(count, bytes, 0, timeoutMs);
  }

  // `rate` messages/s: one-way latencies.
  paced(count, bytes, rate, timeoutMs = 20_000) {
    return this.#deliver(count, bytes, rate, timeoutMs);
  }

  close() {
    return Promise.all([this.publisher, ...this.subscribers.map((s) => s.ws)].map((ws) => new Promise((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once("close", resolve);
      ws.close();
    })));
  }
}

// Brings a server to V8's steady state before anything is measured: 30,000
// publishes to two subscribers on a topic of its own. V8 tiers the core's
// WebAssembly up function by function on a background thread (TurboFan after
// ~11,000 publishes at N = 2), and the shim's JavaScript waits for its own
// optimised code behind those jobs: after 6,000 publishes, 2 or 3 of 5 fresh
// processes still ran the shim's per-frame functions in the interpreter, 4–6%
// of a publish's CPU at N = 2; after 30,000, 1 of 15 (BENCHMARKS.md, "N = 2
// in the whole process"). A long-lived object serving traffic runs tiered up.
export async function warmUp(server) {
  const room = await Room.open(server, 2, "warm-up");
  for (let i = 0; i < 15; i++) await room.burst(2000, 200);
  await room.close();
}

// Sizes of each measurement for `n` subscribers: bursts of ~6,000 deliveries
// (CPU is read to the nanosecond, so a burst need not be long; more rounds of
// them are worth more than longer ones); pacing at ~2,000 deliveries/s (200
// publishes/s at most), far below saturation, `paced` publishes per round: at
// N = 200 ten (one late publish is 200 late deliveries, so with fewer one
// hiccup would set the round's p99), fewer deliveries at N = 2 and 50, where
// a round costs the same time.
export function plan(n) {
  return {
    burst: Math.min(1500, Math.max(30, Math.round(6000 / n))),
    paced: n <= 2 ? 60 : n <= 50 ? 15 : 10,
    rate: Math.min(200, Math.round(2000 / n)),
  };
}

// The bursts of one round, server after server: each round starts one server
// later than the last (ABCD, BCDA, …), so no server is always the one after
// the machine's other load has just started or stopped.
const rotation = (rooms, round) => rooms.map((_, i) => (i + round) % rooms.length);

// Against a baseline round by round: each round's ratio is of two
// measurements made seconds apart, and the median over the rounds, with the
// lowest and highest, is the figure (a drift of the machine's load between
// rounds cancels out in it).
function byRound(values, base) {
  if (!base) return undefined;
  const ratios = values.map((value, round) => value / base[round]).sort((x, y) => x - y);
  return { median: median(ratios), spread: [ratios[0], ratios[ratios.length - 1]], rounds: ratios.length };
}

// The servers take turns round by round: `rounds` rounds of one burst each,
// then as many rounds of paced latency, so changing load from others on the
// machine hits them alike. `limits[i]`: the index of the room server i's CPU
// is compared with (its set-up's limit); `floors[i]`: the one its p99 is
// compared with (its set-up's floor).
export async function fanoutRound(rooms, n, bytes, { rounds = 7, limits = [], floors = [] } = {}) {
  const { burst, paced, rate } = plan(n);
  const acc = rooms.map(() => ({ rates: [], cpus: [], p99s: [], delivered: 0, lost: 0, reordered: 0, duplicates: 0, latencies: [] }));
  const add = (a, r) => {
    a.lost += r.lost;
    a.reordered += r.reordered;
    a.duplicates += r.duplicates;
  };
  for (const room of rooms) await room.burst(20, bytes);  // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const i of rotation(rooms, round)) {
      const r = await rooms[i].burst(burst, bytes);
      acc[i].rates.push(r.delivered / r.seconds);
      acc[i].cpus.push((r.cpu * 1e6) / r.delivered);
      acc[i].delivered += r.delivered;
      add(acc[i], r);
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const i of rotation(rooms, round)) {
      const r = await rooms[i].paced(paced, bytes, rate);
      acc[i].p99s.push(percentile(r.latencies.sort((x, y) => x - y), 99));
      acc[i].latencies.push(...r.latencies);
      add(acc[i], r);
    }
  }
  return acc.map((a, i) => {
    const sorted = a.latencies.sort((x, y) => x - y);
    const cpus = [...a.cpus].sort((x, y) => x - y);
    return {
      n,
      bytes,
      burst,
      bursts: a.rates,
      messagesPerSecond: median(a.rates),
      // The server process's CPU time per delivered message: the median burst, and the spread.
      cpuMicrosPerMessage: median(cpus),
      cpuMicrosSpread: [cpus[0], cpus[cpus.length - 1]],
      cpuMicrosByRound: a.cpus,
      // Against its set-up's limit, round by round: the median ratio, the lowest and highest, and how many rounds.
      cpuVsLimit: byRound(a.cpus, acc[limits[i]]?.cpus),
      paced,
      rate,
      // Over every paced delivery of every round.
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      // Each round's own p99, and against its set-up's floor round by round.
      p99ByRound: a.p99s,
      p99VsFloor: byRound(a.p99s, acc[floors[i]]?.p99s),
      lost: a.lost,
      reordered: a.reordered,
      duplicates: a.duplicates,
    };
  });
}
