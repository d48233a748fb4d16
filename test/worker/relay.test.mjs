// @ts-check
// The pairing relay through the real Worker: what Apptuner's desktop (Tauri)
// and mobile (React Native) clients send and expect, and bad input.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { expectRelayEvent, expectRelayWelcome, relayPair } from "./peers.mjs";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/relay.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/relay.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/relay.js").ServerMessage} In */
/** @typedef {import("../../clients/src/messages/relay.js").BundleUpdate} BundleUpdate */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

let worker;
before(async () => (worker = await startWorker()));
after(() => worker.stop());

// Like the desktop client's ids: lowercase alphanumerics.
const sessionId = () => Math.random().toString(36).substring(2, 15) + Math.random().toString(36).substring(2, 15);
const open = (side, id) => openClient(`${worker.ws}/${side}/${id}`);

async function expectError(client, error) {
  const frame = /** @type {import("../../clients/src/messages/relay.js").ErrorMessage} */ (await client.next());
  assert.deepEqual({ ...frame, timestamp: 0 }, { type: "error", error, timestamp: 0 });
  assert.equal(typeof frame.timestamp, "number");
}

/** @param {string} id */
async function pair(id = sessionId()) {
  const [desktop, mobile] = await relayPair(worker, id);
  return { id, desktop, mobile };
}

describe("relay: routes", () => {
  test("/health still answers first and lists the relay", async () => {
    const body = await (await fetch(`${worker.http}/health`)).json();
    assert.equal(body.status, "healthy");
    assert.ok(body.apps.includes("relay"));
  });

  test("a plain request: 426 JSON, before the path is looked at", async () => {
    for (const path of ["/desktop/abc123", "/mobile/abc123", "/desktop/not-valid", "/mobile/"]) {
      const response = await fetch(worker.http + path);
      assert.equal(response.status, 426, path);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.deepEqual(await response.json(), { error: "Expected WebSocket upgrade" });
    }
  });

  test("an upgrade on a bad path or id: 400 JSON", async () => {
    for (const path of ["/desktop", "/desktop/", "/desktop/abc-123", "/mobile/abc_123", "/desktop/abc/", "/mobile/a/b", "/mobile/ab%20c"]) {
      const refused = await refusedUpgrade(worker.ws + path);
      assert.equal(refused.status, 400, path);
      assert.deepEqual(refused.body, { error: "Invalid path. Use /desktop/{sessionId} or /mobile/{sessionId}" });
    }
  });

  test("other paths are not the relay's", async () => {
    assert.equal((await refusedUpgrade(`${worker.ws}/desktops/abc`)).status, 404);
    assert.equal((await refusedUpgrade(`${worker.ws}/cli/abc`)).status, 404);
  });
});

describe("relay: sessions", () => {
  test("welcome with the path's id; each side learns of the other, a late joiner too", async () => {
    const id = "Mixed09Case";
    const mobile = await open("mobile", id);
    await expectRelayWelcome(mobile, "mobile", id);
    const desktop = await open("desktop", id);
    await expectRelayEvent(mobile, "desktop_connected");
    await expectRelayEvent(desktop, "mobile_connected");
    await expectRelayWelcome(desktop, "desktop", id);
    await desktop.close();
    await expectRelayEvent(mobile, "desktop_disconnected");
    await mobile.close();
  });

  test("any JSON is forwarded both ways, re-serialised; ids are separate sessions", async () => {
    const { desktop, mobile } = await pair();
    const other = await pair();
    desktop.send('{ "type" : "bundle_update",\n "payload": {"code": "x", "sourceMap": null}, "timestamp": 1 }');
    assert.equal(await new Promise((resolve) => mobile.ws.once("message", (data) => resolve(data.toString()))),
      '{"type":"bundle_update","payload":{"code":"x","sourceMap":null},"timestamp":1}');
    mobile.frames.length = 0;
    for (const frame of [[1, "two"], "text", 42, null, { no: "type" }, { type: "console_log", level: "warn", args: ["é", { a: [1] }], timestamp: 2 }]) {
      mobile.send(JSON.stringify(frame));
      // Any JSON value, not only the typed messages with a `type`.
      assert.deepEqual(/** @type {unknown} */ (await desktop.next()), frame);
    }
    await Promise.all([desktop.nothing(), mobile.nothing(), other.desktop.nothing(0), other.mobile.nothing(0)]);
    await Promise.all([desktop.close(), mobile.close(), other.desktop.close(), other.mobile.close()]);
  });

  test("with the peer absent the sender gets the original's error frames", async () => {
    const id = sessionId();
    const desktop = await open("desktop", id);
    await expectRelayWelcome(desktop, "desktop", id);
    desktop.send({ type: "bundle_update", payload: { code: "x" } });
    await expectError(desktop, "Mobile device not connected");
    await desktop.close();
    const mobile = await open("mobile", id);
    await expectRelayWelcome(mobile, "mobile", id);
    mobile.send({ type: "bundle_ack", success: true });
    await expectError(mobile, "Desktop not connected");
    await mobile.close();
  });

  test("a second desktop replaces the first (1000 New desktop connection); the stale close clears nothing", async () => {
    const { id, desktop, mobile } = await pair();
    const desktop2 = await open("desktop", id);
    assert.deepEqual(await desktop.closeFrame(), { code: 1000, reason: "New desktop connection" });
    await expectRelayEvent(mobile, "desktop_connected");
    await expectRelayEvent(desktop2, "mobile_connected");
    await expectRelayWelcome(desktop2, "desktop", id);
    await mobile.nothing();  // no desktop_disconnected for the replaced socket
    mobile.send({ type: "bundle_ack", success: true });
    assert.deepEqual(await desktop2.next(), { type: "bundle_ack", success: true });
    desktop2.send({ type: "bundle_update", payload: { code: "y" } });
    assert.deepEqual(await mobile.next(), { type: "bundle_update", payload: { code: "y" } });
    await Promise.all([desktop2.close(), mobile.close()]);
  });

  test("a second mobile replaces the first (1000 New mobile connection)", async () => {
    const { id, desktop, mobile } = await pair();
    const mobile2 = await open("mobile", id);
    assert.deepEqual(await mobile.closeFrame(), { code: 1000, reason: "New mobile connection" });
    await expectRelayEvent(desktop, "mobile_connected");
    await expectRelayEvent(mobile2, "desktop_connected");
    await expectRelayWelcome(mobile2, "mobile", id);
    await desktop.nothing();
    desktop.send({ type: "bundle_update" });
    assert.deepEqual(await mobile2.next(), { type: "bundle_update" });
    await Promise.all([desktop.close(), mobile2.close()]);
  });

  test("ping gets pong with a timestamp and is not forwarded", async () => {
    const { desktop, mobile } = await pair();
    mobile.send({ type: "ping", timestamp: Date.now() });
    await expectRelayEvent(mobile, "pong");
    desktop.send({ type: "ping" });
    await expectRelayEvent(desktop, "pong");
    await Promise.all([desktop.nothing(), mobile.nothing()]);
    await Promise.all([desktop.close(), mobile.close()]);
  });
});

describe("relay: bad input and limits", () => {
  test("text that is not JSON: an Invalid JSON error, the socket stays open", async () => {
    const { desktop, mobile } = await pair();
    for (const bad of ["not json", "{", "", '{"a":1} trailing']) {
      desktop.send(bad);
      await expectError(desktop, "Invalid JSON");
    }
    await mobile.nothing();
    desktop.send({ type: "bundle_update" });
    assert.deepEqual(await mobile.next(), { type: "bundle_update" });
    await Promise.all([desktop.close(), mobile.close()]);
  });

  test("a binary frame closes the socket with 1003; the peer is told", async () => {
    const { desktop, mobile } = await pair();
    mobile.send(Buffer.from(JSON.stringify({ type: "bundle_ack" })));
    assert.equal((await mobile.closed).code, 1003);
    await expectRelayEvent(desktop, "mobile_disconnected");
    await desktop.close();
  });

  test("past 100 frames a second per session: the later relay's error, nothing forwarded", async () => {
    const { desktop, mobile } = await pair();
    // A burst of 150: the bucket holds 100 and refills 1 every 10 ms while the burst is handled.
    for (let i = 0; i < 150; i++) desktop.send({ type: "console_log", args: [i] });
    const first = await desktop.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const forwarded = mobile.frames.splice(0).map((frame) => JSON.parse(frame));
    const answers = [first, ...desktop.frames.splice(0).map((frame) => JSON.parse(frame))];
    assert.ok(forwarded.length >= 100 && forwarded.length < 130, `forwarded ${forwarded.length}`);
    assert.equal(forwarded.length + answers.length, 150);
    // The first 100 pass in order; later ones only as tokens come back, still in order.
    forwarded.slice(0, 100).forEach((frame, i) => assert.deepEqual(frame, { type: "console_log", args: [i] }));
    forwarded.slice(1).forEach((frame, i) => assert.ok(frame.args[0] > forwarded[i].args[0]));
    for (const answer of answers) assert.deepEqual({ ...answer, timestamp: 0 }, { type: "error", error: "Rate limit exceeded (max 100 messages/sec)", timestamp: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    desktop.send({ type: "bundle_update", again: true });
    assert.deepEqual(await mobile.next(), { type: "bundle_update", again: true });
    await Promise.all([desktop.close(), mobile.close()]);
  });

  test("10 MiB frames pass; larger ones get the later relay's error; past 32 MiB workerd closes with 1009", async () => {
    const { desktop, mobile } = await pair();
    const head = '{"type":"bundle_update","payload":{"code":"';
    const frame = (bytes) => head + "x".repeat(bytes - head.length - 3) + '"}}';
    desktop.send(frame(10485760));
    assert.equal(/** @type {BundleUpdate} */ (await mobile.next(20_000)).payload.code.length, 10485760 - head.length - 3);
    desktop.send(frame(10485761));
    await expectError(desktop, "Message too large (10485761 bytes, max 10485760)");
    await mobile.nothing();
    desktop.send(frame(32 * 1024 * 1024 + 1));
    assert.equal((await desktop.closeFrame()).code, 1009);
    await expectRelayEvent(mobile, "desktop_disconnected");
    await mobile.close();
  });
});
