// MPC device signaling (docs/mpc.md): `wss://HOST/mpc` or `wss://HOST/mpc/<shard>`.
// serde-style tagged JSON: `type` in snake_case, payload fields beside it.

/** Opaque to the server except the keys below; clients add their own. */
export interface SessionInfo {
  session_id?: string;
  session_code?: string;
  proposer_id?: string;
  total?: number;
  threshold?: number;
  participants?: string[];
  session_type?: string;
  curve_type?: string;
  coordination_type?: string;
  [key: string]: unknown;
}

// Client → server

/** Registers this socket as `device_id`; a re-register replaces the old socket (closed 1000 "replaced"). */
export interface Register {
  type: "register";
  device_id: string;
}

export interface ListDevices {
  type: "list_devices";
}

/** To one connected device; not echoed. `data.type == "SessionUpdate"` with `session_code` + `participants` also updates that stored session. */
export interface RelayRequest<Data = unknown> {
  type: "relay";
  to: string;
  data: Data;
}

/** Stores the session (key `session_id`, else `session_code`) with the sender as creator. Needs a registered sender. */
export interface AnnounceSession {
  type: "announce_session";
  session_info: SessionInfo;
}

export interface RequestActiveSessions {
  type: "request_active_sessions";
}

export interface SessionStatusUpdate {
  type: "session_status_update";
  session_info: SessionInfo & { session_id: string; participant_joined?: string };
}

export interface QueryMyActiveSessions {
  type: "query_my_active_sessions";
}

// Server → client

export interface Devices {
  type: "devices";
  devices: string[];
}

/** What the server sends when a session's participants change (`from: "server"`). */
export interface ParticipantUpdate {
  type: "participant_update";
  session_id: string;
  session_info: SessionInfo;
}

/** A relay as delivered: `from` is the sender's registered id ("" if unregistered), or "server". */
export interface Relayed<Data = unknown> {
  type: "relay";
  from: string;
  data: Data;
}

/** The server's own relay: a session's participants changed (the TUI's "everyone has joined" trigger). */
export interface ParticipantUpdateRelay extends Relayed<ParticipantUpdate> {
  from: "server";
}

/** e.g. "invalid message", "unknown device: <id>", "unknown session: <id>", "message too large". */
export interface ErrorMessage {
  type: "error";
  error: string;
}

export interface SessionAvailable {
  type: "session_available";
  session_info: SessionInfo;
}

export interface SessionListRequest {
  type: "session_list_request";
  from: string;
}

export interface SessionsForDevice {
  type: "sessions_for_device";
  sessions: SessionInfo[];
}

/** reason: "Session creator disconnected" (default) or "All participants disconnected". */
export interface SessionRemoved {
  type: "session_removed";
  session_id: string;
  reason: string;
}

export type ClientMessage =
  | Register
  | ListDevices
  | RelayRequest
  | AnnounceSession
  | RequestActiveSessions
  | SessionStatusUpdate
  | QueryMyActiveSessions;

export type ServerMessage =
  | Devices
  | ParticipantUpdateRelay
  | Relayed
  | ErrorMessage
  | SessionAvailable
  | SessionListRequest
  | SessionsForDevice
  | SessionRemoved;
