import { MpcDevice } from "@switchboard/client";

const device = new MpcDevice({
  url: "wss://switchboard.example.workers.dev",
  deviceId: "mpc-1",
  accessToken: () => fetch("/my-backend/mpc-token").then((response) => response.text()),  // fresh on every connect
});
device.on("registered", ({ devices }) => console.log("online:", devices));
device.on("sessions", (sessions) => console.log("rejoined:", sessions.map((s) => s.session_id)));
device.on("session-available", (info) => device.joinSession(info.session_id!));
device.on("participants", ({ session_info }) => console.log("participants:", session_info.participants));
device.on("relay", ({ from, data }) => console.log(from, data));
device.on("error", ({ error }) => console.error(error));
