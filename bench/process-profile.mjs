// Where a publish's CPU goes in the whole workerd process, kernel included:
// Linux perf's cpu-clock samples of the workerd that runs the Durable Object,
// with V8's map of its JIT code (WebAssembly functions included), while one
// publisher bursts publishes to N subscribers, for switchboard and for the
// limit in the same set-up (behind the asset router, or with --no-assets
// without it). bench/profile.mjs sees only the isolate's JavaScript; this sees
// workerd's own C++ (sockets, promises, tcmalloc), V8's runtime and GC, and
// the kernel, which are most of a delivery's CPU at N = 2.
//
//   node bench/process-profile.mjs [--bytes 200] [--n 2] [--publishes 2000] [--rounds 6] [--processes 5] [--no-assets]
//
// Needs `perf` (Debian: linux-perf). Prints a table of µs per publish by what
// the code is, and writes it with the top symbols to
// bench/results/process-profile.json. With a module linked with
// --profiling-funcs (and wasm-opt -g), the core's functions keep their names.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median, Room, warmUp } from "./fanout.mjs";
import { log } from "./log.mjs";
import { killAll, startLimit, startLimitWithAssets, startSwitchboard, startSwitchboardWithoutAssets } from "./servers.mjs";

const root = new URL("..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    bytes: { type: "string", default: "200" },
    n: { type: "string", default: "2" },
    publishes: { type: "string", default: "2000" },
    rounds: { type: "string", default: "6" },
    processes: { type: "string", default: "5" },
    "no-assets": { type: "boolean", default: false },
  },
});
const BYTES = Number(args.bytes);
const N = Number(args.n);
const PUBLISHES = Number(args.publishes);
const ROUNDS = Number(args.rounds);
const PROCESSES = Number(args.processes);
const ASSETS = !args["no-assets"];

try {
  execFileSync("perf", ["--version"]);
} catch {
  throw new Error("perf not found (Debian: apt install linux-perf)");
}
// Read when wrangler starts, not before.
Object.assign(process.env, {
  MINIFLARE_WORKERD_PATH: `${root}bench/perf-workerd.sh`,
  SB_WORKERD: createRequire(import.meta.url)("workerd").default,
});

// What a sampled symbol is (perf's "dso symbol"), for the summary.
function classify(symbol) {
  if (symbol.startsWith("[kernel")) return "kernel (sockets, scheduling, page faults)";
  if (symbol.startsWith("[JIT]")) {
    if (/Stub:|wasm-to-js|js-to-wasm/.test(symbol)) return "JS ↔ WebAssembly calls";
    // V8's tiers: ~ interpreted (its stub, with --interpreted-frames-native-stack), ^ Sparkplug, + Maglev, * TurboFan.
    if (/JS:~/.test(symbol)) return "V8 interpreter and inline caches";
    if (symbol.includes("worker.js")) return "the Worker's JavaScript (compiled)";
    return "the core (WebAssembly)";
  }
  if (/Scaveng|MarkCompact|Marking|Sweeper|Evacuat|Heap::Collect|ConcurrentMark|MinorMS/.test(symbol)) return "garbage collection";
  if (/TextEncoder|DictionaryTemplateInfo/.test(symbol)) return "TextEncoder.encodeInto (and its result)";
  if (/Flatten|WriteToFlat|ConsString|StringPrototypeSlice|WriteUtf8|StringAdd/.test(symbol)) return "V8 strings (slice, concatenate, flatten, UTF-8 out)";
  if (/Builtins_.*(Handler|Trampoline|IC|Baseline)\b|Builtins_(Interpreter|Call|Construct)/.test(symbol)) return "V8 interpreter and inline caches";
  if (symbol.includes("v8::") || symbol.includes("Builtins_")) return "V8 runtime and builtins (other)";
  if (symbol.includes("tcmalloc")) return "tcmalloc";
  if (symbol.startsWith("workerd")) return "workerd and KJ (events, promises, WebSocket pumps)";
  return "libc and other";
}

// perf's per-symbol sample counts, JIT addresses and thread ids left out.
function symbols(data) {
  const out = execFileSync("perf", ["report", "-i", data, "--sort", "dso,sym", "-n", "--stdio"], { maxBuffer: 1 << 28, stderr: "ignore" }).toString();
  const counts = new Map();
  for (const line of out.split("\n")) {
    const m = line.match(/^\s+[\d.]+%\s+(\d+)\s+(.*)$/);
    if (!m) continue;
    const symbol = m[2].replace(/\s+/g, " ").replace(/tid \d+ /, "").replace(/0x[0-9a-f]+/g, "").trim();
    counts.set(symbol, (counts.get(symbol) ?? 0) + Number(m[1]));
  }
  return counts;
}

const FREQUENCY = 4000;  // samples per CPU-second: one per 250 µs of CPU

// One pair of fresh server processes, their bursts taking turns: each
// process's profile. Which of a process's per-frame functions V8 optimises
// differs from process to process and holds for its lifetime, so one pair's
// ratio carries that luck; --processes repeats the pair.
async function profilePair() {
  const servers = [];
  const dir = mkdtempSync(join(tmpdir(), "switchboard-perf-"));
  try {
    for (const start of ASSETS ? [startSwitchboard, startLimitWithAssets] : [startSwitchboardWithoutAssets, startLimit]) servers.push(await start());
    const sessions = [];
    for (const server of servers) sessions.push({ server, room: await Room.open(server, N, "process-profile"), publishes: 0, faults: 0, cpu: 0 });
    for (const s of sessions) {
      await warmUp(s.server);
      await s.room.burst(PUBLISHES, BYTES);  // this room's topic, before it counts
    }
    for (const s of sessions) {
      s.data = join(dir, `${s.server.pid}.data`);
      s.perf = spawn("perf", ["record", "-q", "-e", "cpu-clock", "-F", String(FREQUENCY), "-p", String(s.server.pid), "-o", s.data], { stdio: "inherit" });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));  // perf attached
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of round % 2 ? [...sessions].reverse() : sessions) {
        const r = await s.room.burst(PUBLISHES, BYTES);
        s.publishes += PUBLISHES;
        s.cpu += r.cpu;
        s.faults += r.lost + r.reordered + r.duplicates;
      }
    }
    for (const s of sessions) {
      s.perf.kill("SIGINT");
      await once(s.perf, "exit");
    }
    const results = sessions.map((s) => {
      const counts = symbols(s.data);
      const micros = (samples) => (samples * 1e6) / FREQUENCY / s.publishes;
      const categories = {};
      for (const [symbol, n] of counts) categories[classify(symbol)] = (categories[classify(symbol)] ?? 0) + n;
      return {
        server: s.server.name,
        publishes: s.publishes,
        lostReorderedOrDuplicated: s.faults,
        cpuMicrosPerPublish: (s.cpu * 1e6) / s.publishes,
        sampledMicrosPerPublish: micros([...counts.values()].reduce((a, b) => a + b, 0)),
        categories: Object.fromEntries(Object.entries(categories).map(([c, n]) => [c, micros(n)])),
        symbols: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).slice(0, 300).map(([symbol, n]) => [symbol, micros(n)])),
      };
    });
    for (const s of sessions) await s.room.close();
    return results;
  } finally {
    for (const server of servers) {
      await server.stop().catch(() => {});
      rmSync(`/tmp/perf-${server.pid}.map`, { force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (x) => (x ?? 0).toFixed(2);

try {
  const pairs = [];
  for (let p = 0; p < PROCESSES; p++) {
    log(`pair ${p + 1} of ${PROCESSES}: ${ROUNDS} rounds of ${PUBLISHES} publishes to ${N} subscribers on each, taking turns`);
    const [mine, limit] = await profilePair();
    pairs.push({ mine, limit });
    const interpreted = (r) => f(r.categories["V8 interpreter and inline caches"]);
    log(`  ${mine.server} / ${limit.server}: ${(mine.cpuMicrosPerPublish / limit.cpuMicrosPerPublish).toFixed(3)}× CPU per publish; interpreter ${interpreted(mine)} and ${interpreted(limit)} µs`);
  }
  const names = [...new Set(pairs.flatMap(({ mine, limit }) => [...Object.keys(mine.categories), ...Object.keys(limit.categories)]))];
  const of = (side, c) => median(pairs.map((pair) => pair[side].categories[c] ?? 0));
  names.sort((a, b) => (of("mine", b) - of("limit", b)) - (of("mine", a) - of("limit", a)));
  const [first] = pairs;
  console.log(`\n${N} subscribers, ${BYTES} B, ${ASSETS ? "behind the asset router" : "no asset router"}: µs of CPU per publish, sampled; median of ${PROCESSES} process pairs\n`);
  console.log(`| what | ${first.mine.server} | ${first.limit.server} | difference |\n|---|---:|---:|---:|`);
  for (const c of names) console.log(`| ${c} | ${f(of("mine", c))} | ${f(of("limit", c))} | ${f(of("mine", c) - of("limit", c))} |`);
  const ratios = pairs.map(({ mine, limit }) => mine.cpuMicrosPerPublish / limit.cpuMicrosPerPublish);
  const faults = pairs.reduce((sum, { mine, limit }) => sum + mine.lostReorderedOrDuplicated + limit.lostReorderedOrDuplicated, 0);
  console.log(`\nCPU per publish (the scheduler's count), ${first.mine.server} / ${first.limit.server}, pair by pair: ${ratios.map((r) => `${r.toFixed(3)}×`).join(", ")}; median ${median(ratios).toFixed(3)}×. Lost, reordered or duplicated: ${faults}.`);
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/process-profile.json`, JSON.stringify({ n: N, bytes: BYTES, assets: ASSETS, rounds: ROUNDS, ratios, pairs }, null, 1));
} finally {
  killAll();
}
