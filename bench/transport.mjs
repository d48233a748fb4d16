// Calls between two Durable Objects in workerd, three ways, side by side in
// one run: a fetch to the other object's stub (what the sharded `/` uses), a
// Durable Object RPC method, and a message on a WebSocket between them. Each
// call waits for its answer before the next (one call in flight per pair, as
// in the space) and carries a batch of B operations of 200 bytes; latency is
// the caller's wall time per call, CPU the workerd process's (both objects).
// `node bench/transport.mjs` prints the table; bench/run.mjs keeps it.
import { cpuSeconds, killAll, startTransport } from "./servers.mjs";

const MODES = ["fetch", "rpc", "ws"];
const BATCHES = [1, 20];
const CALLS = 1000;
const ROUNDS = 3;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function transport() {
  const server = await startTransport();
  const http = server.ws.replace("ws:", "http:");
  try {
    const rows = [];
    for (const batch of BATCHES) {
      const samples = Object.fromEntries(MODES.map((mode) => [mode, { latency: [], cpu: [] }]));
      // Rounds interleave the modes, so a change in the machine's load falls on all three.
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of MODES) {
          const cpu = cpuSeconds(server.pid);
          const response = await fetch(`${http}/run?mode=${mode}&calls=${CALLS}&batch=${batch}&bytes=200`);
          if (response.status !== 200) throw new Error(`${mode}: ${response.status} ${await response.text()}`);
          const { ms } = await response.json();
          samples[mode].cpu.push(((cpuSeconds(server.pid) - cpu) * 1e6) / (CALLS + 1));
          samples[mode].latency.push((ms * 1000) / CALLS);
        }
      }
      for (const mode of MODES) {
        const cpu = median(samples[mode].cpu);
        rows.push({ mode, batch, latencyMicrosPerCall: median(samples[mode].latency), cpuMicrosPerCall: cpu, cpuMicrosPerMessage: cpu / batch });
      }
    }
    return { calls: CALLS, rounds: ROUNDS, bytes: 200, rows };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.on("exit", killAll);
  const result = await transport();
  console.table(result.rows.map((row) => ({ ...row, latencyMicrosPerCall: Math.round(row.latencyMicrosPerCall), cpuMicrosPerCall: Math.round(row.cpuMicrosPerCall), cpuMicrosPerMessage: Math.round(row.cpuMicrosPerMessage) })));
}
