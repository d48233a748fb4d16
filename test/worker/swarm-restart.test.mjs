// @ts-check
// A restart of the local server with the same persisted state (wrangler dev
// --persist-to): the swarm keeps its devices, run state, counters and queue,
// and its invite codes still admit joiners.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startWorker } from "./server.mjs";
import { Member, checkSnapshot, newId } from "./swarm-helpers.mjs";

const persistTo = mkdtempSync(join(tmpdir(), "switchboard-swarm-"));
const vars = { SWARM_TICK_MS: "250" };
let worker;
after(() => worker?.stop());

test("devices, run state and counters survive a restart; the invite still works", async () => {
  worker = await startWorker({ vars, persistTo });
  const hostId = newId();
  const guestId = newId();
  let host = await Member.join(worker, hostId);
  host.register("Host Desktop", 8, 16, false);
  await host.log("Node Registered: Host Desktop");
  const code = await host.invite();
  let guest = await Member.join(worker, guestId, code);
  guest.register("Guest Laptop", 4, 8, false);
  await guest.log("Node Registered: Guest Laptop");
  host.emit("cmd:set_run_state", "RUNNING");
  host.emit("cmd:set_throttle", 70);
  // The guest's socket is another connection: its request may overtake the host's RUNNING.
  await host.log("Swarm state changed to RUNNING");
  await host.settle();
  guest.emit("benchmark:result", { score: 5000 });
  guest.emit("job:request_batch", {});
  const batch = await guest.batch();
  for (const job of batch.slice(0, 2)) guest.emit("job:complete", { chunkId: job.id, workerId: guestId, durationMs: 4 });
  const before = await host.snapshot((s) => s.stats.completedJobs === 2);

  // The server goes away with both sockets still open.
  await worker.stop();
  await Promise.all([host.client.closed, guest.client.closed]);
  worker = await startWorker({ vars, persistTo });

  host = await Member.join(worker, hostId);
  host.register("Host Desktop", 8, 16, false);
  const after = await host.snapshot((s) => s.devices[hostId].status === "ONLINE");
  checkSnapshot(after);
  assert.equal(after.runState, "RUNNING");
  assert.equal(after.stats.globalThrottle, 70);
  assert.equal(after.stats.completedJobs, 2);
  assert.equal(after.stats.pendingJobs, before.stats.pendingJobs);
  assert.equal(after.devices[guestId].status, "OFFLINE");  // not connected since the restart
  assert.equal(after.devices[guestId].totalJobsCompleted, 2);
  assert.equal(after.devices[guestId].opsScore, 5000);
  assert.equal(after.devices[guestId].name, "Guest Laptop");

  // The code made before the restart still brings the guest into this swarm.
  guest = await Member.join(worker, guestId, code);
  guest.register("Guest Laptop", 4, 8, false);
  const rejoined = await host.snapshot((s) => s.devices[guestId].status === "ONLINE");
  assert.equal(rejoined.devices[guestId].totalJobsCompleted, 2);
  assert.equal(rejoined.stats.activeJobs, 2);
  await Promise.all([host.close(), guest.close()]);
});
