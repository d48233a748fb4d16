import type { ClientMessage, ServerMessage } from "../relay.js";

const ws = new WebSocket("wss://switchboard.example.workers.dev/desktop/k3j9qz0a1b2c");
const send = (message: ClientMessage) => ws.send(JSON.stringify(message));
ws.onmessage = (event) => {
  const message: ServerMessage = JSON.parse(event.data);
  if (message.type === "connected" || message.type === "mobile_connected") {
    send({ type: "bundle_update", payload: { code: 'console.log("hi")' }, timestamp: Date.now() });
  }
  if (message.type === "bundle_ack") console.log("mobile ran the bundle:", message.success);
  if (message.type === "error") console.error(message.error);
};
