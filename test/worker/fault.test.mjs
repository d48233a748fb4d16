// @ts-check
// Faults through the real Worker: hostile nesting sent to every app, errors
// thrown out of the module (a stack overflow, not only a trap), and a kill -9
// of workerd under traffic followed by a restart on the same persisted state,
// where what the README promises must still be there (object names included:
// the alarms that wake objects after the restart come without them).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";
import { mpcPair, openMpc, openRelay, openSignal, relayPair, signalPair, subscribed } from "./peers.mjs";
import { roomWith } from "./rooms-helpers.mjs";
import { Member, newId } from "./swarm-helpers.mjs";

const openRoom = /** @type {typeof Client.open<import("../../clients/src/messages/rooms.js").ClientMessage, import("../../clients/src/messages/rooms.js").ServerMessage>} */ (Client.open);

const persistTo = mkdtempSync(join(tmpdir(), "switchboard-fault-"));
// Limits that would otherwise close the attacker before its hundredth frame.
const vars = {
  JWT_SECRET: "fault-test-secret",
  SIGNAL_MAX_INVALID_MESSAGES: "1000",
  SIGNAL_MESSAGES_PER_SECOND: "10000",
  MPC_MESSAGES_PER_SECOND: "10000",
  RELAY_MAX_MESSAGES_PER_SECOND: "10000",
  ROOMS_MAX_INVALID_MESSAGES: "1000",
  ROOMS_MESSAGES_PER_SECOND: "10000",
  RELAY_VACANT_TTL_MS: "3000",
};
const OVERFLOW = "__switchboard_test_overflow__";
const MiB = 1024 * 1024;
// Far past MAX_JSON_DEPTH (64), and past what overflowed the engine's stack
// before the limit (5,000–7,000), yet under every app's frame size limit.
const DEEP = 20_000;
const nested = (depth = DEEP) => "[".repeat(depth) + "]".repeat(depth);
const rand = () => Math.random().toString(36).slice(2, 10);

let worker;
before(async () => (worker = await startWorker({ vars, persistTo })));
after(() => worker?.stop());

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Memory settles after a burst: the engine frees what it no longer needs.
// A logged line matching `match`, once it reached wrangler dev's output.
async function logged(match) {
  const line = (await worker.loggedOnce((lines) => lines.some(match))).find(match);
  if (!line) throw new Error("no such line was logged");
  return line;
}
const overflowed = (app) => logged((line) => line.event === "trap" && line.app === app && line.error === "Maximum call stack size exceeded");

async function rssSettled() {
  await settle(1500);
  return worker.rss();
}

// A swarm's host and a guest it invited, both registered, the guest's frames so far handled.
async function swarmPair() {
  const [host, guest] = await Member.hostAndGuest(worker);
  await guest.settle();
  return [host, guest];
}

// Each app's answer to a too-deep frame is its answer to invalid JSON; a
// bystander on the same object is served as before.
const apps = {
  async signal() {
    const shard = `deep-${rand()}`;
    const [attacker, bystander] = await signalPair(worker, shard, "t");
    const frame = `{"type":"publish","topic":"t","data":${nested()}}`;
    return {
      send: () => attacker.send(frame),
      answer: async () => {},  // y-webrtc clients get no answer to what they cannot parse
      async answered() {
        // Handled in order: had a nested publish gone anywhere, it would come first.
        attacker.send({ type: "publish", topic: "t", data: "still here" });
        for (const client of [attacker, bystander]) assert.deepEqual(await client.next(), { type: "publish", topic: "t", data: "still here", clients: 2 });
        const stats = await (await fetch(`${worker.http}/stats/signal/${shard}`)).json();
        assert.equal(stats.errors, 101);  // each one counted
        assert.equal(stats.limits.MAX_JSON_DEPTH, 64);
      },
      close: () => Promise.all([attacker.close(), bystander.close()]),
    };
  },
  async mpc() {
    const [attacker, bystander] = await mpcPair(worker, `deep-${rand()}`, "attacker", "tgt");
    const frame = `{"type":"relay","to":"tgt","data":${nested()}}`;
    return {
      send: () => attacker.send(frame),
      answer: async () => assert.deepEqual(await attacker.next(), { type: "error", error: "invalid message" }),
      async answered() {
        await bystander.nothing(100);
        attacker.send({ type: "relay", to: "tgt", data: { ok: true } });
        assert.deepEqual(await bystander.next(), { type: "relay", from: "attacker", data: { ok: true } });
      },
      close: () => Promise.all([attacker.close(), bystander.close()]),
    };
  },
  async relay() {
    const [attacker, bystander] = await relayPair(worker, `deep${rand()}`);
    const frame = `{"type":"bundle_update","payload":${nested()}}`;
    return {
      send: () => attacker.send(frame),
      async answer() {
        const error = await attacker.next();
        assert.equal(error.type, "error");
        assert.equal(/** @type {any} */ (error).error, "Invalid JSON");
      },
      async answered() {
        await bystander.nothing(100);
        attacker.send({ type: "console_log", level: "info", args: ["still here"] });
        assert.deepEqual(await bystander.next(), { type: "console_log", level: "info", args: ["still here"] });
      },
      close: () => Promise.all([attacker.close(), bystander.close()]),
    };
  },
  async rooms() {
    const { participants } = await roomWith(worker, ["A", "B", "C"]);
    const [a, b, c] = participants;
    const attacker = await openRoom(`${worker.ws}/ws?token=${a.token}`);
    const bystander = await openRoom(`${worker.ws}/ws?token=${b.token}`);
    assert.equal((await attacker.next()).type, "join");
    const frames = [`{"type":"cloudflare-session","sessionId":"s","tracks":${nested()}}`, `{"type":"offer","to":"all","data":${nested()}}`];
    let sent = 0;
    return {
      send: () => attacker.send(frames[sent++ % 2]),
      answer: async () => assert.deepEqual(await attacker.next(), { type: "error", error: "invalid message: expected a JSON object with a string type" }),
      async answered() {
        await bystander.nothing(100);
        // The room still admits, and nobody is left streaming a poisoned session.
        const late = await openRoom(`${worker.ws}/ws?token=${c.token}`);
        await late.nothing(200);
        for (const peer of [attacker, bystander]) assert.equal((await peer.next()).type, "join");
        attacker.send({ type: "offer", to: b.participant_id, data: { sdp: "v=0" } });
        assert.deepEqual(await bystander.next(), { type: "offer", to: b.participant_id, data: { sdp: "v=0" }, from: a.participant_id });
        await late.close();
      },
      close: () => Promise.all([attacker.close(), bystander.close()]),
    };
  },
  async swarm() {
    const [host, guest] = await swarmPair();
    const frame = `{"event":"heartbeat","data":${nested()}}`;
    return {
      send: () => guest.client.send(frame),
      answer: async () => assert.equal((await guest.log("Rejected frame: not JSON")).level, "WARN"),
      async answered() {
        host.emit("cmd:set_run_state", "RUNNING");
        await host.log("Swarm state changed to RUNNING");
        host.emit("job:request_batch", {});
        assert.ok((await host.batch()).length > 0);
      },
      close: () => Promise.all([host.close(), guest.close()]),
    };
  },
};

// Every refusal is logged, and under wrangler dev each log line costs workerd
// ~15 KiB of memory however small the frame (measured with frames of one
// byte of nesting); the bounds below leave room for that and nothing else.
test("JSON nested past MAX_JSON_DEPTH gets each app's invalid-JSON answer; bystanders are served; memory stays flat", async () => {
  const scenes = {};
  for (const [app, scene] of Object.entries(apps)) scenes[app] = await scene();
  // One round first: the objects, their cores and the engine's caches exist.
  for (const scene of Object.values(scenes)) {
    scene.send();
    await scene.answer();
  }
  // 100 frames, 20 to each app (before the limit, 30 such frames took an object from 91 to 228 MB).
  const before = await rssSettled();
  for (const scene of Object.values(scenes)) {
    for (let i = 0; i < 20; i++) scene.send();
    for (let i = 0; i < 20; i++) await scene.answer();
  }
  const afterRss = await rssSettled();
  console.log(`workerd RSS: ${(before / MiB).toFixed(1)} MiB before 100 nested frames, ${(afterRss / MiB).toFixed(1)} MiB after`);
  assert.ok(afterRss - before < 8 * MiB, `workerd grew from ${before} to ${afterRss} bytes`);
  for (const [app, scene] of Object.entries(scenes)) {
    for (let i = 0; i < 80; i++) scene.send();
    for (let i = 0; i < 80; i++) await scene.answer();
    await scene.answered();
    assert.equal(worker.logged().filter((line) => line.event === "trap").length, 0, app);
  }
  // Request bodies too: the rooms API answers 400 as to any body that is not a JSON object.
  const response = await fetch(`${worker.http}/api/rooms`, { method: "POST", headers: { "Content-Type": "application/json" }, body: `{"name":${nested(1000)}}` });
  assert.equal(response.status, 400);
  await Promise.all(Object.values(scenes).map((scene) => scene.close()));
});

test("a stack overflow out of the module is a trap: 1011 for that socket, logged, a new core for the rest; memory stays flat", async () => {
  const shard = `overflow-${rand()}`;
  const url = `${worker.ws}/signal/${shard}`;
  const bystander = await openSignal(url);
  await subscribed(bystander, "t");
  const overflowOnce = async () => {
    const victim = await openSignal(url);
    victim.send({ type: "subscribe", topics: ["t"] });
    victim.send(OVERFLOW);
    assert.deepEqual(await victim.closed, { code: 1011, reason: "internal error" });
  };
  await overflowOnce();
  assert.equal((await overflowed("signal")).level, "error");
  bystander.send({ type: "publish", topic: "t", data: "after" });
  assert.deepEqual(await bystander.next(), { type: "publish", topic: "t", data: "after", clients: 1 });

  for (let i = 0; i < 5; i++) await overflowOnce();
  const before = await rssSettled();
  for (let i = 0; i < 100; i++) await overflowOnce();
  const afterRss = await rssSettled();
  console.log(`workerd RSS: ${(before / MiB).toFixed(1)} MiB before 100 stack overflows, ${(afterRss / MiB).toFixed(1)} MiB after`);
  // Each overflow drops a core of at least 2 MiB (its initial memory): kept, 100 would be 200 MiB;
  // what remains (measured 10–20 MiB) is the engine's heap and three log lines per overflow.
  assert.ok(afterRss - before < 48 * MiB, `workerd grew from ${before} to ${afterRss} bytes`);
  bystander.send({ type: "publish", topic: "t", data: "still here" });
  assert.deepEqual(await bystander.next(), { type: "publish", topic: "t", data: "still here", clients: 1 });
  await bystander.close();
});

test("every app survives an overflow the same way", async () => {
  const [device, victim] = await mpcPair(worker, `overflow-${rand()}`, "stays", "victim");
  victim.send(OVERFLOW);
  assert.equal((await victim.closed).code, 1011);
  assert.deepEqual(await device.next(), { type: "devices", devices: ["stays"] });

  const [desktop, mobile] = await relayPair(worker, `overflow${rand()}`);
  mobile.send(OVERFLOW);
  assert.equal((await mobile.closed).code, 1011);
  assert.equal((await desktop.next()).type, "mobile_disconnected");

  const [a, b] = (await roomWith(worker, ["A", "B"])).participants;
  const alice = await openRoom(`${worker.ws}/ws?token=${a.token}`);
  const bob = await openRoom(`${worker.ws}/ws?token=${b.token}`);
  assert.equal((await alice.next()).type, "join");
  bob.send(OVERFLOW);
  assert.equal((await bob.closed).code, 1011);
  assert.deepEqual(await alice.next(), { type: "leave", from: b.participant_id, to: "all", data: { participant_id: b.participant_id } });

  const [host, guest] = await swarmPair();
  guest.client.send(OVERFLOW);
  assert.equal((await guest.client.closed).code, 1011);
  await host.log(`Node offline: ${guest.id.slice(0, 8)}`);

  for (const app of ["mpc", "relay", "rooms", "swarm"]) await overflowed(app);
  await Promise.all([device.close(), desktop.close(), alice.close(), host.close()]);
});

test("the Worker's own router rebuilds its core after an error", async () => {
  const failed = await fetch(`${worker.http}/${OVERFLOW}`);
  assert.equal(failed.status, 500);
  assert.deepEqual(await failed.json(), { error: "internal error" });
  await overflowed("worker");
  const health = await fetch(`${worker.http}/health`);
  assert.equal(health.status, 200);
  assert.equal((await health.json()).status, "healthy");
});

test("kill -9 under traffic, then a restart on the same state: what the README promises is there, names included", async () => {
  // Every app busy at once.
  const shard = `crash-${rand()}`;
  const signal = [await openSignal(`${worker.ws}/signal/${shard}`), await openSignal(`${worker.ws}/signal/${shard}`)];
  for (const client of signal) client.send({ type: "subscribe", topics: ["t"] });

  const registry = `crash-${rand()}`;
  const [alice, bob] = await mpcPair(worker, registry, "alice", "bob");
  const session = { session_id: "s1", proposer_id: "alice", total: 2, threshold: 2, participants: ["alice", "bob"], session_type: "dkg", curve_type: "unified", coordination_type: "Network" };
  alice.send({ type: "announce_session", session_info: session });
  assert.equal((await bob.next()).type, "session_available");

  const paired = `crash${rand()}`;
  const desktop = await openRelay(`${worker.ws}/desktop/${paired}`);
  const mobile = await openRelay(`${worker.ws}/mobile/${paired}`);
  // A session whose both sides left: its vacancy alarm is pending at the crash.
  const vacant = `vacant${rand()}`;
  const gone = await openRelay(`${worker.ws}/desktop/${vacant}`);
  assert.equal((await gone.next()).type, "connected");
  await gone.close();

  const created = await (await fetch(`${worker.http}/api/rooms`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "crash", max_participants: 2 }) })).json();
  const join = async (name) => (await fetch(`${worker.http}/api/rooms/${created.room_id}/join`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ participant_name: name }) })).json();
  const [a, b] = [await join("A"), await join("B")];
  const roomA = await openRoom(`${worker.ws}/ws?token=${a.token}`);
  const roomB = await openRoom(`${worker.ws}/ws?token=${b.token}`);
  assert.equal((await roomA.next()).type, "join");

  const hostId = newId();
  const guestId = newId();
  const host = await Member.join(worker, hostId);
  host.register("Host Desktop", 8, 16, false);
  await host.log("Node Registered: Host Desktop");
  const code = await host.invite();
  const guest = await Member.join(worker, guestId, code);
  guest.register("Guest Laptop", 4, 8, false);
  await guest.log("Node Registered: Guest Laptop");
  host.emit("cmd:set_run_state", "RUNNING");
  host.emit("cmd:set_throttle", 70);
  await host.log("Swarm state changed to RUNNING");
  await host.settle();
  guest.emit("job:request_batch", {});
  const batch = await guest.batch();
  for (const job of batch.slice(0, 2)) guest.emit("job:complete", { chunkId: job.id, workerId: guestId, durationMs: 4 });
  const before = await host.snapshot((s) => s.stats.completedJobs === 2);

  const traffic = setInterval(() => {
    signal[0].send({ type: "publish", topic: "t", data: "busy" });
    alice.send({ type: "relay", to: "bob", data: { busy: true } });
    desktop.send({ type: "console_log", args: ["busy"] });
    mobile.send({ type: "console_log", args: ["busy"] });
    roomB.send({ type: "offer", to: a.participant_id, data: { sdp: "busy" } });
    guest.emit("heartbeat", { lastInteraction: Date.now() });
  }, 5);
  await settle(500);
  await worker.kill();
  clearInterval(traffic);

  worker = await startWorker({ vars, persistTo });
  // The alarms due during the outage wake their objects now, without a name.
  await settle(4000);
  await logged((line) => line.event === "session_deleted" && line.app === "relay" && line.instance === vacant);

  // Signal: the shard serves again (it keeps nothing but its sockets).
  const [s1, s2] = await signalPair(worker, shard, "t");
  s1.send({ type: "publish", topic: "t", data: "back" });
  for (const client of [s1, s2]) assert.deepEqual(await client.next(), { type: "publish", topic: "t", data: "back", clients: 2 });

  // MPC: sessions stay, the device list starts empty.
  const alice2 = await openMpc(`${worker.ws}/mpc/${registry}`);
  alice2.send({ type: "register", device_id: "alice" });
  assert.deepEqual(await alice2.next(), { type: "devices", devices: ["alice"] });
  alice2.send({ type: "query_my_active_sessions" });
  assert.deepEqual(await alice2.next(), { type: "sessions_for_device", sessions: [session] });

  // Relay: the paired session pairs again and forwards.
  const [desktop2, mobile2] = await relayPair(worker, paired);
  mobile2.send({ type: "console_log", args: ["after"] });
  assert.deepEqual(await desktop2.next(), { type: "console_log", args: ["after"] });

  // Rooms: the metadata, the tokens and the capacity survive.
  const metadata = await (await fetch(`${worker.http}/api/rooms/${created.room_id}`)).json();
  assert.equal(metadata.name, "crash");
  assert.equal(metadata.maxParticipants, 2);
  const roomA2 = await openRoom(`${worker.ws}/ws?token=${a.token}`);
  const roomB2 = await openRoom(`${worker.ws}/ws?token=${b.token}`);
  assert.equal((await roomA2.next()).type, "join");
  const full = await fetch(`${worker.http}/api/rooms/${created.room_id}/join`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  assert.equal(full.status, 409);

  // Swarm: devices, run state, counters and invites; its name, though the alarm woke it first.
  const host2 = await Member.join(worker, hostId);
  host2.register("Host Desktop", 8, 16, false);
  const after = await host2.snapshot((s) => s.devices[hostId]?.status === "ONLINE");
  assert.equal(after.runState, "RUNNING");
  assert.equal(after.stats.globalThrottle, 70);
  assert.equal(after.stats.completedJobs, 2);
  assert.equal(after.stats.pendingJobs, before.stats.pendingJobs);
  assert.equal(after.devices[guestId].status, "OFFLINE");
  assert.equal(after.devices[guestId].totalJobsCompleted, 2);
  assert.equal(after.devices[hostId].swarmId, hostId);
  assert.match(await host2.invite(), /^[0-9A-Z]{6}$/);
  const guest2 = await Member.join(worker, guestId, code);
  guest2.register("Guest Laptop", 4, 8, false);
  await host2.snapshot((s) => s.devices[guestId]?.status === "ONLINE");
  await logged((line) => line.event === "open" && line.app === "swarm" && line.instance === hostId);
  assert.deepEqual(worker.logged().filter((line) => line.instance === ""), []);
  await Promise.all([s1, s2, alice2, desktop2, mobile2, roomA2, roomB2].map((client) => client.close()).concat([host2.close(), guest2.close()]));
});

// A socket another one replaces gets its close frame at once and, once it has
// spoken, its TCP connection ends at once too, even while its peers keep the
// object busy (so no hibernation closes it for us). (A socket that never sent
// a frame is the exception: docs/operations.md, "Replaced sockets".)
test("a replaced socket's connection ends within a second, while its peers keep the object busy", async () => {
  const BUDGET_MS = 1000;
  const busy = (client, frame) => setInterval(() => client.send(frame), 50);
  async function replaced(old, spoken, replace) {
    await spoken;
    const start = Date.now();
    const replacement = await replace();
    const ended = await Promise.race([old.closed, settle(5 * BUDGET_MS).then(() => ({ code: "still open" }))]);
    return { code: ended.code, ms: Date.now() - start, replacement };
  }

  const [device, peer] = await mpcPair(worker, `linger-${rand()}`, "device", "peer");
  const mpcTimer = busy(peer, { type: "relay", to: "device", data: {} });
  const mpc = await replaced(device, Promise.resolve(), async () => {
    const again = await openMpc(device.ws.url);
    again.send({ type: "register", device_id: "device" });
    return again;
  });

  const [desktop, mobile] = await relayPair(worker, `linger${rand()}`);
  const relayTimer = busy(mobile, { type: "console_log", level: "info", args: [] });
  desktop.send({ type: "ping" });
  const relay = await replaced(desktop, desktop.next(), () => openRelay(desktop.ws.url));

  const { participants: [a, b] } = await roomWith(worker, ["A", "B"]);
  const alice = await openRoom(`${worker.ws}/ws?token=${a.token}`);
  const bob = await openRoom(`${worker.ws}/ws?token=${b.token}`);
  assert.equal((await alice.next()).type, "join");
  const roomsTimer = busy(alice, { type: "offer", to: b.participant_id, data: {} });
  bob.send({ type: "cloudflare-session", sessionId: "s-b", tracks: [] });
  const rooms = await replaced(bob, settle(100), () => openRoom(bob.ws.url));

  for (const timer of [mpcTimer, relayTimer, roomsTimer]) clearInterval(timer);
  for (const [app, { code, ms }] of Object.entries({ mpc, relay, rooms })) {
    assert.equal(code, 1000, app);
    assert.ok(ms < BUDGET_MS, `${app}: the replaced socket's connection ended after ${ms} ms`);
  }
  await Promise.all([peer, mpc.replacement, mobile, relay.replacement, alice, rooms.replacement].map((client) => client.close()));
});
