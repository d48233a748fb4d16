// The desktop↔mobile pairing relay (docs/relay.md): one side of a session,
// the peer's presence, a ping, and the app's messages sent, queued or refused
// while the peer is away.
import { Connection, socketOrigin } from "./connection.js";

const kOther = { desktop: "mobile", mobile: "desktop" };

export class PairingSide extends Connection {
  #peerPresent = false;
  #queue = [];

  constructor({ url, side, sessionId, whilePeerAway = "queue", maxQueued = 100, ...options }) {
    if (!(side in kOther)) throw new TypeError(`side must be "desktop" or "mobile", not ${side}`);
    if (!/^[A-Za-z0-9]+$/.test(sessionId ?? "")) throw new TypeError("sessionId must be letters and digits");
    const origin = socketOrigin(url);
    super(() => `${origin}/${side}/${sessionId}`, options, { frame: () => ({ type: "ping", timestamp: Date.now() }), interval: 10_000, timeout: 5000 });
    this.side = side;
    this.sessionId = sessionId;
    this.whilePeerAway = whilePeerAway;
    this.maxQueued = maxQueued;
  }

  /** Whether the other side is connected (as the server last said). */
  get peerPresent() {
    return this.#peerPresent;
  }

  /**
   * To the other side. "sent"; "queued" (sent when the peer is back, while
   * `whilePeerAway` is "queue" and fewer than `maxQueued` wait); else "refused".
   */
  send(message) {
    if (this.#peerPresent && this.state === "open") {
      this.transmit(message);
      return "sent";
    }
    if (this.whilePeerAway === "queue" && this.#queue.length < this.maxQueued && this.state !== "closed") {
      this.#queue.push(message);
      return "queued";
    }
    return "refused";
  }

  ping() {
    this.sendNow({ type: "ping", timestamp: Date.now() });
  }

  onLost() {
    this.#setPeer(false);
  }

  onFrame(frame) {
    const peer = kOther[this.side];
    switch (frame.type) {
      case "connected":
        this.emit("connected", frame);
        return;
      case `${peer}_connected`:
        this.#setPeer(true);
        for (const message of this.#queue.splice(0)) this.transmit(message);
        return;
      case `${peer}_disconnected`:
        this.#setPeer(false);
        return;
      case "pong":
        this.emit("pong", frame);
        return;
      case "error":
        this.emit("error", frame);
        return;
      default:
        this.emit("message", frame);
    }
  }

  #setPeer(present) {
    if (this.#peerPresent === present) return;
    this.#peerPresent = present;
    this.emit("peer", { side: kOther[this.side], connected: present });
  }
}
