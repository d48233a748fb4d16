import type { ClientMessage, CreateRoomResponse, JoinRoomResponse, ServerMessage } from "../rooms.js";

const api = "https://switchboard.example.workers.dev/api/rooms";
const post = async (url: string, body: object) => (await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
const { room_id }: CreateRoomResponse = await post(api, { name: "Episode 1", max_participants: 4 });
const { token, ice_servers }: JoinRoomResponse = await post(`${api}/${room_id}/join`, { participant_name: "Alice" });
const ws = new WebSocket(`wss://switchboard.example.workers.dev/ws?token=${token}`);
const send = (message: ClientMessage) => ws.send(JSON.stringify(message));
ws.onopen = () => send({ type: "cloudflare-session", sessionId: "<Calls session id>", tracks: [{ trackName: "mic", kind: "audio" }] });
ws.onmessage = (event) => {
  const message: ServerMessage = JSON.parse(event.data);
  if (message.type === "join") console.log(`${message.data.participant_name} joined; ICE:`, ice_servers);
};
