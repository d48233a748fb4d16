// The stock client's own code against the real Worker: y-webrtc's
// SignalingConn (lib0's WebsocketClient) closes a socket that hears nothing
// for 30 s, so idle peers stay connected only if the JSON pong comes back.
// Run on one object (signal-client.test.mjs) and with `/` sharded.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { startWorker } from "./server.mjs";

globalThis.WebSocket ??= WebSocket;
const { SignalingConn } = await import("y-webrtc");

let worker;

// `vars`: what the run adds to the Worker's [vars]; `shard(name)`: the path a
// test's clients use (a shard of its own, or `/` when `/` is what is sharded).
/** @param {Record<string, string>} vars @param {(name: string) => string} shard */
export function signalClientSuite(vars, shard) {
  before(async () => (worker = await startWorker({ vars })));
  after(() => worker.stop());

  test("y-webrtc's SignalingConn stays connected through 40 s of idleness", { timeout: 60_000 }, async () => {
    const conn = new SignalingConn(worker.ws + shard("idle"));
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
    const room = `y-room-${Math.random().toString(36).slice(2)}`;
    const conn = new SignalingConn(worker.ws + shard("client"));
    await new Promise((resolve) => conn.once("connect", resolve));
    const received = new Promise((resolve) => conn.on("message", (m) => m.type === "publish" && resolve(m)));
    conn.send({ type: "subscribe", topics: [room] });
    conn.send({ type: "publish", topic: room, data: { type: "announce", from: "peer-1" } });
    assert.deepEqual(await received, { type: "publish", topic: room, data: { type: "announce", from: "peer-1" }, clients: 1 });
    conn.destroy();
  });
}
