// The servers of the fan-out comparison, each in its own process group:
// switchboard (with and without its demo page's [assets]), the floor and the
// limit (each also behind the same [assets] set-up, so every server has a
// partner in its own set-up) under `wrangler dev` (workerd), and y-webrtc's
// reference server (Node). Clients talk straight to the workerd process that
// runs the Durable Object, not through wrangler's dev proxy (a second workerd
// that would double every hop and every file descriptor).
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configWithoutAssets, freePort, startWorker } from "../test/worker/server.mjs";

const root = new URL("..", import.meta.url).pathname;

// Every process group started, so a signal or crash still stops them; the
// list is also in bench/results/groups for scripts/bench.sh's last resort.
const groups = new Set();
const groupsFile = `${root}bench/results/groups`;

function track(pgid, running) {
  if (running) groups.add(pgid);
  else groups.delete(pgid);
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(groupsFile, [...groups].map((g) => `${g}\n`).join(""));
}

function descendants(pgid) {
  const lines = execFileSync("ps", ["-o", "pid=,args=", "-g", String(pgid)]).toString().trim().split("\n");
  return lines.map((line) => line.trim().match(/^(\d+)\s+(.*)$/)).filter(Boolean).map(([, pid, args]) => ({ pid: Number(pid), args }));
}

function listeningPorts(pid) {
  const out = execFileSync("ss", ["-ltnpH"]).toString();
  return [...out.matchAll(/127\.0\.0\.1:(\d+)\s.*pid=(\d+),/g)].filter((m) => Number(m[2]) === pid).map((m) => Number(m[1]));
}

// The workerd that runs the user's Worker (the one with an inspector), and its
// own entry port: the one that answers /health.
async function userWorkerd(pgid) {
  const workerd = descendants(pgid).find((p) => p.args.includes("workerd serve") && p.args.includes("--inspector-addr"));
  if (!workerd) throw new Error("no workerd running the Worker");
  // All ports at once: the first /health can take long (under callgrind,
  // bench/instructions.mjs), and a port that is not HTTP may never answer.
  const probe = async (port) => {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(60_000) });
    if (response.status !== 200) throw new Error(`${port}: not the entry`);
    return { pid: workerd.pid, port };
  };
  try {
    return await Promise.any(listeningPorts(workerd.pid).map(probe));
  } catch {
    throw new Error("workerd's entry port not found");
  }
}

// `assets`: whether workerd's asset router (`[assets]` with run_worker_first)
// fronts the Worker, and so every socket's frames.
async function wranglerServer(name, assets, options) {
  const worker = await startWorker(options);
  track(worker.pid, true);
  const { pid, port } = await userWorkerd(worker.pid);
  return {
    name,
    assets,
    ws: `ws://127.0.0.1:${port}`,
    proxied: worker.ws,
    pid,  // the workerd whose memory is the Durable Object's
    inspector: worker.inspector,  // wrangler's DevTools endpoint, for bench/profile.mjs
    async stop() {
      await worker.stop();
      track(worker.pid, false);
    },
  };
}

// Default settings but one: a bench publisher sends bursts of 1,500 frames,
// which the default per-socket rate (100/s) rightly closes with 1008.
const benchVars = { SIGNAL_MESSAGES_PER_SECOND: 1_000_000 };
export const startSwitchboard = () => wranglerServer("switchboard", true, { vars: benchVars });

// `/` sharded as docs/signal.md describes (3 gateways, 5 topic owners): the
// fan-out's subscribers land on the gateways at random.
export const startSwitchboardSharded = () =>
  wranglerServer("switchboard, sharded", true, { vars: { ...benchVars, SIGNAL_GATEWAYS: 3, SIGNAL_TOPIC_SHARDS: 5 } });

// The same Worker without the demo page: with an [assets] section, workerd's
// asset router fronts every request and every WebSocket; this shows its cost.
export const startSwitchboardWithoutAssets = () =>
  wranglerServer("switchboard, no assets", false, { config: configWithoutAssets(), vars: benchVars });

const floorConfig = `${root}bench/floor/wrangler.toml`;

// The floor's wrangler.toml with switchboard's own [assets] section (the demo
// page, run_worker_first): the same router in front, for a like-for-like pair.
function floorConfigWithAssets() {
  const assets = readFileSync(`${root}wrangler.toml`, "utf8").match(/^\[assets\]\n(?:.+\n)*/m)[0];
  const toml = readFileSync(floorConfig, "utf8").replace(/^main = "(.*)"$/m, `main = "${root}bench/floor/$1"`);
  const config = join(mkdtempSync(join(tmpdir(), "switchboard-floor-")), "wrangler.toml");
  writeFileSync(config, `${toml}\n${assets.replace(/^directory = "(.*)"$/m, `directory = "${root}$1"`)}`);
  return config;
}

export const startFloor = () => wranglerServer("floor", false, { config: floorConfig });
export const startFloorWithAssets = () => wranglerServer("floor, assets", true, { config: floorConfigWithAssets() });

// The floor's object forwarding publishes unparsed: the platform's limit.
export const startLimit = () => wranglerServer("limit", false, { config: floorConfig, vars: { LIMIT: "unparsed" } });
export const startLimitWithAssets = () => wranglerServer("limit, assets", true, { config: floorConfigWithAssets(), vars: { LIMIT: "unparsed" } });

// Two objects calling each other by fetch, by RPC and over a WebSocket (bench/transport.mjs).
export const startTransport = () => wranglerServer("transport", false, { config: `${root}bench/transport/wrangler.toml` });

export async function startReference() {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", `${root}bench/loopback.mjs`, `${root}node_modules/y-webrtc/bin/server.js`], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  track(child.pid, true);
  let output = "";
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (output.includes("Signaling server running")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`y-webrtc server exited (${code}):\n${output}`)));
  });
  return {
    name: "y-webrtc",
    assets: false,
    ws: `ws://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, "exit");
        process.kill(-child.pid, "SIGTERM");
        await exited;
      }
      track(child.pid, false);
    },
  };
}

// Resident memory in bytes (VmRSS).
export function rss(pid) {
  const kb = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/)[1];
  return Number(kb) * 1024;
}

// CPU time the process has used, in seconds: the scheduler's own count of
// nanoseconds on a CPU (/proc/PID/task/TID/schedstat), summed over its
// threads. /proc/PID/stat's utime + stime come in ticks of 10 ms, ±4–20% of a
// burst's CPU here; these are exact to the nanosecond.
export function cpuSeconds(pid) {
  let nanos = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nanos / 1e9;
}

// Last resort on exit: every group still running gets SIGKILL.
export function killAll() {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  groups.clear();
  writeFileSync(groupsFile, "");
}
