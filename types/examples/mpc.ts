import type { ClientMessage, ServerMessage } from "../mpc.js";

const ws = new WebSocket("wss://switchboard.example.workers.dev/mpc");
const send = (message: ClientMessage) => ws.send(JSON.stringify(message));
ws.onopen = () => send({ type: "register", device_id: "mpc-1" });
ws.onmessage = (event) => {
  const message: ServerMessage = JSON.parse(event.data);
  if (message.type === "devices") console.log("online:", message.devices);
  if (message.type === "session_available") send({ type: "session_status_update", session_info: { session_id: message.session_info.session_id!, participant_joined: "mpc-1" } });
  if (message.type === "relay" && message.from === "server") console.log("participants:", message.data);
  if (message.type === "error") console.error(message.error);
};
