// @ts-check
// The open default (no *_ACCESS set) through the real Worker, with an
// ACCESS_TOKEN_SECRET configured: stock clients connect without a token, any
// token (good, forged or expired) is ignored, a client's own access header is
// never believed, and what the README says an attacker can do in open mode
// (take over a device, a side, a persistentId) is what happens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bearer, forgeries, kSecret, mint, unique, withToken } from "./access-helpers.mjs";
import { Client, startWorker } from "./server.mjs";
import { Member, newId } from "./swarm-helpers.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { ACCESS_TOKEN_SECRET: kSecret } })));
after(() => worker.stop());

// Every token, good or bad, in the query or the header: the socket opens all the same.
async function everyTokenOpens(url, app, sub, scope, onOpen, onClosed = async () => {}) {
  const cases = [["a good token", await mint(app, sub, scope), 0], ...(await forgeries(app, sub, scope))];
  for (const [i, [what, token]] of cases.entries()) {
    const inHeader = i % 2 === 1;
    const client = await Client.open(token && !inHeader ? withToken(url, token) : url, token && inHeader ? bearer(token) : undefined).catch((error) => {
      throw new Error(`${what}: ${error.message}`);
    });
    await onOpen(client, what);
    await client.close();
    await onClosed();
  }
}

describe("open mode", () => {
  test("mpc: tokens are ignored; anyone who knows a device id takes it over", async () => {
    const shard = unique("mpc");
    const url = `${worker.ws}/mpc/${shard}`;
    const owner = await Client.open(url);
    owner.send({ type: "register", device_id: "dev-a" });
    assert.deepEqual(await owner.next(), { type: "devices", devices: ["dev-a"] });
    await everyTokenOpens(url, "mpc", "dev-b", shard, async (client) => {
      client.send({ type: "list_devices" });
      assert.deepEqual(await client.next(), { type: "devices", devices: ["dev-a"] });
    });
    // A forged access header binds nothing either: the impostor registers dev-a and the owner is closed.
    const impostor = await Client.open(url, { headers: { "x-switchboard-access": JSON.stringify({ app: "mpc", sub: "dev-z", scope: shard }) } });
    impostor.send({ type: "register", device_id: "dev-a" });
    assert.deepEqual(await impostor.next(), { type: "devices", devices: ["dev-a"] });
    assert.deepEqual(await owner.closeFrame(), { code: 1000, reason: "replaced" });
    await impostor.close();
  });

  test("relay: tokens are ignored; anyone who knows a session id takes over a side", async () => {
    const id = unique("pair").replace("-", "");
    const desktop = await Client.open(`${worker.ws}/desktop/${id}`);
    assert.equal((await desktop.next()).type, "connected");
    await everyTokenOpens(`${worker.ws}/mobile/${id}`, "relay", "desktop", id, async (mobile) => {
      assert.equal((await mobile.next()).type, "desktop_connected");
      assert.equal((await mobile.next()).type, "connected");
      assert.equal((await desktop.next()).type, "mobile_connected");
      mobile.send({ type: "console_log", args: ["hi"] });
      assert.deepEqual(await desktop.next(), { type: "console_log", args: ["hi"] });
    }, async () => assert.equal((await desktop.next()).type, "mobile_disconnected"));
    const takeover = await Client.open(`${worker.ws}/desktop/${id}`);
    assert.equal((await takeover.next()).type, "connected");
    assert.deepEqual(await desktop.closeFrame(), { code: 1000, reason: "New desktop connection" });
    await takeover.close();
  });

  test("swarm: tokens are ignored (a device hosts its own swarm); a persistentId is whoever claims it", async () => {
    const id = newId();
    const first = await Member.join(worker, id, `&access_token=${await mint("swarm", id, "elsewhere")}`);
    first.register("First", 2, 4, false);
    const own = await first.snapshot((s) => Object.keys(s.devices).length === 1);
    assert.equal(own.devices[id].swarmId, id);
    const claimant = await Member.join(worker, id, "", "/ws", { headers: { "x-switchboard-access": JSON.stringify({ app: "swarm", sub: "x", scope: "x" }) } });
    claimant.register("Claimant", 1, 1, false);
    const taken = await first.snapshot((s) => s.devices[id]?.name === "Claimant");
    assert.equal(Object.keys(taken.devices).length, 1);
    await Promise.all([first.close(), claimant.close()]);
  });

  test("signal: tokens and their topics are ignored; a forged access header limits nothing", async () => {
    const shard = unique("sig");
    const url = `${worker.ws}/signal/${shard}`;
    await everyTokenOpens(url, "signal", "peer", shard, async (client, what) => {
      client.send({ type: "publish", topic: `t-${what}`, data: 1 });
      client.send({ type: "subscribe", topics: ["anything"] });
      client.send({ type: "publish", topic: "anything", data: what });
      assert.deepEqual(await client.next(), { type: "publish", topic: "anything", data: what, clients: 1 });
    });
    const limitedByToken = await Client.open(withToken(url, await mint("signal", "p", shard, { topics: ["only-this"] })), {
      headers: { "x-switchboard-access": JSON.stringify({ app: "signal", sub: "p", scope: shard, topics: [] }) },
    });
    limitedByToken.send({ type: "subscribe", topics: ["other"] });
    limitedByToken.send({ type: "publish", topic: "other", data: "x" });
    assert.deepEqual(await limitedByToken.next(), { type: "publish", topic: "other", data: "x", clients: 1 });
    await limitedByToken.close();
  });
});
