// The compute-swarm coordinator (docs/swarm.md): a node that registers with
// its capabilities after the server's `connect` (again after every
// reconnect), heartbeats in step with the server's snapshots, takes jobs and
// returns results, and makes invite codes.
import { Connection, socketOrigin } from "./connection.js";

export class SwarmNode extends Connection {
  #lastSent = 0;
  #invites = [];

  constructor({ url, persistentId, inviteCode = "", name, capabilities, path = "/ws", heartbeatInterval = 20_000, ...options }) {
    const origin = socketOrigin(url);
    super(() => `${origin}${path}?persistentId=${encodeURIComponent(persistentId)}&token=${encodeURIComponent(this.inviteCode)}`, options);
    this.persistentId = persistentId;
    this.inviteCode = inviteCode;
    this.name = name;
    this.capabilities = capabilities;
    this.heartbeatInterval = heartbeatInterval;
  }

  transmit(frame) {
    this.#lastSent = Date.now();
    super.transmit(frame);
  }

  requestJobs() {
    this.transmit({ event: "job:request_batch", data: {} });
  }

  /** Reports a job done (`result`) or failed (`error`). */
  completeJob(job, { result, error, durationMs } = {}) {
    this.transmit({ event: "job:complete", data: { chunkId: job.id, workerId: this.persistentId, result, error, durationMs } });
  }

  setRunState(state) {
    this.transmit({ event: "cmd:set_run_state", data: state });
  }

  setThrottle(percent) {
    this.transmit({ event: "cmd:set_throttle", data: percent });
  }

  reportBenchmark(score) {
    this.transmit({ event: "benchmark:result", data: { score } });
  }

  toggleDevice(id, enabled) {
    this.transmit({ event: "cmd:toggle_device", data: { id, enabled } });
  }

  heartbeat(lastInteraction) {
    this.transmit({ event: "heartbeat", data: lastInteraction === undefined ? {} : { lastInteraction } });
  }

  /** A new invite code for this swarm; rejects when the server rate limits (it answers ""). */
  generateInvite() {
    return new Promise((resolve, reject) => {
      this.#invites.push({ resolve, reject });
      this.transmit({ event: "auth:generate_token", data: {} });
    });
  }

  onOpen() {}  // the handshake starts with the server's `connect`

  onLost() {
    // An invite asked for on the lost socket gets no answer.
    for (const { reject } of this.#invites.splice(0)) reject(new Error("connection lost before the invite code arrived"));
  }

  onFrame({ event, data }) {
    switch (event) {
      case "connect":
        this.#lastSent = Date.now();
        this.sendNow({ event: "device:register", data: { name: this.name, capabilities: this.capabilities } });
        this.ready();
        this.emit("registered", undefined);
        return;
      case "swarm:snapshot":
        // The server's tick paces the heartbeat: no timer of the client's own.
        if (Date.now() - this.#lastSent >= this.heartbeatInterval) this.heartbeat();
        this.emit("snapshot", data);
        return;
      case "job:batch":
        this.emit("jobs", data);
        return;
      case "swarm:throttle_sync":
        this.emit("throttle", data);
        return;
      case "sys:log":
        this.emit("log", data);
        if (data?.level === "WARN" && data?.source === "GATEWAY") this.emit("error", { error: data.message });
        return;
      case "auth:token": {
        const waiting = this.#invites.shift();
        if (data) this.emit("invite", data);
        if (data) waiting?.resolve(data);
        else waiting?.reject(new Error("invite code generation rate limited"));
      }
    }
  }
}
