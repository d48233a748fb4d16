// Where a publish's CPU goes in workerd: a V8 CPU profile of the Durable
// Object's isolate, taken through workerd's inspector (the Chrome DevTools
// Protocol: Profiler.start / Profiler.stop) while one publisher bursts 200 B
// publishes to two subscribers, for switchboard (without [assets], like the
// limit) and for the limit (the floor's object forwarding each publish
// unparsed). Self time is summed by what the code does, per publish.
//
//   node bench/profile.mjs [--bytes 200] [--n 2] [--publishes 5000] [--rounds 4] [--interval 100] [--out dir] [--saved]
//
// Prints a table and writes the raw profiles (.cpuprofile, for Chrome
// DevTools) and the summary (profile.json) to bench/results/.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import WebSocket from "ws";
import { Room, warmUp } from "./fanout.mjs";
import { log } from "./log.mjs";
import { killAll, startLimit, startSwitchboardWithoutAssets } from "./servers.mjs";

const root = new URL("..", import.meta.url).pathname;
const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const BYTES = Number(option("bytes", 200));
const N = Number(option("n", 2));
const PUBLISHES = Number(option("publishes", 5000));
const ROUNDS = Number(option("rounds", 4));
const INTERVAL = Number(option("interval", 100));  // µs between samples
const OUT = option("out", `${root}bench/results`);

// One CDP session with the user Worker's isolate (where its Durable Objects
// run): workerd lists it as core:user:<name>, beside its internal workers.
async function inspect(address) {
  const targets = await (await fetch(`http://${address}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target) throw new Error(`no inspector target at ${address}`);
  const url = target.webSocketDebuggerUrl;
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let next = 1;
  const pending = new Map();
  ws.on("message", (text) => {
    const message = JSON.parse(text);
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${message.error.message} (${JSON.stringify(message.error)})`));
    else waiter.resolve(message.result);
  });
  return {
    targets,
    call(method, params = {}) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => ws.close(),
  };
}

// What a function does, for the summary; undefined for a function that is
// counted with its caller (a sample is charged to the nearest classified
// function on its stack, so ws.send's native code counts with the loop that
// calls it however V8 attributes it).
function classify({ functionName: name, url }) {
  if (name === "(garbage collector)") return "garbage collection";
  if (name === "(program)") return "workerd outside JS (sockets, event loop)";
  if (name === "(idle)") return "idle";
  if (name === "forward" || name === "send") return "the sends: N × ws.send and the loop around them";
  if (name === "decode" || name === "#text") return "TextDecoder: the outgoing frame out of WASM memory";
  if (name === "encodeInto" || name === "#writeText" || name === "#inputView") return "TextEncoder: the incoming frame into WASM memory";
  if (name === "now" || name === "_host_now") return "Date.now (the core's clock, per frame)";
  if (name.startsWith("wasm-function") || url.startsWith("wasm://")) return "the core (WebAssembly)";
  if (/^(js-to-wasm|wasm-to-js)/.test(name) || name === "_host_send") return "JS ↔ WebAssembly calls (glue)";
  if (["webSocketMessage", "message", "#idOf", "#guard"].includes(name)) return "the event into the core (socket id, guard)";
  if (["serializeAttachment", "deserializeAttachment"].includes(name)) return "attachments";
  if (["log", "warn", "error"].includes(name) && !url) return "logging";
  return undefined;
}

function summarise(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const category = new Map();
  const visit = (id, inherited) => {
    const node = byId.get(id);
    const own = classify(node.callFrame) ?? inherited;
    category.set(id, own);
    for (const child of node.children ?? []) visit(child, own);
  };
  visit(profile.nodes[0].id, "other");
  const categories = {};
  const functions = {};
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const c = category.get(id);
    categories[c] = (categories[c] ?? 0) + micros;
    const { callFrame } = byId.get(id);
    const key = `${callFrame.functionName || "(anonymous)"} ${callFrame.url ? callFrame.url.split("/").pop() : ""}:${callFrame.lineNumber}`;
    functions[key] = (functions[key] ?? 0) + micros;
  }
  return { categories, functions };
}

// Both servers profiled at once, their bursts taking turns (as in the fan-out
// bench), so the machine's other load hits them alike.
export async function profiles() {
  const servers = [];
  try {
    for (const start of [startSwitchboardWithoutAssets, startLimit]) servers.push(await start());
    const sessions = [];
    for (const server of servers) {
      if (!server.inspector) throw new Error(`${server.name}: no inspector`);
      log(`${server.name}: ${N} subscribers`);
      const room = await Room.open(server, N, "profile");
      const inspector = await inspect(server.inspector);
      // wrangler's inspector proxy enables the debugger for a DevTools client;
      // while it is on, V8 runs WebAssembly in its unoptimised debugging tier.
      await inspector.call("Debugger.disable");
      await inspector.call("Profiler.enable");
      await inspector.call("Profiler.setSamplingInterval", { interval: INTERVAL });
      sessions.push({ server, room, inspector, publishes: 0, lost: 0 });
    }
    // Warm-up, after the debugger is off: the module optimised again, the objects loaded.
    for (const s of sessions) {
      await warmUp(s.server);
      await s.room.burst(PUBLISHES, BYTES);
    }
    log(`profiling ${ROUNDS} bursts of ${PUBLISHES} publishes on each`);
    for (const s of sessions) await s.inspector.call("Profiler.start");
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of sessions) {
        const r = await s.room.burst(PUBLISHES, BYTES);
        s.publishes += PUBLISHES;
        s.lost += r.lost + r.reordered + r.duplicates;
      }
    }
    const results = [];
    mkdirSync(OUT, { recursive: true });
    for (const s of sessions) {
      const { profile } = await s.inspector.call("Profiler.stop");
      s.inspector.close();
      await s.room.close();
      writeFileSync(`${OUT}/profile-${s.server.name}.cpuprofile`, JSON.stringify(profile));
      results.push({ server: s.server.name, publishes: s.publishes, lost: s.lost, ...summarise(profile) });
    }
    return results;
  } finally {
    for (const server of servers) await server.stop();
  }
}

function table(results) {
  const perPublish = (r, micros) => ((micros ?? 0) / r.publishes).toFixed(2);
  const names = [...new Set(results.flatMap((r) => Object.keys(r.categories)))]
    .filter((c) => c !== "idle")
    .sort((a, b) => (results[0].categories[b] ?? 0) - (results[0].categories[a] ?? 0));
  const lines = [`| sampled self time per publish (µs), N = ${N}, ${BYTES} B | ${results.map((r) => r.server).join(" | ")} |`, `|---|${results.map(() => "---:").join("|")}|`];
  for (const name of names) lines.push(`| ${name} | ${results.map((r) => perPublish(r, r.categories[name])).join(" | ")} |`);
  const busy = (r) => Object.entries(r.categories).filter(([c]) => c !== "idle").reduce((sum, [, v]) => sum + v, 0);
  lines.push(`| **busy in total** | ${results.map((r) => `**${perPublish(r, busy(r))}**`).join(" | ")} |`);
  return lines.join("\n");
}

// The saved profiles summarised again (--saved: no servers started).
function saved() {
  const count = ROUNDS * PUBLISHES;
  return ["switchboard, no assets", "limit"].map((server) => ({
    server,
    publishes: count,
    lost: 0,
    ...summarise(JSON.parse(readFileSync(`${OUT}/profile-${server}.cpuprofile`, "utf8"))),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));
  process.on("exit", killAll);
  const results = process.argv.includes("--saved") ? saved() : await profiles();
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/profile.json`, JSON.stringify(results, null, 1));
  console.log(table(results));
  for (const r of results) {
    console.log(`\n${r.server}: ${r.publishes} publishes, lost/reordered/duplicated ${r.lost}; top functions (self µs per publish):`);
    for (const [name, micros] of Object.entries(r.functions).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(micros / r.publishes).toFixed(3)}  ${name}`);
  }
}
