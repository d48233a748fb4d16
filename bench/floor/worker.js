// y-webrtc's bin/server.js protocol as leanly as a Durable Object can speak it:
// hibernatable sockets, topics in memory (rebuilt from attachments after a
// wake-up), one JSON.parse and one JSON.stringify per publish. No limits, no
// validation beyond what keeps it from throwing: the cost floor of workerd.
// With LIMIT = "unparsed" (the bench's "limit" server) a publish is not parsed
// at all: its topic is read off the text and the frame forwarded as it came,
// N × ws.send and nothing else, the most any server can do on this runtime.
import { DurableObject } from "cloudflare:workers";

const PUBLISH = '{"type":"publish","topic":"';

export default {
  fetch(request, env) {
    if (new URL(request.url).pathname === "/health") return new Response("floor");
    if (request.headers.get("upgrade") !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    return env.Floor.get(env.Floor.idFromName("global")).fetch(request);
  },
};

export class Floor extends DurableObject {
  topics = new Map();  // topic → Set of sockets

  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    for (const ws of ctx.getWebSockets()) for (const topic of ws.deserializeAttachment() ?? []) this.join(ws, topic);
  }

  fetch() {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, data) {
    if (this.env.LIMIT === "unparsed" && data.startsWith(PUBLISH)) return this.forward(data);
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    switch (message?.type) {
      case "subscribe": {
        const mine = new Set(ws.deserializeAttachment() ?? []);
        for (const topic of message.topics ?? []) {
          if (typeof topic !== "string" || mine.has(topic)) continue;
          mine.add(topic);
          this.join(ws, topic);
        }
        ws.serializeAttachment([...mine]);
        break;
      }
      case "unsubscribe": {
        const mine = new Set(ws.deserializeAttachment() ?? []);
        for (const topic of message.topics ?? []) if (mine.delete(topic)) this.leave(ws, topic);
        ws.serializeAttachment([...mine]);
        break;
      }
      case "publish": {
        const receivers = this.topics.get(message.topic);
        if (!receivers) return;
        message.clients = receivers.size;
        const text = JSON.stringify(message);
        for (const receiver of receivers) {
          try {
            receiver.send(text);
          } catch {
            // Closing: its close event follows.
          }
        }
        break;
      }
      case "ping":
        ws.send('{"type":"pong"}');
    }
  }

  webSocketClose(ws, code) {
    for (const topic of ws.deserializeAttachment() ?? []) this.leave(ws, topic);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // Already closed.
    }
  }

  webSocketError(ws) {
    for (const topic of ws.deserializeAttachment() ?? []) this.leave(ws, topic);
  }

  forward(data) {
    const topic = data.slice(PUBLISH.length, data.indexOf('"', PUBLISH.length));
    for (const receiver of this.topics.get(topic) ?? []) {
      try {
        receiver.send(data);
      } catch {
        // Closing: its close event follows.
      }
    }
  }

  join(ws, topic) {
    let receivers = this.topics.get(topic);
    if (!receivers) this.topics.set(topic, (receivers = new Set()));
    receivers.add(ws);
  }

  leave(ws, topic) {
    const receivers = this.topics.get(topic);
    if (receivers?.delete(ws) && receivers.size === 0) this.topics.delete(topic);
  }
}
