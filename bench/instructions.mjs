// Instructions per publish in workerd itself, under callgrind: the limit and
// switchboard without [assets] (the fan-out's servers, in one set-up) run in
// `wrangler dev` as everywhere else, but their workerd is valgrind's
// (bench/callgrind-workerd.sh). Each burst is bracketed by a zero and a dump
// (callgrind_control), per thread. An instruction count hardly depends on the
// machine's other load: the ratio to the limit repeats to 1–2% from run to
// run, where the CPU time of the same burst varies by tens of per cent.
// Counted at V8's steady state: V8 runs the core's WebAssembly as baseline
// (Liftoff) code first and moves a function to TurboFan once it has used up
// its budget of executed code, so at N = 2, 200 B the core reaches its top
// tier only after ~11,000 publishes (its code's own cost per publish falls
// from ~18,500 instructions to ~13,500 on the way, and the shim's JavaScript,
// the wrappers between the two and the compiles fall with it). The warm-up
// runs with callgrind's counting off (valgrind alone, several times faster).
// What a burst's count holds, and what is taken out of it:
// - JIT compilation (V8 tiering wasm and JS code up, on its worker threads or
//   the isolate's): left out; after the warm-up it is ~0, and bursts are
//   measured until MEASURED in a row compile next to nothing.
// - Garbage collection (scavenges, marking, sweeping, on the isolate's thread
//   and its helpers): a real cost per message, but it comes in lumps of
//   millions of instructions a few times per burst, so it is amortised over
//   all measured bursts.
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

// Deliveries per burst (publishes = this / N) and bursts measured. Under
// callgrind workerd runs ~50× slower: with the warm-up below the phase takes
// about three minutes (the floor, `servers` below, would add half of that again).
const DELIVERIES = 1000;
const MEASURED = 5;
// Warm-up, uncounted: FIRST_WARM deliveries on a server's first row (18,000
// publishes at N = 2: the core's top tier, and the one-time events that
// follow within a few thousand publishes), ROW_WARM on each later row (the
// same server, warm), LARGER_WARM on a row whose frames are larger than the
// last row's: the shim's input buffer grows for the first of them, a path its
// TurboFan code has never run, so V8 deoptimises webSocketMessage (Core.message
// inlined) and runs it as Maglev code until it compiles it with TurboFan again,
// ~17,000 frames later (BENCHMARKS.md, "A larger frame"). Then bursts are counted
// until MEASURED in a row compile less than STEADY of their work, at most
// MAX_MEASURED; the last MEASURED are the row's.
const FIRST_WARM = 36_000;
const ROW_WARM = 20_000;
const LARGER_WARM = 48_000;
const STEADY = 0.005;
const MAX_MEASURED = 8;

// Where garbage collection and JIT compilation are entered, by the names
// callgrind gives the functions. On the isolate's thread: a collection (on
// allocation, or a task's) and the C++ heap's incremental sweeping (a task);
// each is counted once, by its largest frame. On V8's worker threads every job
// is a root of its own: parallel scavenging, marking, sweeping and weak-handle
// processing, background compiles.
const GC_ISOLATE = [
  /^v8::internal::Heap::CollectGarbage\(/,
  /^cppgc::internal::Sweeper::SweeperImpl::IncrementalSweepTask::Run\(/,
  /^v8::internal::IncrementalMarkingJob::Task::RunInternal\(/,
];
const COMPILE_ISOLATE = [/^v8::internal::BaselineBatchCompiler::CompileBatch/, /^v8::internal::Runtime_CompileLazy\(/, /^v8::internal::Runtime_WasmCompileLazy\(/];
const GC_WORKER = /^(v8::internal::(ScavengerJobTask|ConcurrentMarking::JobTask\w*|Sweeper::\w*Job(Task)?|ArrayBufferSweeper::SweepingState::SweepingJob|(\(anonymous namespace\)::)?(\w*ParallelWeakHandlesProcessor<.*>::Job|ParallelClearingJob)|\w*Evacuat\w*Job\w*|PointersUpdatingJob)::Run\(|v8::internal::MemoryPool::ReleasePooledChunksTask::RunInternal\(|cppgc::internal::(\(anonymous namespace\)::)?(ConcurrentMarkerBase::ConcurrentMarkingTask|ConcurrentMarkingTask|Sweeper::SweeperImpl::ConcurrentSweepTask|ConcurrentSweepTask)::Run\()/;
const COMPILE_WORKER = /^v8::internal::(wasm::\(anonymous namespace\)::BackgroundCompileJob::Run|OptimizingCompileTaskExecutor::CompileTask::Run|maglev::MaglevConcurrentDispatcher::JobTask::Run|baseline::ConcurrentBaselineCompiler::JobDispatcher::Run)\(/;

// Every function's instructions in one thread's dump: inclusive (with its
// callees) or exclusive (its own).
function annotate(file, inclusive) {
  const text = execFileSync("callgrind_annotate", [`--inclusive=${inclusive ? "yes" : "no"}`, "--threshold=100", file], { maxBuffer: 256 << 20 }).toString();
  const total = Number(text.match(/([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/)?.[1].replaceAll(",", "") ?? 0);
  const functions = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([\d,]+) \(\s*[\d.]+%\)\s+[^:]*:(.*?)(?: \[[^\]]*\])?$/);
    if (m && !line.includes("PROGRAM TOTALS")) functions.push([m[2], Number(m[1].replaceAll(",", ""))]);
  }
  return { total, functions };
}

// The isolate's work by kind, from its functions' own instructions, so that
// a server's work over the limit's can be told apart: its compiled code (for
// switchboard, the core's WebAssembly), V8's interpreter (which in workerd
// can keep a hot function for good; BENCHMARKS.md, "The shim in V8's
// interpreter"), V8's JSON (the floor's), and text crossing the runtime's
// API. The rest is workerd's own: its event loop, the sockets, V8's runtime.
const KINDS = {
  // Code callgrind cannot name: V8's compiled WebAssembly and JavaScript.
  jit: /^0x[0-9a-f]+$/,
  interpreter: /^Builtins_(\w+Handler|InterpreterEntryTrampoline|InterpreterPushArgs\w*|(Keyed)?LoadIC\w*|(Keyed)?StoreIC\w*|Call\w*|Construct\w*|\w+Baseline\w*)('\d+)?$/,
  json: /v8::internal::(Fast)?Json(Parser|Stringifier)/,
  // TextEncoder.encodeInto, TextDecoder.decode and the views they take, and the UTF-8 of ws.send's strings.
  text: /TextEncoder|TextDecoder|IcuDecoder|simdutf::|UConverter|Utf8|DictionaryTemplate|TypedArray|ArrayBufferView::|ArrayBuffer::GetBackingStore|jsg::asBytes|NewFromOneByte|NewStringFromOneByte|NewRawOneByteString/,
};

function kinds(file) {
  const found = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, 0]));
  for (const [name, ir] of annotate(file, false).functions) {
    const kind = Object.keys(KINDS).find((k) => KINDS[k].test(name));
    if (kind) found[kind] += ir;
  }
  return found;
}

const largest = (functions, pattern) => Math.max(0, ...functions.filter(([name]) => pattern.test(name)).map(([, ir]) => ir));
const sum = (functions, pattern) => functions.filter(([name]) => pattern.test(name)).reduce((a, [, ir]) => a + ir, 0);

// One dump (every thread's file): its instructions by kind of work.
export function classify(files) {
  // A thread with next to nothing in this dump is not worth annotating: its few instructions count as work.
  const totals = files.map((file) => Number(readFileSync(file, "utf8").match(/^(?:summary|totals): (\d+)/m)?.[1] ?? 0));
  const all = totals.reduce((a, b) => a + b, 0);
  const threads = files.map((file, i) => (totals[i] > all / 1000 ? annotate(file, true) : { total: totals[i], functions: [] }));
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
  split.kinds = isolate ? kinds(files[threads.indexOf(isolate)]) : {};
  split.kinds.rest = split.work - Object.values(split.kinds).reduce((a, b) => a + b, 0);
  return split;
}

const callgrind = (pid, ...args) => execFileSync("callgrind_control", [...args, String(pid)], { stdio: "ignore" });

function median(values) {
  return [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
}

// Bursts on one room: the warm-up uncounted, then counted ones, each between a zero and a dump, until the
// last MEASURED compiled next to nothing (or MAX_MEASURED were counted).
async function measure(server, room, n, bytes, dir, warm) {
  const publishes = Math.max(10, Math.round(DELIVERIES / n));
  callgrind(server.pid, "--instr=off");
  for (let i = 0; i < Math.ceil(warm / (publishes * n)); i++) await room.burst(publishes, bytes, 300_000);
  callgrind(server.pid, "--instr=on");
  let bursts = [];
  const steady = (b) => b.compile < STEADY * b.work;
  for (let counted = 0; counted < MAX_MEASURED && !(bursts.length === MEASURED && bursts.every(steady)); counted++) {
    const before = new Set(readdirSync(dir));
    callgrind(server.pid, "--zero");
    const r = await room.burst(publishes, bytes, 300_000);
    if (r.lost || r.duplicates || r.reordered) throw new Error(`${server.name}: ${r.lost} lost, ${r.duplicates} duplicated, ${r.reordered} reordered`);
    callgrind(server.pid, "--dump");
    const files = readdirSync(dir).filter((name) => name.startsWith(`workerd.${server.pid}.`) && !before.has(name));
    bursts = [...bursts, classify(files.map((name) => join(dir, name)))].slice(-MEASURED);
  }
  callgrind(server.pid, "--instr=off");
  const per = (x) => x / publishes;
  const gc = per(bursts.reduce((a, b) => a + b.gc, 0) / bursts.length);
  const work = bursts.map((b) => per(b.work));
  const typical = median(work);
  const middle = bursts[work.indexOf(typical)];
  return {
    n,
    bytes,
    publishes,
    // Per publish: the median burst's work, the lowest and highest, GC amortised, JIT compilation left out.
    work: typical,
    workSpread: [Math.min(...work), Math.max(...work)],
    gc,
    perPublish: typical + gc,
    compileLeftOut: per(bursts.reduce((a, b) => a + b.compile, 0) / bursts.length),
    // The median burst's work by kind (KINDS), per publish.
    kinds: Object.fromEntries(Object.entries(middle.kinds).map(([kind, ir]) => [kind, per(ir)])),
    steady: bursts.every(steady),
  };
}

// A room on a workerd under valgrind, whose first upgrades can fail while it
// is still starting (Node's http client: "socket hang up"): tried three times.
async function openRoom(server, n, bytes) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await Room.open(server, n, `instructions-${n}-${bytes}`);
    } catch (error) {
      if (attempt === 3) throw new Error(`instructions: ${server.name} (workerd ${server.pid} under callgrind): no room of ${n} subscribers: ${error.message}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}

async function underCallgrind(start, dir) {
  const saved = { ...process.env };
  Object.assign(process.env, { MINIFLARE_WORKERD_PATH: `${root}bench/callgrind-workerd.sh`, SB_WORKERD: workerd, SB_CALLGRIND_DIR: dir });
  try {
    return await start();
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
export async function instructions(rows = [[2, 200], [50, 200], [200, 200], [2, 4096], [50, 4096], [200, 4096]], { servers: names = ["limit", "switchboard"], keep = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-workerd-callgrind-"));
  const servers = [];
  try {
    for (const name of names) servers.push(await underCallgrind(STARTS[name], dir));
    const results = Object.fromEntries(servers.map((s) => [s.name, []]));
    for (const [i, [n, bytes]] of rows.entries()) {
      const warm = i === 0 ? FIRST_WARM : bytes > rows[i - 1][1] ? LARGER_WARM : ROW_WARM;
      const measured = [];
      for (const server of servers) {
        const room = await openRoom(server, n, bytes);
        measured.push(await measure(server, room, n, bytes, dir, warm));
        await room.close();
      }
      const limit = measured[0];
      // GC comes in lumps that five bursts may or may not catch (a major collection is ~25-60 million
      // instructions), so the work alone is compared too: its bursts agree to a few tenths of a per cent.
      servers.forEach((s, i) => results[s.name].push({ ...measured[i], vsLimit: measured[i].perPublish / limit.perPublish, workVsLimit: measured[i].work / limit.work }));
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
