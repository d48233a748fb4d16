// The demo page in real headless Chromium (Debian's): two browser contexts
// type into one shared pad over real WebRTC, introduced by this server's
// signaling, each sees the other window through the client package (bundled
// into the page by esbuild), and the stats panel counts their two signaling
// sockets. The
// screenshot goes to build/demo.png; UPDATE_DEMO_PNG=1 refreshes docs/demo.png.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchChromium } from "./browser.mjs";
import { startWorker } from "./server.mjs";

let worker;
let browser;
before(async () => {
  worker = await startWorker();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await worker.stop();
});

test("two windows share the pad over WebRTC; the stats panel shows two connections", { timeout: 90_000 }, async () => {
  const room = `demo-${Date.now()}`;
  const pages = [];
  const failed = [];
  for (let i = 0; i < 2; i++) {
    const page = await (await browser.newContext()).newPage();
    page.on("response", (response) => response.status() >= 400 && failed.push(`${response.status()} ${response.url()}`));
    await page.goto(`${worker.http}/#${room}`);
    pages.push(page);
  }
  const [alice, bob] = pages;
  for (const page of pages) {
    await page.waitForFunction(() => document.getElementById("peers").textContent === "1", null, { timeout: 30_000 });
  }
  // The presence line comes through the client package's SignalingClient.
  for (const page of pages) {
    await page.waitForFunction(() => document.getElementById("windows").textContent === "2", null, { timeout: 15_000 });
  }
  await alice.fill("#pad", "hello from alice");
  await alice.locator("#pad").dispatchEvent("input");
  await bob.waitForFunction(() => document.getElementById("pad").value === "hello from alice", null, { timeout: 15_000 });
  await bob.locator("#pad").press("End");
  await bob.locator("#pad").pressSequentially(", and bob");
  await alice.waitForFunction(() => document.getElementById("pad").value === "hello from alice, and bob", null, { timeout: 15_000 });

  await alice.selectOption("#stats-app", "signal");
  await alice.waitForFunction(() => document.getElementById("stat-connections")?.textContent === "2", null, { timeout: 10_000 });
  assert.equal(await alice.textContent("#stat-topics"), "1");
  assert.deepEqual(failed, []);
  const screenshot = process.env.UPDATE_DEMO_PNG ? "../../docs/demo.png" : "../../build/demo.png";
  await alice.screenshot({ path: new URL(screenshot, import.meta.url).pathname, fullPage: true });
});

test("the stats panel offers the apps a visitor can name, with an instance default only where one exists", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${worker.http}/#stats-${Date.now()}`);
  await page.waitForFunction(() => document.getElementById("stats-app").options.length > 0);
  const offered = await page.$$eval("#stats-app option", (options) => options.map((option) => option.value));
  assert.deepEqual(offered, ["signal", "mpc", "relay", "swarm", "rooms"]);  // no demo, no internal swarm-invites
  assert.equal(await page.inputValue("#stats-instance"), "global");
  await page.waitForFunction(() => document.getElementById("stat-connections") !== null);
  for (const [app, placeholder] of [["relay", "session id (from the QR code)"], ["swarm", "host's persistentId"], ["rooms", "room id"]]) {
    await page.selectOption("#stats-app", app);
    assert.equal(await page.inputValue("#stats-instance"), "", app);
    assert.equal(await page.getAttribute("#stats-instance", "placeholder"), placeholder);
  }
  await page.selectOption("#stats-app", "mpc");
  assert.equal(await page.inputValue("#stats-instance"), "global");
  await page.waitForFunction(() => document.getElementById("stat-devices")?.textContent === "0");
  await page.context().close();
});

test("the page is served for a plain GET of /; its assets too", async () => {
  const page = await fetch(`${worker.http}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /text\/html/);
  assert.match(await page.text(), /switchboard demo/);
  const script = await fetch(`${worker.http}/demo.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get("content-type"), /javascript/);
  const icon = await fetch(`${worker.http}/favicon.svg`);
  assert.equal(icon.status, 200);
  assert.match(icon.headers.get("content-type"), /image\/svg\+xml/);
  assert.match(await icon.text(), /<svg/);
});
