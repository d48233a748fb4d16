// The demo page's y-webrtc client in two headless Chromium pages on a
// sharded `/`, each page's socket on a different gateway (read from /stats):
// the two pads sync over WebRTC, introduced across gateways.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchChromium } from "./browser.mjs";
import { startWorker } from "./server.mjs";
import { sharded, socketsPerGateway, stats } from "./space-helpers.mjs";

let worker;
let browser;
before(async () => {
  worker = await startWorker({ vars: sharded });
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
    const counts = await socketsPerGateway(worker.http);
    if (Object.values(counts).reduce((a, b) => a + b, 0) === total) return counts;
    await sleep(100);
  }
  throw new Error(`the gateways never held ${total} sockets`);
}

/** @param {import("playwright-core").Page} page */
const connected = (page) => page.waitForFunction(() => document.getElementById("signaling").textContent === "connected", null, { timeout: 30_000 });

test("two pages on different gateways share the pad over WebRTC", { timeout: 120_000 }, async () => {
  const room = `space-${Date.now()}`;
  const alice = await (await browser.newContext()).newPage();
  await alice.goto(`${worker.http}/#${room}`);
  await connected(alice);
  const first = await settledCounts(1);
  const aliceGateway = Object.keys(first).find((name) => first[name] === 1);
  // A new socket picks its gateway at random: Bob comes again until his is another one.
  let bob;
  let counts = {};
  for (let tries = 0; tries < 20; tries++) {
    bob = await (await browser.newContext()).newPage();
    await bob.goto(`${worker.http}/#${room}`);
    await connected(bob);
    counts = await settledCounts(2);
    if (counts[aliceGateway] === 1) break;
    await bob.context().close();
    await settledCounts(1);
  }
  assert.equal(counts[aliceGateway], 1, "the two sockets are on different gateways");
  for (const page of [alice, bob]) {
    await page.waitForFunction(() => document.getElementById("peers").textContent === "1", null, { timeout: 30_000 });
  }
  await alice.fill("#pad", "hello across gateways");
  await alice.locator("#pad").dispatchEvent("input");
  await bob.waitForFunction(() => document.getElementById("pad").value === "hello across gateways", null, { timeout: 15_000 });
  await bob.locator("#pad").press("End");
  await bob.locator("#pad").pressSequentially(", and back");
  await alice.waitForFunction(() => document.getElementById("pad").value === "hello across gateways, and back", null, { timeout: 15_000 });

  // The whole space, as /stats/signal/global reports it: two sockets on two gateways, one topic.
  const space = await stats(worker.http, "signal", "global");
  assert.equal(space.sharded, true);
  assert.equal(space.connections, 2);
  assert.equal(space.topics, 1);
  assert.deepEqual(Object.values(space.gateways).map((g) => g.connections).sort(), [0, 1, 1]);
  assert.equal(Object.keys(space.owners).length, 5);
  assert.ok(space.billable.requests > 0 && space.billable.publishes > 0);
});
