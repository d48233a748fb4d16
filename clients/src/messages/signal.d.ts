// y-webrtc signaling (docs/signal.md): `wss://HOST` or `wss://HOST/signal/<shard>`.
// Every frame is JSON text. Invalid frames get no answer (y-webrtc clients cannot parse one).

/** Join topics (a y-webrtc room name each). No reply. */
export interface Subscribe {
  type: "subscribe";
  topics: string[];
}

/** Leave topics. No reply. */
export interface Unsubscribe {
  type: "unsubscribe";
  topics: string[];
}

/** Sent to every subscriber of `topic`, the sender included. `data` is opaque: an object, or a base64 string for password rooms. */
export interface Publish<Data = unknown> {
  type: "publish";
  topic: string;
  data: Data;
}

export interface Ping {
  type: "ping";
}

/** A publish as delivered: the whole incoming object, with `clients` = subscribers of the topic at that moment. */
export interface Published<Data = unknown> extends Publish<Data> {
  clients: number;
}

export interface Pong {
  type: "pong";
}

export type ClientMessage = Subscribe | Unsubscribe | Publish | Ping;
export type ServerMessage = Published | Pong;
