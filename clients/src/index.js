// @switchboard/client: one small reconnecting class per switchboard protocol.
export { Connection, kFinalCloseCodes, kFinalStatuses, kMaxOutbox } from "./connection.js";
export { SignalingClient } from "./signal.js";
export { MpcDevice } from "./mpc.js";
export { PairingSide } from "./relay.js";
export { SwarmNode } from "./swarm.js";
export { RoomsClient, RoomSocket, RoomsError } from "./rooms.js";
