import type { ClientMessage, ServerMessage } from "../swarm.js";

const ws = new WebSocket("wss://switchboard.example.workers.dev/ws?persistentId=node-7f3a&token=K3J9QZ");
const emit = (message: ClientMessage) => ws.send(JSON.stringify(message));
ws.onmessage = (event) => {
  const message: ServerMessage = JSON.parse(event.data);
  if (message.event === "connect") {
    emit({ event: "device:register", data: { name: "Desktop Node", capabilities: { cpuCores: 8, memoryGB: 16, gpuAvailable: false } } });
  }
  if (message.event === "swarm:snapshot") console.log(message.data.runState, message.data.resources.onlineCount, "online");
  if (message.event === "job:batch") for (const job of message.data) emit({ event: "job:complete", data: { chunkId: job.id, workerId: "node-7f3a", durationMs: 12 } });
};
