// @ts-check
// The event log of one scripted flow per app, read from the Worker's output
// (what `wrangler tail` shows): what happened to whom, never a payload or secret.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { roomWith } from "./rooms-helpers.mjs";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";

/** @typedef {import("../../clients/src/messages/mpc.js").ClientMessage} MpcOut */
/** @typedef {import("../../clients/src/messages/mpc.js").ServerMessage} MpcIn */
/** @typedef {import("../../clients/src/messages/relay.js").ClientMessage} RelayOut */
/** @typedef {import("../../clients/src/messages/relay.js").ServerMessage} RelayIn */
/** @typedef {import("../../clients/src/messages/rooms.js").ClientMessage} RoomsOut */
/** @typedef {import("../../clients/src/messages/rooms.js").ServerMessage} RoomsIn */
/** @typedef {import("../../clients/src/messages/swarm.js").ClientMessage} SwarmOut */
/** @typedef {import("../../clients/src/messages/swarm.js").ServerMessage} SwarmIn */
const openMpc = /** @type {typeof Client.open<MpcOut, MpcIn>} */ (Client.open);
const openRelay = /** @type {typeof Client.open<RelayOut, RelayIn>} */ (Client.open);
const openRoom = /** @type {typeof Client.open<RoomsOut, RoomsIn>} */ (Client.open);
const openSwarm = /** @type {typeof Client.open<SwarmOut, SwarmIn>} */ (Client.open);

let worker;
before(async () => (worker = await startWorker({ vars: { JWT_SECRET: "log-suite-secret" } })));
after(() => worker.stop());

// The event names one object logged, in order.
const events = (app, instance) => worker.logged().filter((event) => event.app === app && event.instance === instance).map((event) => event.event);

async function eventually(app, instance, expected) {
  await worker.loggedOnce(() => JSON.stringify(events(app, instance)) === JSON.stringify(expected));
  assert.deepEqual(events(app, instance), expected);
}

test("mpc: devices registered and gone, a session created and removed", async () => {
  const creator = await openMpc(`${worker.ws}/mpc/logged`);
  const other = await openMpc(`${worker.ws}/mpc/logged`);
  creator.send({ type: "register", device_id: "dev-a" });
  await creator.next();
  other.send({ type: "register", device_id: "dev-b" });
  await other.next();
  creator.send({ type: "announce_session", session_info: { session_id: "secret-session-payload", total: 2, threshold: 2, participants: ["dev-a"] } });
  await other.next();
  await creator.close();
  await other.close();
  await eventually("mpc", "logged", ["open", "open", "device_registered", "device_registered", "session_created", "close", "device_disconnected", "session_removed", "close", "device_disconnected"]);
  assert.ok(!worker.output().includes("threshold"));
});

test("relay: both sides open and close; an error frame is a refusal", async () => {
  const desktop = await openRelay(`${worker.ws}/desktop/loggedsession`);
  desktop.send("not json");
  await desktop.next();
  await desktop.next();
  const mobile = await openRelay(`${worker.ws}/mobile/loggedsession`);
  await mobile.next();
  await mobile.next();
  mobile.send({ type: "console_log", args: ["private-log-line"] });
  while ((await desktop.next()).type !== "console_log");
  await desktop.close();
  await mobile.close();
  await eventually("relay", "loggedsession", ["open", "refused", "open", "close", "close"]);
  assert.ok(!worker.output().includes("private-log-line"));
});

test("swarm: a device registers and goes offline; an invite is issued without its code", async () => {
  const host = await openSwarm(`${worker.ws}/ws?persistentId=node-logged&token=`);
  await host.next();
  host.send({ event: "device:register", data: { name: "Desktop Node", capabilities: { cpuCores: 4, memoryGB: 8, gpuAvailable: false } } });
  host.send({ event: "auth:generate_token", data: {} });
  let code = "";
  while (!code) {
    const frame = await host.next();
    if (frame.event === "auth:token") code = frame.data;
  }
  await host.close();
  await eventually("swarm", "node-logged", ["open", "device_registered", "invite_issued", "close", "device_offline"]);
  assert.ok(!worker.output().includes(code));
});

test("rooms: participants join and leave; a frame to nobody is a refusal; tokens never logged", async () => {
  const { roomId, participants: [a, b] } = await roomWith(worker, ["A", "B"]);
  const alice = await openRoom(`${worker.ws}/ws?token=${a.token}`);
  const bob = await openRoom(`${worker.ws}/ws?token=${b.token}`);
  await alice.next();
  bob.send({ type: "offer", to: "nobody", data: { sdp: "private-sdp" } });
  assert.equal((await bob.next()).type, "error");
  await alice.close();
  await bob.close();
  await eventually("rooms", roomId, ["open", "participant_joined", "open", "participant_joined", "refused", "close", "participant_left", "close", "participant_left"]);
  const joined = worker.logged().find((event) => event.event === "participant_joined" && event.instance === roomId);
  assert.equal(joined.participant, a.participant_id);
  for (const secret of [a.token, b.token, "private-sdp"]) assert.ok(!worker.output().includes(secret));
});

test("refusals decided in the Worker: app, status and reason, never the credential", async () => {
  const bogusToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.not-a-signature";
  assert.equal((await refusedUpgrade(`${worker.ws}/ws?token=${bogusToken}`)).status, 401);
  assert.equal((await refusedUpgrade(`${worker.ws}/ws?persistentId=node-refused&token=ZZZZZZ`)).status, 403);
  const expected = [
    { event: "refused", level: "warn", app: "rooms", status: 401, reason: "Invalid token", count: 1 },
    { event: "refused", level: "warn", app: "swarm", status: 403, reason: "invalid invite code", count: 1 },
  ];
  await worker.loggedOnce((lines) => expected.every((line) => lines.some((event) => JSON.stringify(event) === JSON.stringify(line))));
  for (const line of expected) assert.ok(worker.logged().some((event) => JSON.stringify(event) === JSON.stringify(line)), JSON.stringify(line));
  assert.ok(!worker.output().includes("not-a-signature"));
  assert.ok(!worker.output().includes("ZZZZZZ"));
});
