// SFU rooms (docs/rooms.md): HTTP API under `HOST/api/rooms`,
// the room socket at `wss://HOST/ws?token=<jwt from join>`, Calls proxy under `HOST/cloudflare/…`.

// ---- HTTP API bodies

/** POST /api/rooms (both spellings accepted; every field optional). */
export interface CreateRoomRequest {
  name?: string;
  created_by?: string;
  createdBy?: string;
  max_participants?: number;
  maxParticipants?: number;
}

/** 200 answer to POST /api/rooms. */
export interface CreateRoomResponse {
  room_id: string;
  created_at: string;
}

/** 200 answer to GET /api/rooms/:id: the stored metadata. */
export interface RoomMetadata {
  id: string;
  name?: string;
  createdBy: string;
  createdAt: string;
  maxParticipants: number;
}

/** POST /api/rooms/:id/join (default name "Guest"). */
export interface JoinRoomRequest {
  participant_name?: string;
  participantName?: string;
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** 200 answer to POST /api/rooms/:id/join. STUN first, then Cloudflare TURN when configured. */
export interface JoinRoomResponse {
  token: string;
  participant_id: string;
  ice_servers: IceServer[];
}

/** 200 answer to POST /api/rooms/:id/ice-servers (Bearer or ?token= room token). */
export interface IceServersResponse {
  ice_servers: IceServer[];
}

/** Every refusal: 400, 401 "Missing token"/"Invalid token", 404 "Room not found", 409 "Room is full", 413, 429, 502, 503. */
export interface ErrorResponse {
  error: string;
}

// ---- Room socket frames

export interface Track {
  trackName: string;
  kind?: string;
  [key: string]: unknown;
}

/** The sender's Calls session: stored, then forwarded exactly as sent; also sent to a newcomer for each participant already streaming. */
export interface CloudflareSession {
  type: "cloudflare-session";
  roomId?: string;
  participantId?: string;
  participantName?: string;
  sessionId: string;
  tracks: Track[];
}

/** A mute or camera toggle; forwarded to everyone else. */
export interface TrackState {
  type: "track-state";
  kind: "audio" | "video";
  enabled: boolean;
  [key: string]: unknown;
}

/** The legacy peer-to-peer path: `to` is a participant id or "all". Any `type` travels this way. */
export interface PeerMessage {
  type: string;
  to: string;
  from?: string;
  data?: unknown;
  [key: string]: unknown;
}

/** A participant joined (to everyone already there). */
export interface Join {
  type: "join";
  from: string;
  to: "all";
  data: { participant_id: string; participant_name: string };
}

/** A participant left. */
export interface Leave {
  type: "leave";
  from: string;
  to: "all";
  data: { participant_id: string };
}

/** A track-state as others get it: the server stamps the sender on (`from`, `participantId`). */
export interface StampedTrackState extends TrackState {
  from: string;
  participantId: string;
}

/** The peer-to-peer frames of the original clients as delivered, `from` stamped by the server.
 * Other types arrive the same way: widen with `ServerMessage<"offer" | "answer" | "ice" | "mine">`. */
export interface PeerFrame<Type extends string = "offer" | "answer" | "ice"> {
  type: Type;
  from: string;
  to: string;
  data?: unknown;
  [key: string]: unknown;
}

/** The sender's own frame was refused: rate limit, invalid message, unknown participant. */
export interface ErrorMessage {
  type: "error";
  error: string;
}

export type ClientMessage = CloudflareSession | TrackState | PeerMessage;
export type ServerMessage<PeerType extends string = "offer" | "answer" | "ice"> =
  | CloudflareSession
  | Join
  | Leave
  | ErrorMessage
  | StampedTrackState
  | PeerFrame<PeerType>;
