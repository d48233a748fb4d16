// @ts-check
// Access tokens through the real Worker, every app in token mode (one server):
// tokens minted by jose (not by the Worker's own signer) in the query and in
// the header; every kind of bad token refused at the upgrade with no socket;
// identities bound to `sub`; and after each refusal the real holder keeps
// working with everything it stored unchanged.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { bearer, forgeries, kSecret, mint, unique, withToken } from "./access-helpers.mjs";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";
import { Member, newId } from "./swarm-helpers.mjs";

const kOtherSecrets = { JWT_SECRET: `jwt-${randomBytes(16).toString("hex")}`, ADMIN_TOKEN: `admin-${randomBytes(16).toString("hex")}` };

let worker;
before(async () => {
  worker = await startWorker({
    vars: { SIGNAL_ACCESS: "token", MPC_ACCESS: "token", RELAY_ACCESS: "token", SWARM_ACCESS: "token", ACCESS_TOKEN_SECRET: kSecret, ...kOtherSecrets },
  });
});
after(() => worker.stop());

const admin = { headers: { authorization: `Bearer ${kOtherSecrets.ADMIN_TOKEN}` } };

// Each forgery, alternately in the query and as a Bearer header: refused with no socket.
async function refuseAll(url, cases) {
  for (const [i, [what, token, status]] of cases.entries()) {
    const inHeader = i % 2 === 1;
    const answer = await refusedUpgrade(token && !inHeader ? withToken(url, token) : url, token && inHeader ? bearer(token) : undefined);
    const error = status === 401 ? "invalid access token" : "access token not valid here";
    assert.deepEqual([answer.status, answer.body], [status, { error }], `${what} (${inHeader ? "header" : "query"})`);
  }
}

describe("mpc in token mode", () => {
  test("register only as `sub`; refused upgrades and impostors change nothing; only the device's token replaces its socket", async () => {
    const shard = unique("mpc");
    const url = `${worker.ws}/mpc/${shard}`;
    const a = await Client.open(withToken(url, await mint("mpc", "dev-a", shard)));
    a.send({ type: "register", device_id: "dev-a" });
    assert.deepEqual(await a.next(), { type: "devices", devices: ["dev-a"] });
    const b = await Client.open(url, bearer(await mint("mpc", "dev-b", shard)));
    b.send({ type: "register", device_id: "dev-b" });
    assert.deepEqual(await b.next(), { type: "devices", devices: ["dev-a", "dev-b"] });
    assert.deepEqual(await a.next(), { type: "devices", devices: ["dev-a", "dev-b"] });
    const session = { session_id: "s-1", proposer_id: "dev-a", total: 2, threshold: 2, participants: ["dev-a", "dev-b"], session_type: "dkg" };
    a.send({ type: "announce_session", session_info: session });
    assert.equal((await b.next()).type, "session_available");

    // Another device's token cannot register dev-a, nor can a header the client forged.
    b.send({ type: "register", device_id: "dev-a" });
    assert.deepEqual(await b.next(), { type: "error", error: "device_id not allowed" });
    const forged = await Client.open(url, {
      headers: { authorization: `Bearer ${await mint("mpc", "dev-c", shard)}`, "x-switchboard-access": JSON.stringify({ app: "mpc", sub: "dev-a", scope: shard }) },
    });
    forged.send({ type: "register", device_id: "dev-a" });
    assert.deepEqual(await forged.next(), { type: "error", error: "device_id not allowed" });
    await forged.close();
    const forgedOnly = await refusedUpgrade(url, { headers: { "x-switchboard-access": JSON.stringify({ app: "mpc", sub: "dev-a", scope: shard }) } });
    assert.deepEqual([forgedOnly.status, forgedOnly.body], [401, { error: "invalid access token" }]);
    await refuseAll(url, await forgeries("mpc", "dev-a", shard));

    // dev-a was never replaced: its relay still arrives, the list and its session are as they were.
    await a.nothing();
    a.send({ type: "relay", to: "dev-b", data: { round: 1 } });
    assert.deepEqual(await b.next(), { type: "relay", from: "dev-a", data: { round: 1 } });
    b.send({ type: "relay", to: "dev-a", data: { round: 2 } });
    assert.deepEqual(await a.next(), { type: "relay", from: "dev-b", data: { round: 2 } });
    a.send({ type: "list_devices" });
    assert.deepEqual(await a.next(), { type: "devices", devices: ["dev-a", "dev-b"] });
    a.send({ type: "query_my_active_sessions" });
    const mine = await a.next();
    assert.equal(mine.type, "sessions_for_device");
    assert.deepEqual(mine.sessions.map((s) => s.session_id), ["s-1"]);

    // The holder of dev-a's token may replace its own older socket.
    const again = await Client.open(withToken(url, await mint("mpc", "dev-a", shard)));
    again.send({ type: "register", device_id: "dev-a" });
    assert.deepEqual(await again.next(), { type: "devices", devices: ["dev-a", "dev-b"] });
    assert.deepEqual(await a.closeFrame(), { code: 1000, reason: "replaced" });
    await Promise.all([again.close(), b.close()]);
  });

  test("/mpc is the scope `global`", async () => {
    const token = await mint("mpc", "dev-g", "global");
    const client = await Client.open(`${worker.ws}/mpc`, bearer(token));
    client.send({ type: "register", device_id: "dev-g" });
    assert.equal((await client.next()).type, "devices");
    await client.close();
    await refuseAll(`${worker.ws}/mpc`, [["a shard's token on /mpc", await mint("mpc", "dev-g", "eu"), 403]]);
  });
});

describe("npm run token", () => {
  test("its token (ACCESS_TOKEN_SECRET from the environment) opens a socket; --topics limits it", async () => {
    const script = new URL("../../scripts/token.mjs", import.meta.url).pathname;
    const shard = unique("cli");
    const printed = execFileSync("node", [script, "signal", "peer", "--scope", shard, "--ttl", "60", "--topics", "ok-*"], {
      env: { ...process.env, ACCESS_TOKEN_SECRET: kSecret },
      encoding: "utf8",
    }).trim();
    const client = await Client.open(withToken(`${worker.ws}/signal/${shard}`, printed));
    client.send({ type: "subscribe", topics: ["ok-1", "no"] });
    client.send({ type: "publish", topic: "no", data: 1 });
    client.send({ type: "publish", topic: "ok-1", data: 2 });
    assert.deepEqual(await client.next(), { type: "publish", topic: "ok-1", data: 2, clients: 1 });
    await client.close();
  });
});

describe("relay in token mode", () => {
  test("each side needs its own token for the session; refusals leave the pair working", async () => {
    const id = unique("pair").replace("-", "");
    const desktopUrl = `${worker.ws}/desktop/${id}`;
    const desktop = await Client.open(withToken(desktopUrl, await mint("relay", "desktop", id)));
    assert.equal((await desktop.next()).type, "connected");
    const mobile = await Client.open(`${worker.ws}/mobile/${id}`, bearer(await mint("relay", "mobile", id)));
    assert.equal((await desktop.next()).type, "mobile_connected");
    assert.equal((await mobile.next()).type, "desktop_connected");
    assert.equal((await mobile.next()).type, "connected");

    await refuseAll(desktopUrl, [
      ...(await forgeries("relay", "desktop", id)),
      ["the mobile's token on the desktop side", await mint("relay", "mobile", id), 403],
      ["another sub", await mint("relay", "someone", id), 403],
    ]);
    await refuseAll(`${worker.ws}/mobile/${id}`, [["the desktop's token on the mobile side", await mint("relay", "desktop", id), 403]]);

    // Neither side was replaced; frames still cross both ways.
    await desktop.nothing();
    await mobile.nothing();
    desktop.send({ type: "bundle_update", code: "x" });
    assert.deepEqual(await mobile.next(), { type: "bundle_update", code: "x" });
    mobile.send({ type: "console_log", args: [1] });
    assert.deepEqual(await desktop.next(), { type: "console_log", args: [1] });
    await Promise.all([desktop.close(), mobile.close()]);
  });
});

describe("swarm in token mode", () => {
  test("`sub` is the persistentId, `scope` the swarm; invite codes still work beside tokens", async () => {
    const hostId = newId();
    const host = await Member.join(worker, hostId, `&access_token=${await mint("swarm", hostId, hostId)}`);
    host.register("Host Desktop", 8, 16, false);
    await host.log("Node Registered: Host Desktop");
    await host.snapshot();

    // A token for the swarm admits a device without an invite code.
    const guestId = newId();
    const guest = await Member.join(worker, guestId, "", "/ws", bearer(await mint("swarm", guestId, hostId)));
    guest.register("Guest Laptop", 4, 8, false);
    const seen = await host.snapshot((s) => Object.keys(s.devices).length === 2);
    assert.deepEqual(Object.keys(seen.devices).sort(), [hostId, guestId].sort());
    for (const device of Object.values(seen.devices)) assert.equal(device.swarmId, hostId);

    // The guest's token cannot connect as the host; no forged token gets in.
    await refuseAll(`${worker.ws}/ws?persistentId=${hostId}&token=`, [["the guest's token as the host", await mint("swarm", guestId, hostId), 403]]);
    const strangerId = newId();
    await refuseAll(`${worker.ws}/ws?persistentId=${strangerId}&token=`, await forgeries("swarm", strangerId, hostId, "not/a-swarm"));

    // An invite code decides the swarm; the token still binds the identity.
    const code = await host.invite();
    const invitedId = newId();
    await refuseAll(`${worker.ws}/ws?persistentId=${invitedId}&token=${code}`, [
      ["an invite code without a token", null, 401],
      ["an invite code with another device's token", await mint("swarm", guestId, invitedId), 403],
    ]);
    const invited = await Member.join(worker, invitedId, `${code}&access_token=${await mint("swarm", invitedId, invitedId)}`);
    invited.register("Invited Phone", 2, 4, false);
    const three = await host.snapshot((s) => Object.keys(s.devices).length === 3);
    assert.deepEqual(Object.keys(three.devices).sort(), [hostId, guestId, invitedId].sort());
    // The host's own record is as it registered it, and it still steers its swarm.
    assert.equal(three.devices[hostId].name, "Host Desktop");
    assert.deepEqual(three.devices[hostId].capabilities, { cpuCores: 8, memoryGB: 16, gpuAvailable: false });
    assert.match(await host.invite(), /^[0-9A-Z]{6}$/);
    await Promise.all([host.close(), guest.close(), invited.close()]);
  });
});

describe("signal in token mode", () => {
  test("`topics` limits subscribe and publish (prefix entries end in *); outside them is refused, counted, never delivered", async () => {
    const shard = unique("sig");
    const url = `${worker.ws}/signal/${shard}`;
    const limited = await Client.open(withToken(url, await mint("signal", "peer-1", shard, { topics: ["room-a", "team-*"] })));
    const free = await Client.open(url, bearer(await mint("signal", "peer-2", shard)));
    free.send({ type: "subscribe", topics: ["room-a", "room-b", "team-x"] });
    limited.send({ type: "subscribe", topics: ["room-a", "team-x", "room-b"] });

    limited.send({ type: "publish", topic: "room-b", data: "leak" });
    await free.nothing();
    limited.send({ type: "publish", topic: "team-x", data: "hello" });
    assert.deepEqual(await free.next(), { type: "publish", topic: "team-x", data: "hello", clients: 2 });
    assert.deepEqual(await limited.next(), { type: "publish", topic: "team-x", data: "hello", clients: 2 });
    // room-b's publishes do not reach the limited socket: its subscription was refused.
    free.send({ type: "publish", topic: "room-b", data: "private" });
    assert.deepEqual(await free.next(), { type: "publish", topic: "room-b", data: "private", clients: 1 });
    await limited.nothing();
    const stats = await (await fetch(`${worker.http}/stats/signal/${shard}`, admin)).json();
    assert.equal(stats.errors, 2);

    await refuseAll(url, await forgeries("signal", "peer-1", shard));
    // After the refusals both peers still signal on room-a.
    free.send({ type: "publish", topic: "room-a", data: "still here" });
    assert.deepEqual(await limited.next(), { type: "publish", topic: "room-a", data: "still here", clients: 2 });
    assert.deepEqual(await free.next(), { type: "publish", topic: "room-a", data: "still here", clients: 2 });
    await Promise.all([limited.close(), free.close()]);
  });

  test("/ is the scope `global`", async () => {
    const client = await Client.open(`${worker.ws}/`, bearer(await mint("signal", "peer", "global")));
    client.send({ type: "ping" });
    assert.deepEqual(await client.next(), { type: "pong" });
    await client.close();
    await refuseAll(`${worker.ws}/`, [["a shard's token on /", await mint("signal", "peer", "eu"), 403]]);
  });
});

describe("secrets and tokens stay out of the logs", () => {
  test("no log line holds a secret's value or a token", () => {
    const lines = worker.logged().map((line) => JSON.stringify(line));
    assert.ok(lines.some((line) => line.includes('"invalid access token"')), "the refusals were logged");
    for (const secret of [kSecret, ...Object.values(kOtherSecrets)]) assert.ok(!lines.some((line) => line.includes(secret)));
    assert.ok(!lines.some((line) => /eyJ[\w-]+\.eyJ/.test(line)), "no token in a log line");
  });
});
