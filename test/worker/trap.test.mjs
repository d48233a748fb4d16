// @ts-check
// A trap in the WebAssembly module (here forced by the test build's trap
// frame) closes only the socket whose event trapped, as if it had left; the
// object rebuilds a new core from attachments and storage and keeps serving
// everyone else, in every app.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";
import { roomWith } from "./rooms-helpers.mjs";
import { Member } from "./swarm-helpers.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/*.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/signal.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/signal.js").ServerMessage} In */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);
const openMpc = /** @type {typeof Client.open<import("../../clients/src/messages/mpc.js").ClientMessage, import("../../clients/src/messages/mpc.js").ServerMessage>} */ (Client.open);
const openRelay = /** @type {typeof Client.open<import("../../clients/src/messages/relay.js").ClientMessage, import("../../clients/src/messages/relay.js").ServerMessage>} */ (Client.open);
const openRoom = /** @type {typeof Client.open<import("../../clients/src/messages/rooms.js").ClientMessage, import("../../clients/src/messages/rooms.js").ServerMessage>} */ (Client.open);

const TRAP = "__switchboard_test_trap__";
let worker;
before(async () => (worker = await startWorker({ vars: { JWT_SECRET: "trap-test-secret" } })));
after(() => worker.stop());

async function settled(client) {
  client.send('{ "type": "ping" }');
  assert.deepEqual(await client.next(), { type: "pong" });
}

test("signal: a trap closes its socket with 1011; the others keep their topics, spilled ones too", async () => {
  const url = `${worker.ws}/signal/trap`;
  const victim = await openClient(url);
  const plain = await openClient(url);
  // Enough long topic names to push this socket's attachment into storage.
  const topics = Array.from({ length: 60 }, (_, i) => `a-rather-long-topic-name-for-spilling-${i}`);
  const spilled = await openClient(url);
  for (const client of [victim, plain]) client.send({ type: "subscribe", topics: ["room"] });
  spilled.send({ type: "subscribe", topics: ["room", ...topics] });
  await Promise.all([victim, plain, spilled].map(settled));

  victim.send(TRAP);
  assert.equal((await victim.closed).code, 1011);
  // Written with console.error, which reaches `wrangler dev`'s output on its own stream.
  const trapped = () => worker.logged().find((line) => line.event === "trap");
  for (let i = 0; i < 50 && !trapped(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(Object.keys(trapped() ?? {}), ["event", "level", "app", "error"]);
  assert.deepEqual({ ...trapped(), error: "" }, { event: "trap", level: "error", app: "signal", error: "" });
  assert.ok(trapped().error.length > 0);

  plain.send({ type: "publish", topic: "room", data: "after the trap" });
  for (const client of [plain, spilled]) {
    assert.deepEqual(await client.next(), { type: "publish", topic: "room", data: "after the trap", clients: 2 });
  }
  plain.send({ type: "publish", topic: topics[59], data: "spilled" });
  assert.deepEqual(await spilled.next(), { type: "publish", topic: topics[59], data: "spilled", clients: 1 });
  const fresh = await openClient(url);
  await settled(fresh);
  await Promise.all([plain.close(), spilled.close(), fresh.close()]);
});

test("mpc: the trapped device is gone for the others; stored sessions and the registry survive", async () => {
  const url = `${worker.ws}/mpc/trap-${Math.random().toString(36).slice(2, 10)}`;
  const alice = await openMpc(url);
  alice.send({ type: "register", device_id: "alice" });
  assert.deepEqual(await alice.next(), { type: "devices", devices: ["alice"] });
  const bob = await openMpc(url);
  bob.send({ type: "register", device_id: "bob" });
  assert.deepEqual(await bob.next(), { type: "devices", devices: ["alice", "bob"] });
  assert.deepEqual(await alice.next(), { type: "devices", devices: ["alice", "bob"] });
  const session = { session_id: "s1", proposer_id: "bob", total: 2, threshold: 2, participants: ["bob", "alice"], session_type: "dkg", curve_type: "unified", coordination_type: "Network" };
  bob.send({ type: "announce_session", session_info: session });
  assert.equal((await alice.next()).type, "session_available");

  alice.send(TRAP);
  assert.equal((await alice.closed).code, 1011);
  assert.deepEqual(await bob.next(), { type: "devices", devices: ["bob"] });

  bob.send({ type: "query_my_active_sessions" });
  assert.deepEqual(await bob.next(), { type: "sessions_for_device", sessions: [session] });
  const back = await openMpc(url);
  back.send({ type: "register", device_id: "alice" });
  assert.deepEqual(await back.next(), { type: "devices", devices: ["bob", "alice"] });
  back.send({ type: "query_my_active_sessions" });
  assert.deepEqual(await back.next(), { type: "sessions_for_device", sessions: [session] });
  await Promise.all([bob.close(), back.close()]);
});

test("relay: the peer hears the trapped side leave, and the session pairs again", async () => {
  const id = `trap${Math.random().toString(36).slice(2, 10)}`;
  const desktop = await openRelay(`${worker.ws}/desktop/${id}`);
  assert.equal((await desktop.next()).type, "connected");
  const mobile = await openRelay(`${worker.ws}/mobile/${id}`);
  assert.equal((await desktop.next()).type, "mobile_connected");
  assert.deepEqual((await mobile.next()).type, "desktop_connected");
  assert.deepEqual((await mobile.next()).type, "connected");

  desktop.send(TRAP);
  assert.equal((await desktop.closed).code, 1011);
  assert.equal((await mobile.next()).type, "desktop_disconnected");

  const again = await openRelay(`${worker.ws}/desktop/${id}`);
  assert.equal((await mobile.next()).type, "desktop_connected");
  assert.equal((await again.next()).type, "mobile_connected");
  assert.equal((await again.next()).type, "connected");
  mobile.send({ type: "console_log", level: "info", args: ["after the trap"] });
  assert.deepEqual(await again.next(), { type: "console_log", level: "info", args: ["after the trap"] });
  await Promise.all([mobile.close(), again.close()]);
});

test("rooms: the others get the trapped participant's leave and keep talking", async () => {
  const [a, b, c] = (await roomWith(worker, ["A", "B", "C"])).participants;
  const alice = await openRoom(`${worker.ws}/ws?token=${a.token}`);
  const bob = await openRoom(`${worker.ws}/ws?token=${b.token}`);
  assert.equal((await alice.next()).type, "join");
  const carol = await openRoom(`${worker.ws}/ws?token=${c.token}`);
  for (const peer of [alice, bob]) assert.equal((await peer.next()).type, "join");

  alice.send(TRAP);
  assert.equal((await alice.closed).code, 1011);
  for (const peer of [bob, carol]) assert.deepEqual(await peer.next(), { type: "leave", from: a.participant_id, to: "all", data: { participant_id: a.participant_id } });

  bob.send({ type: "offer", to: c.participant_id, data: { sdp: "v=0" } });
  assert.deepEqual(await carol.next(), { type: "offer", to: c.participant_id, data: { sdp: "v=0" }, from: b.participant_id });
  await Promise.all([bob.close(), carol.close()]);
});

test("swarm: the trapped device goes offline; the swarm's devices and run state survive", async () => {
  const [host, guest] = await Member.hostAndGuest(worker);
  host.emit("cmd:set_run_state", "RUNNING");
  await host.log("Swarm state changed to RUNNING");

  guest.client.send(TRAP);
  assert.equal((await guest.client.closed).code, 1011);
  await host.log(`Node offline: ${guest.id.slice(0, 8)}`);
  const after = await host.snapshot((s) => s.devices[guest.id]?.status === "OFFLINE");
  assert.equal(after.runState, "RUNNING");
  assert.equal(after.devices[host.id].status, "ONLINE");
  host.emit("job:request_batch", {});
  assert.ok((await host.batch()).length > 0);
  await host.close();
});
