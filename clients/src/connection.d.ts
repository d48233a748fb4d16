// What every protocol class shares: the reconnecting socket and its events.

/** A token string, or a function asked for a fresh one on every (re)connect. */
export type TokenSource = string | (() => string | Promise<string>);

/** A WebSocket constructor: the platform's, or `ws` in Node before 22. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket | object;

/** partysocket's retry schedule (milliseconds). */
export interface ReconnectOptions {
  minReconnectionDelay?: number;
  maxReconnectionDelay?: number;
  reconnectionDelayGrowFactor?: number;
  minUptime?: number;
  connectionTimeout?: number;
  maxRetries?: number;
}

export interface ConnectionOptions {
  /** Sent as `?access_token=` on every upgrade (apps in `token` mode). */
  accessToken?: TokenSource;
  WebSocket?: WebSocketConstructor;
  reconnect?: ReconnectOptions;
  /** How many frames sent while disconnected wait for the next socket (kMaxOutbox, 1000); past it, `dropped`. */
  maxOutbox?: number;
  /** Overrides the protocol's keep-alive: a ping every `interval` ms, reconnect without a frame within `timeout` ms. */
  keepAlive?: { interval?: number; timeout?: number };
}

/** Why the class stopped for good: the app's close(), a final close code, or a refused upgrade. */
export interface Stopped {
  code?: number;
  status?: number;
  reason: string;
}

export interface ConnectionEvents {
  /** A socket opened (`reconnected` after the first). */
  open: { reconnected: boolean };
  /** The socket went away (1006 "no answer to the keep-alive ping" for a silent one); a reconnect follows unless `stopped` does. */
  close: { code: number; reason: string };
  /** The upgrade was refused with this HTTP status (where the runtime reports it: `ws` in Node; browsers hide it). */
  refused: { status: number };
  /** No more reconnecting. */
  stopped: Stopped;
  /** A frame sent while disconnected found the outbox full (`maxOutbox`) and was not kept. */
  dropped: { frame: object };
  /** The token function threw; the next attempt asks again. */
  "token-error": { error: unknown };
}

/** How many frames wait for a socket unless `maxOutbox` says otherwise. */
export declare const kMaxOutbox: number;
/** 400, 401, 403, 404, 409, 426: refusals another attempt would repeat. */
export declare const kFinalStatuses: ReadonlySet<number>;
/** 1000 from the server (replaced, session ended), 1003, 1008, 1009. */
export declare const kFinalCloseCodes: ReadonlySet<number>;

/** The base of the protocol classes; a new protocol's class extends it. */
export declare class Connection<Events extends ConnectionEvents = ConnectionEvents> {
  /**
   * @param address the URL of the next attempt, without the token
   * @param keepAlive a ping `frame` every `interval` ms; no frame within `timeout` ms after it: reconnect
   * @param tokenParameter the query parameter carrying `options.accessToken` ("access_token")
   */
  constructor(address: () => string, options?: ConnectionOptions, keepAlive?: { frame?: object | (() => object); interval?: number; timeout?: number } | null, tokenParameter?: string);
  /** "connecting" (also between attempts), "open", or "closed" for good. */
  readonly state: "connecting" | "open" | "closed";
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(type: K, listener: (payload: Events[K]) => void): () => void;
  off<K extends keyof Events>(type: K, listener: (payload: Events[K]) => void): void;
  /** The next `type` event (rejects after `timeout` ms when given). */
  once<K extends keyof Events>(type: K, options?: { timeout?: number }): Promise<Events[K]>;
  /** Stops for good. */
  close(code?: number, reason?: string): void;
  /** Drops the socket and connects again now (a fresh token, the handshake again). */
  reconnect(): void;
  protected emit<K extends keyof Events>(type: K, payload: Events[K]): void;
  /** A frame out once the handshake is done (kept while disconnected, up to `maxOutbox`). */
  protected transmit(frame: object): void;
  /** A frame out now, on an open socket only (the handshake's); false when none is open. */
  protected sendNow(frame: object): boolean;
  /** The handshake is sent: the waiting frames go out. */
  protected ready(): void;
  /** A socket opened: send the handshake, then call ready() (the default calls it at once). */
  protected onOpen(reconnected: boolean): void;
  protected onFrame(frame: any): void;
  /** The socket went away (a reconnect follows unless stopped). */
  protected onLost(): void;
}
