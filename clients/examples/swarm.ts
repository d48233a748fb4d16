import { SwarmNode } from "@switchboard/client";

const node = new SwarmNode({
  url: "wss://switchboard.example.workers.dev",
  persistentId: "node-7f3a",
  inviteCode: "K3J9QZ",  // "" to host a swarm
  name: "Desktop Node",
  capabilities: { cpuCores: 8, memoryGB: 16, gpuAvailable: false },
});
node.on("snapshot", (swarm) => console.log(swarm.runState, swarm.resources.onlineCount, "online"));
node.on("jobs", (jobs) => jobs.forEach((job) => node.completeJob(job, { result: null, durationMs: 12 })));
node.on("registered", () => node.requestJobs());
