// The demo page's y-webrtc client in two headless Chromium pages on a
// sharded `/` (two gateways), each page's sockets on a different gateway
// (read from /stats): the two pads sync over WebRTC, introduced across gateways.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchChromium } from "./browser.mjs";
import { startWorker } from "./server.mjs";
import { sharded, socketsPerGateway, stats } from "./space-helpers.mjs";

const GATEWAYS = 2;
let worker;
let browser;
before(async () => {
  worker = await startWorker({ vars: { ...sharded, SIGNAL_GATEWAYS: String(GATEWAYS) } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await worker.stop();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The gateways' socket counts once they add up to `total`.
async function settledCounts(total) {
  for (let i = 0; i < 100; i++) {
    const counts = await socketsPerGateway(worker.http, GATEWAYS);
    if (Object.values(counts).reduce((a, b) => a + b, 0) === total) return counts;
    await sleep(100);
  }
  throw new Error(`the gateways never held ${total} sockets`);
}

/** @param {import("playwright-core").Page} page */
const connected = (page) => page.waitForFunction(() => document.getElementById("signaling").textContent === "connected", null, { timeout: 30_000 });

// The demo page's y-webrtc socket is on `/` (its presence line is on a shard
// of its own), on a gateway picked at random: a page comes again until its
// socket is on another gateway than `avoid`. `was`: the gateways' counts before it.
async function pageOnOneGateway(room, was, avoid) {
  const before = Object.values(was).reduce((a, b) => a + b, 0);
  for (let tries = 0; tries < 30; tries++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${worker.http}/#${room}`);
    await connected(page);
    const counts = await settledCounts(before + 1);
    const grown = Object.keys(counts).find((name) => counts[name] > (was[name] ?? 0));
    if (grown && grown !== avoid) return { page, gateway: grown, counts };
    // Leave as a closing tab does: y-webrtc's unload handler closes its peer
    // connections, so the other page drops this one at once.
    await page.evaluate(() => dispatchEvent(new Event("beforeunload")));
    await page.context().close();
    await settledCounts(before);
  }
  throw new Error(`no page landed on another gateway than ${avoid}`);
}
test("two pages on different gateways share the pad over WebRTC", { timeout: 180_000 }, async () => {
  const room = `space-${Date.now()}`;
  const alice = await pageOnOneGateway(room, { g0: 0, g1: 0 }, "");
  const bob = await pageOnOneGateway(room, alice.counts, alice.gateway);
  assert.notEqual(alice.gateway, bob.gateway);
  // Each page counts the peers whose connection opened, and the pages that
  // landed on the wrong gateway closed theirs as they left: one peer each, the
  // other page. (Should a close not arrive, ICE gives up on it in ~30 s.)
  for (const { page } of [alice, bob]) {
    await page.waitForFunction(() => document.getElementById("peers").textContent === "1", null, { timeout: 90_000 });
  }
  await alice.page.fill("#pad", "hello across gateways");
  await alice.page.locator("#pad").dispatchEvent("input");
  await bob.page.waitForFunction(() => document.getElementById("pad").value === "hello across gateways", null, { timeout: 15_000 });
  await bob.page.locator("#pad").press("End");
  await bob.page.locator("#pad").pressSequentially(", and back");
  await alice.page.waitForFunction(() => document.getElementById("pad").value === "hello across gateways, and back", null, { timeout: 15_000 });

  // The whole space, as /stats/signal/global reports it: one socket on each gateway, one topic.
  const space = await stats(worker.http, "signal", "global");
  assert.equal(space.sharded, true);
  assert.equal(space.connections, 2);
  assert.equal(space.topics, 1);
  assert.deepEqual(Object.values(space.gateways).map((g) => g.connections), [1, 1]);
  assert.equal(Object.keys(space.owners).length, 5);
  assert.ok(space.billable.requests > 0 && space.billable.publishes > 0);
});
