// Pairing relay (docs/relay.md): `wss://HOST/desktop/<id>` and `wss://HOST/mobile/<id>`.
// Any JSON text frame is forwarded to the other side (re-serialised; any JSON value,
// though the clients only send objects with a `type`, as typed here); the server adds
// its own system messages. `ping` is answered, not forwarded.

export type Side = "desktop" | "mobile";

/** Anything the peers agree on; the relay only reads `type` for `ping`. */
export interface AppMessage {
  type: string;
  [field: string]: unknown;
}

// The application messages of the original clients (forwarded as is).

export interface BundleUpdate {
  type: "bundle_update";
  payload: { code: string; sourceMap?: string | null };
  timestamp?: number;
}

export interface BundleAck {
  type: "bundle_ack";
  success?: boolean;
  error?: string;
  timestamp?: number;
}

export interface ConsoleLog {
  type: "console_log";
  level?: "log" | "warn" | "error";
  args?: unknown[];
  timestamp?: number;
}

export interface Ping {
  type: "ping";
  timestamp?: number;
}

// Server → client system messages.

/** The welcome frame, last of the frames a newcomer gets. `sessionId` is the id from the path. */
export interface Connected {
  type: "connected";
  clientType: Side;
  sessionId: string;
  timestamp: number;
}

export interface PeerConnected {
  type: "desktop_connected" | "mobile_connected";
  timestamp: number;
}

export interface PeerDisconnected {
  type: "desktop_disconnected" | "mobile_disconnected";
  timestamp: number;
}

export interface Pong {
  type: "pong";
  timestamp: number;
}

/** "Invalid JSON", "Mobile device not connected", "Desktop not connected", "Message too large …", "Rate limit exceeded …". */
export interface ErrorMessage {
  type: "error";
  error: string;
  timestamp: number;
}

export type SystemMessage = Connected | PeerConnected | PeerDisconnected | Pong | ErrorMessage;

export type ClientMessage = Ping | BundleUpdate | BundleAck | ConsoleLog | AppMessage;
/** What the other side sent, or a system message. */
export type ServerMessage = SystemMessage | BundleUpdate | BundleAck | ConsoleLog | AppMessage;
