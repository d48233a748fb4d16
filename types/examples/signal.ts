import type { ClientMessage, ServerMessage } from "../signal.js";

const ws = new WebSocket("wss://switchboard.example.workers.dev/signal/my-shard");
const send = (message: ClientMessage) => ws.send(JSON.stringify(message));
ws.onopen = () => {
  send({ type: "subscribe", topics: ["my-room"] });
  send({ type: "publish", topic: "my-room", data: { type: "announce", from: "peer-a" } });
};
ws.onmessage = (event) => {
  const message: ServerMessage = JSON.parse(event.data);
  if (message.type === "publish") console.log(`${message.clients} peers in ${message.topic}`, message.data);
};
