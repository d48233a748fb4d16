// @ts-check
// Peers of the signal, MPC and relay apps, set up and with every frame of the
// set-up read, for tests that need a pair to send between.
import assert from "node:assert/strict";
import { Client } from "./server.mjs";

/** @typedef {{ ws: string }} Worker */

export const openSignal = /** @type {typeof Client.open<import("../../clients/src/messages/signal.js").ClientMessage, import("../../clients/src/messages/signal.js").ServerMessage>} */ (Client.open);
export const openMpc = /** @type {typeof Client.open<import("../../clients/src/messages/mpc.js").ClientMessage, import("../../clients/src/messages/mpc.js").ServerMessage>} */ (Client.open);
export const openRelay = /** @type {typeof Client.open<import("../../clients/src/messages/relay.js").ClientMessage, import("../../clients/src/messages/relay.js").ServerMessage>} */ (Client.open);

// Subscribed for certain: a pong after the subscribe proves it was applied (a
// socket's frames keep their order; another socket's publish does not wait for them).
/** @param {Client<any, any>} client @param {string} topic */
export async function subscribed(client, topic) {
  client.send({ type: "subscribe", topics: [topic] });
  client.send({ type: "ping" });
  assert.deepEqual(await client.next(), { type: "pong" });
}

// Two sockets of one signal shard, both subscribed to `topic`.
/** @param {Worker} worker @param {string} shard @param {string} topic */
export async function signalPair(worker, shard, topic) {
  const url = `${worker.ws}/signal/${shard}`;
  const pair = [await openSignal(url), await openSignal(url)];
  for (const client of pair) await subscribed(client, topic);
  return pair;
}

// Two registered devices of one MPC registry, every `devices` frame read.
/** @param {Worker} worker @param {string} shard @param {string} first @param {string} second */
export async function mpcPair(worker, shard, first, second) {
  const a = await openMpc(`${worker.ws}/mpc/${shard}`);
  a.send({ type: "register", device_id: first });
  assert.equal((await a.next()).type, "devices");
  const b = await openMpc(`${worker.ws}/mpc/${shard}`);
  b.send({ type: "register", device_id: second });
  assert.equal((await b.next()).type, "devices");
  assert.equal((await a.next()).type, "devices");
  return [a, b];
}

/** @typedef {import("../../clients/src/messages/relay.js").ServerMessage} RelayIn */
/** @typedef {import("../../clients/src/messages/relay.js").PeerConnected | import("../../clients/src/messages/relay.js").PeerDisconnected | import("../../clients/src/messages/relay.js").Pong} RelayEvent */

// A relay frame of `type` stamped with the relay's clock, and nothing else.
/** @param {Client<any, RelayIn>} client @param {RelayEvent["type"]} type */
export async function expectRelayEvent(client, type) {
  const frame = /** @type {RelayEvent} */ (await client.next());
  assert.deepEqual(Object.keys(frame), ["type", "timestamp"]);
  assert.equal(frame.type, type);
  assert.ok(Math.abs(frame.timestamp - Date.now()) < 60_000);
}

// The relay's welcome to one side of session `id`.
/** @param {Client<any, RelayIn>} client @param {import("../../clients/src/messages/relay.js").Side} clientType @param {string} id */
export async function expectRelayWelcome(client, clientType, id) {
  const frame = /** @type {import("../../clients/src/messages/relay.js").Connected} */ (await client.next());
  assert.deepEqual({ ...frame, timestamp: 0 }, { type: "connected", clientType, sessionId: id, timestamp: 0 });
  assert.ok(Math.abs(frame.timestamp - Date.now()) < 60_000);
}

// A paired relay session (desktop, then mobile), every notification read and checked.
/** @param {Worker} worker @param {string} id */
export async function relayPair(worker, id) {
  const desktop = await openRelay(`${worker.ws}/desktop/${id}`);
  await expectRelayWelcome(desktop, "desktop", id);
  const mobile = await openRelay(`${worker.ws}/mobile/${id}`);
  await expectRelayEvent(desktop, "mobile_connected");
  await expectRelayEvent(mobile, "desktop_connected");
  await expectRelayWelcome(mobile, "mobile", id);
  return [desktop, mobile];
}
