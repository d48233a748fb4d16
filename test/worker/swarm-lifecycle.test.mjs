// @ts-check
// The swarm's timers through the real Worker, shortened with [vars]: the tick
// (2 s), silence → OFFLINE (60 s), gone → removed (300 s), the invite window
// (60 s) and the invite TTL (24 h).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { refusedUpgrade, startWorker } from "./server.mjs";
import { Member, checkSnapshot, newId } from "./swarm-helpers.mjs";

const TICK = 250;
const OFFLINE_AFTER = 1200;
const REMOVE_AFTER = 2500;
let worker;
before(async () => {
  worker = await startWorker({
    vars: {
      SWARM_TICK_MS: String(TICK),
      SWARM_OFFLINE_AFTER_MS: String(OFFLINE_AFTER),
      SWARM_REMOVE_AFTER_MS: String(REMOVE_AFTER),
      SWARM_INVITE_WINDOW_MS: "1000",
      SWARM_INVITE_TTL_MS: "1500",
    },
  });
});
after(() => worker.stop());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Keeps a member alive the way any client frame does.
function keepAlive(member) {
  const timer = setInterval(() => member.emit("heartbeat", {}), 300);
  return () => clearInterval(timer);
}

test("a snapshot every tick; after everyone left, the next socket gets ticks again (the stop itself: doctest)", async () => {
  const id = newId();
  const first = await Member.join(worker, id);
  const started = Date.now();
  await first.snapshot();
  await first.snapshot();
  await first.snapshot();
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 2 * TICK - 50 && elapsed < 6 * TICK, `${elapsed} ms for three ticks`);
  await first.close();
  await sleep(3 * TICK);
  // Nobody sends anything: the tick's snapshot still comes, so the alarm is running again.
  const again = await Member.join(worker, id);
  const snapshot = await again.snapshot(() => true, 4 * TICK);
  checkSnapshot(snapshot);
  await again.close();
});

test("silence → OFFLINE, any frame → ONLINE at once; a gone device is removed", async () => {
  const host = await Member.join(worker, newId());
  host.register("Host", 4, 8, false);
  const stop = keepAlive(host);
  const guest = await Member.join(worker, newId(), await host.invite());
  guest.register("Quiet", 2, 4, false);
  await host.log("Node Registered: Quiet");

  // The guest says nothing more (as the current client when idle).
  const silent = Date.now();
  const offline = await host.snapshot((s) => s.devices[guest.id].status === "OFFLINE", 4000);
  assert.ok(Date.now() - silent >= OFFLINE_AFTER - 100, "not before the offline limit");
  assert.equal(offline.devices[host.id].status, "ONLINE");
  assert.equal(offline.resources.onlineCount, 1);
  checkSnapshot(offline);
  // A connected device is only OFFLINE, never removed.
  await sleep(REMOVE_AFTER - OFFLINE_AFTER + 2 * TICK);
  assert.ok((await host.snapshot()).devices[guest.id]);

  // Its next frame, whatever it is, brings it back, and everyone sees it at once.
  guest.emit("job:request_batch", {});
  const back = await host.snapshot((s) => s.devices[guest.id].status === "ONLINE", 2 * TICK);
  assert.equal(back.resources.onlineCount, 2);

  // Gone: OFFLINE at once, removed once silent past the limit.
  await guest.close();
  await host.log(`Node offline: ${guest.id.slice(0, 8)}`);
  const gone = Date.now();
  const removed = await host.snapshot((s) => !s.devices[guest.id], REMOVE_AFTER + 2000);
  assert.ok(Date.now() - gone >= REMOVE_AFTER - 200, "not before the remove limit");
  checkSnapshot(removed);
  stop();
  await host.close();
});

test("invite codes expire (TTL) and the rate window rolls", async () => {
  const host = await Member.join(worker, newId());
  const stop = keepAlive(host);
  const codes = [];
  for (let i = 0; i < 5; i++) codes.push(await host.invite());
  assert.equal(await host.invite(), "");
  await sleep(1050);
  assert.match(await host.invite(), /^[0-9A-Z]{6}$/);
  await sleep(1600 - 1050);
  const refused = await refusedUpgrade(`${worker.ws}/ws?persistentId=${newId()}&token=${codes[0]}`);
  assert.deepEqual([refused.status, refused.body], [403, { error: "invalid invite code" }]);
  stop();
  await host.close();
});
