// y-webrtc signaling (docs/signal.md): topics, publish to every subscriber.
import { Connection, socketOrigin } from "./connection.js";

export class SignalingClient extends Connection {
  #topics = new Set();

  constructor({ url, shard, ...options }) {
    const origin = socketOrigin(url);
    super(() => (shard ? `${origin}/signal/${encodeURIComponent(shard)}` : `${origin}/`), options, { frame: { type: "ping" } });
  }

  /** The topics this client is in (kept across reconnects). */
  get topics() {
    return [...this.#topics];
  }

  subscribe(...topics) {
    const fresh = topics.flat().filter((topic) => !this.#topics.has(topic));
    for (const topic of fresh) this.#topics.add(topic);
    // Not open: the whole set goes out on the next open.
    if (fresh.length) this.sendNow({ type: "subscribe", topics: fresh });
  }

  unsubscribe(...topics) {
    const known = topics.flat().filter((topic) => this.#topics.delete(topic));
    if (known.length) this.sendNow({ type: "unsubscribe", topics: known });
  }

  /** To every subscriber of `topic`, this client included when subscribed. */
  publish(topic, data) {
    this.transmit({ type: "publish", topic, data });
  }

  onOpen() {
    // The server keeps no topics for a socket that went away: subscribe again.
    if (this.#topics.size) this.sendNow({ type: "subscribe", topics: [...this.#topics] });
    this.ready();
  }

  onFrame(frame) {
    if (frame.type === "publish") this.emit("message", frame);
    else if (frame.type === "pong") this.emit("pong", frame);
  }
}
