// The WebAssembly core in Node through the real shim (js-shim/wasm.js and
// host.js) with stub sockets and storage: the same events as
// bench/core/core_bench.cpp, timed at two depths so the JS↔WASM boundary shows:
// - "shim": Core.message(conn, string): UTF-8 encode into WASM memory, the
//   core, host.send decoding the frame once and calling ws.send per socket;
// - "wasm": the export alone (_sb_message on text already in WASM memory),
//   host.send a no-op: the core's own cost in WebAssembly.
// Plus the module's size and start-up: compile, instantiate + init.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";

register("../test/worker/wasm-loader.mjs", import.meta.url);
const { Core } = await import("../js-shim/wasm.js");
const { Host } = await import("../js-shim/host.js");

const wasmPath = new URL("../js-shim/core.wasm", import.meta.url);
const EVENTS = 1000;
const encoder = new TextEncoder();

// A clock a second further on at every call, so no rate limit trips; log lines dropped.
class BenchHost extends Host {
  clock = Date.now();
  bind(module) {
    super.bind(module);
    this.module = module;
  }
  now() { return (this.clock += 1000); }
  log() {}
}

let delivered = 0;
const socket = { send() { delivered++; }, serializeAttachment() {}, close() {} };
const storage = { kv: { get() {}, put() {}, delete() {}, list: () => [] }, setAlarm() {}, deleteAlarm() {} };
const upgrade = { method: "GET", path: "/", query: {}, headers: { upgrade: "websocket" }, upgrade: true };

function publish(topic, bytes) {
  const head = `{"type":"publish","topic":"${topic}","data":"`;
  const tail = '"}';
  return head + "x".repeat(bytes - head.length - tail.length) + tail;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function room() {
  const host = new BenchHost({ sockets: new Map(), storage, effects() {} });
  const core = await Core.load("signal", {}, host);
  const open = (conn) => {
    core.fetch(upgrade);
    host.sockets.set(conn, socket);
    core.open(conn);
  };
  for (let conn = 1; conn <= EVENTS + 101; conn++) open(conn);
  for (let conn = EVENTS + 1; conn <= EVENTS + 100; conn++) core.message(conn, '{"type":"subscribe","topics":["hundred"]}');
  core.message(EVENTS + 101, '{"type":"subscribe","topics":["solo"]}');
  return { host, core, sender: EVENTS + 101 };
}

// A publish that reaches fewer subscribers than it should measures nothing.
function expectDelivered(before, expected, phase) {
  if (delivered - before !== expected) throw new Error(`${phase} delivered ${delivered - before} frames, expected ${expected}`);
}

function time(events, event) {
  const start = performance.now();
  for (let i = 0; i < events; i++) event(i);
  return ((performance.now() - start) * 1e6) / events;  // ns per event
}

// One pass over the phases on a fresh instance: ns per event at both depths.
async function pass() {
  const { host, core, sender } = await room();
  const result = {};
  result.subscribe = { shim: time(EVENTS, (i) => core.message(i + 1, '{"type":"subscribe","topics":["room"]}')) };
  for (const bytes of [200, 4096]) {
    for (const [name, topic, subscribers] of [["publish-1", "solo", 1], ["publish-100", "hundred", 100]]) {
      const text = publish(topic, bytes);
      const before = delivered;
      const shim = time(EVENTS, () => core.message(sender, text));
      expectDelivered(before, EVENTS * subscribers, `${name}/${bytes}`);
      const { module } = host;
      const ptr = module._sb_input(text.length * 3);
      const len = encoder.encodeInto(text, module.HEAPU8.subarray(ptr, ptr + text.length * 3)).written;
      const { send, send_spliced } = host;
      let frames = 0;
      host.send = host.send_spliced = () => { frames++; };
      // 2: all ASCII, as Core.message marks such a frame, so the core splices as in workerd.
      const wasm = time(EVENTS, () => module._sb_message(sender, len, 2, host.now()));
      Object.assign(host, { send, send_spliced });
      if (frames !== EVENTS) throw new Error(`${name}/${bytes} through the export sent ${frames} frames, expected ${EVENTS}`);
      result[`${name}/${bytes}`] = { shim, wasm };
    }
  }
  result.close = { shim: time(EVENTS, (i) => core.close(i + 1, 1000, "")) };
  return result;
}

export async function wasmBench() {
  const bytes = readFileSync(wasmPath);
  const js = readFileSync(new URL("../js-shim/core.js", import.meta.url));
  const size = {
    wasm: bytes.length,
    wasmGzip: gzipSync(bytes, { level: 9 }).length,
    js: js.length,
    jsGzip: gzipSync(js, { level: 9 }).length,
  };
  // Compiling in this process would hit V8's module cache: each sample is a
  // fresh Node. By default V8 compiles functions lazily, on first call;
  // --no-wasm-lazy-compilation compiles every function up front.
  const compileOnce = (flags) => {
    const code = `const b=require("fs").readFileSync(${JSON.stringify(wasmPath.pathname)});const t=performance.now();new WebAssembly.Module(b);console.log(performance.now()-t)`;
    return Number(execFileSync(process.execPath, [...flags, "-e", code]).toString());
  };
  const compile = Array.from({ length: 5 }, () => compileOnce([]));
  const compileEager = Array.from({ length: 5 }, () => compileOnce(["--no-wasm-lazy-compilation"]));
  const instantiate = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    await Core.load("signal", {}, new BenchHost({ sockets: new Map(), storage, effects() {} }));
    instantiate.push(performance.now() - start);
  }
  const passes = [];
  for (let i = 0; i < 3; i++) passes.push(await pass());
  // Fastest of three passes per phase and depth (the first warms the JIT).
  const events = {};
  for (const phase of Object.keys(passes[0])) {
    events[phase] = {};
    for (const depth of Object.keys(passes[0][phase])) events[phase][depth] = Math.min(...passes.map((p) => p[phase][depth]));
  }
  return { size, compileMs: median(compile), compileEagerMs: median(compileEager), instantiateMs: median(instantiate), events };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await wasmBench(), null, 1));
