// @ts-check
// A sharded `/` under a flood that stays within every per-socket limit but
// the rate (raised here, as a client with many sockets could spread it): the
// owner serves its callers' batches in turn, so another gateway's client is
// not queued behind the flood. signal-space.test.mjs floods at the default
// limits, where the rate limit closes the flooder.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startWorker } from "./server.mjs";
import { openOnGateway, ownerOf, sharded } from "./space-helpers.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { ...sharded, SIGNAL_MESSAGES_PER_SECOND: "100000" } })));
after(() => worker.stop());

const run = Math.random().toString(36).slice(2, 8);

test("a client flooding one gateway does not stall the topic owner for another gateway's clients", { timeout: 60_000 }, async () => {
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
  const count = 4000;
  const payload = "x".repeat(2048);
  for (let i = 0; i < count; i++) flooder.client.send({ type: "publish", topic: flood, data: { i, payload } });
  let echoed = 0;
  const drained = (async () => {
    for (; echoed < count; echoed++) assert.equal((await flooder.client.next(60_000)).data.i, echoed);
  })();
  // Sent after the whole flood: an owner that served its callers in turn,
  // one message each, would deliver it only after every flood publish.
  // Here every object also shares workerd's one thread, so the flooder's
  // gateway taking in its frames slows everyone down: the test asks that the
  // calm publishes overtake the flood, not that they are fast.
  const overtook = [];
  for (let i = 0; i < 3; i++) {
    victim.client.send({ type: "publish", topic: calm, data: i });
    assert.deepEqual(await victim.client.next(30_000), { type: "publish", topic: calm, data: i, clients: 1 });
    overtook.push(count - echoed);
  }
  await drained;
  assert.ok(overtook[0] > count / 10, `the calm publishes passed ${overtook} flood publishes still on their way`);
  await Promise.all([flooder.client.close(), victim.client.close(), ...spare.map((client) => client.close())]);
});
