// @ts-check
// Flood limits of every app through the real Worker, set low by [vars]: the
// per-IP upgrade rate, the per-socket message rate and the per-object
// connection cap. (Frame size caps are tried in each app's own suite, as are
// signal's and the relay's message rates.) Every client here says which
// address it comes from, since the per-IP limit is on for all of them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";
import { roomWith } from "./rooms-helpers.mjs";
import { Member, newId } from "./swarm-helpers.mjs";

/** @typedef {import("../../clients/src/messages/mpc.js").ClientMessage} MpcOut */
/** @typedef {import("../../clients/src/messages/mpc.js").ServerMessage} MpcIn */
/** @typedef {import("../../clients/src/messages/rooms.js").ClientMessage} RoomsOut */
/** @typedef {import("../../clients/src/messages/rooms.js").ServerMessage} RoomsIn */
/** @typedef {import("../../clients/src/messages/relay.js").ClientMessage} RelayOut */
/** @typedef {import("../../clients/src/messages/relay.js").ServerMessage} RelayIn */
/** @typedef {import("../../clients/src/messages/signal.js").ClientMessage} SignalOut */
/** @typedef {import("../../clients/src/messages/signal.js").ServerMessage} SignalIn */

const RATE = 5;  // frames per second and socket
const vars = {
  JWT_SECRET: "flood-test-secret",
  SIGNAL_MAX_CONNECTIONS: "3",
  MPC_MAX_CONNECTIONS: "3",
  SWARM_MAX_CONNECTIONS: "3",
  MPC_MESSAGES_PER_SECOND: String(RATE),
  ROOMS_MESSAGES_PER_SECOND: String(RATE),
  SWARM_MESSAGES_PER_SECOND: String(RATE),
  SIGNAL_IP_CONNECTS_PER_MINUTE: "2",
  MPC_IP_CONNECTS_PER_MINUTE: "2",
  RELAY_IP_CONNECTS_PER_MINUTE: "2",
  ROOMS_IP_CONNECTS_PER_MINUTE: "2",
  SWARM_IP_CONNECTS_PER_MINUTE: "2",
};
let worker;
before(async () => (worker = await startWorker({ vars })));
after(() => worker.stop());

let addresses = 0;
const freshAddress = () => `198.51.100.${++addresses}`;
const from = (ip = freshAddress()) => ({ headers: { "CF-Connecting-IP": ip } });
const unique = (name) => `${name}${Math.random().toString(36).slice(2, 10)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const openMpc = /** @type {typeof Client.open<MpcOut, MpcIn>} */ (Client.open);
const openRoom = /** @type {typeof Client.open<RoomsOut, RoomsIn>} */ (Client.open);
const openRelay = /** @type {typeof Client.open<RelayOut, RelayIn>} */ (Client.open);
const openSignal = /** @type {typeof Client.open<SignalOut, SignalIn>} */ (Client.open);

// `n` frames from `client` in one burst; the frames it gets back, in order.
async function burst(client, frame, n) {
  for (let i = 0; i < n; i++) client.send(frame);
  const answers = [];
  for (let i = 0; i < n; i++) answers.push(await client.next());
  return answers;
}

describe("per-IP upgrade rate: the third upgrade from one address in a minute gets 429 JSON", () => {
  const tooMany = [429, { error: "too many connections from this address" }];

  test("mpc", async () => {
    const url = `${worker.ws}/mpc/${unique("ip")}`;
    const ip = freshAddress();
    const open = [await openMpc(url, from(ip)), await openMpc(url, from(ip))];
    const refused = await refusedUpgrade(url, from(ip));
    assert.deepEqual([refused.status, refused.body], tooMany);
    open.push(await openMpc(url, from()));  // another address still gets in
    await Promise.all(open.map((client) => client.close()));
  });

  test("relay: desktop and mobile of one session count together", async () => {
    const id = unique("ip");
    const ip = freshAddress();
    const open = [await openRelay(`${worker.ws}/desktop/${id}`, from(ip)), await openRelay(`${worker.ws}/mobile/${id}`, from(ip))];
    const refused = await refusedUpgrade(`${worker.ws}/desktop/${id}`, from(ip));
    assert.deepEqual([refused.status, refused.body], tooMany);
    await Promise.all(open.map((client) => client.close()));
  });

  test("rooms", async () => {
    const [a, b, c, d] = (await roomWith(worker, ["A", "B", "C", "D"])).participants;
    const ip = freshAddress();
    const open = [await openRoom(`${worker.ws}/ws?token=${a.token}`, from(ip)), await openRoom(`${worker.ws}/ws?token=${b.token}`, from(ip))];
    const refused = await refusedUpgrade(`${worker.ws}/ws?token=${c.token}`, from(ip));
    assert.deepEqual([refused.status, refused.body], tooMany);
    open.push(await openRoom(`${worker.ws}/ws?token=${d.token}`, from()));
    await Promise.all(open.map((client) => client.close()));
  });

  test("swarm", async () => {
    const ip = freshAddress();
    const host = await Member.join(worker, newId(), "", "/ws", from(ip));
    const code = await host.invite();
    const guest = await Member.join(worker, newId(), code, "/ws", from(ip));
    const refused = await refusedUpgrade(`${worker.ws}/ws?persistentId=${newId()}&token=${code}`, from(ip));
    assert.deepEqual([refused.status, refused.body], tooMany);
    await Promise.all([host.close(), guest.close()]);
  });
});

describe(`per-socket message rate (${RATE} a second): the frames past it are refused one by one, then the socket is served again`, () => {
  test("mpc: error \"rate limit exceeded\" and nothing done", async () => {
    const client = await openMpc(`${worker.ws}/mpc/${unique("rate")}`, from());
    const answers = await burst(client, { type: "list_devices" }, 3 * RATE);
    const refusals = answers.filter((frame) => frame.type === "error");
    assert.ok(refusals.length >= RATE, `${refusals.length} refusals`);
    assert.ok(refusals.every((frame) => /** @type {import("../../clients/src/messages/mpc.js").ErrorMessage} */ (frame).error === "rate limit exceeded"));
    assert.ok(answers.slice(0, RATE).every((frame) => frame.type === "devices"), "the first burst's worth is served");
    assert.ok(answers.every((frame) => frame.type === "devices" || frame.type === "error"));
    await client.nothing(100);
    await sleep(1100);
    client.send({ type: "list_devices" });
    assert.deepEqual(await client.next(), { type: "devices", devices: [] });
    await client.close();
  });

  test("rooms: an error frame each, and those frames never reach the peer", async () => {
    const [a, b] = (await roomWith(worker, ["A", "B"])).participants;
    const alice = await openRoom(`${worker.ws}/ws?token=${a.token}`, from());
    const bob = await openRoom(`${worker.ws}/ws?token=${b.token}`, from());
    assert.equal((await alice.next()).type, "join");
    const sent = 3 * RATE;
    for (let i = 0; i < sent; i++) alice.send({ type: "offer", to: b.participant_id, data: { n: i } });
    const delivered = [];
    const refusals = [];
    for (const deadline = Date.now() + 5000; delivered.length + refusals.length < sent; ) {
      assert.ok(Date.now() < deadline, `only ${delivered.length} delivered and ${refusals.length} refused of ${sent}`);
      if (alice.frames.length) refusals.push(await alice.next());
      else if (bob.frames.length) delivered.push(await bob.next());
      else await sleep(5);
    }
    assert.ok(refusals.length >= RATE, `${refusals.length} refusals`);
    assert.ok(refusals.every((frame) => frame.type === "error" && frame.error === "rate limit exceeded"));
    // The ones delivered are the first ones, in order.
    assert.deepEqual(delivered.map((frame) => /** @type {any} */ (frame).data.n), [...delivered.keys()]);
    await Promise.all([alice.nothing(100), bob.nothing(100)]);
    await sleep(1100);
    alice.send({ type: "offer", to: b.participant_id, data: { n: "later" } });
    assert.deepEqual(await bob.next(), { type: "offer", to: b.participant_id, data: { n: "later" }, from: a.participant_id });
    await Promise.all([alice.close(), bob.close()]);
  });

  test("swarm: a WARN sys:log each, and nothing changes", async () => {
    const host = await Member.join(worker, newId(), "", "/ws", from());
    await sleep(1100);  // the bucket refills after join's own frames
    for (let i = 1; i <= 3 * RATE; i++) host.emit("cmd:set_throttle", i);
    const seen = [];
    while (seen.filter((frame) => frame.event === "swarm:throttle_sync" || frame.event === "sys:log").length < 3 * RATE) {
      seen.push(await host.until((frame) => frame.event !== "swarm:snapshot"));
    }
    const synced = seen.filter((frame) => frame.event === "swarm:throttle_sync").map((frame) => Number(frame.data));
    const warned = seen.filter((frame) => frame.event === "sys:log").map((frame) => /** @type {import("../../clients/src/messages/swarm.js").LogEntry} */ (frame.data));
    assert.deepEqual(synced, synced.map((_, i) => i + 1), "the first ones are applied, in order");
    assert.ok(warned.length >= RATE, `${warned.length} refusals`);
    assert.ok(warned.every((entry) => entry.level === "WARN" && entry.message === `Rejected frame: more than ${RATE} per second`));
    assert.equal((await host.snapshot()).stats.globalThrottle, synced[synced.length - 1]);
    await sleep(1100);
    host.emit("cmd:set_throttle", 77);
    assert.deepEqual(await host.until((frame) => frame.event === "swarm:throttle_sync"), { event: "swarm:throttle_sync", data: 77 });
    await host.close();
  });
});

describe("per-object connection cap: the upgrade past *_MAX_CONNECTIONS (3) gets 503 JSON; a freed place is taken again", () => {
  const full = [503, { error: "too many connections" }];

  /**
   * @param {(i: number) => Promise<{ close(): Promise<unknown> }>} open
   * @param {() => Promise<{ status: number, body: any }>} refuse
   */
  async function capped(open, refuse) {
    const open3 = [await open(0), await open(1), await open(2)];
    const refused = await refuse();
    assert.deepEqual([refused.status, refused.body], full);
    await open3.shift()?.close();
    await sleep(200);  // the close reaches the object
    open3.push(await open(3));
    await Promise.all(open3.map((client) => client.close()));
  }

  test("signal", async () => {
    const url = `${worker.ws}/signal/${unique("cap")}`;
    await capped(() => openSignal(url, from()), () => refusedUpgrade(url, from()));
  });

  test("mpc", async () => {
    const url = `${worker.ws}/mpc/${unique("cap")}`;
    await capped(() => openMpc(url, from()), () => refusedUpgrade(url, from()));
  });

  test("swarm (guests join by invite)", async () => {
    const host = await Member.join(worker, newId(), "", "/ws", from());
    const code = await host.invite();
    await host.close();
    await sleep(200);
    await capped(
      (i) => Member.join(worker, i === 0 ? host.id : newId(), i === 0 ? "" : code, "/ws", from()),
      () => refusedUpgrade(`${worker.ws}/ws?persistentId=${newId()}&token=${code}`, from()),
    );
  });
});
