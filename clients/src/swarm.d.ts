import type { ConnectionEvents, ConnectionOptions, Connection } from "./connection.js";
import type { Capabilities, Job, LogEntry, RunState, Snapshot } from "./messages/swarm.js";

export interface SwarmNodeOptions extends ConnectionOptions {
  /** The Worker's origin, `wss://HOST`. */
  url: string;
  persistentId: string;
  /** An invite code to join another node's swarm; "" (default) hosts the swarm named after persistentId. */
  inviteCode?: string;
  name: string;
  capabilities: Capabilities;
  /** "/ws" (default) or "/swarm/ws". */
  path?: string;
  /** A heartbeat goes out with a snapshot when nothing was sent for this long (ms, default 20 000). */
  heartbeatInterval?: number;
}

export interface SwarmNodeEvents extends ConnectionEvents {
  /** device:register sent, after the server's connect (on every connect). */
  registered: undefined;
  snapshot: Snapshot;
  jobs: Job[];
  throttle: number;
  log: LogEntry;
  invite: string;
  /** The server's WARN answer to a rejected frame ("Rejected …"). */
  error: { error: string };
}

/** A swarm node: registers after every connect, heartbeats on the server's snapshots. */
export declare class SwarmNode extends Connection<SwarmNodeEvents> {
  constructor(options: SwarmNodeOptions);
  readonly persistentId: string;
  inviteCode: string;
  name: string;
  capabilities: Capabilities;
  requestJobs(): void;
  completeJob(job: Pick<Job, "id">, outcome?: { result?: unknown; error?: unknown; durationMs?: number }): void;
  setRunState(state: RunState): void;
  setThrottle(percent: number): void;
  reportBenchmark(score: number): void;
  toggleDevice(id: string, enabled: boolean): void;
  heartbeat(lastInteraction?: number): void;
  /** Rejects when rate limited (the server answers ""). */
  generateInvite(): Promise<string>;
}
