// @ts-check
// MPC wallet device signaling through the real Worker, with the frames the
// original's Rust clients (serde, tag = "type", snake_case) send and expect.
// Each test runs in its own shard (/mpc/<shard>) so broadcasts do not cross.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/mpc.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/mpc.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/mpc.js").ServerMessage} In */
/** @typedef {import("../../clients/src/messages/mpc.js").Devices} Devices */
/** @typedef {import("../../clients/src/messages/mpc.js").SessionAvailable} SessionAvailable */
/** @typedef {import("./server.mjs").Client<Out, In>} MpcClient */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

let worker;
before(async () => (worker = await startWorker()));
after(() => worker.stop());

const unique = (name) => `${name}-${Math.random().toString(36).slice(2, 10)}`;
const shardUrl = (shard) => `${worker.ws}/mpc/${shard}`;

// A socket that registered `id`, with the `devices` frame of its own arrival consumed.
async function device(url, id) {
  const client = await openClient(url);
  client.send({ type: "register", device_id: id });
  const first = await client.next();
  assert.equal(first.type, "devices");
  assert.ok(/** @type {Devices} */ (first).devices.includes(id));
  return client;
}

const dkg = (sessionId, proposer, participants = [proposer]) => ({
  session_id: sessionId,
  proposer_id: proposer,
  total: 3,
  threshold: 2,
  participants,
  session_type: "dkg",
  curve_type: "unified",
  coordination_type: "Network",
});

// What a client asking for the shard's sessions sees: one session_available per stored session.
async function activeSessions(url) {
  const probe = await openClient(url);
  probe.send({ type: "request_active_sessions" });
  probe.send({ type: "list_devices" });
  const seen = [];
  for (let frame = await probe.next(); frame.type !== "devices"; frame = await probe.next()) {
    assert.equal(frame.type, "session_available");
    seen.push(/** @type {SessionAvailable} */ (frame).session_info.session_id);
  }
  await probe.close();
  return seen.sort();
}

describe("mpc: registry and relay", () => {
  test("register: devices goes to everyone, one copy to the registrant; close: devices to the rest", async () => {
    const url = shardUrl(unique("reg"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    assert.deepEqual(await a.next(), { type: "devices", devices: ["mpc-1", "mpc-2"] });
    await b.nothing(100);
    const stranger = await openClient(url);
    stranger.send({ type: "list_devices" });
    assert.deepEqual(await stranger.next(), { type: "devices", devices: ["mpc-1", "mpc-2"] });
    await a.close();
    assert.deepEqual(await b.next(), { type: "devices", devices: ["mpc-2"] });
    await stranger.nothing(100);
    await Promise.all([b.close(), stranger.close()]);
  });

  test("relay reaches the target only, from the sender's id; unregistered senders relay as \"\"", async () => {
    const url = shardUrl(unique("relay"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    await a.next();
    const signal = { websocket_msg_type: "WebRTCSignal", Candidate: { candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 } };
    a.send({ type: "relay", to: "mpc-2", data: signal });
    assert.deepEqual(await b.next(), { type: "relay", from: "mpc-1", data: signal });
    await a.nothing(100);
    const stranger = await openClient(url);
    stranger.send({ type: "relay", to: "mpc-1", data: [1, "two"] });
    assert.deepEqual(await a.next(), { type: "relay", from: "", data: [1, "two"] });
    a.send({ type: "relay", to: "mpc-9", data: {} });
    assert.deepEqual(await a.next(), { type: "error", error: "unknown device: mpc-9" });
    await b.nothing(100);
    await Promise.all([a.close(), b.close(), stranger.close()]);
  });

  test("re-registering an id replaces the old socket (1000 \"replaced\"); its late close removes nothing", async () => {
    const url = shardUrl(unique("replace"));
    const old = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    await old.next();
    old.send({ type: "announce_session", session_info: dkg("s1", "mpc-1") });
    await b.next();
    const fresh = await device(url, "mpc-1");
    assert.deepEqual(await old.closed, { code: 1000, reason: "replaced" });
    assert.deepEqual(await b.next(), { type: "devices", devices: ["mpc-1", "mpc-2"] });
    await b.nothing();
    b.send({ type: "relay", to: "mpc-1", data: "still you?" });
    assert.deepEqual(await fresh.next(), { type: "relay", from: "mpc-2", data: "still you?" });
    assert.deepEqual(await activeSessions(url), ["s1"]);
    await Promise.all([fresh.close(), b.close()]);
  });
});

describe("mpc: sessions", () => {
  test("announce_session: session_available to everyone but the announcer; unregistered announcers get silence", async () => {
    const url = shardUrl(unique("announce"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    await a.next();
    const info = dkg("s1", "mpc-1");
    a.send({ type: "announce_session", session_info: info });
    assert.deepEqual(await b.next(), { type: "session_available", session_info: info });
    await a.nothing(100);
    const stranger = await openClient(url);
    stranger.send({ type: "announce_session", session_info: dkg("s2", "x") });
    stranger.send({ type: "query_my_active_sessions" });
    await stranger.nothing();
    await b.nothing(50);
    assert.deepEqual(await activeSessions(url), ["s1"]);
    await Promise.all([a.close(), b.close(), stranger.close()]);
  });

  test("request_active_sessions replays the stored sessions and sends session_list_request to the others", async () => {
    const url = shardUrl(unique("request"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    const c = await device(url, "mpc-3");
    await a.next(), await a.next(), await b.next();
    a.send({ type: "announce_session", session_info: dkg("s1", "mpc-1") });
    await b.next(), await c.next();
    c.send({ type: "request_active_sessions" });
    assert.deepEqual(await c.next(), { type: "session_available", session_info: dkg("s1", "mpc-1") });
    assert.deepEqual(await a.next(), { type: "session_list_request", from: "mpc-3" });
    assert.deepEqual(await b.next(), { type: "session_list_request", from: "mpc-3" });
    await c.nothing(100);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test("query_my_active_sessions: an empty array, then the sessions that list the caller", async () => {
    const url = shardUrl(unique("query"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    await a.next();
    b.send({ type: "query_my_active_sessions" });
    assert.deepEqual(await b.next(), { type: "sessions_for_device", sessions: [] });
    const mine = dkg("s1", "mpc-1", ["mpc-1", "mpc-2"]);
    a.send({ type: "announce_session", session_info: mine });
    a.send({ type: "announce_session", session_info: dkg("s2", "mpc-1") });
    await b.next(), await b.next();
    b.send({ type: "query_my_active_sessions" });
    assert.deepEqual(await b.next(), { type: "sessions_for_device", sessions: [mine] });
    await Promise.all([a.close(), b.close()]);
  });

  test("session_status_update grows participants and relays participant_update from \"server\" to them", async () => {
    const url = shardUrl(unique("status"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    const c = await device(url, "mpc-3");
    await a.next(), await a.next(), await b.next();
    a.send({ type: "announce_session", session_info: dkg("s1", "mpc-1") });
    await b.next(), await c.next();
    b.send({ type: "session_status_update", session_info: { session_id: "s1", participant_joined: "mpc-2" } });
    /** @type {In} */
    const update = { type: "relay", from: "server", data: { type: "participant_update", session_id: "s1", session_info: dkg("s1", "mpc-1", ["mpc-1", "mpc-2"]) } };
    assert.deepEqual(await a.next(), update);
    assert.deepEqual(await b.next(), update);
    await c.nothing(100);
    b.send(JSON.stringify({ type: "session_status_update", session_info: { participant_joined: "mpc-2" } }));
    assert.deepEqual(await b.next(), { type: "error", error: "SessionStatusUpdate missing session_id" });
    b.send({ type: "session_status_update", session_info: { session_id: "nope", participant_joined: "mpc-2" } });
    assert.deepEqual(await b.next(), { type: "error", error: "unknown session: nope" });
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test("the creator's disconnect removes its session at once; every registered device hears it; nothing stale stays", async () => {
    const url = shardUrl(unique("creator"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    const c = await device(url, "mpc-3");
    await a.next(), await a.next(), await b.next();
    a.send({ type: "announce_session", session_info: dkg("s1", "mpc-1") });
    b.send({ type: "announce_session", session_info: dkg("s2", "mpc-2") });
    await b.next(), await c.next(), await a.next(), await c.next();
    b.send({ type: "session_status_update", session_info: { session_id: "s1", participant_joined: "mpc-2" } });
    await a.next(), await b.next();
    await a.close();
    /** @type {In} */
    const removed = { type: "session_removed", session_id: "s1", reason: "Session creator disconnected" };
    for (const client of [b, c]) {
      assert.deepEqual(await client.next(), removed);
      assert.deepEqual(await client.next(), { type: "devices", devices: ["mpc-2", "mpc-3"] });
    }
    assert.deepEqual(await activeSessions(url), ["s2"]);
    c.send({ type: "query_my_active_sessions" });
    assert.deepEqual(await c.next(), { type: "sessions_for_device", sessions: [] });
    await Promise.all([b.close(), c.close()]);
    assert.deepEqual(await activeSessions(url), []);
  });
});

describe("mpc: bad input", () => {
  const invalid = {
    "not JSON": "{nope",
    "a JSON array": "[1,2]",
    "no type": { device_id: "x" },
    "unknown type": { type: "shout" },
    "PascalCase tag": { type: "Register", device_id: "x" },
    "register without device_id": { type: "register" },
    "register with a numeric device_id": { type: "register", device_id: 7 },
    "relay without to": { type: "relay", data: {} },
    "relay with a numeric to": { type: "relay", to: 1, data: {} },
    "relay without data": { type: "relay", to: "mpc-1" },
    "announce_session without session_info": { type: "announce_session" },
    "session_status_update without session_info": { type: "session_status_update" },
  };
  for (const [name, frame] of Object.entries(invalid)) {
    test(`${name}: error "invalid message", nothing changes, the socket stays`, async () => {
      const url = shardUrl(unique("bad"));
      const a = await device(url, "mpc-1");
      a.send(typeof frame === "string" ? frame : JSON.stringify(frame));  // garbage goes out raw
      assert.deepEqual(await a.next(), { type: "error", error: "invalid message" });
      a.send({ type: "list_devices" });
      assert.deepEqual(await a.next(), { type: "devices", devices: ["mpc-1"] });
      assert.deepEqual(await activeSessions(url), []);
      await a.close();
    });
  }

  test("ids and session_info past their limits, reserved names: the documented errors, nothing stored", async () => {
    const url = shardUrl(unique("limits"));
    const a = await device(url, "mpc-1");
    /** @type {Array<[unknown, string]>} */
    const cases = [
      [{ type: "register", device_id: "" }, "invalid device_id"],
      [{ type: "register", device_id: "server" }, "invalid device_id"],
      [{ type: "register", device_id: "d".repeat(129) }, "invalid device_id"],
      [{ type: "announce_session", session_info: dkg("s".repeat(129), "mpc-1") }, "invalid session_id"],
      [{ type: "announce_session", session_info: { total: 3 } }, "AnnounceSession missing session_id"],
      [{ type: "announce_session", session_info: dkg("big", "mpc-1", ["mpc-1", "p".repeat(17000)]) }, "session_info too large"],
      [{ type: "announce_session", session_info: 5 }, "AnnounceSession missing session_id"],
      [{ type: "announce_session", session_info: { session_id: ["s1"] } }, "AnnounceSession missing session_id"],
      [{ type: "session_status_update", session_info: { session_id: 5 } }, "SessionStatusUpdate missing session_id"],
      [{ type: "session_status_update", session_info: "s1" }, "SessionStatusUpdate missing session_id"],
      [{ type: "session_status_update", session_info: { session_id: "s1", participant_joined: "" } }, "unknown session: s1"],
    ];
    for (const [frame, error] of cases) {
      a.send(JSON.stringify(frame));
      assert.deepEqual(await a.next(), { type: "error", error }, JSON.stringify(frame).slice(0, 80));
    }
    assert.deepEqual(await activeSessions(url), []);
    a.send({ type: "list_devices" });
    assert.deepEqual(await a.next(), { type: "devices", devices: ["mpc-1"] });

    // Limits on a session that exists: a join or a relayed SessionUpdate that would grow it too far.
    const info = dkg("s1", "mpc-1");
    a.send({ type: "announce_session", session_info: info });
    a.send({ type: "session_status_update", session_info: { session_id: "s1", participant_joined: "j".repeat(129) } });
    assert.deepEqual(await a.next(), { type: "error", error: "invalid device_id" });
    const b = await device(url, "mpc-2");
    await a.next();
    const update = { type: "SessionUpdate", session_code: "s1", participants: ["mpc-1"], blob: "x".repeat(17000) };
    a.send({ type: "relay", to: "mpc-2", data: update });
    assert.deepEqual(await a.next(), { type: "error", error: "session_info too large" });
    assert.deepEqual(await b.next(), { type: "relay", from: "mpc-1", data: update });
    b.send({ type: "query_my_active_sessions" });
    assert.deepEqual(await b.next(), { type: "sessions_for_device", sessions: [] });
    const probe = await openClient(url);
    probe.send({ type: "request_active_sessions" });
    assert.deepEqual(await probe.next(), { type: "session_available", session_info: info });
    await probe.nothing(100);
    await Promise.all([a.close(), b.close(), probe.close()]);
  });

  test("a frame over MPC_MAX_MESSAGE_BYTES (1 MiB): error \"message too large\", nothing stored", async () => {
    const url = shardUrl(unique("big"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    await a.next();
    a.send({ type: "announce_session", session_info: { ...dkg("huge", "mpc-1"), blob: "x".repeat(1024 * 1024) } });
    assert.deepEqual(await a.next(), { type: "error", error: "message too large" });
    a.send({ type: "relay", to: "mpc-2", data: "x".repeat(1024 * 1024) });
    assert.deepEqual(await a.next(), { type: "error", error: "message too large" });
    await b.nothing(100);
    assert.deepEqual(await activeSessions(url), []);
    await Promise.all([a.close(), b.close()]);
  });

  test("binary frames close with 1003; the registration is gone", async () => {
    const url = shardUrl(unique("binary"));
    const a = await device(url, "mpc-1");
    const b = await device(url, "mpc-2");
    await a.next();
    a.send(Buffer.from(JSON.stringify({ type: "list_devices" })));
    assert.equal((await a.closed).code, 1003);
    assert.deepEqual(await b.next(), { type: "devices", devices: ["mpc-2"] });
    await b.close();
  });

  test("unregistered callers: silence for announce and query, replay only for request_active_sessions", async () => {
    const url = shardUrl(unique("unreg"));
    const a = await device(url, "mpc-1");
    a.send({ type: "announce_session", session_info: dkg("s1", "mpc-1") });
    const stranger = await openClient(url);
    stranger.send({ type: "announce_session", session_info: dkg("s9", "nobody") });
    stranger.send({ type: "query_my_active_sessions" });
    stranger.send({ type: "request_active_sessions" });
    assert.deepEqual(await stranger.next(), { type: "session_available", session_info: dkg("s1", "mpc-1") });
    await stranger.nothing();
    await a.nothing(50);
    await Promise.all([a.close(), stranger.close()]);
  });
});

describe("mpc: routes", () => {
  test("a plain request to /mpc or /mpc/<shard>: 426 JSON", async () => {
    for (const path of ["/mpc", "/mpc/abc"]) {
      const response = await fetch(worker.http + path);
      assert.equal(response.status, 426);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.match((await response.json()).error, /WebSocket/);
    }
  });

  test("an invalid shard name: 400 JSON; shards are separate registries", async () => {
    const refused = await refusedUpgrade(`${worker.ws}/mpc/bad%20name`);
    assert.deepEqual([refused.status, refused.body], [400, { error: "invalid shard name" }]);
    const shard = unique("iso");
    const here = await device(shardUrl(shard), "mpc-1");
    const global = await openClient(`${worker.ws}/mpc`);
    global.send({ type: "relay", to: "mpc-1", data: 1 });
    assert.deepEqual(await global.next(), { type: "error", error: "unknown device: mpc-1" });
    await here.nothing(50);
    await Promise.all([here.close(), global.close()]);
  });

  test("health lists mpc", async () => {
    const body = await (await fetch(`${worker.http}/health`)).json();
    assert.ok(body.apps.includes("mpc"));
  });
});

// Point 7 of the issue: a 2-of-3 DKG as the TUI coordinates it.
test("mpc: end-to-end DKG coordination, a stateless rejoin, and the creator leaving", async () => {
  const url = `${worker.ws}/mpc`;
  const [p1, p2, p3] = ["mpc-1", "mpc-2", "mpc-3"].map((id) => `${id}-${unique("dkg")}`);
  const all = [p1, p2, p3];
  const a = await device(url, p1);
  const b = await device(url, p2);
  const c = await device(url, p3);
  await a.next(), await a.next(), await b.next();

  const session = dkg(unique("wallet-2of3"), p1);
  const sid = session.session_id;
  a.send({ type: "announce_session", session_info: session });
  assert.deepEqual(await b.next(), { type: "session_available", session_info: session });
  assert.deepEqual(await c.next(), { type: "session_available", session_info: session });

  // Discovery, as the TUI's discovery screen does it.
  /** @type {Array<[MpcClient, MpcClient[]]>} */
  const seekers = [[b, [a, c]], [c, [a, b]]];
  for (const [seeker, others] of seekers) {
    seeker.send({ type: "request_active_sessions" });
    let found;
    for (let frame = await seeker.next(); ; frame = await seeker.next()) {
      assert.equal(frame.type, "session_available");
      const { session_info } = /** @type {SessionAvailable} */ (frame);
      if (session_info.session_id === sid) {
        found = session_info;
        break;
      }
    }
    assert.deepEqual(found, session);
    const asker = seeker === b ? p2 : p3;
    for (const other of others) assert.deepEqual(await other.next(), { type: "session_list_request", from: asker });
  }
  // Joining: everyone listed hears participant_update.
  b.send({ type: "session_status_update", session_info: { session_id: sid, participant_joined: p2 } });
  const afterB = { ...session, participants: [p1, p2] };
  for (const client of [a, b]) {
    assert.deepEqual(await client.next(), { type: "relay", from: "server", data: { type: "participant_update", session_id: sid, session_info: afterB } });
  }
  c.send({ type: "session_status_update", session_info: { session_id: sid, participant_joined: p3 } });
  const full = { ...session, participants: all };
  for (const client of [a, b, c]) {
    assert.deepEqual(await client.next(), { type: "relay", from: "server", data: { type: "participant_update", session_id: sid, session_info: full } });
  }

  // The mesh: offers, answers and candidates relayed pairwise.
  /** @type {Array<[MpcClient, string, MpcClient, string]>} */
  const pairs = [[a, p1, b, p2], [a, p1, c, p3], [b, p2, c, p3]];
  for (const [from, fromId, to, toId] of pairs) {
    const offer = { websocket_msg_type: "WebRTCSignal", Offer: { sdp: `v=0 offer ${fromId}` } };
    from.send({ type: "relay", to: toId, data: offer });
    assert.deepEqual(await to.next(), { type: "relay", from: fromId, data: offer });
    const answer = { websocket_msg_type: "WebRTCSignal", Answer: { sdp: `v=0 answer ${toId}` } };
    to.send({ type: "relay", to: fromId, data: answer });
    assert.deepEqual(await from.next(), { type: "relay", from: toId, data: answer });
    const candidate = { websocket_msg_type: "WebRTCSignal", Candidate: { candidate: "candidate:0 1 UDP 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0 } };
    to.send({ type: "relay", to: fromId, data: candidate });
    assert.deepEqual(await from.next(), { type: "relay", from: toId, data: candidate });
  }

  // p3 drops and rejoins statelessly: register again, ask for its sessions, join again.
  await c.close();
  for (const client of [a, b]) assert.deepEqual(await client.next(), { type: "devices", devices: [p1, p2] });
  const c2 = await device(url, p3);
  for (const client of [a, b]) assert.deepEqual(await client.next(), { type: "devices", devices: all });
  c2.send({ type: "query_my_active_sessions" });
  assert.deepEqual(await c2.next(), { type: "sessions_for_device", sessions: [full] });
  c2.send({ type: "session_status_update", session_info: { session_id: sid, participant_joined: p3 } });
  for (const client of [a, b, c2]) {
    assert.deepEqual(await client.next(), { type: "relay", from: "server", data: { type: "participant_update", session_id: sid, session_info: full } });
  }
  const offer = { websocket_msg_type: "WebRTCSignal", Offer: { sdp: "v=0 again" } };
  c2.send({ type: "relay", to: p1, data: offer });
  assert.deepEqual(await a.next(), { type: "relay", from: p3, data: offer });

  // The creator leaves: the session is gone for everyone at once.
  await a.close();
  for (const client of [b, c2]) {
    assert.deepEqual(await client.next(), { type: "session_removed", session_id: sid, reason: "Session creator disconnected" });
    assert.deepEqual(await client.next(), { type: "devices", devices: [p2, p3] });
  }
  c2.send({ type: "query_my_active_sessions" });
  assert.deepEqual(await c2.next(), { type: "sessions_for_device", sessions: [] });
  await Promise.all([b.close(), c2.close()]);
  assert.deepEqual(await activeSessions(url), []);
});
