// GET /run?mode=fetch|rpc|ws&calls=N&batch=B&bytes=S: the Caller makes N
// calls to the Callee, one at a time (as the sharded space keeps one call in
// flight per pair), each carrying B messages of S bytes as one JSON body, and
// answers the wall time they took. The Callee parses each body and answers
// how many messages it read, as a topic owner reads a batch of operations.
import { DurableObject } from "cloudflare:workers";

const count = (text) => JSON.parse(text).ops.length;

export class Callee extends DurableObject {
  async fetch(request) {
    if (request.headers.get("upgrade") === "websocket") {
      const { 0: client, 1: server } = new WebSocketPair();
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client });
    }
    return Response.json({ read: count(await request.text()) });
  }

  ops(body) {
    return { read: count(body) };
  }

  webSocketMessage(ws, message) {
    ws.send(JSON.stringify({ read: count(message) }));
  }
}

export class Caller extends DurableObject {
  #socket;
  #waiting;

  async fetch(request) {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode");
    const calls = Number(url.searchParams.get("calls"));
    const batch = Number(url.searchParams.get("batch"));
    const bytes = Number(url.searchParams.get("bytes"));
    const body = JSON.stringify({ gateway: "g0", ops: Array.from({ length: batch }, () => ({ pub: "topic", frame: "x".repeat(bytes) })) });
    const stub = this.env.Callee.get(this.env.Callee.idFromName("callee"));
    const call = await this.#caller(mode, stub);
    await call(body);  // the first call sets up the callee (and the socket)
    const started = Date.now();  // Date.now() advances with every I/O, here each call
    let read = 0;
    for (let i = 0; i < calls; i++) read += (await call(body)).read;
    if (read !== calls * batch) throw new Error(`read ${read} of ${calls * batch}`);
    return Response.json({ ms: Date.now() - started });
  }

  async #caller(mode, stub) {
    if (mode === "fetch") {
      return async (body) => (await stub.fetch("https://callee.internal/ops", { method: "POST", headers: { "content-type": "application/json" }, body })).json();
    }
    if (mode === "rpc") return (body) => stub.ops(body);
    if (mode === "ws") {
      if (!this.#socket) {
        const response = await stub.fetch("https://callee.internal/socket", { headers: { upgrade: "websocket" } });
        this.#socket = response.webSocket;
        this.#socket.accept();
        this.#socket.addEventListener("message", (event) => this.#waiting?.(JSON.parse(event.data)));
      }
      return (body) =>
        new Promise((resolve) => {
          this.#waiting = resolve;
          this.#socket.send(body);
        });
    }
    throw new Error(`unknown mode ${mode}`);
  }
}

export default {
  fetch(request, env) {
    if (new URL(request.url).pathname === "/health") return Response.json({ status: "healthy" });
    return env.Caller.get(env.Caller.idFromName("caller")).fetch(request);
  },
};
