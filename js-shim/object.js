// One Durable Object class for every app: it hands the platform's events to
// its own core instance and keeps the socket ids the core names sockets by.
import { DurableObject } from "cloudflare:workers";
import { perform } from "./effects.js";
import { Host } from "./host.js";
import { describe, toResponse } from "./http.js";
import { Core } from "./wasm.js";

export class SwitchboardObject extends DurableObject {
  // Subclasses name their app (its manifest's name; test/cpp/wiring_test.cpp checks them).
  static app = "";

  #sockets = new Map();
  #ids = new WeakMap();
  #nextId = 1;
  #core;

  constructor(ctx, env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(() => this.#load());
  }

  async fetch(request) {
    const description = await describe(request);
    const failed = Response.json({ error: "internal error" }, { status: 500 });
    return this.#guard(null, async () => {
      const answer = await this.#answer(description);
      if (!answer.accept) return toResponse(answer);
      const { 0: client, 1: server } = new WebSocketPair();
      this.ctx.acceptWebSocket(server);
      const id = this.#nextId;
      server.serializeAttachment({ id, state: "" });
      this.#remember(server, id);
      this.#core.open(id);
      return new Response(null, { status: 101, webSocket: client });
    }, failed);
  }

  // A call from another object (the core's `object` Effect), by Durable
  // Object RPC: a request as the core reads it, answered as the core reads an
  // answer. RPC costs a fraction of a fetch between objects (BENCHMARKS.md).
  async call(description) {
    const failed = { status: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: "internal error" }) };
    return this.#guard(null, async () => {
      const { status, headers, body, accept } = await this.#answer({ ...description, upgrade: false });
      return accept ? failed : { status, headers, body };
    }, failed);
  }

  // The core's answer to a request, after the Effects it asked for on the way.
  async #answer(description) {
    let answer = this.#core.fetch(description);
    while (answer.effect) answer = this.#core.resume(answer.effect.context, await perform(this.env, answer.effect.request));
    return answer;
  }

  // Every frame comes through here: #guard's work without its closure and
  // promise check, and #idOf's map look-up without its call, on a path V8
  // does not always optimise (BENCHMARKS.md, "The shim in V8's interpreter").
  webSocketMessage(ws, message) {
    const id = this.#ids.get(ws) ?? this.#idOf(ws);
    if (id === undefined) return;
    try {
      this.#core.message(id, message);
    } catch (error) {
      return this.#recover(ws, error);
    }
  }

  webSocketClose(ws, code, reason) {
    this.#closed(ws, code, reason);
    try {
      // Complete the closing handshake (1005/1006 are not codes one may send).
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }

  webSocketError(ws) {
    this.#closed(ws, 1006, "error");
  }

  alarm() {
    return this.#guard(null, () => this.#core.alarm());
  }

  // A fresh core, rebuilt from the sockets (with their attachments) and
  // storage: after hibernation, and after a trap.
  async #load() {
    const effects = ({ request, context }) => {
      // The core asks for a restart only in test builds: the object then
      // starts again from storage, as after a deploy or a crash.
      if (request.restart) return setTimeout(() => this.ctx.abort("restart"), 0);
      return perform(this.env, request).then((answer) => this.#guard(null, () => this.#core.resume(context, answer)));
    };
    const host = new Host({ env: this.env, sockets: this.#sockets, storage: this.ctx.storage, effects });
    this.#core = await Core.load(this.constructor.app, this.env, host, this.ctx.id.name ?? "");
    const auto = this.#core.autoResponse;
    if (auto) this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(auto.request, auto.response));
    this.#sockets.clear();
    // Every socket the object accepted, even one that closed while the object
    // slept: the core must see that close, or its app state would outlive it.
    const gone = [];
    for (const ws of this.ctx.getWebSockets()) {
      const { id, state, closed } = ws.deserializeAttachment() ?? {};
      if (typeof id !== "number" || closed) continue;
      this.#remember(ws, id);
      this.#core.wake(id, state);
      if (ws.readyState !== 1) gone.push(ws);
    }
    this.#core.woke();
    for (const ws of gone) this.#closed(ws, 1006, "closed while the object slept");
  }

  // Any error out of the core must not wedge the object: a trap (abort,
  // out-of-bounds, unreachable), a stack overflow (RangeError), running out of
  // memory, anything else. The poisoned instance is dropped (its memory with
  // it) and a new core is rebuilt for every socket, then the socket whose
  // event failed is closed with 1011 (its app sees the close); an HTTP request
  // gets `failed`.
  #guard(ws, event, failed = undefined) {
    try {
      const result = event();
      return result instanceof Promise ? result.catch((error) => this.#recover(ws, error, failed)) : result;
    } catch (error) {
      return this.#recover(ws, error, failed);
    }
  }

  async #recover(ws, error, failed) {
    Host.write(JSON.stringify({ event: "trap", level: "error", app: this.constructor.app, error: String(error?.message ?? error) }));
    this.#core = undefined;
    await this.ctx.blockConcurrencyWhile(() => this.#load());
    if (ws) {
      const id = this.#idOf(ws);
      this.#closed(ws, 1011, "internal error");
      Host.retire(ws, id, 1011, "internal error");
    }
    return failed;
  }

  #closed(ws, code, reason) {
    const id = this.#idOf(ws);
    if (id === undefined) return;
    this.#sockets.delete(id);
    this.#guard(null, () => this.#core.close(id, code, reason));
  }

  #remember(ws, id) {
    this.#sockets.set(id, ws);
    this.#ids.set(ws, id);
    this.#nextId = Math.max(this.#nextId, id + 1);
  }

  #idOf(ws) {
    return this.#ids.get(ws) ?? ws.deserializeAttachment()?.id;
  }
}
