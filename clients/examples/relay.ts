import { PairingSide } from "@switchboard/client";

const desktop = new PairingSide({ url: "wss://switchboard.example.workers.dev", side: "desktop", sessionId: "k3j9qz0a1b2c" });
desktop.on("peer", ({ connected }) => console.log(`phone ${connected ? "here" : "away"}`));
desktop.on("message", (message) => {
  if (message.type === "bundle_ack") console.log("the phone ran the bundle:", message.success);
});
desktop.on("error", ({ error }) => console.error(error));
// Queued until the phone is there (whilePeerAway: "refuse" returns "refused" instead).
desktop.send({ type: "bundle_update", payload: { code: 'console.log("hi")' }, timestamp: Date.now() });
