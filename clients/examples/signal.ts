import { SignalingClient } from "@switchboard/client";

const signaling = new SignalingClient<{ from: string }>({ url: "wss://switchboard.example.workers.dev", shard: "my-shard" });
signaling.on("message", ({ topic, data, clients }) => console.log(`${clients} peers in ${topic}; from ${data.from}`));
signaling.on("stopped", ({ code, reason }) => console.error("signaling stopped:", code, reason));
signaling.subscribe("my-room");  // subscribed again after every reconnect
signaling.publish("my-room", { from: "peer-a" });
