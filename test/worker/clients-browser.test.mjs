// The client package in headless Chromium (Debian's), bundled by esbuild as an
// app would bundle it: two MPC devices with access tokens register, one
// announces a session and the other joins; the joiner's socket drops and it
// registers again and rejoins on its own. A browser hides a refused upgrade's
// status, so the class asks over HTTP: a bad access token, or a bad room token
// for a rooms socket, stops it with 401 all the same.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { kSecret, mint } from "./access-helpers.mjs";
import { startWorker } from "./server.mjs";

const root = new URL("../..", import.meta.url).pathname;
let worker;
let browser;
let bundle;
before(async () => {
  [worker, browser, bundle] = await Promise.all([
    startWorker({ vars: { ACCESS_TOKEN_SECRET: kSecret, MPC_ACCESS: "token", JWT_SECRET: "room-token-secret" } }),
    chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] }),
    build({
      stdin: { contents: `export * from "./clients/src/index.js";`, resolveDir: root },
      bundle: true,
      format: "iife",
      globalName: "switchboard",
      target: "es2022",
      write: false,
      logLevel: "warning",
    }),
  ]);
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

test("MPC devices in Chromium: register with tokens, join a session, rejoin after the socket drops; bad tokens stop", { timeout: 60_000 }, async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${worker.http}/health`);
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  const tokens = { one: await mint("mpc", "dev-1", "browser"), two: await mint("mpc", "dev-2", "browser") };
  const seen = await page.evaluate(
    async ({ url, tokens }) => {
      const { MpcDevice, RoomSocket } = /** @type {any} */ (window).switchboard;
      const next = (device, type, accept = () => true) =>
        new Promise((resolve) => {
          const off = device.on(type, (payload) => accept(payload) && (off(), resolve(payload)));
        });
      const reconnect = { minReconnectionDelay: 100, maxReconnectionDelay: 400 };
      const one = new MpcDevice({ url, shard: "browser", deviceId: "dev-1", accessToken: tokens.one, reconnect });
      await next(one, "registered");
      let asked = 0;
      const two = new MpcDevice({ url, shard: "browser", deviceId: "dev-2", accessToken: () => (asked++, tokens.two), reconnect });
      const available = next(two, "session-available");
      await next(two, "registered");
      one.announceSession({ session_id: "in-browser", participants: ["dev-1"], total: 2, threshold: 2 });
      const joined = next(one, "participants");
      two.joinSession((await available).session_id);
      const participants = (await joined).session_info.participants;

      const rejoined = next(two, "sessions", (sessions) => sessions.length === 1);
      const reopened = next(two, "open");
      two.reconnect();
      const { reconnected } = await reopened;
      const sessions = await rejoined;
      const relayed = next(one, "relay");
      two.relay("dev-1", { after: "rejoin" });
      const relay = await relayed;

      const refused = [];
      const stranger = new MpcDevice({ url, shard: "browser", deviceId: "dev-3", accessToken: "not-a-token", reconnect });
      stranger.on("refused", (event) => refused.push(event));
      const stopped = await next(stranger, "stopped");
      const roomStopped = await next(new RoomSocket({ url, token: "not-a-room-token", reconnect }), "stopped");
      one.close();
      two.close();
      return { participants, reconnected, sessions, relay, asked, stopped, refused, state: stranger.state, roomStopped };
    },
    { url: worker.ws, tokens },
  );
  assert.deepEqual(seen.participants, ["dev-1", "dev-2"]);
  assert.equal(seen.reconnected, true);
  assert.equal(seen.asked, 2, "the token function is asked on every connect");
  assert.equal(seen.sessions[0].session_id, "in-browser");
  assert.deepEqual(seen.sessions[0].participants, ["dev-1", "dev-2"]);
  assert.deepEqual(seen.relay, { from: "dev-2", data: { after: "rejoin" } });
  assert.deepEqual(seen.stopped, { status: 401, reason: "upgrade refused with HTTP 401" });
  assert.deepEqual(seen.refused, [{ status: 401 }]);
  assert.equal(seen.state, "closed");
  assert.deepEqual(seen.roomStopped, { status: 401, reason: "upgrade refused with HTTP 401" });
  await page.context().close();
});
