// The core benchmark (bench/core/core_bench.cpp) natively: instructions per event under callgrind (one
// dump per phase, repeatable on a shared machine), ns per event without it,
// and where a 4 KB publish's instructions go (callgrind_annotate, inclusive).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const binary = new URL("../build/bench/core_bench", import.meta.url).pathname;

// Inclusive share of the named functions in one dump.
function breakdown(dump) {
  const text = execFileSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", dump], { maxBuffer: 64 << 20 }).toString();
  const total = Number(text.match(/([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/)[1].replaceAll(",", ""));
  const share = (pattern) => {
    for (const line of text.split("\n")) {
      const m = line.match(/^\s*([\d,]+) \([\d.]+%\)\s+(.*)$/);
      if (m && pattern.test(m[2])) return Number(m[1].replaceAll(",", "")) / total;
    }
    return 0;
  };
  return {
    parse: share(/sb::read_members/),
    serialize: share(/detail::serializer<.*>::dump\(/),
    send: share(/NullHost::send/),
  };
}

export function coreBench() {
  // Wall time on a shared machine: the fastest of five runs per phase.
  const lines = () => execFileSync(binary).toString().trim().split("\n").map((line) => JSON.parse(line));
  const runs = Array.from({ length: 5 }, () => lines().filter((row) => row.phase));
  const { heapBytesPerSocket } = lines().find((row) => row.heapBytesPerSocket !== undefined);
  const timed = runs[0].map((row) => ({ ...row, ns: Math.min(...runs.map((run) => run.find((r) => r.phase === row.phase).ns)) }));
  const dir = mkdtempSync(join(tmpdir(), "switchboard-callgrind-"));
  try {
    execFileSync("valgrind", ["--tool=callgrind", "--collect-atstart=no", `--callgrind-out-file=${join(dir, "cg.out")}`, binary], { stdio: "ignore" });
    const phases = {};
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), "utf8");
      const trigger = text.match(/^desc: Trigger: Client Request: (.*)$/m);
      if (!trigger) continue;
      const phase = trigger[1];
      const instructions = Number(text.match(/^totals: (\d+)/m)[1]);
      const row = timed.find((t) => t.phase === phase);
      phases[phase] = {
        instructions: instructions / row.events,
        ns: row.ns / row.events,
        sentBytes: row.sentBytes / row.events,
      };
      if (phase === "publish-100/4096") phases[phase].breakdown = breakdown(join(dir, name));
    }
    return { phases, heapBytesPerSocket };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(coreBench(), null, 1));
