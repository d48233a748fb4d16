// Turns bench/results/latest.json into BENCHMARKS.md's generated section
// (between the markers; the prose around it is written by hand) and
// bench/fanout.svg (plain SVG, no dependencies).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { billingTable } from "./billing.mjs";

const root = new URL("..", import.meta.url).pathname;
const BEGIN = "<!-- results:begin (scripts/bench.sh writes this section) -->";
const END = "<!-- results:end -->";
const SERVERS = ["switchboard", "switchboard, sharded", "floor, assets", "limit, assets", "switchboard, no assets", "floor", "limit", "y-webrtc"];
const COLORS = { switchboard: "#f38020", "switchboard, sharded": "#b5520b", "floor, assets": "#a8a8a8", "limit, assets": "#5a5a5a", "switchboard, no assets": "#f7b267", floor: "#7a7a7a", limit: "#2d2d2d", "y-webrtc": "#3867d6" };

const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "–");
const ratio = (value, floor) => (Number.isFinite(value) && floor ? `${(value / floor).toFixed(2)}×` : "–");
const size = (bytes) => (bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`);
const kib = (bytes) => fmt(bytes / 1024, 1);

// A ratio taken round by round: the median, the lowest and highest (and how many rounds).
const byRound = (v, rounds = false) => (v ? `${v.median.toFixed(2)}× (${v.spread[0].toFixed(2)}–${v.spread[1].toFixed(2)}${rounds ? `, ${v.rounds}` : ""})` : "–");

// CPU per delivery against the limit (publishes forwarded unparsed: N × ws.send
// and nothing else), the rest against the floor, each in the server's own
// set-up: behind the asset router ([assets] with run_worker_first) or not.
export function fanoutTable(fanout) {
  const rows = [
    "| subscribers | message | server | asset router | server CPU µs per delivered msg (median burst, spread) | vs limit: median of the rounds' ratios (lowest–highest, rounds) | delivered msg/s | vs floor | p50 ms | p99 ms | p99 vs floor: median of the rounds' ratios (lowest–highest) | lost | reordered | duplicated |",
    "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const { n, bytes } of fanout.floor) {
    const find = (server) => fanout[server]?.find((x) => x.n === n && x.bytes === bytes);
    for (const server of SERVERS) {
      const r = find(server);
      if (!r) continue;
      const base = find(r.assets ? "floor, assets" : "floor");
      const spread = r.cpuMicrosSpread ? ` (${fmt(r.cpuMicrosSpread[0], 1)}–${fmt(r.cpuMicrosSpread[1], 1)})` : "";
      const vsLimit = byRound(r.cpuVsLimit, true);
      // Runs from before the p99 was taken round by round: the ratio of the two p99s.
      const vsFloor = r.p99VsFloor ? byRound(r.p99VsFloor) : ratio(r.p99, base?.p99);
      rows.push(`| ${n} | ${size(bytes)} | ${server} | ${r.assets ? "yes" : "no"} | ${fmt(r.cpuMicrosPerMessage, 1)}${spread} | ${vsLimit} | ${fmt(r.messagesPerSecond)} | ${ratio(r.messagesPerSecond, base?.messagesPerSecond)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${vsFloor} | ${r.lost} | ${r.reordered} | ${r.duplicates} |`);
    }
  }
  return rows.join("\n");
}

function concurrencyTable(concurrency) {
  const rows = [
    "| server | target | held open | reached by one publish | refused on the way | one more socket | seconds to open | workerd RSS before → after (MiB) | KiB per socket | vs floor |",
    "|---|---:|---:|---:|---|---|---:|---:|---:|---:|",
  ];
  const floor = concurrency.floor?.bytesPerConnection;
  for (const [server, c] of Object.entries(concurrency)) {
    rows.push(`| ${server} | ${fmt(c.target)} | ${fmt(c.open)} | ${fmt(c.reached)} | ${c.refusal ?? "none"} | ${c.beyond} | ${fmt(c.openSeconds, 1)} | ${fmt(c.rssBefore / 2 ** 20)} → ${fmt(c.rssAfter / 2 ** 20)} | ${kib(c.bytesPerConnection)} | ${ratio(c.bytesPerConnection, floor)} |`);
  }
  return rows.join("\n");
}

function coreTable(core, wasm) {
  const rows = [
    "| event | native instructions (callgrind) | native ns | WASM core ns (export only) | WASM through the shim ns | boundary ns (shim − export) |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const [phase, c] of Object.entries(core)) {
    const w = wasm.events[phase] ?? {};
    const boundary = w.wasm === undefined ? "–" : fmt(w.shim - w.wasm);
    rows.push(`| ${phase.includes("/") ? `${phase.replace("/", ", ")} B` : phase} | ${fmt(c.instructions)} | ${fmt(c.ns)} | ${w.wasm === undefined ? "–" : fmt(w.wasm)} | ${fmt(w.shim)} | ${boundary} |`);
  }
  const extra = 4096 - 200;
  const per = (get) => (get("publish-1/4096") - get("publish-1/200")) / extra;
  rows.push(`| per extra byte of a publish (slope 200 B → 4 KB, 1 subscriber) | ${fmt(per((p) => core[p].instructions), 1)} | ${fmt(per((p) => core[p].ns), 2)} | ${fmt(per((p) => wasm.events[p].wasm), 2)} | ${fmt(per((p) => wasm.events[p].shim), 2)} | ${fmt(per((p) => wasm.events[p].shim - wasm.events[p].wasm), 2)} |`);
  return rows.join("\n");
}

// Each server's result for each of the limit's rows (bench/instructions.mjs), in the limit's order.
function* instructionRows(instructions) {
  for (const limit of instructions.limit ?? []) {
    for (const [server, measured] of Object.entries(instructions)) {
      const r = measured.find((x) => x.n === limit.n && x.bytes === limit.bytes);
      if (r) yield { server, r, limit };
    }
  }
}

// workerd's instructions per publish under callgrind, against the limit's.
export function instructionsTable(instructions) {
  const rows = [
    "| subscribers | message | server | instructions per publish (median burst, lowest–highest) | work vs limit | GC per publish (mean) | total per publish | total vs limit | JIT compilation left out, per publish |",
    "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const { server, r } of instructionRows(instructions)) {
    rows.push(`| ${r.n} | ${size(r.bytes)} | ${server} | ${fmt(r.work)} (${fmt(r.workSpread[0])}–${fmt(r.workSpread[1])}) | ${r.workVsLimit.toFixed(3)}× | ${fmt(r.gc)} | ${fmt(r.perPublish)} | ${r.vsLimit.toFixed(3)}× | ${fmt(r.compileLeftOut)}${r.steady === false ? " (still compiling)" : ""} |`);
  }
  return rows.join("\n");
}

// The same rows' work over the limit's, by kind (bench/instructions.mjs, KINDS), per publish.
export function instructionsKindsTable(instructions) {
  const rows = [
    "| subscribers | message | server | compiled code (the core's WebAssembly, V8-compiled JS) | V8's JSON | interpreter | text API (encodeInto, decode, their views, UTF-8) | the rest (workerd, V8's runtime) | all work |",
    "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
  ];
  const over = (a, b) => { const d = Math.round(a - b); return `${d > 0 ? "+" : ""}${fmt(d)}`; };
  for (const { server, r, limit } of instructionRows(instructions)) {
    if (server === "limit" || !r.kinds || !limit.kinds) continue;
    const k = (kind) => over(r.kinds[kind], limit.kinds[kind]);
    rows.push(`| ${r.n} | ${size(r.bytes)} | ${server} | ${k("jit")} | ${k("json")} | ${k("interpreter")} | ${k("text")} | ${k("rest")} | ${over(r.work, limit.work)} |`);
  }
  return rows.join("\n");
}

export function transportTable({ rows }) {
  const names = { fetch: "fetch (a Request to the stub)", rpc: "Durable Object RPC (what the space uses)", ws: "WebSocket between the objects" };
  const out = ["| transport | messages per call | latency µs per call | CPU µs per call | CPU µs per message |", "|---|---:|---:|---:|---:|"];
  for (const r of rows) out.push(`| ${names[r.mode]} | ${r.batch} | ${fmt(r.latencyMicrosPerCall)} | ${fmt(r.cpuMicrosPerCall)} | ${fmt(r.cpuMicrosPerMessage, 1)} |`);
  return out.join("\n");
}

export function section(results) {
  const { machine, core, wasm } = results;
  const b = core.phases["publish-100/4096"].breakdown;
  return `${BEGIN}
## Results (${results.date.slice(0, 16).replace("T", " ")} UTC${results.quick ? ", --quick smoke run" : ""})

Command: \`${results.command}\` (this section, \`bench/fanout.svg\` and
\`bench/results/latest.json\` are its output; ${fmt(results.seconds)} s).
Machine: ${machine.cpu}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}; Node ${machine.node},
wrangler ${machine.wrangler}, workerd ${machine.workerd}, ${machine.emscripten}.
Shared with other engineers' builds: load average ${machine.loadBefore.map((l) => l.toFixed(1)).join(" / ")} before,
${machine.loadAfter.map((l) => l.toFixed(1)).join(" / ")} after. Absolute numbers mean little here; ratios do: CPU per
delivery against the limit (the floor's object forwarding each publish unparsed, N × \`ws.send\` and
nothing else), throughput and latency against the floor (one \`JSON.parse\` and one \`JSON.stringify\` per publish),
each in the server's own set-up (behind workerd's asset router or not). The CPU and p99 ratios are taken round
by round, of two bursts (or two paced phases) seconds apart; the median over the rounds is the figure, their range its noise.

### Fan-out (one topic, one publisher)

![fan-out throughput and p99](bench/fanout.svg)

${fanoutTable(results.fanout)}

${results.instructions ? `### Fan-out in instructions (workerd under callgrind)

The limit and switchboard, both without [assets] (\`bench/instructions.mjs\`), each burst of ~${fmt(results.instructions.limit[0].publishes * results.instructions.limit[0].n)} deliveries
between a callgrind zero and dump, at V8's steady state: after an uncounted warm-up (the core's WebAssembly reaches
TurboFan only after ~11,000 publishes; V8 compiles on the isolate's thread, as under valgrind its background jobs can
stay queued for good: "Under callgrind" below), counted until five bursts in a row compile next to nothing (the last column;
"still compiling" where eight bursts did not get there); every thread of the workerd that runs the object, user space
only. Garbage collection comes in lumps of millions of instructions, so it is a mean over the bursts (five bursts may
catch a major collection or no collection at all), the rest the median burst; the work alone is compared with the
limit's too (a run's bursts agree to a few tenths of a per cent; from run to run the work ratio moves by ~0.3% at N = 2 and up to ~1.5% at N = 200):

${instructionsTable(results.instructions)}
${results.instructions.limit[0].kinds ? `
Where the median burst's work over the limit's goes, per publish, by the functions' own instructions on the isolate's
thread (\`KINDS\` in \`bench/instructions.mjs\`; "Under callgrind" below reads it):

${instructionsKindsTable(results.instructions)}
` : ""}
` : ""}${results.capacity ? `### A sharded \`/\`: billable units and the capacity model

Billable units, counted by the objects themselves (\`node bench/billing.mjs\`):

${billingTable(results.billing)}

${results.transport ? `Calls between two objects by fetch, by Durable Object RPC and over a WebSocket (\`bench/transport.mjs\`;
${results.transport.calls} calls one at a time, ${results.transport.bytes} B per message, medians of ${results.transport.rounds} interleaved rounds;
CPU is the workerd process's, both objects):

${transportTable(results.transport)}

` : ""}Capacity model (\`bench/capacity.mjs\`), CPU per event fitted to the fan-out above
(µs: frame ${fmt(results.capacity.cost.frame, 1)}, send ${fmt(results.capacity.cost.send, 1)}, call between objects ${fmt(results.capacity.cost.call, 1)});
inputs ${Object.entries(results.capacity.inputs).map(([k, v]) => `${k} ${v}`).join(", ")}:

![sockets supported vs G](bench/capacity.svg)

${results.capacity.table}
` : ""}
### Concurrency (one Durable Object)

${concurrencyTable(results.concurrency)}

The core's own state per socket, subscribed to one topic (native heap, 64-bit;
smaller in 32-bit WebAssembly): ${fmt(core.heapBytesPerSocket)} bytes.

### The core alone

${coreTable(core.phases, wasm)}

A 4 KB publish natively: ${(b.parse * 100).toFixed(0)}% of its instructions read the frame
(\`read_members\`: checked whole, its members found, nothing built)${b.serialize > 0.005 ? `, ${(b.serialize * 100).toFixed(0)}% serialise it again with \`clients\`` : ""}.

### Size and start-up

| | raw | gzip -9 |
|---|---:|---:|
| core.wasm | ${fmt(wasm.size.wasm)} B | ${fmt(wasm.size.wasmGzip)} B |
| core.js (Emscripten glue) | ${fmt(wasm.size.js)} B | ${fmt(wasm.size.jsGzip)} B |

Compiling the module in a fresh Node ${machine.node} (\`new WebAssembly.Module\`): ${fmt(wasm.compileMs, 2)} ms as V8 does
by default (functions compile lazily, on first call), ${fmt(wasm.compileEagerMs, 2)} ms compiling every function up front;
instantiating it and initialising a signal core (\`Core.load\`, what each Durable Object pays once
per wake-up): ${fmt(wasm.instantiateMs, 2)} ms (medians).
${END}`;
}

export function svg(fanout) {
  const configs = fanout.floor.map((r) => ({ n: r.n, bytes: r.bytes }));
  const panel = (x0, title, metric, unit) => {
    const width = 430;
    const height = 250;
    const top = 40;
    const left = 56;
    const plotWidth = width - left - 10;
    const values = SERVERS.flatMap((s) => (fanout[s] ?? []).map((r) => r[metric])).filter(Number.isFinite);
    // Four round grid steps, the top one above every bar.
    const raw = Math.max(...values) / 4;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * power).find((candidate) => candidate >= raw);
    const max = step * 4;
    const group = plotWidth / configs.length;
    const bar = (group - 10) / SERVERS.length;
    let out = `<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">${title}</text>`;
    for (let i = 0; i <= 4; i++) {
      const y = top + height - (height * i) / 4;
      out += `<line x1="${x0 + left}" x2="${x0 + width - 10}" y1="${y}" y2="${y}" stroke="#ddd"/>`;
      out += `<text x="${x0 + left - 4}" y="${y + 4}" text-anchor="end" font-size="10">${fmt(step * i, step < 1 ? 1 : 0)}</text>`;
    }
    out += `<text x="${x0 + 12}" y="${top + height / 2}" font-size="10" transform="rotate(-90 ${x0 + 12} ${top + height / 2})" text-anchor="middle">${unit}</text>`;
    configs.forEach((c, i) => {
      const gx = x0 + left + i * group + 5;
      SERVERS.forEach((server, j) => {
        const r = fanout[server]?.find((x) => x.n === c.n && x.bytes === c.bytes);
        const v = r?.[metric];
        if (!Number.isFinite(v)) return;
        const h = (height * v) / max;
        out += `<rect x="${gx + j * bar}" y="${top + height - h}" width="${bar - 1}" height="${h}" fill="${COLORS[server]}"><title>${server}: ${fmt(v, 2)} ${unit}</title></rect>`;
      });
      out += `<text x="${gx + (group - 10) / 2}" y="${top + height + 14}" text-anchor="middle" font-size="10">N=${c.n}</text>`;
      out += `<text x="${gx + (group - 10) / 2}" y="${top + height + 26}" text-anchor="middle" font-size="10">${size(c.bytes)}</text>`;
    });
    return out;
  };
  // Four to a line.
  const legend = SERVERS.map((s, i) => {
    const x = 40 + (i % 4) * 210;
    const y = 338 + Math.floor(i / 4) * 18;
    return `<rect x="${x}" y="${y}" width="12" height="12" fill="${COLORS[s]}"/><text x="${x + 16}" y="${y + 10}" font-size="12">${s}</text>`;
  }).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="880" height="380" font-family="sans-serif" font-size="12">
<rect width="880" height="380" fill="white"/>
${panel(0, "Fan-out throughput (higher is better)", "messagesPerSecond", "delivered messages/s")}
${panel(440, "One-way latency p99, paced (lower is better)", "p99", "ms")}
${legend}
</svg>
`;
}

export function report(results) {
  writeFileSync(`${root}bench/fanout.svg`, svg(results.fanout));
  const path = `${root}BENCHMARKS.md`;
  const current = existsSync(path) ? readFileSync(path, "utf8") : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + section(results) + current.slice(end + END.length) : `${current}\n${section(results)}\n`;
  writeFileSync(path, next);
}

if (import.meta.url === `file://${process.argv[1]}`) report(JSON.parse(readFileSync(`${root}bench/results/latest.json`, "utf8")));
