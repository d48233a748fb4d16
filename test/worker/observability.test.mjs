// @ts-check
// What an operator sees: structured event logs in the Worker's output (what
// `wrangler tail` shows) and live per-object stats behind ADMIN_TOKEN.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/signal.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/signal.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/signal.js").ServerMessage} In */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

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
  return worker.logged().filter((event) => event.instance === instance);
}

test("stats: counts only, the limits in force, and only with ADMIN_TOKEN", async () => {
  const a = await openClient(`${worker.ws}/signal/observed`);
  const b = await openClient(`${worker.ws}/signal/observed`);
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

test("event log: opens, refusals and closes of one object, each with a level, without payloads", async () => {
  const client = await openClient(`${worker.ws}/signal/logged`);
  client.send({ type: "subscribe", topics: ["private-topic-name"] });
  client.send("junk");
  client.send("junk");
  assert.equal((await client.closed).code, 1008);
  await worker.loggedOnce(() => events("logged").some((e) => e.event === "close"));
  const seen = events("logged");
  // The second refusal (the 1008 close) comes within LOG_REFUSALS_INTERVAL_MS of
  // the first: the close line counts it.
  assert.deepEqual(seen.map((e) => e.event), ["open", "refused", "close"]);
  assert.ok(seen.every((e) => e.app === "signal"));
  assert.deepEqual(seen[1], { event: "refused", level: "warn", app: "signal", instance: "logged", reason: "invalid message", count: 1 });
  assert.deepEqual(seen.at(-1), { event: "close", level: "info", app: "signal", instance: "logged", code: 1008, reason: "too many invalid messages", connections: 0, refused: 1 });
  assert.ok(!worker.output().includes("private-topic-name"));
});

test("a flood of 500 garbage frames: one refused line for the socket, the rest counted on its close line; stats exact", async () => {
  /** @type {import("./server.mjs").Client<import("../../clients/src/messages/mpc.js").ClientMessage, import("../../clients/src/messages/mpc.js").ServerMessage>} */
  const flooder = await Client.open(`${worker.ws}/mpc/flooded`);
  for (let i = 0; i < 500; i++) flooder.send("garbage");
  for (let i = 0; i < 500; i++) assert.equal((await flooder.next()).type, "error");
  const stats = await (await fetch(`${worker.http}/stats/mpc/flooded`, admin)).json();
  assert.equal(stats.errors, 500);
  assert.equal(stats.limits.LOG_REFUSALS_INTERVAL_MS, 10000);
  await flooder.close();
  await worker.loggedOnce(() => events("flooded").some((e) => e.event === "close"));
  const seen = events("flooded");
  assert.deepEqual(seen.map((e) => e.event), ["open", "refused", "close"]);
  assert.equal(seen[1].count, 1);
  assert.equal(seen[2].refused, 499);
  assert.equal(seen[1].count + seen[2].refused, stats.errors);
});

test("every line the Worker and its objects log has a level, and warnings are printed as warnings", () => {
  const lines = worker.logged();
  assert.ok(lines.length > 5);
  for (const line of lines) assert.ok(["info", "warn", "error"].includes(line.level), JSON.stringify(line));
  // console.warn: `wrangler dev` marks the line, Workers Logs files it under "warn".
  assert.match(worker.output().replace(/\x1b\[[0-9;]*m/g, ""), /WARNING\] \{"event":"refused","level":"warn"/);
  assert.doesNotMatch(worker.output().replace(/\x1b\[[0-9;]*m/g, ""), /WARNING\] \{"event":"open"/);
});
