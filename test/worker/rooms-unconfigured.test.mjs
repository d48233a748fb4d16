// @ts-check
// A deployment without secrets: no built-in JWT secret, so the rooms API
// answers 503 until `wrangler secret put JWT_SECRET`; and a Calls API that
// cannot be reached answers 502.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { refusedUpgrade, startWorker } from "./server.mjs";

let worker;
let calls;
before(async () => {
  // A Calls API that resets every connection. Held for the whole suite: a
  // port merely closed can be taken by another suite's server meanwhile,
  // which then answers in its place.
  calls = createServer((socket) => socket.resetAndDestroy()).listen(0, "127.0.0.1");
  await once(calls, "listening");
  // An empty JWT_SECRET overrides one a developer's .dev.vars may hold.
  worker = await startWorker({ vars: { JWT_SECRET: "", CLOUDFLARE_APP_ID: "app", CLOUDFLARE_APP_SECRET: "s", CALLS_API_BASE: `http://127.0.0.1:${calls.address().port}/v1` } });
});
after(async () => {
  await worker.stop();
  calls.close();
});

test("without JWT_SECRET every rooms route answers 503 JSON saying so", async () => {
  const error = { error: "JWT_SECRET is not configured (wrangler secret put JWT_SECRET)" };
  for (const [method, path, body] of [["POST", "/api/rooms", "{}"], ["GET", "/api/rooms/abc"], ["POST", "/api/rooms/abc/join", "{}"]]) {
    const response = await fetch(worker.http + path, { method, body });
    assert.equal(response.status, 503, path);
    assert.deepEqual(await response.json(), error);
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
  }
  const refused = await refusedUpgrade(`${worker.ws}/ws?token=a.b.c`);
  assert.deepEqual([refused.status, refused.body], [503, error]);
});

test("an unreachable Calls API: 502 JSON", async () => {
  const response = await fetch(`${worker.http}/cloudflare/session`, { method: "POST" });
  assert.equal(response.status, 502);
  assert.deepEqual(await response.json(), { error: "Calls API unreachable" });
});
