// `npm run bench` (through scripts/bench.sh): every measurement in one
// invocation, results in bench/results/latest.json, then BENCHMARKS.md's
// results section and bench/fanout.svg regenerated from them.
// Options: --quick (N = 2 and 50, three rounds, 2,000 sockets, instructions at N = 2 only: a smoke run); --fanout (the
// fan-out alone, no sharded server: its table printed and written to
// bench/results/fanout.json, BENCHMARKS.md left as it is); --sharded (only the
// fan-out of one object and of a sharded `/`, N = 2, 50, 200, 200 B: printed,
// nothing written). With --fanout, `--subscribers 200` (or `2,50`), `--sizes
// 200` and `--rounds 21` narrow or lengthen it.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { billing } from "./billing.mjs";
import { run as capacityModel } from "./capacity.mjs";
import { concurrency } from "./concurrency.mjs";
import { coreBench } from "./core.mjs";
import { fanoutRound, Room, warmUp } from "./fanout.mjs";
import { instructions } from "./instructions.mjs";
import { log } from "./log.mjs";
import { fanoutTable, report } from "./report.mjs";
import { transport } from "./transport.mjs";
import { killAll, startFloor, startFloorWithAssets, startLimit, startLimitWithAssets, startReference, startSwitchboard, startSwitchboardSharded, startSwitchboardWithoutAssets } from "./servers.mjs";
import { wasmBench } from "./wasm.mjs";

const root = new URL("..", import.meta.url).pathname;
const quick = process.argv.includes("--quick");
const fanoutOnly = process.argv.includes("--fanout");
const option = (name) => {
  const at = process.argv.indexOf(`--${name}`);
  return fanoutOnly && at > 0 ? process.argv[at + 1].split(",").map(Number) : undefined;
};
const SUBSCRIBERS = option("subscribers") ?? (quick ? [2, 50] : [2, 50, 200]);
const SIZES = option("sizes") ?? [200, 4096];
const CONNECTIONS = quick ? 2000 : 10_000;
// Rounds (one burst, then one paced latency phase) per server and row: a smoke
// run only checks that every server delivers.
const ROUNDS = option("rounds")?.[0] ?? (quick ? 3 : 7);

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));
process.on("exit", killAll);

const started = Date.now();

function machine() {
  const cpus = os.cpus();
  const version = (pkg) => JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, "utf8")).version;
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? "unknown"}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    wrangler: version("wrangler"),
    workerd: version("workerd"),
    emscripten: `Emscripten ${execFileSync("em++", ["--version"]).toString().match(/\d+\.\d+\.\d+/)[0]}`,
    loadBefore: os.loadavg(),
  };
}

if (process.argv.includes("--sharded")) {
  const servers = [await startSwitchboard(), await startSwitchboardSharded()];
  try {
    for (const server of servers) await warmUp(server);
    for (const n of SUBSCRIBERS) {
      const rooms = [];
      for (const server of servers) rooms.push(await Room.open(server, n));
      const rows = await fanoutRound(rooms, n, 200, { rounds: 3 });
      for (const room of rooms) await room.close();
      console.table(rows.map(({ bursts, cpuMicrosSpread, ...row }, i) => ({ server: servers[i].name, ...row })));
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  process.exit(0);
}

const results = { date: new Date().toISOString(), command: "npm run bench", quick, machine: machine() };

if (!fanoutOnly) {
  log("core: callgrind and timing (native)");
  results.core = coreBench();
  log("core: WebAssembly through the shim (Node)");
  results.wasm = await wasmBench();
}

// The concurrency runs take the first three (switchboard with and without [assets], the floor).
const starts = [startSwitchboard, startSwitchboardWithoutAssets, startFloor, startFloorWithAssets, startReference, startLimit, startLimitWithAssets];
if (!fanoutOnly) starts.push(startSwitchboardSharded);
log(`starting switchboard (with and without its demo page), the floor and the limit (each with and without the same [assets]), y-webrtc's server${fanoutOnly ? "" : ", and switchboard with `/` sharded"}`);
const servers = [];
for (const start of starts) servers.push(await start());
log("warming every server up to V8's steady state (30,000 publishes each)");
for (const server of servers) await warmUp(server);
// Each server's CPU is compared with the limit in its own set-up (with or
// without the asset router), its p99 with the floor in its own set-up.
const inSetUp = (name, assets) => servers.findIndex((s) => s.name === (assets ? `${name}, assets` : name));
const limits = servers.map((s) => inSetUp("limit", s.assets));
const floors = servers.map((s) => inSetUp("floor", s.assets));
try {
  results.fanout = Object.fromEntries(servers.map((s) => [s.name, []]));
  for (const n of SUBSCRIBERS) {
    log(`fan-out: ${n} subscribers on each server`);
    const rooms = [];
    for (const server of servers) rooms.push(await Room.open(server, n));
    for (const bytes of SIZES) {
      const rows = await fanoutRound(rooms, n, bytes, { limits, floors, rounds: ROUNDS });
      servers.forEach((server, i) => results.fanout[server.name].push({ ...rows[i], assets: server.assets }));
    }
    for (const room of rooms) await room.close();
  }
  results.concurrency = {};
  for (const server of fanoutOnly ? [] : servers.slice(0, 3)) {
    log(`concurrency: ${server.name}, ${CONNECTIONS} sockets`);
    results.concurrency[server.name] = await concurrency(server, CONNECTIONS);
  }
} finally {
  log("stopping servers");
  for (const server of servers) await server.stop();
  killAll();
}
if (fanoutOnly) {
  results.machine.loadAfter = os.loadavg();
  results.seconds = (Date.now() - started) / 1000;
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/fanout.json`, JSON.stringify(results, null, 1));
  console.log(fanoutTable(results.fanout));
  log(`done in ${results.seconds.toFixed(0)} s: bench/results/fanout.json`);
  process.exit(0);
}
log("fan-out in instructions: workerd under callgrind");
results.instructions = await instructions(quick ? [[2, 200]] : undefined);
log("sharded /: billable units per publish and subscribe");
results.billing = await billing();
log("calls between two objects: fetch, RPC, WebSocket");
results.transport = await transport();
results.machine.loadAfter = os.loadavg();
results.seconds = (Date.now() - started) / 1000;

mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/latest.json`, JSON.stringify(results, null, 1));
log("capacity model of a sharded / (its CPU per event from this run's fan-out)");
results.capacity = capacityModel();
report(results);
log(`done in ${results.seconds.toFixed(0)} s: BENCHMARKS.md, bench/fanout.svg, bench/results/latest.json`);
