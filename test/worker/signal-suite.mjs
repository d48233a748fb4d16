// @ts-check
// y-webrtc signaling through the real Worker: what stock y-webrtc clients
// (lib0's WebsocketClient, test-connection.js) send and expect. Run twice:
// on one object (signal.test.mjs) and with `/` sharded (signal-sharded.test.mjs).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";
import { barrier, probes } from "./space-helpers.mjs";

// Frames sent and expected here are type-checked against clients/src/messages/signal.d.ts (tsc -p types).
/** @typedef {import("../../clients/src/messages/signal.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/signal.js").ServerMessage} In */
/** @typedef {import("../../clients/src/messages/signal.js").Publish} Publish */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

let worker;

// `vars`: what this run adds to the Worker's [vars] (sharding `/`, or nothing).
/** @param {Record<string, string>} vars */
export function signalSuite(vars) {
  before(async () => (worker = await startWorker({ vars: { SIGNAL_MAX_INVALID_MESSAGES: "20", ...vars } })));
  after(() => worker.stop());

  // The objects that hold sockets of `/`: one, or the gateways of a sharded space.
  const gateways = Number(vars.SIGNAL_TOPIC_SHARDS ?? 0) > 0 ? Number(vars.SIGNAL_GATEWAYS ?? 1) : 1;
  // A socket on each of them: a ping on every one is a barrier for all of `/`.
  const everyGateway = async () => (gateways > 1 ? probes(worker, gateways) : [await openClient(worker.ws)]);

  const topic = (name) => `${name}-${Math.random().toString(36).slice(2)}`;

  // Frames on one socket are handled in order, so once the core answers this
  // ping (not lib0's exact bytes, which the platform answers itself, possibly
  // ahead of queued frames) everything sent before it has been handled.
  async function settled(client) {
    client.send('{ "type": "ping" }');
    assert.deepEqual(await client.next(), { type: "pong" });
  }

  async function subscribed(path, ...topics) {
    const client = await openClient(worker.ws + path);
    client.send({ type: "subscribe", topics });
    await settled(client);
    return client;
  }

  // Proves the server still routes: a publish on a fresh topic comes back.
  async function stillServes(path = "/") {
    const t = topic("alive");
    const client = await subscribed(path, t);
    client.send({ type: "publish", topic: t, data: "ok" });
    assert.deepEqual(await client.next(), { type: "publish", topic: t, data: "ok", clients: 1 });
    await client.close();
  }

  describe("y-webrtc signaling", () => {
    test("publish is echoed to every subscriber, the sender included, with clients", async () => {
      const room = topic("room");
      const a = await subscribed("/", room);
      const b = await subscribed("/", room);
      const other = await subscribed("/", topic("other"));
      /** @type {Publish} */
      const announce = { type: "publish", topic: room, data: { type: "announce", from: "peer-a" } };
      a.send(announce);
      for (const client of [a, b]) assert.deepEqual(await client.next(), { ...announce, clients: 2 });
      await other.nothing();

      /** @type {Publish} */
      const signal = { type: "publish", topic: room, data: { type: "signal", from: "peer-b", to: "peer-a", token: "x", signal: { type: "offer", sdp: "v=0" } } };
      b.send(signal);
      assert.deepEqual(await a.next(), { ...signal, clients: 2 });
      assert.deepEqual(await b.next(), { ...signal, clients: 2 });

      a.send({ type: "unsubscribe", topics: [room] });
      await settled(a);
      b.send({ type: "publish", topic: room, data: "after" });
      assert.deepEqual(await b.next(), { type: "publish", topic: room, data: "after", clients: 1 });
      await a.nothing();
      await Promise.all([a.close(), b.close(), other.close()]);
    });

    test("a publish goes out as it came in, whatever its characters, with clients before its last brace", async () => {
      const room = topic("text");
      const a = await subscribed("/", room);
      const b = await subscribed("/", room);
      // The bytes inside the object stay as sent (spaces, characters beyond
      // ASCII, escapes); the whitespace around it does not.
      for (const data of ["plain", "héllo wörld 🎉", 'with "quotes" and \\ escapes']) {
        const sent = ` { "type": "publish", "topic": "${room}", "data": ${JSON.stringify(data)} }\n`;
        a.send(sent);
        const expected = `${sent.slice(sent.indexOf("{"), sent.lastIndexOf("}"))},"clients":2}`;
        for (const client of [a, b]) assert.equal(await client.text(), expected);
      }
      // The count after it follows the subscribers, frame by frame.
      const c = await subscribed("/", room);
      a.send(`{"type":"publish","topic":"${room}","data":"plain"}`);
      for (const client of [a, b, c]) assert.equal(await client.text(), `{"type":"publish","topic":"${room}","data":"plain","clients":3}`);
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    test("a closed socket leaves its topics", async () => {
      const room = topic("room");
      const probe = await everyGateway();
      const a = await subscribed("/", room);
      const b = await subscribed("/", room);
      await a.close();
      // The close reached its object before any later frame: the pong on its
      // object is held until the close's unsubscribes are in force, wherever
      // the topic's owner is (no sleep: ordered by the server, not by time).
      await barrier(probe);
      b.send({ type: "publish", topic: room, data: 1 });
      assert.deepEqual(await b.next(), { type: "publish", topic: room, data: 1, clients: 1 });
      await Promise.all([b.close(), ...probe.map((client) => client.close())]);
    });

    test("test-connection.js: subscribe then ping gets a JSON pong within 10 s", async () => {
      const started = Date.now();
      const client = await openClient(worker.ws);
      client.send({ type: "subscribe", topics: [`test-room-${Date.now()}`] });
      client.send({ type: "ping" });
      assert.deepEqual(await client.next(10_000), { type: "pong" });
      assert.ok(Date.now() - started < 10_000);
      await settled(client);
      await client.close();
    });

    test("shards are separate rooms", async () => {
      const room = topic("shared-name");
      const onA = await subscribed("/signal/shard-a", room);
      const onB = await subscribed("/signal/shard-b", room);
      const onGlobal = await subscribed("/", room);
      onA.send({ type: "publish", topic: room, data: "for a" });
      assert.deepEqual(await onA.next(), { type: "publish", topic: room, data: "for a", clients: 1 });
      await onB.nothing();
      await onGlobal.nothing();
      await Promise.all([onA.close(), onB.close(), onGlobal.close()]);
    });
  });

  describe("signaling: bad input", () => {
    const cases = {
      "invalid JSON": "{not json",
      "non-object JSON": "[1,2,3]",
      "a JSON string": '"publish"',
      "unknown type": JSON.stringify({ type: "shout", topic: "x" }),
      "publish without topic": JSON.stringify({ type: "publish", data: 1 }),
      "publish with an empty topic": JSON.stringify({ type: "publish", topic: "", data: 1 }),
      "non-string topics": JSON.stringify({ type: "subscribe", topics: [1, null, { a: 1 }] }),
      "topics not an array": JSON.stringify({ type: "subscribe", topics: "abc" }),
      "binary garbage": Buffer.from([0xff, 0xfe, 0x00, 0x01]),
    };
    for (const [name, frame] of Object.entries(cases)) {
      test(`${name}: ignored, no answer, no leak, the socket stays and the server serves`, async () => {
        const watched = topic("watched");
        const watcher = await subscribed("/", watched);
        const sender = await subscribed("/", topic("own"));
        sender.send(frame);
        await sender.nothing();
        await watcher.nothing(50);
        sender.send({ type: "ping" });
        assert.deepEqual(await sender.next(), { type: "pong" });
        await stillServes();
        await Promise.all([watcher.close(), sender.close()]);
      });
    }

    test("a valid message in a binary frame is read as UTF-8 JSON", async () => {
      const room = topic("bin");
      const client = await openClient(worker.ws);
      client.send(Buffer.from(JSON.stringify({ type: "subscribe", topics: [room] })));
      client.send(Buffer.from(JSON.stringify({ type: "publish", topic: room, data: "b" })));
      assert.deepEqual(await client.next(), { type: "publish", topic: room, data: "b", clients: 1 });
      await client.close();
    });

    test("a publish with text after a NUL byte is refused, not forwarded as it came", async () => {
      const watched = topic("watched");
      const watcher = await subscribed("/", watched);
      const sender = await subscribed("/", topic("own"));
      sender.send(`${JSON.stringify({ type: "publish", topic: watched, data: 1 })}\0,"x":1}`);
      await sender.nothing();
      await watcher.nothing(50);
      sender.send({ type: "publish", topic: watched, data: 2 });
      assert.deepEqual(await watcher.next(), { type: "publish", topic: watched, data: 2, clients: 1 });
    });

    test("a frame over SIGNAL_MAX_MESSAGE_BYTES closes with 1009", async () => {
      const room = topic("big");
      const client = await subscribed("/", room);
      const watcher = await subscribed("/", room);
      client.send({ type: "publish", topic: room, data: "x".repeat(300 * 1024) });
      assert.equal((await client.closed).code, 1009);
      await watcher.nothing();
      await stillServes();
      await watcher.close();
    });

    test("a flood of garbage past SIGNAL_MAX_INVALID_MESSAGES closes with 1008", async () => {
      const client = await openClient(worker.ws);
      for (let i = 0; i < 21; i++) client.send("garbage");
      assert.deepEqual(await client.closed, { code: 1008, reason: "too many invalid messages" });
      await stillServes();
    });

    test("more than SIGNAL_MESSAGES_PER_SECOND frames in a burst closes with 1008", async () => {
      const client = await openClient(worker.ws);
      for (let i = 0; i < 150; i++) client.send('{ "type": "ping" }');
      assert.deepEqual(await client.closed, { code: 1008, reason: "rate limit exceeded" });
      await stillServes();
    });
  });

  describe("routes", () => {
    test("health answers JSON with this package's version", async () => {
      const { version } = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(new URL("../../package.json", import.meta.url))));
      const response = await fetch(`${worker.http}/health`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      const body = await response.json();
      assert.equal(body.status, "healthy");
      assert.equal(body.service, "switchboard");
      assert.equal(body.version, version);
      assert.ok(Math.abs(body.timestamp - Date.now()) < 60_000);
      assert.ok(body.apps.includes("signal"));
    });

    test("unknown paths: 404 JSON", async () => {
      const response = await fetch(`${worker.http}/no/such/thing`);
      assert.equal(response.status, 404);
      assert.deepEqual(await response.json(), { error: "not found" });
    });

    test("a non-upgrade request to a WebSocket route: 426 JSON (a plain GET of / is the demo page)", async () => {
      for (const [method, path] of [["GET", "/signal/abc"], ["POST", "/"], ["GET", "/signal/global"]]) {
        const response = await fetch(worker.http + path, { method });
        assert.equal(response.status, 426);
        assert.match((await response.json()).error, /WebSocket/);
      }
    });

    test("an invalid shard name: 400 JSON", async () => {
      const refused = await refusedUpgrade(`${worker.ws}/signal/bad%20name`);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, { error: "invalid shard name" });
    });

    test("CORS preflight is answered", async () => {
      const response = await fetch(`${worker.http}/health`, { method: "OPTIONS", headers: { Origin: "https://app.example", "Access-Control-Request-Method": "GET" } });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
      assert.match(response.headers.get("access-control-allow-methods"), /GET/);
    });
  });
}
