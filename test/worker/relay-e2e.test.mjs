// @ts-check
// The seed document's own desktop and mobile simulations (PHASE4_COMPLETE.md,
// "Test WebSocket Connection"), replayed against the real Worker, then what the
// real clients do next: acks and console logs back, a mobile reconnect.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/relay.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/relay.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/relay.js").ServerMessage} In */

let worker;
before(async () => (worker = await startWorker()));
after(() => worker.stop());

// A simulation as the seed writes it: a raw WebSocket that logs what it receives.
function simulate(path) {
  const ws = new WebSocket(worker.ws + path);
  const log = [];
  const waiters = [];
  ws.onmessage = (e) => {
    log.push(JSON.parse(e.data));
    waiters.splice(0).forEach((wake) => wake());
  };
  const opened = new Promise((resolve) => (ws.onopen = resolve));
  // The next message of `type`, skipping none: every message is checked in order.
  /**
   * @template {string} T
   * @param {T} type
   * @returns {Promise<Extract<In, { type: T }>>}
   */
  const received = async (type) => {
    const deadline = Date.now() + 5000;
    while (log.length === 0) {
      assert.ok(Date.now() < deadline, `no ${type} arrived`);
      await new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    const message = log.shift();
    assert.equal(message.type, type, JSON.stringify(message));
    return message;
  };
  return { ws, log, opened, received, send: (/** @type {Out} */ message) => ws.send(JSON.stringify(message)) };
}

test("seed simulation: bundle_update desktop → mobile, bundle_ack and console_log back, a mobile reconnect", async () => {
  const desktop = simulate("/desktop/test123");
  await desktop.opened;
  assert.deepEqual({ ...(await desktop.received("connected")), timestamp: 0 }, { type: "connected", clientType: "desktop", sessionId: "test123", timestamp: 0 });
  // The seed's desktop sends at once; nobody is on the other side yet.
  desktop.send({ type: "bundle_update", payload: { code: 'console.log("Hello")' } });
  assert.equal((await desktop.received("error")).error, "Mobile device not connected");

  const mobile = simulate("/mobile/test123");
  await mobile.opened;
  await desktop.received("mobile_connected");
  await mobile.received("desktop_connected");
  assert.equal((await mobile.received("connected")).sessionId, "test123");

  desktop.send({ type: "bundle_update", payload: { code: 'console.log("Hello")' } });
  const bundle = await mobile.received("bundle_update");
  assert.equal(bundle.payload.code, 'console.log("Hello")');

  // The mobile client's answers (mobile/src/services/relay.ts).
  /** @type {import("../../clients/src/messages/relay.js").BundleAck} */
  const ack = { type: "bundle_ack", success: true, timestamp: Date.now() };
  /** @type {import("../../clients/src/messages/relay.js").ConsoleLog} */
  const log = { type: "console_log", level: "log", args: ["Hello"], timestamp: Date.now() };
  mobile.send(ack);
  mobile.send(log);
  assert.deepEqual(await desktop.received("bundle_ack"), ack);
  assert.deepEqual(await desktop.received("console_log"), log);

  // Newer mobile builds ping every 30 s and give up without a pong within 5 s.
  mobile.send({ type: "ping", timestamp: Date.now() });
  assert.equal(typeof (await mobile.received("pong")).timestamp, "number");

  // The phone drops off and comes back with the same QR session id.
  mobile.ws.close();
  await desktop.received("mobile_disconnected");
  const again = simulate("/mobile/test123");
  await again.opened;
  await desktop.received("mobile_connected");
  await again.received("desktop_connected");
  await again.received("connected");

  // The desktop client's send(type, payload) wraps as {type, payload, timestamp}.
  /** @type {import("../../clients/src/messages/relay.js").BundleUpdate} */
  const update = { type: "bundle_update", payload: { code: "render(<App />)", sourceMap: '{"version":3}' }, timestamp: Date.now() };
  desktop.send(update);
  assert.deepEqual(await again.received("bundle_update"), update);
  /** @type {import("../../clients/src/messages/relay.js").BundleAck} */
  const failed = { type: "bundle_ack", success: false, error: "SyntaxError: Unexpected token", timestamp: Date.now() };
  again.send(failed);
  assert.deepEqual(await desktop.received("bundle_ack"), failed);

  assert.deepEqual([desktop.log, mobile.log, again.log], [[], [], []]);
  desktop.ws.close();
  await again.received("desktop_disconnected");
  again.ws.close();
});
