// @ts-check
// The relay's two timers through the real Worker and real alarms, shortened
// with [vars]: idle 2.5 s (instead of 30 min), vacant 2 s (instead of 5 min).
// A kept session keeps its idle clock (a reconnect is not a message), a
// deleted one starts a new clock: that is how a client tells them apart.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, startWorker } from "./server.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/relay.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/relay.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/relay.js").ServerMessage} In */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

const IDLE = 2500;
const VACANT = 2000;

let worker;
before(async () => (worker = await startWorker({ vars: { RELAY_IDLE_TIMEOUT_MS: String(IDLE), RELAY_VACANT_TTL_MS: String(VACANT) } })));
after(() => worker.stop());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sessionId = () => "t" + Math.random().toString(36).substring(2, 15);

async function join(side, id) {
  const client = await openClient(`${worker.ws}/${side}/${id}`);
  while ((await client.next()).type !== "connected");
  return client;
}

// Both sides joined; a message at t0 (well after the session's creation).
async function talked(id) {
  const desktop = await join("desktop", id);
  const mobile = await join("mobile", id);
  assert.equal((await desktop.next()).type, "mobile_connected");
  await sleep(400);
  desktop.send({ type: "bundle_update", payload: { code: "x" } });
  await mobile.next();
  return { desktop, mobile, t0: Date.now() };
}

const timeout = { code: 1000, reason: "Session timeout" };

// Side by side (separate sessions) to keep the suite short.
describe("relay timers", { concurrency: true }, () => {
  test("idle: frames keep the session; after RELAY_IDLE_TIMEOUT_MS without any, both sides are closed", async () => {
    const id = sessionId();
    const { desktop, mobile } = await talked(id);
    let last = Date.now();
    for (const sender of [mobile, desktop, mobile, desktop, mobile, desktop, mobile]) {
      await sleep(450);
      sender.send({ type: "console_log", level: "log", args: ["alive"] });
      await (sender === mobile ? desktop : mobile).next();
      last = Date.now();
    }
    assert.equal(desktop.ws.readyState, 1, "still open after more than the idle time of chatter");
    const [d, m] = await Promise.all([desktop.closeFrame(), mobile.closeFrame()]);
    const idleFor = Date.now() - last;
    assert.deepEqual([d, m], [timeout, timeout]);
    assert.ok(idleFor >= IDLE - 300 && idleFor < IDLE + 1500, `closed after ${idleFor} ms idle`);
    // The session ended: nobody was told the other side left.
    assert.deepEqual([...desktop.frames, ...mobile.frames], []);
  });

  test("vacant: both sides gone past RELAY_VACANT_TTL_MS deletes the session; the next joiner starts a new one", async () => {
    const id = sessionId();
    const { desktop, mobile, t0 } = await talked(id);
    await Promise.all([desktop.close(), mobile.close()]);
    await sleep(t0 + VACANT + 400 - Date.now());
    const back = await join("desktop", id);
    const rejoined = Date.now();
    // A kept session would time out at t0 + IDLE, ~100 ms from now; a new one IDLE after its creation.
    assert.deepEqual(await back.closeFrame(), timeout);
    const lived = Date.now() - rejoined;
    assert.ok(lived >= IDLE - 500, `the new session lived ${lived} ms`);
  });

  test("vacant: a reconnect inside the window keeps the session, its peer notifications and its idle clock", async () => {
    const id = sessionId();
    const { desktop, mobile, t0 } = await talked(id);
    await Promise.all([desktop.close(), mobile.close()]);
    await sleep(t0 + VACANT - 500 - Date.now());
    const desktop2 = await join("desktop", id);
    const mobile2 = await openClient(`${worker.ws}/mobile/${id}`);
    assert.equal((await desktop2.next()).type, "mobile_connected");
    assert.deepEqual((await mobile2.next()).type, "desktop_connected");
    assert.deepEqual((await mobile2.next()).type, "connected");
    const rejoined = Date.now();
    const [d, m] = await Promise.all([desktop2.closeFrame(), mobile2.closeFrame()]);
    assert.deepEqual([d, m], [timeout, timeout]);
    const lived = Date.now() - rejoined;
    assert.ok(Date.now() - t0 >= IDLE - 300, "not before the idle time since the last message");
    assert.ok(lived < IDLE - 600, `the kept session timed out ${lived} ms after the reconnect, on the old clock`);
  });
});
