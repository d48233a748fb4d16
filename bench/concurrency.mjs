// Concurrency: how many WebSockets one Durable Object holds, each subscribed
// to one topic, and what they cost in workerd's resident memory. The count is
// proven live: one publish must reach every socket.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { rss } from "./servers.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function connect(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    ws.once("open", () => resolve(ws));
    ws.once("error", (error) => resolve({ error: error.message }));
    ws.once("unexpected-response", (req, res) => resolve({ error: `HTTP ${res.statusCode}` }));
  });
}

export async function concurrency(server, target, { batch = 100, timeoutMs = 120_000 } = {}) {
  const topic = "crowd";
  // One socket first so the object and its module exist before the baseline.
  const first = await connect(server.ws);
  if (first.error) throw new Error(`${server.name}: ${first.error}`);
  first.send(JSON.stringify({ type: "subscribe", topics: [topic] }));
  await sleep(500);
  const before = rss(server.pid);

  const sockets = [first];
  let refusal = null;
  const started = performance.now();
  while (sockets.length < target && !refusal && performance.now() - started < timeoutMs) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, target - sockets.length) }, () => connect(server.ws)));
    for (const ws of opened) {
      if (ws.error) refusal ??= ws.error;
      else {
        ws.send(JSON.stringify({ type: "subscribe", topics: [topic] }));
        sockets.push(ws);
      }
    }
  }
  const openSeconds = (performance.now() - started) / 1000;
  // One past the target: switchboard refuses it (SIGNAL_MAX_CONNECTIONS = 10,000 by default).
  const extra = await connect(server.ws);
  const beyond = extra.error ?? "accepted";
  if (!extra.error) extra.terminate();

  // Live check: every socket receives one publish (subscribes may still be in flight: retry).
  let reached = 0;
  const got = new Set();
  for (const ws of sockets) ws.on("message", () => got.add(ws));
  for (let attempt = 0; attempt < 20 && got.size < sockets.length; attempt++) {
    first.send(JSON.stringify({ type: "publish", topic, data: "roll call" }));
    const deadline = Date.now() + 3000;
    while (got.size < sockets.length && Date.now() < deadline) await sleep(20);
  }
  reached = got.size;
  await sleep(500);
  const after = rss(server.pid);

  const closing = sockets.map((ws) => new Promise((resolve) => {
    ws.once("close", resolve);
    ws.close();
  }));
  await Promise.race([Promise.all(closing), sleep(30_000)]);
  for (const ws of sockets) ws.terminate();

  return {
    target,
    open: sockets.length,
    reached,
    refusal,
    beyond,
    openSeconds,
    rssBefore: before,
    rssAfter: after,
    bytesPerConnection: (after - before) / Math.max(1, sockets.length - 1),
  };
}
