// MPC wallet device signaling (docs/mpc.md): a registered device, relays and
// sessions, registered again and rejoined after every reconnect.
import { Connection, socketOrigin } from "./connection.js";

const kEvents = {
  devices: (frame) => ["devices", frame.devices],
  session_available: (frame) => ["session-available", frame.session_info],
  session_list_request: (frame) => ["session-list-request", { from: frame.from }],
  sessions_for_device: (frame) => ["sessions", frame.sessions],
  session_removed: (frame) => ["session-removed", { session_id: frame.session_id, reason: frame.reason }],
  error: (frame) => ["error", { error: frame.error }],
};

export class MpcDevice extends Connection {
  #registering = false;

  constructor({ url, shard, deviceId, ...options }) {
    const origin = socketOrigin(url);
    super(() => (shard ? `${origin}/mpc/${encodeURIComponent(shard)}` : `${origin}/mpc`), options);
    this.deviceId = deviceId;
  }

  relay(to, data) {
    this.transmit({ type: "relay", to, data });
  }

  listDevices() {
    this.transmit({ type: "list_devices" });
  }

  /** Stores the session with this device as its creator; the others get `session-available`. */
  announceSession(sessionInfo) {
    this.transmit({ type: "announce_session", session_info: sessionInfo });
  }

  /** Joins an announced session: every registered participant gets `participants`. */
  joinSession(sessionId) {
    this.transmit({ type: "session_status_update", session_info: { session_id: sessionId, participant_joined: this.deviceId } });
  }

  requestActiveSessions() {
    this.transmit({ type: "request_active_sessions" });
  }

  /** The sessions that list this device (answered with `sessions`); it becomes active in them again. */
  queryMySessions() {
    this.transmit({ type: "query_my_active_sessions" });
  }

  onOpen() {
    // A new socket is a stranger to the server: register, then rejoin the
    // sessions that list this device (the server forgets active participants
    // with their sockets; the sessions themselves are stored).
    this.#registering = true;
    this.sendNow({ type: "register", device_id: this.deviceId });
    this.sendNow({ type: "query_my_active_sessions" });
    this.ready();
  }

  onFrame(frame) {
    if (frame.type === "relay") {
      if (frame.from === "server" && frame.data?.type === "participant_update") this.emit("participants", frame.data);
      else this.emit("relay", { from: frame.from, data: frame.data });
      return;
    }
    const event = kEvents[frame.type]?.(frame);
    if (!event) return;
    if (frame.type === "devices" && this.#registering) {
      this.#registering = false;
      this.emit("registered", { devices: frame.devices });
    }
    this.emit(...event);
  }
}
