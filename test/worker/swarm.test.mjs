// @ts-check
// The swarm coordinator through the real Worker: routes and refusals before
// the upgrade, invites through the registry, every event and its validation.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, refusedUpgrade, startWorker } from "./server.mjs";
import { Member, checkSnapshot, newId } from "./swarm-helpers.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { SWARM_MAX_MESSAGE_BYTES: "4096" } })));
after(() => worker.stop());

// A host with a registered device, and the snapshot that registration produced.
async function hostedSwarm(name = "Host Desktop") {
  const host = await Member.join(worker, newId());
  host.register(name, 8, 16, false);
  await host.log(`Node Registered: ${name}`);
  const snapshot = await host.snapshot();
  return { host, snapshot };
}

describe("routes", () => {
  test("missing persistentId is 400 JSON on /swarm/ws and on /ws?persistentId=", async () => {
    for (const url of [`${worker.ws}/swarm/ws`, `${worker.ws}/swarm/ws?token=ABCDEF`, `${worker.ws}/ws?persistentId=`]) {
      const refused = await refusedUpgrade(url);
      assert.deepEqual([refused.status, refused.body], [400, { error: "Missing persistentId" }], url);
    }
    const plain = await fetch(`${worker.http}/swarm/ws`);
    assert.equal(plain.status, 400);
    assert.equal(plain.headers.get("access-control-allow-origin"), "*");
  });

  test("/ws without persistentId is not the swarm's", async () => {
    const other = await refusedUpgrade(`${worker.ws}/ws?token=eyJhbGciOiJIUzI1NiJ9.e30.x`);
    assert.notEqual(other.body?.error, "Missing persistentId");
    assert.notEqual(other.status, 426);
  });

  test("a plain request is 426; a bad persistentId is 400; preflight carries CORS, as the original", async () => {
    const plain = await fetch(`${worker.http}/ws?persistentId=node-abc`);
    assert.equal(plain.status, 426);
    assert.equal((await plain.json()).error, "expected a WebSocket upgrade (swarm coordinator)");
    assert.equal((await refusedUpgrade(`${worker.ws}/ws?persistentId=${"x".repeat(65)}`)).status, 400);
    const preflight = await fetch(`${worker.http}/ws?persistentId=node-abc`, { method: "OPTIONS" });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.match(preflight.headers.get("access-control-allow-methods"), /GET, POST/);
    assert.match(preflight.headers.get("access-control-allow-headers"), /Content-Type/);
  });

  test("unknown, malformed and empty-looking invite codes", async () => {
    for (const token of ["ZZZZZZ", "AB", "K3J9-QZ"]) {
      const refused = await refusedUpgrade(`${worker.ws}/ws?persistentId=${newId()}&token=${token}`);
      assert.deepEqual([refused.status, refused.body], [403, { error: "invalid invite code" }], token);
    }
    // "null" and "undefined" are host mode, as the original.
    for (const token of ["null", "undefined"]) {
      const member = await Member.join(worker, newId(), token);
      await member.close();
    }
  });
});

describe("invites", () => {
  test("a code made in a swarm routes a joiner into that swarm; both see each other", async () => {
    const { host } = await hostedSwarm();
    const code = await host.invite();
    assert.match(code, /^[0-9A-Z]{6}$/);
    const guest = await Member.join(worker, newId(), code);
    guest.register("Guest Laptop", 4, 8, false);
    const seen = await guest.snapshot((s) => Object.keys(s.devices).length === 2);
    const hostSeen = await host.snapshot((s) => Object.keys(s.devices).length === 2);
    assert.deepEqual(Object.keys(seen.devices).sort(), [host.id, guest.id].sort());
    assert.deepEqual(seen, hostSeen);
    for (const device of Object.values(seen.devices)) assert.equal(device.swarmId, host.id);
    checkSnapshot(seen);
    // The same code works again, under /swarm/ws too, and typed in lower case.
    const third = await Member.join(worker, newId(), code.toLowerCase(), "/swarm/ws");
    third.register("Third", 2, 4, false);
    await host.log("Node Registered: Third");
    await Promise.all([host.close(), guest.close(), third.close()]);
  });

  test("the generated-code log goes to everyone; the code to the requester only", async () => {
    const { host } = await hostedSwarm();
    const guest = await Member.join(worker, newId(), await host.invite());
    guest.emit("auth:generate_token", {});
    const token = await guest.until((f) => f.event === "auth:token");
    const line = await host.log(/^Generated new invite code: /);
    assert.deepEqual(line.message, `Generated new invite code: ${token.data}`);
    assert.equal(line.level, "SYS");
    assert.equal(line.source, "AUTH");
    const seen = await host.settle();
    assert.ok(!seen.some((f) => f.event === "auth:token"));
    await Promise.all([host.close(), guest.close()]);
  });

  test("five codes per rolling minute; the sixth is auth:token \"\" with the WARN line", async () => {
    const { host } = await hostedSwarm();
    const codes = new Set();
    for (let i = 0; i < 5; i++) codes.add(await host.invite());
    assert.equal(codes.size, 5);
    host.emit("auth:generate_token", {});
    const warn = await host.log("Invite code generation rate limited (5/min)");
    assert.equal(warn.level, "WARN");
    assert.equal(warn.source, "AUTH");
    assert.deepEqual(await host.until((f) => f.event === "auth:token"), { event: "auth:token", data: "" });
    await host.close();
  });
});

describe("events", () => {
  test("register, benchmark, run state, throttle, toggle: log lines and snapshots", async () => {
    const { host, snapshot } = await hostedSwarm("Studio Mobile");
    assert.equal(snapshot.runState, "STOPPED");
    assert.equal(snapshot.stats.globalThrottle, 40);
    assert.deepEqual(snapshot.devices[host.id].capabilities, { cpuCores: 8, memoryGB: 16, gpuAvailable: false });
    assert.equal(snapshot.devices[host.id].type, "MOBILE");
    assert.equal(snapshot.devices[host.id].status, "ONLINE");
    checkSnapshot(snapshot);

    host.emit("benchmark:result", { score: 1234567 });
    const bench = await host.log("Benchmark: 1,234,567 OPS");
    assert.deepEqual([bench.level, bench.source], ["CPU", host.id]);
    assert.equal((await host.snapshot()).devices[host.id].opsScore, 1234567);

    host.emit("cmd:set_run_state", "RUNNING");
    const state = await host.log("Swarm state changed to RUNNING");
    assert.deepEqual([state.level, state.source], ["SYS", "MASTER"]);
    const running = await host.snapshot();
    assert.equal(running.runState, "RUNNING");
    assert.equal(running.stats.globalVelocity, Math.round(1234567 * 0.4));
    checkSnapshot(running);

    host.emit("cmd:set_throttle", 75);
    assert.deepEqual(await host.until((f) => f.event === "swarm:throttle_sync"), { event: "swarm:throttle_sync", data: 75 });
    const throttled = await host.snapshot();
    assert.equal(throttled.stats.globalThrottle, 75);
    assert.equal(throttled.stats.globalVelocity, Math.round(1234567 * 0.75));

    host.emit("cmd:toggle_device", { id: host.id, enabled: false });
    const disabled = await host.log(`Node ${host.id.slice(0, 8)} was disabled by Master`);
    assert.deepEqual([disabled.level, disabled.source], ["WARN", "ORCHESTRATOR"]);
    const off = await host.snapshot();
    assert.equal(off.devices[host.id].status, "DISABLED");
    assert.equal(off.resources.onlineCount, 0);
    checkSnapshot(off);
    host.emit("cmd:toggle_device", { id: host.id, enabled: true });
    assert.equal((await host.log(`Node ${host.id.slice(0, 8)} was enabled by Master`)).level, "SYS");
    await host.close();
  });

  test("batches while RUNNING; completion counts; a failed job is logged", async () => {
    const { host } = await hostedSwarm();
    host.emit("job:request_batch");  // the client sends it with no data before RUNNING
    assert.ok(!(await host.settle()).some((f) => f.event === "job:batch"));
    host.emit("cmd:set_run_state", "RUNNING");
    host.emit("job:request_batch", {});
    const batch = await host.batch();
    assert.equal(batch.length, 30);  // alone in the swarm: max(1, floor(80/80 × 30))
    for (const job of batch) {
      assert.deepEqual(Object.keys(job), ["id", "type", "complexity", "data"]);
      assert.match(job.id, /^job-\d{13}-[0-9a-z]{5}$/);
      assert.ok(job.complexity >= 1 && job.complexity <= 10);
    }
    assert.equal(batch[0].type, "MATH_STRESS");  // no GPU: MATH_STRESS first
    host.emit("job:complete", { chunkId: batch[0].id, result: 42.5, workerId: host.id, durationMs: 3.2 });
    const done = await host.snapshot((s) => s.stats.completedJobs === 1);
    assert.equal(done.devices[host.id].totalJobsCompleted, 1);
    assert.equal(done.stats.pendingJobs, 70);
    checkSnapshot(done);
    host.emit("job:complete", { chunkId: batch[1].id, error: "out of memory", workerId: host.id });
    const failed = await host.log(`Job ${batch[1].id} failed on ${host.id}`);
    assert.deepEqual([failed.level, failed.source], ["ERR", "COMPUTE"]);
    assert.equal((await host.snapshot()).stats.completedJobs, 1);
    await host.close();
  });

  test("heartbeat updates lastUserInteraction without a broadcast", async () => {
    const { host } = await hostedSwarm();
    host.emit("heartbeat", { lastInteraction: 1718000000000 });
    const seen = await host.settle();
    assert.ok(!seen.some((f) => f.event === "sys:log"));
    host.emit("cmd:set_throttle", 40);
    assert.equal((await host.snapshot()).devices[host.id].lastUserInteraction, 1718000000000);
    await host.close();
  });
});

describe("validation", () => {
  const capabilities = { cpuCores: 4, memoryGB: 8, gpuAvailable: false };
  // Deliberately not ClientMessages: what a broken or hostile client sends.
  /** @type {[string, any, string | RegExp][]} */
  const invalid = [
    ["not JSON", "{nope", "Rejected frame: not JSON"],
    ["no event", { data: {} }, /^Rejected frame: expected/],
    ["unknown event", { event: "job:steal", data: {} }, "Rejected job:steal: unknown event"],
    ["device:register without capabilities", { event: "device:register", data: { name: "x" } }, "Rejected device:register: capabilities must be an object"],
    ["device:register, long name", { event: "device:register", data: { name: "n".repeat(101), capabilities } }, /name must be a string of at most 100/],
    ["device:register, cpuCores 0", { event: "device:register", data: { name: "x", capabilities: { ...capabilities, cpuCores: 0 } } }, /cpuCores must be an integer from 1 to 1024/],
    ["device:register, cpuCores 2.5", { event: "device:register", data: { name: "x", capabilities: { ...capabilities, cpuCores: 2.5 } } }, /cpuCores/],
    ["device:register, memoryGB too big", { event: "device:register", data: { name: "x", capabilities: { ...capabilities, memoryGB: 70000 } } }, /memoryGB/],
    ["device:register, gpuAvailable string", { event: "device:register", data: { name: "x", capabilities: { ...capabilities, gpuAvailable: "yes" } } }, /gpuAvailable must be a boolean/],
    ["device:register, long gpuName", { event: "device:register", data: { name: "x", capabilities: { ...capabilities, gpuName: "g".repeat(201) } } }, /gpuName/],
    ["heartbeat, negative lastInteraction", { event: "heartbeat", data: { lastInteraction: -1 } }, /lastInteraction/],
    ["job:request_batch with a string", { event: "job:request_batch", data: "now" }, /data must be an object/],
    ["job:complete without chunkId", { event: "job:complete", data: { result: 1 } }, /chunkId must be a string/],
    ["job:complete, long chunkId", { event: "job:complete", data: { chunkId: "c".repeat(129) } }, /chunkId/],
    ["job:complete, negative durationMs", { event: "job:complete", data: { chunkId: "c", durationMs: -1 } }, /durationMs must be a number >= 0/],
    ["cmd:set_run_state, unknown state", { event: "cmd:set_run_state", data: "TURBO" }, /one of IDLE, RUNNING, PAUSED, STOPPED/],
    ["cmd:set_throttle above 100", { event: "cmd:set_throttle", data: 150 }, /number from 0 to 100/],
    ["cmd:set_throttle as a string", { event: "cmd:set_throttle", data: "50" }, /number from 0 to 100/],
    ["benchmark:result, negative", { event: "benchmark:result", data: { score: -5 } }, /score must be a finite number >= 0/],
    ["benchmark:result, bare number", { event: "benchmark:result", data: 5 }, /score/],
    ["cmd:toggle_device without enabled", { event: "cmd:toggle_device", data: { id: "node-x" } }, /enabled must be a boolean/],
    ["cmd:toggle_device, unknown device", { event: "cmd:toggle_device", data: { id: "node-nobody", enabled: false } }, "Rejected cmd:toggle_device: unknown device node-nobody"],
    ["auth:generate_token with a string", { event: "auth:generate_token", data: "please" }, /data must be an object/],
    ["an oversized frame", { event: "device:register", data: { name: "x", capabilities, pad: "p".repeat(5000) } }, "Rejected frame: larger than 4096 bytes"],
  ];

  test("each invalid event: one WARN to the sender only, nothing changes", async () => {
    const { host } = await hostedSwarm();
    const guest = await Member.join(worker, newId(), await host.invite());
    guest.register("Guest", 2, 4, false);
    await guest.log("Node Registered: Guest");
    // The state before: a snapshot the guest triggers (its own heartbeat is all that moves).
    const stateNow = async () => {
      await host.settle();
      guest.emit("cmd:set_throttle", 40);
      await host.until((f) => f.event === "swarm:throttle_sync");
      const snapshot = await host.snapshot();
      snapshot.devices[guest.id].lastHeartbeat = 0;
      return snapshot;
    };
    const before = await stateNow();
    for (const [what, frame, message] of invalid) {
      host.client.send(frame);
      const seen = await host.settle();
      const logs = seen.filter((f) => f.event === "sys:log");
      assert.equal(logs.length, 1, what);
      assert.equal(logs[0].data.level, "WARN", what);
      assert.equal(logs[0].data.source, "GATEWAY", what);
      if (typeof message === "string") assert.equal(logs[0].data.message, message, what);
      else assert.match(logs[0].data.message, message, what);
      assert.ok(!seen.some((f) => f.event !== "sys:log" && f.event !== "swarm:snapshot"), `${what}: ${JSON.stringify(seen)}`);
    }
    const guestSaw = await guest.settle();
    assert.ok(!guestSaw.some((f) => f.event === "sys:log" && f.data.level === "WARN"), "WARNs reach the sender only");
    assert.deepEqual(await stateNow(), before);
    await Promise.all([host.close(), guest.close()]);
  });

  test("a binary frame closes the socket with 1003 and the device goes offline", async () => {
    const { host } = await hostedSwarm();
    const guest = await Member.join(worker, newId(), await host.invite());
    guest.register("Guest", 2, 4, false);
    await host.log("Node Registered: Guest");
    guest.client.send(Buffer.from(JSON.stringify({ event: "heartbeat", data: {} })));
    assert.equal((await guest.client.closed).code, 1003);
    await host.log(`Node offline: ${guest.id.slice(0, 8)}`);
    const after = await host.snapshot();
    assert.equal(after.devices[guest.id].status, "OFFLINE");
    checkSnapshot(after);
    await host.close();
  });
});
