import type { ConnectionEvents, ConnectionOptions, Connection } from "./connection.js";
import type { Pong, Published } from "./messages/signal.js";

export interface SignalingOptions extends ConnectionOptions {
  /** The Worker's origin, `wss://HOST` (http(s) and ws(s) both accepted). */
  url: string;
  /** A separate topic space, `/signal/<shard>`; the `global` one when absent. */
  shard?: string;
}

export interface SignalingEvents<Data = unknown> extends ConnectionEvents {
  /** A publish on a subscribed topic (own publishes included), with the subscriber count. */
  message: Published<Data>;
  pong: Pong;
}

/** y-webrtc signaling: topics kept across reconnects, a ping every 20 s. The server answers bad frames with nothing (docs/signal.md), so there is no error event; policy closes (1008, 1009) stop the client. */
export declare class SignalingClient<Data = unknown> extends Connection<SignalingEvents<Data>> {
  constructor(options: SignalingOptions);
  readonly topics: string[];
  subscribe(...topics: (string | string[])[]): void;
  unsubscribe(...topics: (string | string[])[]): void;
  publish(topic: string, data: Data): void;
}
