import type { ConnectionEvents, ConnectionOptions, Connection } from "./connection.js";
import type { AppMessage, Connected, ErrorMessage, Pong, Side } from "./messages/relay.js";

export interface PairingSideOptions extends ConnectionOptions {
  /** The Worker's origin, `wss://HOST`. */
  url: string;
  side: Side;
  /** The pairing id (letters and digits), e.g. from the QR code. */
  sessionId: string;
  /** What send() does while the other side is away: keep the message for later (default) or refuse it. */
  whilePeerAway?: "queue" | "refuse";
  /** At most this many wait (default 100); past it send() refuses. */
  maxQueued?: number;
}

export interface PairingSideEvents<Message extends AppMessage = AppMessage> extends ConnectionEvents {
  /** The welcome, on every connect. */
  connected: Connected;
  /** The other side came or went. */
  peer: { side: Side; connected: boolean };
  /** What the other side sent. */
  message: Message;
  pong: Pong;
  /** "Invalid JSON", "Mobile device not connected", "Rate limit exceeded …", "Message too large …". */
  error: ErrorMessage;
}

/** One side of a pairing: a ping every 10 s (reconnects without an answer in 5 s); 1000 "New desktop connection" or "Session timeout" stop it. */
export declare class PairingSide<Message extends AppMessage = AppMessage> extends Connection<PairingSideEvents<Message>> {
  constructor(options: PairingSideOptions);
  readonly side: Side;
  readonly sessionId: string;
  readonly peerPresent: boolean;
  whilePeerAway: "queue" | "refuse";
  maxQueued: number;
  send(message: Message): "sent" | "queued" | "refused";
  ping(): void;
}
