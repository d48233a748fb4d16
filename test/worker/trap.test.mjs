// A trap in the WebAssembly module (here forced by the test build's trap
// frame) closes only the socket whose event trapped; the object rebuilds a
// new core from attachments and storage and keeps serving everyone else.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";

let worker;
before(async () => (worker = await startWorker()));
after(() => worker.stop());

async function settled(client) {
  client.send('{ "type": "ping" }');
  assert.deepEqual(await client.next(), { type: "pong" });
}

test("a trap closes its socket with 1011; the others keep their topics, spilled ones too", async () => {
  const url = `${worker.ws}/signal/trap`;
  const victim = await Client.open(url);
  const plain = await Client.open(url);
  // Enough long topic names to push this socket's attachment into storage.
  const topics = Array.from({ length: 60 }, (_, i) => `a-rather-long-topic-name-for-spilling-${i}`);
  const spilled = await Client.open(url);
  for (const client of [victim, plain]) client.send({ type: "subscribe", topics: ["room"] });
  spilled.send({ type: "subscribe", topics: ["room", ...topics] });
  await Promise.all([victim, plain, spilled].map(settled));

  victim.send("__switchboard_test_trap__");
  assert.equal((await victim.closed).code, 1011);

  plain.send({ type: "publish", topic: "room", data: "after the trap" });
  for (const client of [plain, spilled]) {
    assert.deepEqual(await client.next(), { type: "publish", topic: "room", data: "after the trap", clients: 2 });
  }
  plain.send({ type: "publish", topic: topics[59], data: "spilled" });
  assert.deepEqual(await spilled.next(), { type: "publish", topic: topics[59], data: "spilled", clients: 1 });
  const fresh = await Client.open(url);
  await settled(fresh);
  await Promise.all([plain.close(), spilled.close(), fresh.close()]);
});
