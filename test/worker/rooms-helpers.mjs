// @ts-check
// A room with participants, made through the rooms API as the desktop client does.

/** @typedef {import("../../clients/src/messages/rooms.js").JoinRoomResponse} JoinRoomResponse */

/**
 * @param {{ http: string }} worker
 * @param {string[]} names
 * @returns {Promise<{ roomId: string, participants: JoinRoomResponse[] }>} each participant's token and id
 */
export async function roomWith(worker, names) {
  const post = async (path, body) => {
    const response = await fetch(worker.http + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  /** @type {import("../../clients/src/messages/rooms.js").CreateRoomResponse} */
  const created = await post("/api/rooms", { name: "test room", maxParticipants: Math.max(10, names.length) });
  const participants = [];
  for (const name of names) participants.push(await post(`/api/rooms/${created.room_id}/join`, { participant_name: name }));
  return { roomId: created.room_id, participants };
}
