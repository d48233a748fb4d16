// @ts-check
// Point 7 of the swarm issue, end to end through the real Worker: a host and
// three guests (one with a GPU) join by invite, benchmark, the host starts the
// run and sets a throttle, workers request and complete batches, one drops,
// and every snapshot anyone receives obeys the snapshot rules (swarm-helpers.mjs).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startWorker } from "./server.mjs";
import { Member, checkSnapshot, newId, share, weight } from "./swarm-helpers.mjs";

let worker;
before(async () => (worker = await startWorker({ vars: { SWARM_TICK_MS: "250" } })));
after(() => worker.stop());

test("host + three invited guests: benchmark, RUNNING, throttle, batches, a drop, consistent snapshots", async () => {
  const host = await Member.join(worker, newId());
  host.register("Host Desktop", 8, 16, false);
  await host.log("Node Registered: Host Desktop");
  const code = await host.invite();

  /** @type {{ name: string, cores: number, memory: number, gpu: boolean, score: number, type: import("../../clients/src/messages/swarm.js").DeviceType }[]} */
  const specs = [
    { name: "GPU Rig", cores: 8, memory: 32, gpu: true, score: 150000, type: "SERVER" },
    { name: "Laptop", cores: 4, memory: 8, gpu: false, score: 8000, type: "DESKTOP" },
    { name: "Pixel Mobile", cores: 8, memory: 4, gpu: false, score: 5000, type: "MOBILE" },
  ];
  const guests = [];
  for (const spec of specs) {
    const guest = await Member.join(worker, newId(), code);
    guest.register(spec.name, spec.cores, spec.memory, spec.gpu);
    await guest.log(`Node Registered: ${spec.name}`);
    guests.push(guest);
  }
  const [gpu, laptop, mobile] = guests;
  const everyone = [host, ...guests];
  const joined = await host.snapshot((s) => Object.keys(s.devices).length === 4);
  specs.forEach((spec, i) => assert.equal(joined.devices[guests[i].id].type, spec.type));
  assert.equal(joined.devices[host.id].type, "DESKTOP");

  // Benchmarks.
  const scores = new Map(/** @type {[string, number][]} */ ([[host.id, 20000], ...guests.map((g, i) => [g.id, specs[i].score])]));
  for (const member of everyone) member.emit("benchmark:result", { score: scores.get(member.id) ?? 0 });
  await host.log("Benchmark: 150,000 OPS");
  const benched = await host.snapshot((s) => Object.values(s.devices).every((d) => d.opsScore === scores.get(d.id)));
  assert.equal(benched.stats.globalVelocity, 0);  // not running yet

  // The host starts the run and sets the throttle; everyone hears both.
  host.emit("cmd:set_run_state", "RUNNING");
  host.emit("cmd:set_throttle", 60);
  for (const member of everyone) {
    await member.log("Swarm state changed to RUNNING");
    assert.deepEqual(await member.until((f) => f.event === "swarm:throttle_sync"), { event: "swarm:throttle_sync", data: 60 });
  }
  const running = await host.snapshot((s) => s.stats.globalThrottle === 60);
  assert.equal(running.stats.globalVelocity, Math.round(183000 * 0.6));
  assert.equal(running.stats.activeJobs, 4);

  // Batches by weight: the GPU first (it prefers MAT_MUL), then the others.
  const weights = new Map(/** @type {[string, number][]} */ ([[host.id, weight(8, false, 20000)], ...guests.map((g, i) => [g.id, weight(specs[i].cores, specs[i].gpu, specs[i].score)])]));
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const batches = new Map();
  for (const member of [gpu, host, laptop, mobile]) {
    member.emit("job:request_batch", {});
    const batch = await member.batch();
    assert.equal(batch.length, share(weights.get(member.id), total), member.id);
    batches.set(member.id, batch);
  }
  const firstOther = (batch, preferred) => batch.findIndex((job) => job.type !== preferred);
  const gpuBatch = batches.get(gpu.id);
  assert.equal(gpuBatch[0].type, "MAT_MUL");
  const cut = firstOther(gpuBatch, "MAT_MUL");
  assert.ok(cut === -1 || gpuBatch.slice(cut).every((job) => job.type === "MATH_STRESS"));
  assert.equal(batches.get(laptop.id)[0].type, "MATH_STRESS");
  const handedOut = [...batches.values()].reduce((n, b) => n + b.length, 0);
  const ids = new Set([...batches.values()].flat().map((job) => job.id));
  assert.equal(ids.size, handedOut);  // no job handed out twice

  // Every worker completes its batch, as the client does.
  for (const member of everyone) {
    for (const job of batches.get(member.id)) member.emit("job:complete", { chunkId: job.id, result: 1, workerId: member.id, durationMs: 5 });
  }
  const done = await host.snapshot((s) => s.stats.completedJobs === handedOut);
  assert.equal(done.stats.pendingJobs, 100 - handedOut);
  for (const member of everyone) assert.equal(done.devices[member.id].totalJobsCompleted, batches.get(member.id).length);
  laptop.emit("job:request_batch", {});
  assert.equal((await laptop.batch()).length, share(weights.get(laptop.id), total));

  // Any member may steer: the laptop lowers the throttle.
  laptop.emit("cmd:set_throttle", 30);
  for (const member of everyone) assert.equal((await member.until((f) => f.event === "swarm:throttle_sync")).data, 30);

  // The phone drops: everyone is told, it goes OFFLINE and stops counting.
  await mobile.close();
  for (const member of [host, gpu, laptop]) await member.log(`Node offline: ${mobile.id.slice(0, 8)}`);
  const dropped = await host.snapshot((s) => s.devices[mobile.id].status === "OFFLINE");
  assert.equal(dropped.resources.onlineCount, 3);
  assert.equal(dropped.resources.totalCores, 20);
  assert.equal(dropped.stats.globalVelocity, Math.round((183000 - 5000) * 0.3));
  assert.equal(dropped.devices[mobile.id].totalJobsCompleted, batches.get(mobile.id).length);

  // The ones still here see the very same snapshot after one more change.
  host.emit("cmd:set_throttle", 35);
  const finals = [];
  for (const member of [host, gpu, laptop]) {
    await member.until((f) => f.event === "swarm:throttle_sync" && f.data === 35);
    finals.push(await member.snapshot());
  }
  assert.deepEqual(finals[1], finals[0]);
  assert.deepEqual(finals[2], finals[0]);
  assert.equal(finals[0].stats.totalJobs, finals[0].stats.completedJobs + finals[0].stats.pendingJobs);

  // Every snapshot anyone received, event-driven or from the 2 s (here 250 ms) tick.
  const all = everyone.flatMap((m) => m.snapshots);
  assert.ok(all.length > 20, `${all.length} snapshots`);
  for (const snapshot of all) checkSnapshot(snapshot);
  await Promise.all([host.close(), gpu.close(), laptop.close()]);
});
