// @ts-check
// MPC_SESSION_END = "all-participants": the original's rule, a session ends
// when its last active participant disconnects, not when its creator does.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/mpc.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/mpc.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/mpc.js").ServerMessage} In */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

let worker;
before(async () => (worker = await startWorker({ vars: { MPC_SESSION_END: "all-participants" } })));
after(() => worker.stop());

async function device(url, id) {
  const client = await openClient(url);
  client.send({ type: "register", device_id: id });
  assert.equal((await client.next()).type, "devices");
  return client;
}

test("mpc: the creator leaving keeps the session; the last participant leaving removes it for everyone", async () => {
  const url = `${worker.ws}/mpc`;
  const a = await device(url, "mpc-1");
  const b = await device(url, "mpc-2");
  const c = await device(url, "mpc-3");
  await a.next(), await a.next(), await b.next();
  const info = { session_id: "s1", total: 3, threshold: 2, participants: ["mpc-1"] };
  a.send({ type: "announce_session", session_info: info });
  await b.next(), await c.next();
  b.send({ type: "session_status_update", session_info: { session_id: "s1", participant_joined: "mpc-2" } });
  await a.next(), await b.next();

  await a.close();
  assert.deepEqual(await b.next(), { type: "devices", devices: ["mpc-2", "mpc-3"] });
  assert.deepEqual(await c.next(), { type: "devices", devices: ["mpc-2", "mpc-3"] });
  c.send({ type: "request_active_sessions" });
  assert.deepEqual(await c.next(), { type: "session_available", session_info: { ...info, participants: ["mpc-1", "mpc-2"] } });
  await b.next();  // session_list_request

  await b.close();
  assert.deepEqual(await c.next(), { type: "session_removed", session_id: "s1", reason: "All participants disconnected" });
  assert.deepEqual(await c.next(), { type: "devices", devices: ["mpc-3"] });
  // Nothing stale: no session is replayed any more.
  c.send({ type: "request_active_sessions" });
  await c.nothing();
  await c.close();
});
