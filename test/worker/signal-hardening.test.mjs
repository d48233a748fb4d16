// @ts-check
// Opt-in hardening: the shared SIGNAL_TOKEN and the per-IP rate, and the Origin
// allowlist; off by default (the other suites run without them), on here.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/signal.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/signal.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/signal.js").ServerMessage} In */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

let worker;
before(async () => (worker = await startWorker({ vars: { SIGNAL_TOKEN: "s3cret-token", SIGNAL_IP_CONNECTS_PER_MINUTE: "2", ALLOWED_ORIGINS: "https://app.example" } })));
after(() => worker.stop());

test("SIGNAL_TOKEN: no token or a wrong one gets 401; Bearer or ?token= gets in", async () => {
  assert.equal((await refusedUpgrade(worker.ws)).status, 401);
  const wrong = await refusedUpgrade(worker.ws, { headers: { Authorization: "Bearer nope" } });
  assert.deepEqual([wrong.status, wrong.body], [401, { error: "unauthorized" }]);
  assert.equal((await refusedUpgrade(`${worker.ws}/?token=nope`)).status, 401);
  const bearer = await openClient(`${worker.ws}/signal/auth`, { headers: { Authorization: "Bearer s3cret-token", "CF-Connecting-IP": "10.0.0.1" } });
  const query = await openClient(`${worker.ws}/signal/auth?token=s3cret-token`, { headers: { "CF-Connecting-IP": "10.0.0.2" } });
  query.send({ type: "ping" });
  assert.deepEqual(await query.next(), { type: "pong" });
  await Promise.all([bearer.close(), query.close()]);
});

test("SIGNAL_IP_CONNECTS_PER_MINUTE: the third upgrade from one address in a minute gets 429", async () => {
  const from = (ip) => ({ headers: { Authorization: "Bearer s3cret-token", "CF-Connecting-IP": ip } });
  const first = await openClient(`${worker.ws}/signal/rate`, from("192.0.2.7"));
  const second = await openClient(`${worker.ws}/signal/rate`, from("192.0.2.7"));
  const third = await refusedUpgrade(`${worker.ws}/signal/rate`, from("192.0.2.7"));
  assert.deepEqual([third.status, third.body], [429, { error: "too many connections from this address" }]);
  const elsewhere = await openClient(`${worker.ws}/signal/rate`, from("192.0.2.8"));
  await Promise.all([first.close(), second.close(), elsewhere.close()]);
});

test("ALLOWED_ORIGINS: a listed Origin upgrades; another gets 403 JSON before any object; CORS follows the list", async () => {
  const auth = { Authorization: "Bearer s3cret-token" };
  const listed = await openClient(`${worker.ws}/signal/origins`, { headers: { ...auth, "CF-Connecting-IP": "10.1.0.1" }, origin: "https://app.example" });
  await listed.close();
  const refused = await refusedUpgrade(`${worker.ws}/signal/origins`, { headers: auth, origin: "https://evil.example" });
  assert.deepEqual([refused.status, refused.body], [403, { error: "origin not allowed" }]);
  const allowed = await fetch(`${worker.http}/health`, { headers: { Origin: "https://app.example" } });
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
  const other = await fetch(`${worker.http}/health`, { headers: { Origin: "https://evil.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});
