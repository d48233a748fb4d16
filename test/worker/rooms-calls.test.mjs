// @ts-check
// The Cloudflare Calls proxy against a local fake Calls API that checks every
// request the proxy sends, and the podcast recorder's whole flow (its desktop client's)
// through the real Worker: rooms API, Calls proxy and the room's socket.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Client, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/rooms.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/rooms.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/rooms.js").ServerMessage} In */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

const APP_ID = "app-under-test";
const APP_SECRET = "calls-app-secret";

// The fake Calls API (calls-api-2024-05-21): what the proxy must send, and
// canned answers. Every request it saw is kept in `seen`.
const seen = [];
let sessions = 0;
const upstream = createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  const request = { method: req.method, path: req.url, headers: req.headers, body };
  seen.push(request);
  const reply = (status, json) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof json === "string" ? json : JSON.stringify(json));
  };
  if (req.headers.authorization !== `Bearer ${APP_SECRET}`) return reply(401, { errorCode: "unauthorized" });
  const prefix = `/v1/apps/${APP_ID}/sessions`;
  if (!req.url.startsWith(prefix)) return reply(404, { errorCode: "no such path" });
  const rest = req.url.slice(prefix.length);
  if (rest === "/new" && req.method === "POST") {
    if (body !== "" || req.headers["content-type"]) return reply(400, { errorCode: "sessions/new takes no body" });
    return reply(201, { sessionId: `fake-session-${++sessions}` });
  }
  const [, session, ...action] = rest.split("/");
  if (session === "drop") return req.socket.destroy();
  if (session === "broken") return reply(500, "upstream exploded");
  if (req.headers["content-type"] !== "application/json") return reply(415, { errorCode: "json only" });
  const parsed = JSON.parse(body);
  if (action.join("/") === "tracks/new" && req.method === "POST") {
    if (parsed.tracks.some((t) => t.location === "remote")) {
      return reply(200, {
        requiresImmediateRenegotiation: true,
        sessionDescription: { type: "offer", sdp: `sfu-offer-for-${session}` },
        tracks: parsed.tracks.map((t, i) => ({ ...t, mid: String(i + 1) })),
      });
    }
    if (parsed.sessionDescription?.type !== "offer") return reply(400, { errorCode: "invalid_request", errorDescription: "local tracks need an offer" });
    return reply(200, { requiresImmediateRenegotiation: false, sessionDescription: { type: "answer", sdp: `answer-for-${session}` }, tracks: parsed.tracks });
  }
  if (action.join("/") === "renegotiate" && req.method === "PUT") {
    return parsed.sessionDescription?.type === "answer" ? reply(200, {}) : reply(400, { errorCode: "answer expected" });
  }
  reply(404, { errorCode: "not found" });
});

let worker;
before(async () => {
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const vars = { JWT_SECRET: "calls-suite-secret", CLOUDFLARE_APP_ID: APP_ID, CLOUDFLARE_APP_SECRET: APP_SECRET, CALLS_API_BASE: `http://127.0.0.1:${upstream.address().port}/v1`, ROOMS_MAX_BODY_BYTES: "2048" };
  worker = await startWorker({ vars });
});
after(async () => {
  await worker.stop();
  upstream.close();
});

async function call(method, path, body) {
  const response = await fetch(worker.http + path, { method, headers: body === undefined ? {} : { "Content-Type": "application/json" }, body: typeof body === "string" ? body : body && JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
}

function lastSeen() {
  return seen.at(-1);
}

describe("Calls proxy", () => {
  test("POST /cloudflare/session → POST …/sessions/new with the bearer secret and no body; 201 passes through", async () => {
    const before = seen.length;
    const answer = await call("POST", "/cloudflare/session");
    assert.equal(answer.status, 201);
    assert.match(answer.body.sessionId, /^fake-session-\d+$/);
    assert.equal(answer.headers.get("content-type"), "application/json");
    assert.equal(answer.headers.get("access-control-allow-origin"), "*");
    assert.equal(seen.length, before + 1);
    const sent = lastSeen();
    assert.equal(sent.method, "POST");
    assert.equal(sent.path, `/v1/apps/${APP_ID}/sessions/new`);
    assert.equal(sent.headers.authorization, `Bearer ${APP_SECRET}`);
    assert.equal(sent.body, "");
    assert.doesNotMatch(answer.text, new RegExp(APP_SECRET));
  });

  test("tracks/new and renegotiate: method, path, JSON content type and the body as sent", async () => {
    const push = { sessionDescription: { type: "offer", sdp: "v=0 local" }, tracks: [{ location: "local", trackName: "s-audio-1", mid: "0" }] };
    const text = JSON.stringify(push, null, 1);
    const pushed = await call("POST", "/cloudflare/session/abc123/tracks/new", text);
    assert.equal(pushed.status, 200);
    assert.deepEqual(pushed.body, { requiresImmediateRenegotiation: false, sessionDescription: { type: "answer", sdp: "answer-for-abc123" }, tracks: push.tracks });
    assert.deepEqual([lastSeen().method, lastSeen().path, lastSeen().headers["content-type"], lastSeen().body], ["POST", `/v1/apps/${APP_ID}/sessions/abc123/tracks/new`, "application/json", text]);
    assert.equal(lastSeen().headers.authorization, `Bearer ${APP_SECRET}`);

    const renegotiated = await call("PUT", "/cloudflare/session/abc123/renegotiate", { sessionDescription: { type: "answer", sdp: "v=0 answer" } });
    assert.deepEqual([renegotiated.status, renegotiated.body], [200, {}]);
    assert.deepEqual([lastSeen().method, lastSeen().path], ["PUT", `/v1/apps/${APP_ID}/sessions/abc123/renegotiate`]);
  });

  test("upstream errors pass through with their status and body", async () => {
    const refused = await call("POST", "/cloudflare/session/abc123/tracks/new", { tracks: [{ location: "local", trackName: "t" }] });
    assert.deepEqual([refused.status, refused.body], [400, { errorCode: "invalid_request", errorDescription: "local tracks need an offer" }]);
    const broken = await call("PUT", "/cloudflare/session/broken/renegotiate", { sessionDescription: { type: "answer", sdp: "x" } });
    assert.deepEqual([broken.status, broken.text], [500, "upstream exploded"]);
    assert.equal(broken.headers.get("content-type"), "application/json");
  });

  test("an upstream that drops the connection: 502 Calls API unreachable", async () => {
    const answer = await call("POST", "/cloudflare/session/drop/tracks/new", { tracks: [] });
    assert.deepEqual([answer.status, answer.body], [502, { error: "Calls API unreachable" }]);
  });

  test("bad input never reaches the upstream: unknown endpoints 404, bad ids and bodies 400, oversized 413", async () => {
    const before = seen.length;
    const cases = [
      ["GET", "/cloudflare/session", undefined, 404, "Unknown Cloudflare endpoint"],
      ["PUT", "/cloudflare/session/abc/tracks/close", {}, 404, "Unknown Cloudflare endpoint"],
      ["POST", "/cloudflare/session/abc/renegotiate", {}, 404, "Unknown Cloudflare endpoint"],
      ["POST", "/cloudflare/whatever", {}, 404, "Unknown Cloudflare endpoint"],
      ["POST", "/cloudflare/session/a%2F..%2Fb/tracks/new", {}, 400, "invalid session id"],
      ["POST", "/cloudflare/session/abc/tracks/new", "v=0 not json", 400, "request body must be a JSON object"],
      ["PUT", "/cloudflare/session/abc/renegotiate", "", 400, "request body must be a JSON object"],
      ["POST", "/cloudflare/session/abc/tracks/new", { sdp: "x".repeat(3000) }, 413, "request body too large"],
    ];
    for (const [method, path, body, status, error] of cases) {
      const answer = await call(method, path, body);
      assert.deepEqual([answer.status, answer.body], [status, { error }], `${method} ${path}`);
    }
    assert.equal(seen.length, before);
  });
});

// The desktop client's flow (apps/desktop/src/pages/RecordingPage.tsx), step by step.
describe("the podcast recorder's flow, end to end", () => {
  async function participant(roomId, name) {
    const joined = await call("POST", `/api/rooms/${roomId}/join`, { participant_name: name });
    assert.equal(joined.status, 200);
    const session = await call("POST", "/cloudflare/session");
    assert.equal(session.status, 201);
    const { sessionId } = session.body;
    const tracks = [
      { location: "local", trackName: `${sessionId}-audio-${name}`, mid: "0" },
      { location: "local", trackName: `${sessionId}-video-${name}`, mid: "1" },
    ];
    const pushed = await call("POST", `/cloudflare/session/${sessionId}/tracks/new`, { sessionDescription: { type: "offer", sdp: `offer-${name}` }, tracks });
    assert.equal(pushed.status, 200);
    assert.equal(pushed.body.sessionDescription.type, "answer");
    return { ...joined.body, name, sessionId, tracks: tracks.map((t, i) => ({ trackName: t.trackName, kind: i === 0 ? "audio" : "video" })) };
  }

  /** @returns {import("../../clients/src/messages/rooms.js").CloudflareSession} */
  const announce = (roomId, p) => ({ type: "cloudflare-session", roomId, participantId: p.participant_id, participantName: p.name, sessionId: p.sessionId, tracks: p.tracks });

  // On a cloudflare-session: pull the peer's tracks, answer the SFU's offer.
  async function pull(own, frame) {
    const pulled = await call("POST", `/cloudflare/session/${own.sessionId}/tracks/new`, { tracks: frame.tracks.map((t) => ({ location: "remote", sessionId: frame.sessionId, trackName: t.trackName })) });
    assert.equal(pulled.status, 200);
    assert.ok(pulled.body.tracks.every((t) => !t.errorCode && t.mid));
    assert.equal(pulled.body.sessionDescription.type, "offer");
    assert.equal(pulled.body.requiresImmediateRenegotiation, true);
    const renegotiated = await call("PUT", `/cloudflare/session/${own.sessionId}/renegotiate`, { sessionDescription: { type: "answer", sdp: `answer-from-${own.name}` } });
    assert.equal(renegotiated.status, 200);
  }

  test("create, join, push, connect, announce, learn, pull, mute, leave", async () => {
    const created = await call("POST", "/api/rooms", { name: "Live show", created_by: "host" });
    const roomId = created.body.room_id;
    assert.equal((await call("GET", `/api/rooms/${roomId}`)).body.name, "Live show");

    const alice = await participant(roomId, "Alice");
    const bob = await participant(roomId, "Bob");
    assert.notEqual(alice.sessionId, bob.sessionId);

    const aliceSocket = await openClient(`${worker.ws}/ws?token=${alice.token}`);
    aliceSocket.send(announce(roomId, alice));
    // Alice is announced before Bob connects: Bob learns of her on connect.
    aliceSocket.send({ type: "offer", to: "nobody" });
    assert.equal((await aliceSocket.next()).type, "error");

    const bobSocket = await openClient(`${worker.ws}/ws?token=${bob.token}`);
    assert.deepEqual(await bobSocket.next(), announce(roomId, alice));
    assert.deepEqual(await aliceSocket.next(), { type: "join", from: bob.participant_id, to: "all", data: { participant_id: bob.participant_id, participant_name: "Bob" } });
    bobSocket.send(announce(roomId, bob));
    const bobAnnounced = await aliceSocket.next();
    assert.deepEqual(bobAnnounced, announce(roomId, bob));

    await pull(bob, announce(roomId, alice));
    await pull(alice, bobAnnounced);
    const pulls = seen.filter((r) => r.body.includes('"location":"remote"')).map((r) => [r.path, JSON.parse(r.body).tracks[0].sessionId]);
    assert.deepEqual(pulls.slice(-2), [
      [`/v1/apps/${APP_ID}/sessions/${bob.sessionId}/tracks/new`, alice.sessionId],
      [`/v1/apps/${APP_ID}/sessions/${alice.sessionId}/tracks/new`, bob.sessionId],
    ]);

    // Mute and camera toggles carry no sender: the peer learns who it was.
    bobSocket.send({ type: "track-state", kind: "audio", enabled: false });
    assert.deepEqual(await aliceSocket.next(), { type: "track-state", kind: "audio", enabled: false, from: bob.participant_id, participantId: bob.participant_id });
    aliceSocket.send({ type: "track-state", kind: "video", enabled: true });
    assert.deepEqual(await bobSocket.next(), { type: "track-state", kind: "video", enabled: true, from: alice.participant_id, participantId: alice.participant_id });

    await bobSocket.close();
    assert.deepEqual(await aliceSocket.next(), { type: "leave", from: bob.participant_id, to: "all", data: { participant_id: bob.participant_id } });
    await aliceSocket.nothing(100);
    await aliceSocket.close();
  });
});
