import { RoomsClient } from "@switchboard/client";

const rooms = new RoomsClient({ url: "https://switchboard.example.workers.dev" });
const { room_id } = await rooms.createRoom({ name: "Episode 1", max_participants: 4 });
const { token, ice_servers } = await rooms.join(room_id, "Alice");
const { sessionId } = await rooms.newCallsSession();  // the Calls API, through the Worker
const room = rooms.connect(token);
room.publishSession({ sessionId, tracks: [{ trackName: "mic", kind: "audio" }] });  // again after reconnects
room.on("join", ({ data }) => console.log(`${data.participant_name} joined; ICE:`, ice_servers));
room.on("session", (session) => console.log("pull the tracks of", session.participantName, session.tracks));
