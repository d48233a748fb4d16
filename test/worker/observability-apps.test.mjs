// @ts-check
// The event log of one scripted flow per app, read from the Worker's output
// (what `wrangler tail` shows): what happened to whom, never a payload or secret.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, startWorker } from "./server.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { JWT_SECRET: "log-suite-secret" } })));
after(() => worker.stop());

// The event names the Worker logged for one object, in order.
function events(app, instance) {
  return worker
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((event) => event.app === app && event.instance === instance)
    .map((event) => event.event);
}

async function eventually(app, instance, expected) {
  for (let i = 0; i < 50 && JSON.stringify(events(app, instance)) !== JSON.stringify(expected); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(events(app, instance), expected);
}

test("mpc: devices registered and gone, a session created and removed", async () => {
  const creator = await Client.open(`${worker.ws}/mpc/logged`);
  const other = await Client.open(`${worker.ws}/mpc/logged`);
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
  const desktop = await Client.open(`${worker.ws}/desktop/loggedsession`);
  desktop.send("not json");
  await desktop.next();
  await desktop.next();
  const mobile = await Client.open(`${worker.ws}/mobile/loggedsession`);
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
  const host = await Client.open(`${worker.ws}/ws?persistentId=node-logged&token=`);
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
