// Billable units per publish and per subscribe on a sharded `/`, counted by
// the objects themselves (/stats/signal/global): requests between objects,
// and the WebSocket messages clients send (billed 20 to a request).
// `node bench/billing.mjs` prints BENCHMARKS.md's billing table.
import { Client, startWorker } from "../test/worker/server.mjs";
import { openOnGateway, sharded, stats } from "../test/worker/space-helpers.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const units = (b) => b.requests + b.webSocketMessagesIn / 20;

export async function billing() {
  const worker = await startWorker({ vars: { ...sharded, SIGNAL_MESSAGES_PER_SECOND: "100000" } });
  const rows = [];
  try {
    // One subscriber on every gateway.
    const on = {};
    const extra = [];
    while (Object.keys(on).length < 3) {
      const { client, gateway } = await openOnGateway(worker);
      if (on[gateway]) extra.push(client);
      else on[gateway] = client;
    }
    const clients = Object.values(on);
    const measure = async (label, act, count) => {
      const before = (await stats(worker.http, "signal", "global")).billable;
      await act();
      await sleep(300);
      const after = (await stats(worker.http, "signal", "global")).billable;
      const requests = (after.requests - before.requests) / count;
      const messages = (after.webSocketMessagesIn - before.webSocketMessagesIn) / count;
      rows.push({ label, requests, messages, units: requests + messages / 20 });
    };
    await measure("subscribe to 1 topic", async () => {
      for (const [i, client] of clients.entries()) {
        client.send({ type: "subscribe", topics: [`bill-${i}`] });
        await sleep(50);
      }
    }, clients.length);
    await measure("subscribe to 4 topics in one frame", async () => {
      for (const client of clients) client.send({ type: "subscribe", topics: ["bill-a", "bill-b", "bill-c", "bill-d"] });
    }, clients.length);
    await measure("publish, subscribers on all 3 gateways, one at a time", async () => {
      for (let i = 0; i < 20; i++) {
        clients[0].send({ type: "publish", topic: "bill-a", data: i });
        for (const client of clients) await client.next();
      }
    }, 20);
    await measure("publish, subscribers on all 3 gateways, a burst of 200", async () => {
      for (let i = 0; i < 200; i++) clients[0].send({ type: "publish", topic: "bill-a", data: i });
      for (const client of clients) for (let i = 0; i < 200; i++) await client.next();
    }, 200);
    await measure("publish, subscriber on its own gateway only, one at a time", async () => {
      for (let i = 0; i < 20; i++) {
        clients[0].send({ type: "publish", topic: "bill-0", data: i });
        await clients[0].next();
      }
    }, 20);
    await Promise.all([...clients, ...extra].map((client) => client.close()));
  } finally {
    await worker.stop();
  }
  return rows;
}

export function billingTable(rows) {
  const out = [
    "| action | G = 1, T = 0 (one object): units | sharded G = 3, T = 5: requests between objects | client WebSocket messages | units (requests + messages / 20) |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) out.push(`| ${r.label} | ${r.messages / 20} | ${r.requests.toFixed(2)} | ${r.messages.toFixed(2)} | ${r.units.toFixed(2)} |`);
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(billingTable(await billing()));
