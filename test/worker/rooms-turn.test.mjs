// @ts-check
// Ephemeral TURN credentials for room participants, against a local fake of
// Cloudflare's TURN key API that checks what the Worker sends; the API token
// must never reach a client.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { startWorker } from "./server.mjs";

// Answers checked here are type-checked against clients/src/messages/rooms.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/rooms.js").CreateRoomResponse} CreateRoomResponse */
/** @typedef {import("../../clients/src/messages/rooms.js").JoinRoomResponse} JoinRoomResponse */
/** @typedef {import("../../clients/src/messages/rooms.js").IceServer} IceServer */
/** @typedef {import("../../clients/src/messages/rooms.js").IceServersResponse} IceServersResponse */

const KEY_ID = "turn-key-under-test";
const KEY_TOKEN = "turn-api-token-never-to-a-client";
const seen = [];
let failing = false;
const upstream = createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  seen.push({ method: req.method, path: req.url, headers: req.headers, body });
  const reply = (status, json) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(json));
  };
  if (failing) return reply(500, { error: "down" });
  if (req.method !== "POST" || req.url !== `/v1/turn/keys/${KEY_ID}/credentials/generate`) return reply(404, {});
  if (req.headers.authorization !== `Bearer ${KEY_TOKEN}`) return reply(401, {});
  const { ttl } = JSON.parse(body);
  reply(201, { iceServers: { urls: ["turn:turn.cloudflare.com:3478?transport=udp", "turns:turn.cloudflare.com:443?transport=tcp"], username: `user-${ttl}`, credential: "cred" } });
});

let turned;
let plain;
before(async () => {
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const base = { JWT_SECRET: "turn-suite-secret" };
  [turned, plain] = await Promise.all([
    startWorker({ vars: { ...base, TURN_KEY_ID: KEY_ID, TURN_KEY_API_TOKEN: KEY_TOKEN, TURN_API_BASE: `http://127.0.0.1:${upstream.address().port}/v1`, ROOMS_TURN_TTL_SECONDS: "600" } }),
    startWorker({ vars: base }),
  ]);
});
after(() => Promise.all([turned.stop(), plain.stop(), new Promise((resolve) => upstream.close(resolve))]));

async function join(worker) {
  /** @type {CreateRoomResponse} */
  const created = await (await fetch(`${worker.http}/api/rooms`, { method: "POST", body: "{}" })).json();
  const joined = await fetch(`${worker.http}/api/rooms/${created.room_id}/join`, { method: "POST", body: '{"participant_name":"Ann"}' });
  return { room: created.room_id, status: joined.status, text: await joined.text() };
}

/** @type {IceServer} */
const turnServer = { urls: ["turn:turn.cloudflare.com:3478?transport=udp", "turns:turn.cloudflare.com:443?transport=tcp"], username: "user-600", credential: "cred" };
/** @type {IceServer} */
const stun = { urls: "stun:stun.cloudflare.com:3478" };
/** @param {IceServer[]} ice_servers @returns {IceServersResponse} */
const iceServers = (ice_servers) => ({ ice_servers });
/** @param {string} text @returns {JoinRoomResponse} */
const joined = (text) => JSON.parse(text);

test("join includes STUN and short-lived TURN credentials; ice-servers renews them for a room token", async () => {
  const { room, status, text } = await join(turned);
  assert.equal(status, 200);
  assert.ok(!text.includes(KEY_TOKEN));
  const { token, ice_servers } = joined(text);
  assert.deepEqual(ice_servers, [stun, turnServer]);
  const request = seen.at(-1);
  assert.equal(request.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(request.body), { ttl: 600 });

  const renewed = await fetch(`${turned.http}/api/rooms/${room}/ice-servers`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  assert.equal(renewed.status, 200);
  const renewedText = await renewed.text();
  assert.ok(!renewedText.includes(KEY_TOKEN));
  assert.deepEqual(JSON.parse(renewedText), iceServers([stun, turnServer]));
});

test("ice-servers needs a token for that very room", async () => {
  const { token } = joined((await join(turned)).text);
  const other = (await join(turned)).room;
  const asked = (room, headers) => fetch(`${turned.http}/api/rooms/${room}/ice-servers`, { method: "POST", headers });
  assert.deepEqual([(await asked(other, {})).status, await (await asked(other, {})).json()], [401, { error: "Missing token" }]);
  const wrongRoom = await asked(other, { Authorization: `Bearer ${token}` });
  assert.deepEqual([wrongRoom.status, await wrongRoom.json()], [401, { error: "Invalid token" }]);
  assert.equal((await asked(other, { Authorization: "Bearer not.a.token" })).status, 401);
});

test("a failing TURN API: join falls back to STUN, ice-servers answers 502", async () => {
  failing = true;
  try {
    const { room, status, text } = await join(turned);
    assert.equal(status, 200);
    const { token, ice_servers } = joined(text);
    assert.deepEqual(ice_servers, [stun]);
    const renewed = await fetch(`${turned.http}/api/rooms/${room}/ice-servers?token=${token}`, { method: "POST" });
    assert.deepEqual([renewed.status, await renewed.json()], [502, { error: "TURN API unreachable" }]);
  } finally {
    failing = false;
  }
});

test("without TURN configured: STUN only, from join and from ice-servers", async () => {
  const { room, text } = await join(plain);
  const { token, ice_servers } = joined(text);
  assert.deepEqual(ice_servers, [stun]);
  const renewed = await fetch(`${plain.http}/api/rooms/${room}/ice-servers`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  assert.deepEqual(await renewed.json(), iceServers([stun]));
});
