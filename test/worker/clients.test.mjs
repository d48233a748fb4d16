// @ts-check
// The client package (clients/) against the real Worker: each protocol's class
// connects, runs a round of its protocol, and recovers on its own when the
// server restarts underneath it (same port, same persisted state): topics
// subscribed again, devices registered again and their sessions rejoined,
// the pairing resumed, the swarm node registered again, the room rejoined.
// Refused upgrades and final close codes stop the reconnecting, and a path
// that goes silent without closing is found by the keep-alive and replaced.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { MpcDevice, PairingSide, RoomsClient, RoomsError, SignalingClient, SwarmNode } from "../../clients/src/index.js";
import { kSecret, mint, unique } from "./access-helpers.mjs";
import { freePort, startWorker } from "./server.mjs";

// A stand-in for the Calls API: the proxy round needs an upstream that answers.
const upstream = createServer((req, res) => {
  res.writeHead(201, { "content-type": "application/json" });
  res.end(JSON.stringify({ sessionId: `calls-${req.method}-${req.url?.split("/").at(-1)}` }));
});
const persistTo = mkdtempSync(join(tmpdir(), "switchboard-clients-"));
let vars;
/** @type {Awaited<ReturnType<typeof startWorker>>} */
let worker;
/** @type {{ close(): void }[]} */
const opened = [];
// Short backoff: the suite waits for the server, not for a production retry schedule.
const transport = { WebSocket, reconnect: { minReconnectionDelay: 100, maxReconnectionDelay: 400, connectionTimeout: 3000 } };

/**
 * @template {{ close(): void }} T
 * @param {T} client
 * @returns {T}
 */
function track(client) {
  opened.push(client);
  return client;
}

// The next `type` event of a client whose payload passes `accept`.
function until(client, type, accept = (_payload) => true, ms = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no matching ${type} event within ${ms} ms`))), ms);
    const off = client.on(type, (payload) => {
      if (!accept(payload)) return;
      off();
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

before(async () => {
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const address = upstream.address();
  vars = {
    ACCESS_TOKEN_SECRET: kSecret,
    MPC_ACCESS: "token",
    RELAY_ACCESS: "token",
    JWT_SECRET: "clients-suite-secret",
    CLOUDFLARE_APP_ID: "app",
    CLOUDFLARE_APP_SECRET: "calls-secret",
    CALLS_API_BASE: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/v1`,
    SWARM_TICK_MS: "250",
  };
  worker = await startWorker({ vars, persistTo });
});
after(async () => {
  for (const client of opened) client.close();
  await worker?.stop();
  upstream.close();
});

// Minted on every (re)connect: the count proves a fresh token per attempt.
const tokens = { count: 0 };
const tokenFor = (app, sub, scope) => () => (tokens.count++, mint(app, sub, scope));

const session = { session_id: "wallet-2of2", total: 2, threshold: 2, participants: ["dev-1"], session_type: "dkg" };
/** @type {Record<string, any>} */
const c = {};

test("each class connects and runs a round of its protocol", async (t) => {
  const url = worker.ws;

  await t.test("SignalingClient: subscribe and publish; every subscriber gets it with the count", async () => {
    c.alice = track(new SignalingClient({ url, shard: "clients", ...transport }));
    c.bob = track(new SignalingClient({ url, shard: "clients", ...transport }));
    for (const peer of [c.alice, c.bob]) {
      const echoed = until(peer, "message", (m) => m.data.probe === true);
      peer.subscribe("room-1");
      peer.publish("room-1", { probe: true });
      await echoed;
    }
    const got = [until(c.alice, "message", (m) => m.data.hello === "bob"), until(c.bob, "message", (m) => m.data.hello === "bob")];
    c.bob.publish("room-1", { hello: "bob" });
    for (const message of await Promise.all(got)) assert.deepEqual(message, { type: "publish", topic: "room-1", data: { hello: "bob" }, clients: 2 });
    assert.deepEqual(c.alice.topics, ["room-1"]);
  });

  await t.test("MpcDevice: registers with its token, announces, the other joins, both see the participants", async () => {
    c.dev1 = track(new MpcDevice({ url, shard: "clients", deviceId: "dev-1", accessToken: tokenFor("mpc", "dev-1", "clients"), ...transport }));
    await until(c.dev1, "registered");
    c.dev2 = track(new MpcDevice({ url, shard: "clients", deviceId: "dev-2", accessToken: tokenFor("mpc", "dev-2", "clients"), ...transport }));
    const listed = until(c.dev1, "devices", (devices) => devices.includes("dev-2"));
    await until(c.dev2, "registered");
    await listed;
    const available = until(c.dev2, "session-available");
    c.dev1.announceSession(session);
    assert.equal((await available).session_id, "wallet-2of2");
    const update = until(c.dev1, "participants");
    c.dev2.joinSession("wallet-2of2");
    assert.deepEqual((await update).session_info.participants, ["dev-1", "dev-2"]);
    const relayed = until(c.dev2, "relay");
    c.dev1.relay("dev-2", { round: 1 });
    assert.deepEqual(await relayed, { from: "dev-1", data: { round: 1 } });
    const refused = until(c.dev1, "error");
    c.dev1.relay("nobody", {});
    assert.deepEqual(await refused, { error: "unknown device: nobody" });
    assert.equal(tokens.count, 2);
  });

  await t.test("PairingSide: queued while the phone is away, delivered when it comes; ping; refuse mode", async () => {
    c.desktop = track(new PairingSide({ url, side: "desktop", sessionId: "pairclients", accessToken: tokenFor("relay", "desktop", "pairclients"), ...transport }));
    await until(c.desktop, "connected");
    assert.equal(c.desktop.send({ type: "bundle_update", payload: { code: "1" } }), "queued");
    c.mobile = track(new PairingSide({ url, side: "mobile", sessionId: "pairclients", accessToken: tokenFor("relay", "mobile", "pairclients"), ...transport }));
    const bundle = until(c.mobile, "message");
    assert.deepEqual(await until(c.desktop, "peer"), { side: "mobile", connected: true });
    assert.deepEqual(await bundle, { type: "bundle_update", payload: { code: "1" } });
    const ack = until(c.desktop, "message");
    assert.equal(c.mobile.send({ type: "bundle_ack", success: true }), "sent");
    assert.deepEqual(await ack, { type: "bundle_ack", success: true });
    const pong = until(c.mobile, "pong");
    c.mobile.ping();
    assert.equal((await pong).type, "pong");

    const alone = track(new PairingSide({ url, side: "desktop", sessionId: "pairalone", whilePeerAway: "refuse", accessToken: tokenFor("relay", "desktop", "pairalone"), ...transport }));
    await until(alone, "connected");
    assert.equal(alone.send({ type: "bundle_update" }), "refused");
    alone.close();
  });

  await t.test("SwarmNode: registers, invites a guest, jobs in and results out, heartbeats on the server's ticks", async () => {
    const hostId = unique("host");
    const capabilities = { cpuCores: 4, memoryGB: 8, gpuAvailable: false };
    c.hostId = hostId;
    c.host = track(new SwarmNode({ url, persistentId: hostId, name: "Host", capabilities, heartbeatInterval: 600, ...transport }));
    await until(c.host, "snapshot", (s) => s.devices[hostId]?.status === "ONLINE");
    const code = await c.host.generateInvite();
    assert.match(code, /^[0-9A-Z]{6}$/);
    c.guestId = unique("guest");
    c.guest = track(new SwarmNode({ url, persistentId: c.guestId, inviteCode: code, name: "Guest", capabilities, heartbeatInterval: 600, ...transport }));
    await until(c.host, "snapshot", (s) => s.devices[c.guestId]?.status === "ONLINE");
    c.host.setRunState("RUNNING");
    await until(c.guest, "snapshot", (s) => s.runState === "RUNNING");
    const jobs = until(c.guest, "jobs");
    c.guest.requestJobs();
    const batch = await jobs;
    assert.ok(batch.length > 0);
    for (const job of batch) c.guest.completeJob(job, { result: 42, durationMs: 3 });
    await until(c.host, "snapshot", (s) => s.devices[c.guestId].totalJobsCompleted === batch.length);
    // Nothing sent by the app since: the snapshots pace the heartbeats.
    const beat = (await until(c.host, "snapshot")).devices[c.guestId].lastHeartbeat;
    await until(c.host, "snapshot", (s) => s.devices[c.guestId].lastHeartbeat > beat, 5000);
    const rejected = until(c.host, "error");
    c.host.setThrottle(400);
    assert.match((await rejected).error, /^Rejected cmd:set_throttle: /);
  });

  await t.test("RoomsClient and RoomSocket: create, get, join, ICE servers, the Calls proxy, the room socket", async () => {
    const rooms = new RoomsClient({ url: worker.http, WebSocket });
    const { room_id } = await rooms.createRoom({ name: "clients", max_participants: 4 });
    assert.equal((await rooms.getRoom(room_id)).name, "clients");
    await assert.rejects(rooms.getRoom("0123456789abcdef"), (error) => error instanceof RoomsError && error.status === 404 && error.message === "HTTP 404: Room not found");
    const [ann, ben] = [await rooms.join(room_id, "Ann"), await rooms.join(room_id, "Ben")];
    assert.equal((await rooms.iceServers(room_id, ann.token))[0].urls, "stun:stun.cloudflare.com:3478");
    assert.deepEqual(await rooms.newCallsSession(), { sessionId: "calls-POST-new" });
    assert.deepEqual(await rooms.newCallsTracks("abc123", { tracks: [] }), { sessionId: "calls-POST-new" });
    assert.deepEqual(await rooms.renegotiateCalls("abc123", { sessionDescription: { type: "answer", sdp: "v=0" } }), { sessionId: "calls-PUT-renegotiate" });
    c.ann = track(rooms.connect(ann.token, transport));
    await until(c.ann, "open");
    c.ben = track(rooms.connect(() => ben.token, transport));
    const joined = await until(c.ann, "join");
    assert.deepEqual(joined.data, { participant_id: ben.participant_id, participant_name: "Ben" });
    const got = until(c.ben, "session");
    c.ann.publishSession({ sessionId: "calls-ann", tracks: [{ trackName: "mic", kind: "audio" }] });
    assert.equal((await got).sessionId, "calls-ann");
    const offer = until(c.ann, "peer");
    c.ben.sendTo(ann.participant_id, "offer", { sdp: "v=0" });
    assert.deepEqual(await offer, { type: "offer", to: ann.participant_id, data: { sdp: "v=0" }, from: ben.participant_id });
    c.benId = ben.participant_id;
  });
});

test("the server restarts underneath: every class reconnects and recovers on its own", async () => {
  const all = [c.alice, c.bob, c.dev1, c.dev2, c.desktop, c.mobile, c.host, c.guest, c.ann, c.ben];
  const lost = all.map((client) => until(client, "close"));
  const back = all.map((client) => until(client, "open", (o) => o.reconnected, 60_000));
  // What each recovers to, listened for before the server comes back.
  const sessions = [c.dev1, c.dev2].map((device) => until(device, "sessions", (list) => list.length === 1, 60_000));
  const paired = until(c.desktop, "peer", (p) => p.connected, 60_000);
  const swarm = until(c.host, "snapshot", (s) => s.devices[c.hostId]?.status === "ONLINE" && s.devices[c.guestId]?.status === "ONLINE" && s.runState === "RUNNING", 60_000);
  const session = until(c.ben, "session", (s) => s.sessionId === "calls-ann", 60_000);
  const tokensBefore = tokens.count;

  // A crash, as an eviction is: on a graceful stop wrangler's proxy can close
  // the sockets before the Worker's workerd exits, and the MPC session's
  // creator leaving would end the session, as the protocol says it must.
  await worker.kill();
  await Promise.all(lost);
  worker = await startWorker({ vars, persistTo, port: worker.port });
  await Promise.all(back);

  // Signaling: topics subscribed again without the app.
  for (const peer of [c.alice, c.bob]) {
    const echoed = until(peer, "message", (m) => m.data.probe === "again");
    peer.publish("room-1", { probe: "again" });
    await echoed;
  }
  const heard = until(c.bob, "message", (m) => m.data.hello === "again");
  c.alice.publish("room-1", { hello: "again" });
  assert.equal((await heard).clients, 2);

  // MPC: registered again (fresh tokens) and rejoined their session.
  for (const list of await Promise.all(sessions)) assert.deepEqual(list[0].participants, ["dev-1", "dev-2"]);
  assert.ok(tokens.count >= tokensBefore + 4, "a token per reconnect");  // two devices, two sides
  const relayed = until(c.dev1, "relay");
  c.dev2.relay("dev-1", { round: 2 });
  assert.deepEqual(await relayed, { from: "dev-2", data: { round: 2 } });

  // Pairing resumed: the desktop saw the phone come back and messages flow.
  await paired;
  const bundle = until(c.mobile, "message");
  assert.equal(c.desktop.send({ type: "bundle_update", payload: { code: "2" } }), "sent");
  assert.deepEqual(await bundle, { type: "bundle_update", payload: { code: "2" } });

  // Swarm: both nodes registered again, the run state kept.
  await swarm;

  // Rooms: Ben is back in the room and gets Ann's Calls session again.
  await session;
});

test("a refused upgrade (401, 403) and a final close code stop the reconnecting", async () => {
  const url = worker.ws;
  if (typeof globalThis.WebSocket === "undefined") assert.throws(() => new SignalingClient({ url }), /no WebSocket here/);  // Node 20
  let asked = 0;
  const anonymous = track(new MpcDevice({ url, shard: "clients", deviceId: "dev-3", accessToken: () => (asked++, ""), ...transport }));
  assert.deepEqual(await until(anonymous, "stopped"), { status: 401, reason: "upgrade refused with HTTP 401" });
  const elsewhere = track(new MpcDevice({ url, shard: "clients", deviceId: "dev-3", accessToken: tokenFor("mpc", "dev-3", "another-shard"), ...transport }));
  assert.equal((await until(elsewhere, "stopped")).status, 403);
  // An unknown invite code (403), a room token that is not one (401).
  const capabilities = { cpuCores: 1, memoryGB: 1, gpuAvailable: false };
  const uninvited = track(new SwarmNode({ url, persistentId: unique("stranger"), inviteCode: "ZZZZZZ", name: "Stranger", capabilities, ...transport }));
  assert.deepEqual(await until(uninvited, "stopped"), { status: 403, reason: "upgrade refused with HTTP 403" });
  const gatecrasher = track(new RoomsClient({ url, WebSocket }).connect("not-a-room-token", transport));
  assert.equal((await until(gatecrasher, "stopped")).status, 401);
  await new Promise((resolve) => setTimeout(resolve, 600));  // longer than the backoff
  assert.equal(asked, 1);
  assert.equal(anonymous.state, "closed");

  // Another socket registered dev-1: the old one is closed "replaced" and stays closed.
  const stopped = until(c.dev1, "stopped");
  const twin = track(new MpcDevice({ url, shard: "clients", deviceId: "dev-1", accessToken: tokenFor("mpc", "dev-1", "clients"), ...transport }));
  const registered = until(twin, "registered");
  assert.deepEqual(await stopped, { code: 1000, reason: "replaced" });
  await registered;
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(c.dev1.state, "closed");
  assert.equal(twin.state, "open");
});

test("a connection that goes silent is noticed by the keep-alive and replaced; topics come back", async () => {
  // A TCP relay to the Worker that can stop passing bytes without closing: a dead network path.
  let frozen = false;
  const proxy = createTcpServer((inbound) => {
    const outbound = connect(worker.port, "127.0.0.1");
    const pass = (from, to) => from.on("data", (chunk) => frozen || to.write(chunk));
    pass(inbound, outbound);
    pass(outbound, inbound);
    for (const end of [inbound, outbound]) end.on("error", () => {}).on("close", () => (inbound.destroy(), outbound.destroy()));
  }).listen(0, "127.0.0.1");
  await once(proxy, "listening");
  const address = proxy.address();
  const port = typeof address === "object" && address ? address.port : 0;
  try {
    const client = track(new SignalingClient({ url: `ws://127.0.0.1:${port}`, shard: "clients", ...transport, keepAlive: { interval: 300, timeout: 500 } }));
    const first = until(client, "message", (m) => m.data.n === 1);
    client.subscribe("silence");
    client.publish("silence", { n: 1 });
    await first;
    const lost = until(client, "close");
    const back = until(client, "open", (o) => o.reconnected);
    frozen = true;
    assert.deepEqual(await lost, { code: 1006, reason: "no answer to the keep-alive ping" });
    frozen = false;  // the next connection passes again
    await back;
    const again = until(client, "message", (m) => m.data.n === 2);
    client.publish("silence", { n: 2 });
    assert.deepEqual(await again, { type: "publish", topic: "silence", data: { n: 2 }, clients: 1 });
    client.close();
  } finally {
    proxy.close();
  }
});

test("frames sent while no server answers wait in order, up to maxOutbox; past it, dropped says so", async () => {
  const port = await freePort();
  const signaling = track(new SignalingClient({ url: `ws://127.0.0.1:${port}`, ...transport, maxOutbox: 2 }));
  signaling.subscribe(["t"]);
  const dropped = until(signaling, "dropped");
  for (const data of ["one", "two", "three"]) signaling.publish("t", data);
  assert.deepEqual(await dropped, { frame: { type: "publish", topic: "t", data: "three" } });
  // A server comes up on that address: what was kept arrives, in order.
  const server = new WebSocketServer({ port, host: "127.0.0.1" });
  try {
    const [socket] = await once(server, "connection");
    const frames = [];
    socket.on("message", (data) => frames.push(JSON.parse(String(data))));
    while (frames.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(frames, [
      { type: "subscribe", topics: ["t"] },
      { type: "publish", topic: "t", data: "one" },
      { type: "publish", topic: "t", data: "two" },
    ]);
  } finally {
    signaling.close();
    server.close();
  }
});
