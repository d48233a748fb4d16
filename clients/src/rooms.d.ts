import type { ConnectionEvents, ConnectionOptions, Connection, TokenSource, WebSocketConstructor } from "./connection.js";
import type { CloudflareSession, CreateRoomRequest, CreateRoomResponse, ErrorMessage, IceServer, Join, JoinRoomResponse, Leave, PeerFrame, RoomMetadata, StampedTrackState, Track } from "./messages/rooms.js";

/** A refusal of the rooms API or the Calls proxy: 400, 401, 404, 409, 413, 429, 502, 503 (docs/rooms.md). */
export declare class RoomsError extends Error {
  readonly status: number;
  /** The answer's body: `{ error }` from switchboard, or the Calls API's own. */
  readonly body: unknown;
}

export interface RoomsClientOptions {
  /** The Worker's origin, `https://HOST`. */
  url: string;
  fetch?: typeof fetch;
  WebSocket?: WebSocketConstructor;
}

export declare class RoomsClient {
  constructor(options: RoomsClientOptions);
  createRoom(request?: CreateRoomRequest): Promise<CreateRoomResponse>;
  getRoom(roomId: string): Promise<RoomMetadata>;
  join(roomId: string, participantName?: string): Promise<JoinRoomResponse>;
  iceServers(roomId: string, token: string): Promise<IceServer[]>;
  /** The Calls API through `/cloudflare/…`: the Calls answers as they are. */
  newCallsSession(): Promise<any>;
  newCallsTracks(sessionId: string, body: object): Promise<any>;
  renegotiateCalls(sessionId: string, body: object): Promise<any>;
  /** The room socket for a room token from join(), or a function returning one on every connect. */
  connect(token: TokenSource, options?: Omit<RoomSocketOptions, "url" | "token">): RoomSocket;
}

export interface RoomSocketOptions extends Omit<ConnectionOptions, "accessToken"> {
  url: string;
  token: TokenSource;
}

export interface RoomSocketEvents<PeerType extends string = "offer" | "answer" | "ice"> extends ConnectionEvents {
  /** Another participant's Calls session (on connect, one per participant already streaming). */
  session: CloudflareSession;
  join: Join;
  leave: Leave;
  "track-state": StampedTrackState;
  peer: PeerFrame<PeerType>;
  /** "invalid message: …", "unknown participant: <id>", "rate limit exceeded", … */
  error: ErrorMessage;
}

/** The room socket: rejoins after a reconnect and publishes its Calls session and track states again. */
export declare class RoomSocket<PeerType extends string = "offer" | "answer" | "ice"> extends Connection<RoomSocketEvents<PeerType>> {
  constructor(options: RoomSocketOptions);
  publishSession(session: { sessionId: string; tracks: Track[]; [key: string]: unknown }): void;
  setTrackState(kind: "audio" | "video", enabled: boolean): void;
  sendTo(to: string, type: PeerType, data?: unknown): void;
}
