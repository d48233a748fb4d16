// @ts-check
// Sessions outlive the server: stop the Worker, start it again on the same
// persisted state, and a device that re-registers gets its sessions back.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Client, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/mpc.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/mpc.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/mpc.js").ServerMessage} In */
/** @typedef {import("../../clients/src/messages/mpc.js").ParticipantUpdateRelay} ParticipantUpdateRelay */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

async function device(url, id) {
  const client = await openClient(url);
  client.send({ type: "register", device_id: id });
  assert.equal((await client.next()).type, "devices");
  return client;
}

const session = {
  session_id: "wallet-2of3",
  proposer_id: "mpc-1",
  total: 3,
  threshold: 2,
  participants: ["mpc-1"],
  session_type: "dkg",
  curve_type: "unified",
  coordination_type: "Network",
};

test("mpc: after a restart with persisted state, re-registered devices get their sessions back", async () => {
  const persistTo = mkdtempSync(join(tmpdir(), "switchboard-mpc-"));
  const first = await startWorker({ persistTo });
  let url = `${first.ws}/mpc/restart`;
  const a = await device(url, "mpc-1");
  const b = await device(url, "mpc-2");
  a.send({ type: "announce_session", session_info: session });
  await a.next();
  assert.equal((await b.next()).type, "session_available");
  b.send({ type: "session_status_update", session_info: { session_id: "wallet-2of3", participant_joined: "mpc-2" } });
  const joined = { ...session, participants: ["mpc-1", "mpc-2"] };
  assert.deepEqual(/** @type {ParticipantUpdateRelay} */ (await a.next()).data.session_info, joined);
  await b.next();
  // An eviction or a crash, not a graceful stop: on SIGTERM wrangler's proxy
  // can close the devices' sockets before the Worker's workerd exits, and the
  // creator leaving ends its session, as the protocol says it must.
  await first.kill();

  const second = await startWorker({ persistTo });
  try {
    url = `${second.ws}/mpc/restart`;
    const b2 = await openClient(url);
    b2.send({ type: "register", device_id: "mpc-2" });
    // The devices that vanished with the old server are not listed.
    assert.deepEqual(await b2.next(), { type: "devices", devices: ["mpc-2"] });
    b2.send({ type: "query_my_active_sessions" });
    assert.deepEqual(await b2.next(), { type: "sessions_for_device", sessions: [joined] });
    b2.send({ type: "request_active_sessions" });
    assert.deepEqual(await b2.next(), { type: "session_available", session_info: joined });

    // The creator comes back; when it leaves, the session ends as usual.
    const a2 = await device(url, "mpc-1");
    assert.deepEqual(await b2.next(), { type: "devices", devices: ["mpc-2", "mpc-1"] });
    a2.send({ type: "query_my_active_sessions" });
    assert.deepEqual(await a2.next(), { type: "sessions_for_device", sessions: [joined] });
    await a2.close();
    assert.deepEqual(await b2.next(), { type: "session_removed", session_id: "wallet-2of3", reason: "Session creator disconnected" });
    assert.deepEqual(await b2.next(), { type: "devices", devices: ["mpc-2"] });
    b2.send({ type: "query_my_active_sessions" });
    assert.deepEqual(await b2.next(), { type: "sessions_for_device", sessions: [] });
    await b2.close();
  } finally {
    await second.stop();
  }
});
