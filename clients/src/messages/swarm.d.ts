// Swarm coordinator (docs/swarm.md): `wss://HOST/ws?persistentId=<id>&token=<invite>`
// (or under `HOST/swarm/ws`). Every frame both ways is `{event, data}`; the client waits
// for the server's `connect` before sending `device:register`.

export interface Envelope<Event extends string, Data> {
  event: Event;
  data: Data;
}

export type RunState = "IDLE" | "RUNNING" | "PAUSED" | "STOPPED";
export type DeviceType = "DESKTOP" | "MOBILE" | "COLAB" | "SERVER";
export type DeviceStatus = "OFFLINE" | "ONLINE" | "BUSY" | "DISABLED" | "REGISTERED";
export type LogLevel = "SYS" | "NET" | "ERR" | "WARN" | "CPU";

export interface Capabilities {
  cpuCores: number;
  memoryGB: number;
  gpuAvailable: boolean;
  gpuName?: string;
}

export interface DeviceInfo {
  id: string;
  name: string;
  type: DeviceType;
  status: DeviceStatus;
  capabilities: Capabilities;
  opsScore: number;
  totalJobsCompleted: number;
  lastHeartbeat: number;
  lastUserInteraction: number;
  swarmId: string;
}

export interface Job {
  id: string;
  type: string;
  complexity: number;
  data: unknown;
}

export interface Snapshot {
  runState: RunState;
  devices: Record<string, DeviceInfo>;
  stats: { totalJobs: number; activeJobs: number; pendingJobs: number; completedJobs: number; globalVelocity: number; globalThrottle: number };
  resources: { totalCores: number; totalMemory: number; totalGPUs: number; onlineCount: number };
}

export interface LogEntry {
  level: LogLevel;
  message: string;
  timestamp: number;
  source: string;
}

// Client → server

/** The client's own hello on open; the server ignores it (any inbound frame is a heartbeat). */
export type Hello = Envelope<"connect", Record<string, never>>;
export type DeviceRegister = Envelope<"device:register", { name: string; capabilities: Capabilities }>;
export type Heartbeat = Envelope<"heartbeat", { lastInteraction?: number }>;
export type JobRequestBatch = Envelope<"job:request_batch", Record<string, unknown>>;
export type JobComplete = Envelope<"job:complete", { chunkId: string; workerId: string; result?: unknown; error?: unknown; durationMs?: number }>;
export type SetRunState = Envelope<"cmd:set_run_state", RunState>;
/** Percent, 0–100. */
export type SetThrottle = Envelope<"cmd:set_throttle", number>;
export type BenchmarkResult = Envelope<"benchmark:result", { score: number }>;
export type ToggleDevice = Envelope<"cmd:toggle_device", { id: string; enabled: boolean }>;
export type GenerateToken = Envelope<"auth:generate_token", Record<string, unknown>>;

// Server → client

export type Connect = Envelope<"connect", { status: "connected" }>;
export type SwarmSnapshot = Envelope<"swarm:snapshot", Snapshot>;
export type JobBatch = Envelope<"job:batch", Job[]>;
export type ThrottleSync = Envelope<"swarm:throttle_sync", number>;
/** Also the WARN answer to an invalid or unknown event (to the sender only). */
export type SysLog = Envelope<"sys:log", LogEntry>;
/** A 6-character invite code, or "" when rate limited (5 per minute per swarm). */
export type AuthToken = Envelope<"auth:token", string>;

/** Refusal before the upgrade: 400 (missing persistentId), 403 `{"error":"invalid invite code"}`. */
export interface ErrorResponse {
  error: string;
}

export type ClientMessage =
  | Hello
  | DeviceRegister
  | Heartbeat
  | JobRequestBatch
  | JobComplete
  | SetRunState
  | SetThrottle
  | BenchmarkResult
  | ToggleDevice
  | GenerateToken;

export type ServerMessage = Connect | SwarmSnapshot | JobBatch | ThrottleSync | SysLog | AuthToken;
