// @ts-check
// SFU rooms through the real Worker: the rooms API (Workers KV), room tokens
// cross-checked with `jose` both ways, and the room Durable Object as the
// podcast recorder's desktop client uses it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SignJWT, UnsecuredJWT, decodeProtectedHeader, jwtVerify } from "jose";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/rooms.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/rooms.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/rooms.js").ServerMessage} In */
/** @typedef {import("../../clients/src/messages/rooms.js").CloudflareSession} CloudflareSession */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

const SECRET = "rooms-test-secret";
const key = new TextEncoder().encode(SECRET);
let worker;
before(async () => (worker = await startWorker({ vars: { JWT_SECRET: SECRET, CORS_ORIGIN: "https://recorder.example", ROOMS_MAX_BODY_BYTES: "4096", ROOMS_MAX_MESSAGE_BYTES: "8192" } })));
after(() => worker.stop());

async function api(method, path, body) {
  const response = await fetch(worker.http + path, { method, headers: { "Content-Type": "application/json" }, body: typeof body === "string" ? body : body && JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/**
 * @param {import("../../clients/src/messages/rooms.js").CreateRoomRequest} [fields]
 * @returns {Promise<string>} the room id
 */
async function createRoom(fields = { name: "Episode 1" }) {
  const created = await api("POST", "/api/rooms", fields);
  assert.equal(created.status, 200);
  return /** @type {import("../../clients/src/messages/rooms.js").CreateRoomResponse} */ (created.body).room_id;
}

/** @returns {Promise<import("../../clients/src/messages/rooms.js").JoinRoomResponse>} */
async function join(roomId, name) {
  /** @type {import("../../clients/src/messages/rooms.js").JoinRoomRequest} */
  const request = { participant_name: name };
  const joined = await api("POST", `/api/rooms/${roomId}/join`, request);
  assert.equal(joined.status, 200, JSON.stringify(joined.body));
  return joined.body;
}

const connect = (token) => openClient(`${worker.ws}/ws?token=${token}`);

// A frame that must come back proves the ones sent before it were handled.
async function settled(client) {
  client.send({ type: "ping-check", to: "nobody-at-all" });
  assert.deepEqual(await client.next(), { type: "error", error: "unknown participant: nobody-at-all" });
}

// The next frame as text, unparsed.
async function nextRaw(client, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!client.frames.length) {
    if (Date.now() > deadline) throw new Error("no frame arrived in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return client.frames.shift();
}

/**
 * @param {Record<string, unknown>} claims
 * @param {{ secret?: Uint8Array, exp?: string | number | null }} [options]
 */
const signWithJose = (claims, { secret = key, exp = "1h" } = {}) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(secret);
};

describe("rooms API", () => {
  test("create, get and join as the original API, with CORS on every answer", async () => {
    const created = await api("POST", "/api/rooms", { name: "Episode 7", created_by: "host@example.com", max_participants: 4 });
    assert.equal(created.status, 200);
    assert.equal(created.headers.get("access-control-allow-origin"), "https://recorder.example");
    assert.equal(created.headers.get("content-type"), "application/json");
    assert.deepEqual(Object.keys(created.body), ["room_id", "created_at"]);
    assert.match(created.body.room_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Date(created.body.created_at).toISOString(), created.body.created_at);
    assert.ok(Math.abs(Date.parse(created.body.created_at) - Date.now()) < 60_000);

    const room = await api("GET", `/api/rooms/${created.body.room_id}`);
    assert.equal(room.status, 200);
    assert.equal(room.headers.get("access-control-allow-origin"), "https://recorder.example");
    assert.deepEqual(room.body, { id: created.body.room_id, name: "Episode 7", createdBy: "host@example.com", createdAt: created.body.created_at, maxParticipants: 4 });

    const joined = await api("POST", `/api/rooms/${created.body.room_id}/join`, { participantName: "Alice" });
    assert.equal(joined.status, 200);
    assert.equal(joined.headers.get("access-control-allow-origin"), "https://recorder.example");
    assert.deepEqual(joined.body.ice_servers, [{ urls: "stun:stun.cloudflare.com:3478" }]);
    assert.match(joined.body.participant_id, /^[0-9a-f-]{36}$/);
  });

  test("defaults: no name, createdBy unknown, maxParticipants 10; join name Guest", async () => {
    const created = await api("POST", "/api/rooms", {});
    const room = await api("GET", `/api/rooms/${created.body.room_id}`);
    assert.deepEqual(room.body, { id: created.body.room_id, createdBy: "unknown", createdAt: created.body.created_at, maxParticipants: 10 });
    const joined = await api("POST", `/api/rooms/${created.body.room_id}/join`, {});
    const { payload } = await jwtVerify(joined.body.token, key);
    assert.equal(payload.participant_name, "Guest");
  });

  test("unknown rooms: 404 on get and join", async () => {
    for (const [method, path] of [["GET", "/api/rooms/no-such-room"], ["POST", "/api/rooms/no-such-room/join"], ["GET", "/api/rooms/bad%20id"]]) {
      const answer = await api(method, path, method === "POST" ? {} : undefined);
      assert.deepEqual([answer.status, answer.body], [404, { error: "Room not found" }], path);
    }
  });

  test("bad bodies: 400 JSON (not the original's 500), oversized 413", async () => {
    const roomId = await createRoom();
    const cases = [
      ["POST", "/api/rooms", "{not json", 400, "request body must be a JSON object"],
      ["POST", "/api/rooms", "[1,2]", 400, "request body must be a JSON object"],
      ["POST", "/api/rooms", { name: 42 }, 400, "name must be a string"],
      ["POST", "/api/rooms", { max_participants: "4" }, 400, "max_participants must be an integer from 1 to 100"],
      ["POST", "/api/rooms", { maxParticipants: 0 }, 400, "maxParticipants must be an integer from 1 to 100"],
      ["POST", "/api/rooms", { name: "x".repeat(5000) }, 413, "request body too large"],
      ["POST", `/api/rooms/${roomId}/join`, "participant=bob", 400, "request body must be a JSON object"],
      ["POST", `/api/rooms/${roomId}/join`, { participant_name: { first: "Bob" } }, 400, "participant_name must be a string"],
      ["POST", `/api/rooms/${roomId}/join`, { participant_name: "x".repeat(300) }, 400, "participant_name is longer than 256 bytes"],
    ];
    for (const [method, path, body, status, error] of cases) {
      const answer = await api(method, path, body);
      assert.deepEqual([answer.status, answer.body], [status, { error }], `${path} ${JSON.stringify(body).slice(0, 40)}`);
    }
  });

  test("routes the original did not have are 404 JSON", async () => {
    const roomId = await createRoom();
    for (const [method, path] of [["GET", "/api/rooms"], ["POST", `/api/rooms/${roomId}/leave`], ["DELETE", `/api/rooms/${roomId}`]]) {
      const answer = await api(method, path);
      assert.deepEqual([answer.status, answer.body], [404, { error: "not found" }], `${method} ${path}`);
    }
  });

  test("maxParticipants counts connected participants: join and connect past it get 409", async () => {
    const roomId = await createRoom({ max_participants: 2 });
    const a = await join(roomId, "A");
    const b = await join(roomId, "B");
    const c = await join(roomId, "C");  // nobody connected yet: tokens are free
    const alice = await connect(a.token);
    const bob = await connect(b.token);
    assert.equal((await alice.next()).type, "join");
    const full = await api("POST", `/api/rooms/${roomId}/join`, { participant_name: "D" });
    assert.deepEqual([full.status, full.body], [409, { error: "Room is full" }]);
    const refused = await refusedUpgrade(`${worker.ws}/ws?token=${c.token}`);
    assert.deepEqual([refused.status, refused.body], [409, { error: "Room is full" }]);
    await bob.close();
    assert.equal((await alice.next()).type, "leave");
    const carol = await connect(c.token);
    await Promise.all([alice.close(), carol.close()]);
  });
});

test("the Calls proxy without CLOUDFLARE_APP_ID / CLOUDFLARE_APP_SECRET: 503 JSON", async () => {
  const answer = await api("POST", "/cloudflare/session");
  assert.deepEqual([answer.status, answer.body], [503, { error: "Cloudflare Calls is not configured (CLOUDFLARE_APP_ID, CLOUDFLARE_APP_SECRET)" }]);
});

describe("room tokens, cross-checked with jose", () => {
  test("tokens switchboard issues verify in jose with the original's claims", async () => {
    const roomId = await createRoom();
    const joined = await join(roomId, "Alice");
    assert.deepEqual(decodeProtectedHeader(joined.token), { alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(joined.token, key, { algorithms: ["HS256"] });
    assert.deepEqual(Object.keys(payload), ["room_id", "participant_id", "participant_name", "exp", "iat"]);
    assert.equal(payload.room_id, roomId);
    assert.equal(payload.participant_id, joined.participant_id);
    assert.equal(payload.participant_name, "Alice");
    assert.equal(payload.exp, payload.iat + 86400);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60);
    await assert.rejects(jwtVerify(joined.token, new TextEncoder().encode("another secret")));
  });

  test("a token jose signs with the same secret is accepted, identity taken from it", async () => {
    const roomId = `jose-${Date.now()}`;
    const token = await signWithJose({ room_id: roomId, participant_id: "p-jose", participant_name: "Jose" });
    const first = await connect(token);
    const second = await connect(await signWithJose({ room_id: roomId, participant_id: "p-other", participant_name: "Other" }));
    assert.deepEqual(await first.next(), { type: "join", from: "p-other", to: "all", data: { participant_id: "p-other", participant_name: "Other" } });
    await Promise.all([first.close(), second.close()]);
  });

  test("alg none, another alg, a wrong key, a tampered payload, a past exp, no exp: 401 Invalid token", async () => {
    const claims = { room_id: "r-1", participant_id: "p-1", participant_name: "Mallory" };
    const good = await signWithJose(claims);
    const [header, payload, signature] = good.split(".");
    const forged = Buffer.from(JSON.stringify({ ...claims, participant_id: "p-admin", exp: Math.floor(Date.now() / 1000) + 3600 })).toString("base64url");
    const tokens = {
      "alg none": new UnsecuredJWT(claims).setIssuedAt().setExpirationTime("1h").encode(),
      "alg none with a signature": `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.${signature}`,
      HS512: await new SignJWT(claims).setProtectedHeader({ alg: "HS512" }).setExpirationTime("1h").sign(key),
      "wrong key": await signWithJose(claims, { secret: new TextEncoder().encode("not-the-secret") }),
      "tampered payload": `${header}.${forged}.${signature}`,
      "past exp": await signWithJose(claims, { exp: Math.floor(Date.now() / 1000) - 10 }),
      "no exp": await signWithJose(claims, { exp: null }),
      "not a JWT": "hello",
    };
    for (const [name, token] of Object.entries(tokens)) {
      const refused = await refusedUpgrade(`${worker.ws}/ws?token=${encodeURIComponent(token)}`);
      assert.deepEqual([refused.status, refused.body], [401, { error: "Invalid token" }], name);
    }
  });

  test("no token: 401 Missing token; a plain request gets the token's verdict, then 426; /ws with persistentId is not the rooms'", async () => {
    for (const url of [`${worker.ws}/ws`, `${worker.ws}/ws?token=`]) {
      const refused = await refusedUpgrade(url);
      assert.deepEqual([refused.status, refused.body], [401, { error: "Missing token" }]);
    }
    // As the original's Worker: the token first, so a browser can learn why its upgrade failed.
    const bad = await fetch(`${worker.http}/ws?token=abc`);
    assert.deepEqual([bad.status, await bad.json()], [401, { error: "Invalid token" }]);
    const { token } = await join(await createRoom(), "Ann");
    const plain = await fetch(`${worker.http}/ws?token=${token}`);
    assert.equal(plain.status, 426);
    assert.match((await plain.json()).error, /WebSocket/);
    // The swarm coordinator's (or the router's 404 when it is not built in), never the rooms' answer.
    const swarm = await fetch(`${worker.http}/ws?persistentId=node-1&token=abc`);
    assert.doesNotMatch(await swarm.text(), /rooms|Missing token|Invalid token/);
  });
});

describe("room Durable Object", () => {
  test("the room: sessions to the newcomer before join to the others; frames relayed; leave on close", async () => {
    const roomId = await createRoom();
    const [a, b, c] = [await join(roomId, "Alice"), await join(roomId, "Bob"), await join(roomId, "Carol")];
    const alice = await connect(a.token);
    /** @type {CloudflareSession} */
    const aliceSession = { type: "cloudflare-session", roomId, participantId: a.participant_id, participantName: "Alice", sessionId: "sess-alice", tracks: [{ trackName: "alice-audio", kind: "audio" }] };
    alice.send(aliceSession);
    await settled(alice);

    const bob = await connect(b.token);
    assert.deepEqual(await bob.next(), aliceSession);
    assert.deepEqual(await alice.next(), { type: "join", from: b.participant_id, to: "all", data: { participant_id: b.participant_id, participant_name: "Bob" } });

    // cloudflare-session is forwarded byte for byte.
    const raw = `{"type":"cloudflare-session", "roomId":"${roomId}","participantId":"${b.participant_id}","participantName":"Bob","sessionId":"sess-bob","tracks":[]}`;
    bob.send(raw);
    await settled(bob);
    assert.equal(await nextRaw(alice), raw);

    bob.send({ type: "track-state", kind: "video", enabled: false });
    assert.deepEqual(await alice.next(), { type: "track-state", kind: "video", enabled: false, from: b.participant_id, participantId: b.participant_id });

    const carol = await connect(c.token);
    assert.deepEqual(await carol.next(), aliceSession);
    assert.equal(/** @type {CloudflareSession} */ (await carol.next()).sessionId, "sess-bob");
    for (const peer of [alice, bob]) assert.equal((await peer.next()).type, "join");

    // Legacy peer-to-peer frames: to one participant, or to all others.
    alice.send({ type: "offer", from: "someone-else", to: c.participant_id, data: { sdp: "v=0" } });
    assert.deepEqual(await carol.next(), { type: "offer", from: a.participant_id, to: c.participant_id, data: { sdp: "v=0" } });
    carol.send({ type: "ice", to: "all", data: { candidate: "c" } });
    for (const peer of [alice, bob]) assert.deepEqual(await peer.next(), { type: "ice", to: "all", data: { candidate: "c" }, from: c.participant_id });
    await carol.nothing(100);

    await bob.close();
    for (const peer of [alice, carol]) assert.deepEqual(await peer.next(), { type: "leave", from: b.participant_id, to: "all", data: { participant_id: b.participant_id } });
    await Promise.all([alice.close(), carol.close()]);
  });

  test("bad frames: error frames, 1008 past the limit, 1003 binary, 1009 too big; the room keeps serving", async () => {
    const roomId = await createRoom();
    const [a, b] = [await join(roomId, "A"), await join(roomId, "B")];
    const watcher = await connect(a.token);
    const sender = await connect(b.token);
    await watcher.next();  // join
    for (const frame of ["not json", "[1]", '"text"', { type: 5 }, { type: "offer" }, { type: "cloudflare-session", sessionId: "s" }]) {
      sender.send(typeof frame === "string" ? frame : JSON.stringify(frame));  // garbage goes out raw
      assert.equal((await sender.next()).type, "error", JSON.stringify(frame));
    }
    await watcher.nothing(100);
    sender.send({ type: "offer", to: a.participant_id });
    assert.equal((await watcher.next()).type, "offer");

    sender.send(Buffer.from([1, 2, 3]));
    assert.equal((await sender.closed).code, 1003);
    assert.equal((await watcher.next()).type, "leave");

    const big = await connect(b.token);
    await watcher.next();
    big.send({ type: "offer", to: "all", data: "x".repeat(9000) });
    assert.equal((await big.closed).code, 1009);
    assert.equal((await watcher.next()).type, "leave");

    const flooder = await connect(b.token);
    await watcher.next();
    for (let i = 0; i < 101; i++) flooder.send("garbage");
    assert.equal((await flooder.closed).code, 1008);
    assert.equal((await watcher.next()).type, "leave");
    await settled(watcher);
    await watcher.close();
  });

  test("a participant reconnecting replaces its old socket without a leave", async () => {
    const roomId = await createRoom();
    const [a, b] = [await join(roomId, "A"), await join(roomId, "B")];
    const alice = await connect(a.token);
    const bob = await connect(b.token);
    await alice.next();
    // As the real client does on open (workerd here finishes closing a socket
    // that never sent anything only after a delay).
    bob.send({ type: "cloudflare-session", sessionId: "sess-b", tracks: [] });
    assert.equal(/** @type {CloudflareSession} */ (await alice.next()).sessionId, "sess-b");
    const bobAgain = await connect(b.token);
    const old = await bob.closed;
    assert.equal(old.code, 1000);
    assert.equal((await alice.next()).type, "join");
    await alice.nothing(150);
    alice.send({ type: "offer", to: b.participant_id });
    assert.equal((await bobAgain.next()).type, "offer");
    await Promise.all([alice.close(), bobAgain.close()]);
  });
});
