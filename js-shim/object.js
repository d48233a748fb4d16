// One Durable Object class for every app: it hands the platform's events to
// its own core instance and keeps the socket ids the core names sockets by.
import { DurableObject } from "cloudflare:workers";
import { perform } from "./effects.js";
import { Host } from "./host.js";
import { describe, toResponse } from "./http.js";
import { Core } from "./wasm.js";

export class SwitchboardObject extends DurableObject {
  // Subclasses name their app (an AppSpec name in cpp/apps/apps.cpp).
  static app = "";

  #sockets = new Map();
  #ids = new WeakMap();
  #nextId = 1;
  #core;

  constructor(ctx, env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const effects = async ({ request, context }) => this.#core.resume(context, await perform(env, request));
      this.#core = await Core.load(this.constructor.app, env, new Host({ sockets: this.#sockets, storage: ctx.storage, effects }));
      const auto = this.#core.autoResponse;
      if (auto) ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(auto.request, auto.response));
      // After hibernation: the sockets that stayed open, with their attachments.
      for (const ws of ctx.getWebSockets()) {
        const { id, state } = ws.deserializeAttachment() ?? {};
        if (typeof id !== "number" || ws.readyState !== 1) continue;
        this.#remember(ws, id);
        this.#core.wake(id, state);
      }
      this.#core.woke();
    });
  }

  async fetch(request) {
    let answer = this.#core.fetch(await describe(request));
    while (answer.effect) answer = this.#core.resume(answer.effect.context, await perform(this.env, answer.effect.request));
    if (!answer.accept) return toResponse(answer);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const id = this.#nextId;
    server.serializeAttachment({ id, state: "" });
    this.#remember(server, id);
    this.#core.open(id);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    const id = this.#idOf(ws);
    if (id !== undefined) this.#core.message(id, message);
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
    this.#core.alarm();
  }

  #closed(ws, code, reason) {
    const id = this.#idOf(ws);
    if (id === undefined) return;
    this.#sockets.delete(id);
    this.#core.close(id, code, reason);
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
