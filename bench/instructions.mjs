// Instructions per publish in workerd itself, under callgrind: the limit and
// switchboard without [assets] (the fan-out's servers, in one set-up) run in
// `wrangler dev` as everywhere else, but their workerd is valgrind's
// (bench/callgrind-workerd.sh). Each burst is bracketed by a zero and a dump
// (callgrind_control), per thread. An instruction count hardly depends on the
// machine's other load: the ratio to the limit repeats to about ±1% from run
// to run, where the CPU time of the same burst varies by tens of per cent.
// What a burst's count holds, and what is taken out of it:
// - JIT compilation (V8 tiering wasm and JS code up, on its worker threads or
//   the isolate's): a one-time cost that lasts into the first bursts; left out.
// - Garbage collection (scavenges, on the isolate's thread and its helpers): a
//   real cost per message, but it comes in lumps of millions of instructions a
//   few times per burst, so it is amortised over all measured bursts.
// - The rest (the isolate's thread and whatever else runs): per burst, median.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Room } from "./fanout.mjs";
import { killAll, startFloor, startLimit, startSwitchboardWithoutAssets } from "./servers.mjs";

const STARTS = { limit: startLimit, floor: startFloor, switchboard: startSwitchboardWithoutAssets };

const root = new URL("..", import.meta.url).pathname;
const workerd = createRequire(import.meta.url)("workerd").default;

// Deliveries per burst (publishes = this / N), bursts to warm up, bursts
// measured. Under callgrind workerd runs ~50× slower: this keeps the phase
// to about five minutes (the floor, `servers` below, would add half of that again).
const DELIVERIES = 1000;
const WARM = 3;
const MEASURED = 5;

// Where garbage collection and JIT compilation are entered, by the names
// callgrind gives the functions. On the isolate's thread: a collection (on
// allocation, or a task's) and the C++ heap's incremental sweeping (a task);
// each is counted once, by its largest frame. On V8's worker threads every job
// is a root of its own: parallel scavenging and marking, background compiles.
const GC_ISOLATE = [
  /^v8::internal::Heap::CollectGarbage\(/,
  /^cppgc::internal::Sweeper::SweeperImpl::IncrementalSweepTask::Run\(/,
  /^v8::internal::IncrementalMarkingJob::Task::RunInternal\(/,
];
const COMPILE_ISOLATE = [/^v8::internal::BaselineBatchCompiler::CompileBatch/, /^v8::internal::Runtime_CompileLazy\(/, /^v8::internal::Runtime_WasmCompileLazy\(/];
const GC_WORKER = /^(v8::internal::(ScavengerJobTask|ConcurrentMarking::JobTask\w*|Sweeper::\w*JobTask|\w*ParallelWeakHandlesProcessor<.*>::Job|\w*Evacuat\w*Job\w*|PointersUpdatingJob)::Run\(|cppgc::internal::(ConcurrentMarkerBase::ConcurrentMarkingTask|Sweeper::SweeperImpl::ConcurrentSweepTask)::Run\()/;
const COMPILE_WORKER = /^v8::internal::(wasm::\(anonymous namespace\)::BackgroundCompileJob::Run|OptimizingCompileTaskExecutor::CompileTask::Run|maglev::MaglevConcurrentDispatcher::JobTask::Run)\(/;

// Inclusive instructions of every function in one thread's dump.
function inclusive(file) {
  const text = execFileSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", file], { maxBuffer: 256 << 20 }).toString();
  const total = Number(text.match(/([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/)?.[1].replaceAll(",", "") ?? 0);
  const functions = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([\d,]+) \(\s*[\d.]+%\)\s+[^:]*:(.*?)(?: \[[^\]]*\])?$/);
    if (m && !line.includes("PROGRAM TOTALS")) functions.push([m[2], Number(m[1].replaceAll(",", ""))]);
  }
  return { total, functions };
}

const largest = (functions, pattern) => Math.max(0, ...functions.filter(([name]) => pattern.test(name)).map(([, ir]) => ir));
const sum = (functions, pattern) => functions.filter(([name]) => pattern.test(name)).reduce((a, [, ir]) => a + ir, 0);

// One dump (every thread's file): its instructions by kind of work.
export function classify(files) {
  // A thread with next to nothing in this dump is not worth annotating: its few instructions count as work.
  const totals = files.map((file) => Number(readFileSync(file, "utf8").match(/^(?:summary|totals): (\d+)/m)?.[1] ?? 0));
  const all = totals.reduce((a, b) => a + b, 0);
  const threads = files.map((file, i) => (totals[i] > all / 1000 ? inclusive(file) : { total: totals[i], functions: [] }));
  // The isolate's thread: the one turning workerd's event loop with the most work.
  const isolate = threads.filter((t) => t.functions.some(([name]) => name === "kj::EventLoop::turn()")).sort((a, b) => b.total - a.total)[0];
  const split = { total: 0, gc: 0, compile: 0 };
  for (const t of threads) {
    split.total += t.total;
    if (t === isolate) {
      split.gc += GC_ISOLATE.reduce((a, pattern) => a + largest(t.functions, pattern), 0);
      split.compile += COMPILE_ISOLATE.reduce((a, pattern) => a + largest(t.functions, pattern), 0);
    } else {
      split.gc += sum(t.functions, GC_WORKER);
      split.compile += sum(t.functions, COMPILE_WORKER);
    }
  }
  split.work = split.total - split.gc - split.compile;
  return split;
}

const callgrind = (pid, ...args) => execFileSync("callgrind_control", [...args, String(pid)], { stdio: "ignore" });

function median(values) {
  return [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
}

// Bursts on one room: `WARM` not counted, then `MEASURED` each between a zero and a dump.
async function measure(server, room, n, bytes, dir) {
  const publishes = Math.max(10, Math.round(DELIVERIES / n));
  for (let i = 0; i < WARM; i++) await room.burst(publishes, bytes, 300_000);
  const bursts = [];
  for (let i = 0; i < MEASURED; i++) {
    const before = new Set(readdirSync(dir));
    callgrind(server.pid, "--zero");
    const r = await room.burst(publishes, bytes, 300_000);
    if (r.lost || r.duplicates || r.reordered) throw new Error(`${server.name}: ${r.lost} lost, ${r.duplicates} duplicated, ${r.reordered} reordered`);
    callgrind(server.pid, "--dump");
    const files = readdirSync(dir).filter((name) => name.startsWith(`workerd.${server.pid}.`) && !before.has(name));
    bursts.push(classify(files.map((name) => join(dir, name))));
  }
  const per = (x) => x / publishes;
  const gc = per(bursts.reduce((a, b) => a + b.gc, 0) / bursts.length);
  const work = bursts.map((b) => per(b.work));
  return {
    n,
    bytes,
    publishes,
    // Per publish: the median burst's work, the lowest and highest, GC amortised, JIT compilation left out.
    work: median(work),
    workSpread: [Math.min(...work), Math.max(...work)],
    gc,
    perPublish: median(work) + gc,
    compileLeftOut: per(bursts.reduce((a, b) => a + b.compile, 0) / bursts.length),
  };
}

async function underCallgrind(start, dir) {
  const saved = { ...process.env };
  Object.assign(process.env, { MINIFLARE_WORKERD_PATH: `${root}bench/callgrind-workerd.sh`, SB_WORKERD: workerd, SB_CALLGRIND_DIR: dir });
  try {
    const server = await start();
    callgrind(server.pid, "--instr=on");
    return server;
  } finally {
    for (const name of ["MINIFLARE_WORKERD_PATH", "SB_WORKERD", "SB_CALLGRIND_DIR"]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

// rows: [[n, bytes], …]; servers: names of STARTS, the limit first. Returns
// per server name its rows, each with the ratio of its instructions per
// publish to the limit's. keep: leave the dumps for callgrind_annotate.
export async function instructions(rows = [[2, 200], [50, 200], [200, 200], [2, 4096]], { servers: names = ["limit", "switchboard"], keep = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-workerd-callgrind-"));
  const servers = [];
  try {
    for (const name of names) servers.push(await underCallgrind(STARTS[name], dir));
    const results = Object.fromEntries(servers.map((s) => [s.name, []]));
    for (const [n, bytes] of rows) {
      const measured = [];
      for (const server of servers) {
        const room = await Room.open(server, n, `instructions-${n}-${bytes}`);
        measured.push(await measure(server, room, n, bytes, dir));
        await room.close();
      }
      const limit = measured[0];
      servers.forEach((s, i) => results[s.name].push({ ...measured[i], vsLimit: measured[i].perPublish / limit.perPublish }));
    }
    return results;
  } finally {
    for (const server of servers) await server.stop();
    if (keep) console.error(`callgrind dumps kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));
  process.on("exit", killAll);
  // `node bench/instructions.mjs [--keep] [--floor] [2x200 50x4096 …]`
  const rows = process.argv.slice(2).filter((arg) => !arg.startsWith("--")).map((arg) => arg.split("x").map(Number));
  const keep = process.argv.includes("--keep");
  const servers = process.argv.includes("--floor") ? ["limit", "floor", "switchboard"] : undefined;
  console.log(JSON.stringify(await instructions(rows.length ? rows : undefined, { keep, servers }), null, 1));
  process.exit(0);
}
