import type { ConnectionEvents, ConnectionOptions, Connection } from "./connection.js";
import type { ParticipantUpdate, SessionInfo } from "./messages/mpc.js";

export interface MpcDeviceOptions extends ConnectionOptions {
  /** The Worker's origin, `wss://HOST`. */
  url: string;
  /** A separate registry, `/mpc/<shard>`. */
  shard?: string;
  /** Registered on every connect (in `token` mode the token's `sub`). */
  deviceId: string;
}

export interface MpcDeviceEvents<Data = unknown> extends ConnectionEvents {
  /** The first `devices` after this socket registered. */
  registered: { devices: string[] };
  devices: string[];
  relay: { from: string; data: Data };
  /** A session's participants changed (the server's own relay). */
  participants: ParticipantUpdate;
  "session-available": SessionInfo;
  "session-list-request": { from: string };
  /** The sessions that list this device: after every connect (the rejoin), and for queryMySessions(). */
  sessions: SessionInfo[];
  "session-removed": { session_id: string; reason: string };
  /** "invalid message", "unknown device: <id>", "device_id not allowed", "rate limit exceeded", … (docs/mpc.md). */
  error: { error: string };
}

/** An MPC wallet device: registers and rejoins its sessions (query_my_active_sessions) on every connect. */
export declare class MpcDevice<Data = unknown> extends Connection<MpcDeviceEvents<Data>> {
  constructor(options: MpcDeviceOptions);
  readonly deviceId: string;
  relay(to: string, data: Data): void;
  listDevices(): void;
  announceSession(sessionInfo: SessionInfo): void;
  joinSession(sessionId: string): void;
  requestActiveSessions(): void;
  queryMySessions(): void;
}
