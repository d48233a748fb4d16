// What an operator sees: structured event logs in the Worker's output (what
// `wrangler tail` shows) and live per-object stats behind ADMIN_TOKEN.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { ADMIN_TOKEN: "admin-secret", SIGNAL_MAX_INVALID_MESSAGES: "1" } })));
after(() => worker.stop());

const admin = { headers: { Authorization: "Bearer admin-secret" } };

async function settled(client) {
  client.send('{ "type": "ping" }');
  assert.deepEqual(await client.next(), { type: "pong" });
}

// The JSON lines the Worker logged for one object.
function events(instance) {
  return worker
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((event) => event.instance === instance);
}

test("stats: counts only, the limits in force, and only with ADMIN_TOKEN", async () => {
  const a = await Client.open(`${worker.ws}/signal/observed`);
  const b = await Client.open(`${worker.ws}/signal/observed`);
  a.send({ type: "subscribe", topics: ["private-topic-name"] });
  b.send({ type: "subscribe", topics: ["private-topic-name"] });
  await Promise.all([settled(a), settled(b)]);

  assert.equal((await fetch(`${worker.http}/stats/signal/observed`)).status, 401);
  const response = await fetch(`${worker.http}/stats/signal/observed`, admin);
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.ok(!text.includes("private-topic-name"));
  const stats = JSON.parse(text);
  assert.equal(stats.app, "signal");
  assert.equal(stats.connections, 2);
  assert.equal(stats.topics, 1);
  assert.equal(stats.messagesIn, 4);
  assert.equal(stats.messagesOut, 2);
  assert.equal(stats.errors, 0);
  assert.equal(stats.limits.SIGNAL_MAX_INVALID_MESSAGES, 1);
  assert.equal((await fetch(`${worker.http}/stats/nope/observed`, admin)).status, 404);
  await Promise.all([a.close(), b.close()]);
});

test("event log: opens, refusals and closes of one object, without payloads", async () => {
  const client = await Client.open(`${worker.ws}/signal/logged`);
  client.send({ type: "subscribe", topics: ["private-topic-name"] });
  client.send("junk");
  client.send("junk");
  assert.equal((await client.closed).code, 1008);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const seen = events("logged");
  assert.deepEqual(seen.map((e) => e.event), ["open", "refused", "refused", "close"]);
  assert.ok(seen.every((e) => e.app === "signal"));
  assert.deepEqual(seen.at(-1), { event: "close", app: "signal", instance: "logged", code: 1008, reason: "too many invalid messages", connections: 0 });
  assert.ok(!worker.output().includes("private-topic-name"));
});
