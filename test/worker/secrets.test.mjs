// @ts-check
// Secrets never enter the core: the js-shim's own Core and Host, run in Node
// on the built module (js-shim/core.wasm), with every secret set. Tokens are
// verified and signed, /stats and SIGNAL_TOKEN checked, an upstream bearer
// secret sent, an object admits a device; then the whole WebAssembly memory
// of the Worker's core and of the object's core is searched for each
// secret's value, and every log line too. A plain var is found in that
// memory, so the search can see what is there.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { register } from "node:module";
import { test } from "node:test";
import { SignJWT } from "jose";
import { kSecret, mint } from "./access-helpers.mjs";

register("./wasm-loader.mjs", import.meta.url);
const { Core } = await import("../../js-shim/wasm.js");
const { Host } = await import("../../js-shim/host.js");
const { perform } = await import("../../js-shim/effects.js");

const value = (name) => `${name}-${randomBytes(12).toString("hex")}`;
const secrets = {
  ACCESS_TOKEN_SECRET: kSecret,
  JWT_SECRET: value("jwt"),
  ADMIN_TOKEN: value("admin"),
  SIGNAL_TOKEN: value("signal"),
  CLOUDFLARE_APP_SECRET: value("calls"),
  TURN_KEY_API_TOKEN: value("turn"),
};
const plain = { CLOUDFLARE_APP_ID: value("app-id"), TURN_KEY_ID: value("turn-key") };
const env = { ...secrets, ...plain, MPC_ACCESS: "token" };

// The Host of js-shim/host.js, keeping the module it is bound to for the search.
class Watched extends Host {
  /** @param {any} module */
  bind(module) {
    super.bind(module);
    this.module = module;
  }
}

function storage() {
  const kv = new Map();
  return {
    kv: {
      get: (key) => kv.get(key),
      put: (key, val) => kv.set(key, val),
      delete: (key) => kv.delete(key),
      list: ({ prefix }) => [...kv].filter(([key]) => key.startsWith(prefix)).sort(),
    },
    setAlarm() {},
    deleteAlarm() {},
  };
}

/**
 * A request as js-shim/http.js describes it to the core.
 * @param {string} method @param {string} path
 * @param {{ query?: object, headers?: object, upgrade?: boolean, body?: string }} [parts]
 */
const request = (method, path, { query = {}, headers = {}, upgrade = false, body } = {}) => ({ method, path, query, headers, upgrade, body });

function contains(heap, text) {
  return Buffer.from(heap).includes(Buffer.from(text));
}

test("no secret's value is ever in the core's memory or a log line", async (t) => {
  const lines = [];
  for (const method of ["log", "warn", "error"]) t.mock.method(console, method, (line) => lines.push(String(line)));

  const workerHost = new Watched({ env });
  const router = await Core.load("", env, workerHost);
  // Access tokens: verified by name, good and bad.
  const good = await mint("mpc", "dev-a", "global");
  const admitted = router.route(request("GET", "/mpc", { query: { access_token: good }, upgrade: true }));
  assert.equal(admitted.forward?.binding, "Devices");
  const claims = admitted.forward.headers["x-switchboard-access"];
  assert.equal(JSON.parse(claims).sub, "dev-a");
  const forged = await mint("mpc", "dev-a", "global", { secret: "guess" });
  assert.equal(router.route(request("GET", "/mpc", { headers: { authorization: `Bearer ${forged}` }, upgrade: true })).status, 401);
  // Room tokens signed with JWT_SECRET (by jose, as the rooms app signs them) reach their room.
  const exp = Math.floor(Date.now() / 1000) + 60;
  const roomToken = await new SignJWT({ room_id: "room-1", participant_id: "p-1", participant_name: "A" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secrets.JWT_SECRET));
  assert.equal(router.route(request("GET", "/ws", { query: { token: roomToken }, upgrade: true })).forward?.instance, "room-1");
  // Shared passwords compared without the core holding them.
  assert.equal(router.route(request("GET", "/stats/mpc/global", { headers: { authorization: "Bearer wrong" } })).status, 401);
  assert.equal(router.route(request("GET", "/", { query: { token: "wrong" }, upgrade: true })).status, 401);
  // An upstream bearer secret: named in the Effect, added by the shim on its way out.
  const calls = router.route(request("POST", "/cloudflare/session"));
  assert.deepEqual(calls.effect.request.fetch.secret_headers, { authorization: { prefix: "Bearer ", secret: "CLOUDFLARE_APP_SECRET" } });
  const sent = [];
  t.mock.method(globalThis, "fetch", async (url, init) => {
    sent.push(init.headers.authorization);
    return new Response("{}", { status: 201 });
  });
  assert.equal((await perform(env, calls.effect.request)).status, 201);
  assert.deepEqual(sent, [`Bearer ${secrets.CLOUDFLARE_APP_SECRET}`]);

  // An object of the app: the Worker's verified claims admit a device as `sub`.
  const sockets = new Map([[1, { send() {}, close() {}, serializeAttachment() {} }]]);
  const objectHost = new Watched(/** @type {any} */ ({ env, sockets, storage: storage(), effects() {} }));
  const object = await Core.load("mpc", env, objectHost, "global");
  assert.equal(object.fetch(request("GET", "/mpc", { headers: { "x-switchboard-access": claims }, upgrade: true })).accept, true);
  object.open(1);
  object.message(1, JSON.stringify({ type: "register", device_id: "dev-a" }));

  for (const host of [workerHost, objectHost]) {
    for (const [name, secret] of Object.entries(secrets)) assert.ok(!contains(host.module.HEAPU8, secret), `${name} is in the core's memory`);
    assert.ok(contains(host.module.HEAPU8, plain.CLOUDFLARE_APP_ID), "the search finds a plain var");
  }
  assert.ok(lines.some((line) => line.includes('"device_registered"')), "the object logged");
  for (const [name, secret] of Object.entries(secrets)) assert.ok(!lines.some((line) => line.includes(secret)), `${name} is in a log line`);
});
