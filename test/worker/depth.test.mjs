// @ts-check
// MAX_JSON_DEPTH set far past its most (1000): the core holds it at 1000, and
// every app takes a value nested exactly that deep as any other (it writes
// such values out again, recursing once per level, with no trap), and
// refuses one level more as invalid JSON.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";
import { mpcPair, relayPair, signalPair } from "./peers.mjs";
import { roomWith } from "./rooms-helpers.mjs";
import { Member } from "./swarm-helpers.mjs";

const MOST = 1000;
let worker;
before(async () => (worker = await startWorker({ vars: { MAX_JSON_DEPTH: "1000000", JWT_SECRET: "depth-test-secret" } })));
after(() => worker?.stop());

const rand = () => Math.random().toString(36).slice(2, 10);
// Arrays `depth` deep, as text and as the value a client reads back.
const nestedText = (depth) => "[".repeat(depth) + "]".repeat(depth);
const nested = (depth) => JSON.parse(nestedText(depth));
// Each frame below is one object around its nested member: MOST deep in all
// at MOST - 1 arrays.
const AT = MOST - 1;
const PAST = MOST;

/** @param {string} url */
const open = (url) => /** @type {Promise<Client<any, any>>} */ (Client.open(url));

test("MAX_JSON_DEPTH past its most counts as the most", async () => {
  const stats = await (await fetch(`${worker.http}/stats/signal/depth-${rand()}`)).json();
  assert.equal(stats.limits.MAX_JSON_DEPTH, MOST);
});

test("signal: a publish nested to the most reaches the topic; one level more does not, and counts as an error", async () => {
  const shard = `depth-${rand()}`;
  const [publisher, subscriber] = await signalPair(worker, shard, "t");
  publisher.send(`{"type":"publish","topic":"t","data":${nestedText(AT)}}`);
  assert.deepEqual(await subscriber.next(), { type: "publish", topic: "t", data: nested(AT), clients: 2 });
  publisher.send(`{"type":"publish","topic":"t","data":${nestedText(PAST)}}`);
  publisher.send({ type: "publish", topic: "t", data: "after" });
  assert.deepEqual(await subscriber.next(), { type: "publish", topic: "t", data: "after", clients: 2 });
  // y-webrtc has no error frame: the refusal shows in /stats only.
  assert.equal((await (await fetch(`${worker.http}/stats/signal/${shard}`)).json()).errors, 1);
  await Promise.all([publisher.close(), subscriber.close()]);
});

test("mpc: a relay nested to the most is relayed; one level more is an invalid message", async () => {
  const [sender, receiver] = await mpcPair(worker, `depth-${rand()}`, "sender", "receiver");
  sender.send(`{"type":"relay","to":"receiver","data":${nestedText(AT)}}`);
  assert.deepEqual(await receiver.next(), { type: "relay", from: "sender", data: nested(AT) });
  sender.send(`{"type":"relay","to":"receiver","data":${nestedText(PAST)}}`);
  assert.deepEqual(await sender.next(), { type: "error", error: "invalid message" });
  await Promise.all([sender.close(), receiver.close()]);
});

test("relay: a message nested to the most is forwarded; one level more is Invalid JSON", async () => {
  const [desktop, mobile] = await relayPair(worker, `depth${rand()}`);
  desktop.send(`{"type":"bundle_update","payload":${nestedText(AT)}}`);
  assert.deepEqual(await mobile.next(), { type: "bundle_update", payload: nested(AT) });
  desktop.send(`{"type":"bundle_update","payload":${nestedText(PAST)}}`);
  const error = await desktop.next();
  assert.equal(error.type, "error");
  assert.equal(/** @type {any} */ (error).error, "Invalid JSON");
  await Promise.all([desktop.close(), mobile.close()]);
});

test("rooms: an offer nested to the most reaches the room; one level more is an invalid message", async () => {
  const { participants } = await roomWith(worker, ["A", "B"]);
  const [a, b] = participants;
  const sender = await open(`${worker.ws}/ws?token=${a.token}`);
  const receiver = await open(`${worker.ws}/ws?token=${b.token}`);
  assert.equal((await sender.next()).type, "join");
  sender.send(`{"type":"offer","to":"all","data":${nestedText(AT)}}`);
  assert.deepEqual(await receiver.next(), { type: "offer", to: "all", data: nested(AT), from: a.participant_id });
  sender.send(`{"type":"offer","to":"all","data":${nestedText(PAST)}}`);
  assert.deepEqual(await sender.next(), { type: "error", error: "invalid message: expected a JSON object with a string type" });
  await Promise.all([sender.close(), receiver.close()]);
});

test("swarm: a frame nested one level past the most is refused as not JSON", async () => {
  const [host, guest] = await Member.hostAndGuest(worker);
  await guest.settle();
  guest.client.send(`{"event":"heartbeat","data":${nestedText(PAST)}}`);
  assert.equal((await guest.log("Rejected frame: not JSON")).level, "WARN");
  await Promise.all([host.close(), guest.close()]);
});

test("nothing trapped", () => {
  assert.deepEqual(worker.logged().filter((line) => line.event === "trap"), []);
});
