// The stock client's own code against the real Worker: y-webrtc's
// SignalingConn (lib0's WebsocketClient) closes a socket that hears nothing
// for 30 s, so idle peers stay connected only if the JSON pong comes back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { startWorker } from "./server.mjs";

globalThis.WebSocket ??= WebSocket;
const { SignalingConn } = await import("y-webrtc");

let worker;
before(async () => (worker = await startWorker()));
after(() => worker.stop());

test("y-webrtc's SignalingConn stays connected through 40 s of idleness", { timeout: 60_000 }, async () => {
  const conn = new SignalingConn(`${worker.ws}/signal/idle`);
  const events = [];
  conn.on("connect", () => events.push("connect"));
  conn.on("disconnect", () => events.push("disconnect"));
  const pongs = [];
  conn.on("message", (m) => m.type === "pong" && pongs.push(Date.now()));
  try {
    await new Promise((resolve) => setTimeout(resolve, 40_000));
    assert.deepEqual(events, ["connect"]);
    assert.ok(pongs.length >= 2, `lib0 pings every 15 s after a pong; got ${pongs.length} pongs`);
  } finally {
    conn.destroy();
  }
});

test("y-webrtc's SignalingConn receives a publish to a room it announced in", async () => {
  const conn = new SignalingConn(`${worker.ws}/signal/client`);
  await new Promise((resolve) => conn.once("connect", resolve));
  const received = new Promise((resolve) => conn.on("message", (m) => m.type === "publish" && resolve(m)));
  conn.send({ type: "subscribe", topics: ["y-room"] });
  conn.send({ type: "publish", topic: "y-room", data: { type: "announce", from: "peer-1" } });
  assert.deepEqual(await received, { type: "publish", topic: "y-room", data: { type: "announce", from: "peer-1" }, clients: 1 });
  conn.destroy();
});
