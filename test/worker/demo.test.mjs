// The demo page in real headless Chromium (Debian's): two browser contexts
// type into one shared pad over real WebRTC, introduced by this server's
// signaling, and the stats panel counts their two signaling sockets.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { startWorker } from "./server.mjs";

let worker;
let browser;
before(async () => {
  worker = await startWorker();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    // No network here: no background fetches, and real host candidates instead of mDNS names.
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-features=WebRtcHideLocalIpsWithMdns"],
  });
});
after(async () => {
  await browser?.close();
  await worker.stop();
});

test("two windows share the pad over WebRTC; the stats panel shows two connections", { timeout: 90_000 }, async () => {
  const room = `demo-${Date.now()}`;
  const pages = [];
  for (let i = 0; i < 2; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${worker.http}/#${room}`);
    pages.push(page);
  }
  const [alice, bob] = pages;
  for (const page of pages) {
    await page.waitForFunction(() => document.getElementById("peers").textContent === "1", null, { timeout: 30_000 });
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
  await alice.screenshot({ path: new URL("../../docs/demo.png", import.meta.url).pathname, fullPage: true });
});

test("the page is served for a plain GET of /; its assets too", async () => {
  const page = await fetch(`${worker.http}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /text\/html/);
  assert.match(await page.text(), /switchboard demo/);
  const script = await fetch(`${worker.http}/demo.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get("content-type"), /javascript/);
});
