// @ts-check
// A deployment without the demo page ([assets] removed from wrangler.toml):
// the page's paths answer 404 JSON and every app still serves.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, configWithoutAssets, startWorker } from "./server.mjs";

/** @typedef {import("../../clients/src/messages/signal.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/signal.js").ServerMessage} In */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

/** @type {Awaited<ReturnType<typeof startWorker>>} */
let worker;
before(async () => (worker = await startWorker({ config: configWithoutAssets() })));
after(() => worker.stop());

test("GET / and the page's files answer 404 JSON", async () => {
  for (const path of ["/", "/demo.js", "/favicon.svg"]) {
    const response = await fetch(worker.http + path);
    assert.equal(response.status, 404, path);
    assert.deepEqual(await response.json(), { error: "not found" });
  }
});

test("y-webrtc signaling on / is unaffected", async () => {
  const a = await openClient(`${worker.ws}/`);
  a.send({ type: "subscribe", topics: ["t"] });
  a.send({ type: "publish", topic: "t", data: "hello" });
  assert.deepEqual(await a.next(), { type: "publish", topic: "t", data: "hello", clients: 1 });
  a.close();
});
