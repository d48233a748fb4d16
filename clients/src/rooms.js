// SFU rooms (docs/rooms.md): the REST API, the Calls proxy, and the room
// socket, which rejoins after a reconnect and sends its Calls session again.
import { Connection, httpOrigin, socketOrigin } from "./connection.js";

/** A refusal of the rooms API or the Calls proxy: the HTTP status and the server's `error`. */
export class RoomsError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}: ${body?.error ?? JSON.stringify(body)}`);
    this.name = "RoomsError";
    this.status = status;
    this.body = body;
  }
}

export class RoomsClient {
  constructor({ url, fetch: fetcher = globalThis.fetch.bind(globalThis), WebSocket } = {}) {
    this.url = url;
    this.fetch = fetcher;
    this.WebSocket = WebSocket;
  }

  async #request(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await this.fetch(`${httpOrigin(this.url)}${path}`, init);
    const text = await response.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok) throw new RoomsError(response.status, parsed);
    return parsed;
  }

  createRoom(request = {}) {
    return this.#request("POST", "/api/rooms", request);
  }

  getRoom(roomId) {
    return this.#request("GET", `/api/rooms/${encodeURIComponent(roomId)}`);
  }

  /** A room token, this participant's id and the ICE servers. */
  join(roomId, participantName) {
    return this.#request("POST", `/api/rooms/${encodeURIComponent(roomId)}/join`, participantName === undefined ? {} : { participant_name: participantName });
  }

  async iceServers(roomId, token) {
    return (await this.#request("POST", `/api/rooms/${encodeURIComponent(roomId)}/ice-servers`, undefined, { Authorization: `Bearer ${token}` })).ice_servers;
  }

  /** The Calls API through the Worker, which adds the app's secret. */
  newCallsSession() {
    return this.#request("POST", "/cloudflare/session");
  }

  newCallsTracks(sessionId, body) {
    return this.#request("POST", `/cloudflare/session/${encodeURIComponent(sessionId)}/tracks/new`, body);
  }

  renegotiateCalls(sessionId, body) {
    return this.#request("PUT", `/cloudflare/session/${encodeURIComponent(sessionId)}/renegotiate`, body);
  }

  /** The room socket for a room token (or a function that returns one on every connect). */
  connect(token, options = {}) {
    return new RoomSocket({ url: this.url, token, WebSocket: this.WebSocket, ...options });
  }
}

const kEvents = { "cloudflare-session": "session", join: "join", leave: "leave", "track-state": "track-state", error: "error" };

export class RoomSocket extends Connection {
  #session = null;
  #trackStates = new Map();

  constructor({ url, token, ...options }) {
    const origin = socketOrigin(url);
    // The room token is the socket's `token` query parameter, asked for on every connect.
    super(() => `${origin}/ws`, { ...options, accessToken: token }, null, "token");
  }

  /** Publishes this participant's Calls session and tracks (sent again after a reconnect). */
  publishSession(session) {
    this.#session = { type: "cloudflare-session", ...session };
    this.transmit(this.#session);
  }

  setTrackState(kind, enabled) {
    const frame = { type: "track-state", kind, enabled };
    this.#trackStates.set(kind, frame);
    this.transmit(frame);
  }

  /** A peer frame (offer, answer, ice, …) to one participant or to "all". */
  sendTo(to, type, data) {
    this.transmit({ type, to, data });
  }

  onOpen() {
    // The server kept the session in the old socket's attachment: tell the room again.
    if (this.#session) this.sendNow(this.#session);
    for (const frame of this.#trackStates.values()) this.sendNow(frame);
    this.ready();
  }

  onFrame(frame) {
    this.emit(kEvents[frame.type] ?? "peer", frame);
  }
}
