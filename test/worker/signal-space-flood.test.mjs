// @ts-check
// A sharded `/` under a flood that stays within every per-socket limit but
// the rate (raised here, as a client with many sockets could spread it):
// every publish reaches its subscriber once, in order, and a client on
// another gateway is served too. signal-space.test.mjs floods at the default
// limits, where the rate limit closes the flooder.
//
// That the calm publishes overtake the flood's backlog is checked natively
// (test/cpp/signal_space_test.cpp, calls served first come, first served),
// not here: workerd serves every object and socket on this machine from one
// thread, whose event loop looks for input on an idle socket only when it has
// nothing else queued. While the space works through a flood that workerd
// takes in slower than it arrives, a calm frame is not even read until the
// flood is through, whatever the objects do.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startWorker } from "./server.mjs";
import { openOnGateway, ownerOf, sharded, stats } from "./space-helpers.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { ...sharded, SIGNAL_MESSAGES_PER_SECOND: "100000" } })));
after(() => worker.stop());

const run = Math.random().toString(36).slice(2, 8);

test("a flood past the rate limit reaches its subscriber whole and in order, and another gateway's client is served", { timeout: 60_000 }, async () => {
  // The flood and the calm topic have the same owner: the one under load.
  const flood = `flood-${run}`;
  let calm = "";
  for (let n = 0; ownerOf(calm) !== ownerOf(flood) || !calm; n++) calm = `calm-${run}-${n}`;
  let flooder;
  let victim;
  const spare = [];
  while (!flooder || !victim) {
    const { client, gateway } = await openOnGateway(worker);
    if (!flooder) flooder = { client, gateway };
    else if (gateway !== flooder.gateway) victim = { client, gateway };
    else spare.push(client);
  }
  flooder.client.send({ type: "subscribe", topics: [flood] });
  victim.client.send({ type: "subscribe", topics: [calm] });
  for (const { client } of [flooder, victim]) {
    client.send('{ "type": "ping" }');
    assert.deepEqual(await client.next(), { type: "pong" });
  }
  // 4,000 publishes of 2 KiB: 8 MiB, half of SIGNAL_SPACE_QUEUE_BYTES, so
  // none is refused however slowly the owner takes them.
  const count = 4000;
  const payload = "x".repeat(2048);
  for (let i = 0; i < count; i++) flooder.client.send({ type: "publish", topic: flood, data: { i, payload } });
  const echoed = [];
  const drained = (async () => {
    while (echoed.length < count) echoed.push((await flooder.client.next(60_000)).data.i);
  })();
  for (let i = 0; i < 3; i++) {
    victim.client.send({ type: "publish", topic: calm, data: i });
    assert.deepEqual(await victim.client.next(30_000), { type: "publish", topic: calm, data: i, clients: 1 });
  }
  await drained;
  assert.deepEqual(echoed, Array.from({ length: count }, (_, i) => i));
  assert.equal((await stats(worker.http, "signal-gateway", flooder.gateway)).errors, 0);
  await Promise.all([flooder.client.close(), victim.client.close(), ...spare.map((client) => client.close())]);
});
