// The socket under every protocol class. partysocket's ReconnectingWebSocket
// runs the retry loop (backoff, connect timeout, a URL asked for again on each
// attempt, so a token function is called on every reconnect); this class
// watches each real socket it opens and adds what the protocols share: a
// handshake before the app's frames go out, a keep-alive, typed events, and
// stopping for good where connecting again cannot help.
import ReconnectingWebSocket from "partysocket/ws";

// Upgrade refusals that another attempt would only repeat: a bad request or
// path, no or a bad token (401), a token or origin not valid here (403), an
// unknown route, a full room, not an upgrade. 429 and 5xx are worth retrying.
export const kFinalStatuses = new Set([400, 401, 403, 404, 409, 426]);

// Close codes after which the server would only close again: 1003 binary
// frames, 1008 policy (rate, invalid frames, topics), 1009 too big. And 1000
// from the server: a newer socket replaced this one, or the session ended.
export const kFinalCloseCodes = new Set([1000, 1003, 1008, 1009]);

// Frames the app sends while no socket is open wait, up to this many by default.
export const kMaxOutbox = 1000;

// `ws` (Node) reports a refused upgrade as "Unexpected server response: 401";
// browsers hide the status of a refused upgrade from scripts.
const statusOf = (message) => Number(/Unexpected server response: (\d{3})/.exec(String(message ?? ""))?.[1]) || undefined;

export class Connection {
  #listeners = new Map();
  #options;
  #keepAlive;
  #rws;
  #socket = null;  // the real WebSocket of the current attempt
  #opened = false;  // the current socket opened
  #ready = false;  // the handshake is sent: the app's frames may go out
  #outbox = [];
  #ping = null;
  #pongDeadline = null;
  #state = "connecting";
  #connects = 0;

  /**
   * @param {() => string} address the URL of the next attempt, without the token
   * @param {object} options
   * @param {{ frame?: object | (() => object), interval?: number, timeout?: number } | null} keepAlive
   * @param {string} tokenParameter the query parameter that carries the token
   */
  constructor(address, options = {}, keepAlive = null, tokenParameter = "access_token") {
    this.#options = options;
    const token = options.accessToken;
    const url = async () => {
      const base = address();
      if (token === undefined || token === null) return base;
      let value;
      try {
        value = typeof token === "function" ? await token() : token;
      } catch (error) {
        this.emit("token-error", { error });
        throw error;  // partysocket tries again after its backoff
      }
      return value ? `${base}${base.includes("?") ? "&" : "?"}${tokenParameter}=${encodeURIComponent(value)}` : base;
    };
    this.#keepAlive = keepAlive;
    const Native = options.WebSocket ?? globalThis.WebSocket;
    if (typeof Native !== "function") throw new TypeError("no WebSocket here: pass options.WebSocket (in Node before 22, the `ws` package's)");
    const self = this;
    // partysocket constructs each attempt's socket through this, so every real socket is watched here.
    const watched = function (target, protocols) {
      const socket = protocols ? new Native(target, protocols) : new Native(target);
      self.#watch(socket);
      return socket;
    };
    this.#rws = new ReconnectingWebSocket(url, undefined, {
      WebSocket: watched,
      maxEnqueuedMessages: 0,  // frames wait in this class's outbox, behind the handshake
      minReconnectionDelay: 1000,
      maxReconnectionDelay: 10_000,
      connectionTimeout: 10_000,
      ...options.reconnect,
    });
  }

  /** "connecting" | "open" | "closed" (stopped for good). */
  get state() {
    return this.#state;
  }

  on(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  once(type, { timeout = 0 } = {}) {
    return new Promise((resolve, reject) => {
      const timer = timeout ? setTimeout(() => (off(), reject(new Error(`no ${type} event within ${timeout} ms`))), timeout) : null;
      const off = this.on(type, (payload) => {
        off();
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  emit(type, payload) {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        // A listener's bug must not stop the socket's own bookkeeping; it still surfaces.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  /** Stops for good: closes the socket and never reconnects. */
  close(code = 1000, reason = "") {
    this.#stop({ code, reason });
  }

  /** Drops the current socket and connects again at once (a fresh token, the handshake again). */
  reconnect() {
    this.#restart(1000, "reconnect");
  }

  // `code` and `reason` are what the close event tells the app.
  #restart(code, reason) {
    if (this.#state === "closed") return;
    this.#lost(code, reason);
    this.#rws.reconnect(1000, reason);
  }

  // A protocol frame out: now if the handshake is done, else once it is (a
  // full outbox drops it, and says so: an app offline for long must not grow without bound).
  transmit(frame) {
    if (this.#ready && this.#socket?.readyState === 1) this.#socket.send(JSON.stringify(frame));
    else if (this.#state === "closed") return;
    else if (this.#outbox.length < (this.#options.maxOutbox ?? kMaxOutbox)) this.#outbox.push(frame);
    else this.emit("dropped", { frame });
  }

  // A frame of the handshake itself: out only on an open socket, ahead of the outbox.
  sendNow(frame) {
    if (this.#socket?.readyState !== 1) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  // The handshake is sent: the app's waiting frames go out in order.
  ready() {
    this.#ready = true;
    for (const frame of this.#outbox.splice(0)) this.transmit(frame);
  }

  // Subclasses: the socket opened (send the handshake; call ready() when done).
  onOpen(reconnected) {
    this.ready();
  }

  // Subclasses: a parsed frame arrived.
  onFrame(frame) {}

  // Subclasses: the socket went away (it reconnects unless stopped).
  onLost() {}

  #watch(socket) {
    this.#socket = socket;
    this.#opened = false;
    const current = () => this.#socket === socket && this.#state !== "closed";
    socket.addEventListener("open", () => {
      if (!current()) return;
      this.#opened = true;
      this.#state = "open";
      const reconnected = this.#connects++ > 0;
      this.#startKeepAlive();
      this.emit("open", { reconnected });
      this.onOpen(reconnected);
    });
    socket.addEventListener("message", (event) => {
      if (!current()) return;
      this.#heard();
      let frame;
      try {
        frame = JSON.parse(typeof event.data === "string" ? event.data : String(event.data));
      } catch {
        return;  // every server frame is JSON; anything else is not this protocol's
      }
      this.onFrame(frame);
    });
    socket.addEventListener("error", (event) => {
      if (!current() || this.#opened) return;
      const status = statusOf(event?.message ?? event?.error?.message);
      if (status !== undefined) this.#refused(status);
      else this.#probe(socket.url);
      if (this.#state !== "closed") this.#giveUpIfLast();
    });
    socket.addEventListener("close", (event) => {
      if (!current() || !this.#opened) return;  // a failed attempt: seen at its error
      const { code, reason } = event;
      if (kFinalCloseCodes.has(code)) return this.#stop({ code, reason });
      this.#lost(code, reason);
      this.#giveUpIfLast();
    });
  }

  #refused(status) {
    this.emit("refused", { status });
    if (kFinalStatuses.has(status)) this.#stop({ status, reason: `upgrade refused with HTTP ${status}` });
  }

  // Browsers hide a refused upgrade's status from scripts: ask the same URL
  // over plain HTTP, where the Worker judges an access token (401, 403) and
  // the route (404) before it answers 426 for the missing upgrade.
  async #probe(url) {
    if (typeof url !== "string" || typeof fetch !== "function") return;
    let status;
    try {
      status = (await fetch(url.replace(/^ws/, "http"))).status;
    } catch {
      return;  // unreachable, or another origin that does not allow this one: keep retrying
    }
    if (status !== 426 && kFinalStatuses.has(status) && this.#state !== "closed") this.#refused(status);
  }

  // partysocket stops without a word once `maxRetries` attempts failed: say so.
  // (This runs before partysocket counts the attempt that just ended.)
  #giveUpIfLast() {
    const { maxRetries = Infinity } = this.#options.reconnect ?? {};
    if (this.#rws.retryCount >= maxRetries) this.#stop({ reason: `no connection after ${this.#rws.retryCount + 1} attempts` });
  }

  #lost(code, reason) {
    if (!this.#opened) return;
    this.#opened = false;
    this.#ready = false;
    this.#stopKeepAlive();
    if (this.#state === "open") this.#state = "connecting";
    this.onLost();
    this.emit("close", { code, reason });
  }

  #stop(why) {
    if (this.#state === "closed") return;
    if (this.#opened) this.#lost(why.code ?? 1000, why.reason ?? "");
    this.#state = "closed";
    this.#outbox = [];
    this.#rws.close(why.code ?? 1000, why.reason);  // a socket the server closed is not closed again
    this.emit("stopped", why);
  }

  #heard() {
    clearTimeout(this.#pongDeadline);
    this.#pongDeadline = null;
  }

  #startKeepAlive() {
    const { frame, interval = 20_000, timeout = 10_000 } = { ...this.#keepAlive, ...this.#options.keepAlive };
    if (!frame || !interval) return;
    this.#ping = setInterval(() => {
      if (!this.sendNow(typeof frame === "function" ? frame() : frame)) return;
      // No frame since the ping: the path is dead though no close came (1006: closed without a close frame).
      if (this.#pongDeadline === null) this.#pongDeadline = setTimeout(() => this.#restart(1006, "no answer to the keep-alive ping"), timeout);
    }, interval);
  }

  #stopKeepAlive() {
    clearInterval(this.#ping);
    clearTimeout(this.#pongDeadline);
    this.#ping = this.#pongDeadline = null;
  }
}

// The WebSocket origin (ws: or wss:) of a URL given as http(s) or ws(s).
export function socketOrigin(url) {
  const { protocol, host } = new URL(url);
  return `${protocol === "https:" || protocol === "wss:" ? "wss:" : "ws:"}//${host}`;
}

// The HTTP origin (http: or https:) of a URL given as http(s) or ws(s).
export function httpOrigin(url) {
  const { protocol, host } = new URL(url);
  return `${protocol === "https:" || protocol === "wss:" ? "https:" : "http:"}//${host}`;
}
