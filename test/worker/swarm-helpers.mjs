// @ts-check
// What the Ostrich-Legs browser client does on the wire (client/src/core/
// WebSocketManager.ts, hooks/useSocket.ts), and the snapshot rules of
// docs/swarm.md as a client can check them. Frames sent and expected here are
// type-checked against clients/src/messages/swarm.d.ts (tsc -p types).
import assert from "node:assert/strict";
import { Client } from "./server.mjs";

/** @typedef {import("../../clients/src/messages/swarm.js").ClientMessage} Out */
/** @typedef {import("../../clients/src/messages/swarm.js").ServerMessage} In */
/** @typedef {import("../../clients/src/messages/swarm.js").Snapshot} Snapshot */
/** @typedef {import("../../clients/src/messages/swarm.js").LogEntry} LogEntry */
const openClient = /** @type {typeof Client.open<Out, In>} */ (Client.open);

export const newId = () => `node-${Math.random().toString(36).slice(2, 11).padEnd(9, "0")}`;

// A member of a swarm: a socket plus the frames it has seen, by kind.
export class Member {
  // The client's own URL: /ws?persistentId=<id>&token=<code or "">; `options` go to `ws`.
  /**
   * @param {{ ws: string }} worker
   * @param {string} id
   * @param {any} [options]
   */
  static async join(worker, id, token = "", path = "/ws", options = undefined) {
    const member = new Member(await openClient(`${worker.ws}${path}?persistentId=${id}&token=${token}`, options), id);
    member.client.send({ event: "connect", data: {} });  // the client's onopen emit
    assert.deepEqual(await member.client.next(), { event: "connect", data: { status: "connected" } });
    return member;
  }

  /**
   * @param {Client<Out, In>} client
   * @param {string} id
   */
  constructor(client, id) {
    this.client = client;
    this.id = id;
    /** @type {Snapshot[]} */
    this.snapshots = [];
    this.markers = 0;
  }

  /**
   * @template {Out["event"]} E
   * @param {E} event
   * @param {Extract<Out, { event: E }>["data"]} [data]
   */
  emit(event, data) {
    this.client.send(/** @type {Out} */ ({ event, data }));
  }

  /**
   * @param {string} name
   * @param {number} cpuCores
   * @param {number} memoryGB
   * @param {boolean} gpuAvailable
   */
  register(name, cpuCores, memoryGB, gpuAvailable) {
    this.emit("device:register", { name, capabilities: { cpuCores, memoryGB, gpuAvailable } });
  }

  // Frames until one matches `match`; snapshots on the way are kept.
  /**
   * @param {(frame: In) => boolean} match
   * @returns {Promise<In>}
   */
  async until(match, ms = 5000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const frame = await this.client.next(Math.max(1, deadline - Date.now()));
      if (frame.event === "swarm:snapshot") this.snapshots.push(frame.data);
      if (match(frame)) return frame;
    }
  }

  // A swarm's host and a guest it invited, both registered.
  /** @returns {Promise<[Member, Member]>} */
  static async hostAndGuest(worker) {
    const host = await Member.join(worker, newId());
    host.register("Host", 4, 8, false);
    await host.log("Node Registered: Host");
    const guest = await Member.join(worker, newId(), await host.invite());
    guest.register("Guest", 2, 4, false);
    await host.log("Node Registered: Guest");
    return [host, guest];
  }

  // Every frame up to the answer to a no-op marker (an unknown event, refused
  // to this socket only): everything sent before it has been handled.
  async settle() {
    const marker = `marker:${++this.markers}`;
    this.client.send(JSON.stringify({ event: marker, data: {} }));
    /** @type {In[]} */
    const seen = [];
    await this.until((frame) => {
      if (frame.event === "sys:log" && frame.data.message === `Rejected ${marker}: unknown event`) return true;
      seen.push(frame);
      return false;
    });
    return seen;
  }

  /**
   * @param {(snapshot: Snapshot) => boolean} [match]
   * @param {number} [ms]
   * @returns {Promise<Snapshot>}
   */
  async snapshot(match = () => true, ms) {
    const frame = await this.until((frame) => frame.event === "swarm:snapshot" && match(frame.data), ms);
    return /** @type {import("../../clients/src/messages/swarm.js").SwarmSnapshot} */ (frame).data;
  }

  /**
   * @param {string | RegExp} message
   * @param {number} [ms]
   * @returns {Promise<LogEntry>}
   */
  async log(message, ms) {
    const frame = await this.until((frame) => frame.event === "sys:log" && (typeof message === "string" ? frame.data.message === message : message.test(frame.data.message)), ms);
    return /** @type {import("../../clients/src/messages/swarm.js").SysLog} */ (frame).data;
  }

  /** @returns {Promise<import("../../clients/src/messages/swarm.js").Job[]>} */
  async batch() {
    const frame = await this.until((frame) => frame.event === "job:batch");
    return /** @type {import("../../clients/src/messages/swarm.js").JobBatch} */ (frame).data;
  }

  /** @returns {Promise<string>} */
  async invite() {
    this.emit("auth:generate_token", {});
    const frame = await this.until((frame) => frame.event === "auth:token");
    return /** @type {import("../../clients/src/messages/swarm.js").AuthToken} */ (frame).data;
  }

  close() {
    return this.client.close();
  }
}

const DEVICE_KEYS = ["id", "name", "type", "status", "capabilities", "opsScore", "totalJobsCompleted", "lastHeartbeat", "lastUserInteraction", "swarmId"];

// The rules every snapshot obeys.
/** @param {Snapshot} snapshot */
export function checkSnapshot(snapshot) {
  assert.deepEqual(Object.keys(snapshot), ["runState", "devices", "stats", "resources"]);
  assert.ok(["IDLE", "RUNNING", "PAUSED", "STOPPED"].includes(snapshot.runState));
  const counted = Object.values(snapshot.devices).filter((d) => d.status !== "OFFLINE" && d.status !== "DISABLED");
  for (const [id, device] of Object.entries(snapshot.devices)) {
    assert.deepEqual(Object.keys(device), DEVICE_KEYS);
    assert.equal(device.id, id);
    assert.ok(["DESKTOP", "MOBILE", "COLAB", "SERVER"].includes(device.type));
  }
  const running = snapshot.runState === "RUNNING";
  const { stats, resources } = snapshot;
  assert.deepEqual(Object.keys(stats), ["totalJobs", "activeJobs", "pendingJobs", "completedJobs", "globalVelocity", "globalThrottle"]);
  assert.equal(stats.totalJobs, stats.completedJobs + stats.pendingJobs);
  assert.equal(stats.activeJobs, running ? counted.length : 0);
  const ops = counted.reduce((sum, d) => sum + d.opsScore, 0);
  assert.equal(stats.globalVelocity, running ? Math.round(ops * (stats.globalThrottle / 100)) : 0);
  assert.deepEqual(resources, {
    totalCores: counted.reduce((sum, d) => sum + d.capabilities.cpuCores, 0),
    totalMemory: counted.reduce((sum, d) => sum + d.capabilities.memoryGB, 0),
    totalGPUs: counted.filter((d) => d.capabilities.gpuAvailable).length,
    onlineCount: counted.length,
  });
}

// Scheduling (docs/swarm.md): a device's share weight and batch size.
export const weight = (cores, gpu, score) => Math.max(1, cores * 10 + (gpu ? 50 : 0) + Math.min(score / 1000, 100));
export const share = (w, total) => Math.max(1, Math.floor((w / Math.max(1, total)) * 30));
