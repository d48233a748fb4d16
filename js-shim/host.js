// The Host of cpp/core/host.h, over a Durable Object's sockets and storage.
// Pointers and lengths come from the core; strings are UTF-8 in its memory.
import { createHmac } from "node:crypto";

const decoder = new TextDecoder();

export class Host {
  #module;
  #answer = "";
  #tail = "";  // send_spliced's, as last decoded
  // The text frame under way, set by Core.message: send_spliced takes parts of it.
  message = "";

  #env;

  // `env`: the Worker's environment (secrets are read from it by name, here
  // and never in the core); `sockets`: socket id → WebSocket, kept by the
  // object; `storage`: ctx.storage; `effects(effect)`: runs an Effect in the
  // background and resumes the core.
  /** @param {{ env?: object, sockets?: Map<number, any>, storage?: any, effects?: (effect: any) => void }} [parts] */
  constructor({ env = {}, sockets = new Map(), storage, effects } = {}) {
    this.#env = env;
    this.sockets = sockets;
    this.storage = storage;
    this.effects = effects;
  }

  bind(module) { this.#module = module; }

  takeAnswer() {
    const answer = this.#answer;
    this.#answer = "";
    return answer;
  }

  send(conns, count, text, len) { this.#deliver(conns, count, this.#text(text, len)); }

  // The frame under way (all ASCII, so offsets are its units) from `start` to
  // `end`, then the tail, decoded only when it changed: a publish's text does
  // not cross back out of the module.
  send_spliced(conns, count, start, end, tail, tailLen, fresh) {
    if (fresh) this.#tail = this.#text(tail, tailLen);
    this.#deliver(conns, count, this.message.slice(start, end) + this.#tail);
  }

  // The fan-out's hot path, written out for V8's interpreter as Core.message
  // is: the ids read in place, no view or iterator per frame.
  #deliver(conns, count, frame) {
    const { sockets } = this;
    const heap = this.#module.HEAPU32;
    for (let at = conns >>> 2, end = at + count; at < end; at++) {
      try {
        sockets.get(heap[at])?.send(frame);
      } catch {
        // The socket is closing; its close event is on its way to the core.
      }
    }
  }

  close(conn, code, reason, len) {
    const ws = this.sockets.get(conn);
    this.sockets.delete(conn);
    if (ws) Host.retire(ws, conn, code, this.#text(reason, len));
  }

  // Closes a socket the core is done with, marked so that a core rebuilt
  // while it is still closing does not take it for a live one.
  static retire(ws, conn, code, reason) {
    try {
      ws.serializeAttachment({ id: conn, state: "", closed: true });
      ws.close(code, reason);
    } catch {
      // Already closed by the client.
    }
  }

  attach(conn, state, len) {
    this.sockets.get(conn)?.serializeAttachment({ id: conn, state: this.#text(state, len) });
  }

  kv_get(key, len, outLen) {
    const value = this.storage.kv.get(this.#text(key, len));
    return value === undefined ? 0 : this.#give(value, outLen);
  }

  kv_put(key, keyLen, value, valueLen) { this.storage.kv.put(this.#text(key, keyLen), this.#text(value, valueLen)); }

  kv_delete(key, len) { this.storage.kv.delete(this.#text(key, len)); }

  kv_list(prefix, len, outLen) {
    return this.#give(JSON.stringify([...this.storage.kv.list({ prefix: this.#text(prefix, len) })]), outLen);
  }

  set_alarm(atMs) {
    if (atMs > 0) this.storage.setAlarm(atMs);
    else this.storage.deleteAlarm();
  }

  now() { return Date.now(); }

  random(out, len) { crypto.getRandomValues(this.#module.HEAPU8.subarray(out, out + len)); }

  hmac_sha256(key, keyLen, data, dataLen, out) {
    const heap = this.#module.HEAPU8;
    const digest = createHmac("sha256", heap.slice(key, key + keyLen)).update(heap.subarray(data, data + dataLen)).digest();
    this.#module.HEAPU8.set(digest, out);
  }

  hmac_secret(name, nameLen, data, dataLen, out) {
    const secret = this.#env[this.#text(name, nameLen)];
    const key = typeof secret === "string" ? secret : "";
    const heap = this.#module.HEAPU8;
    this.#module.HEAPU8.set(createHmac("sha256", key).update(heap.subarray(data, data + dataLen)).digest(), out);
  }

  perform(effect, len) { this.effects(JSON.parse(this.#text(effect, len))); }

  // Workers Logs files a line under the console method's level: the one the line names.
  log(line, len) { Host.write(this.#text(line, len)); }

  static write(line) {
    const { level } = JSON.parse(line);
    (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(line);
  }

  respond(json, len) { this.#answer = this.#text(json, len); }

  #text(ptr, len) { return decoder.decode(this.#module.HEAPU8.subarray(ptr, ptr + len)); }

  // A string handed to the core in a buffer it frees; its length goes to *outLen.
  #give(text, outLen) {
    const bytes = new TextEncoder().encode(text);
    const ptr = this.#module._sb_alloc(bytes.byteLength);
    this.#module.HEAPU8.set(bytes, ptr);
    this.#module.HEAPU32[outLen >>> 2] = bytes.byteLength;
    return ptr;
  }
}
