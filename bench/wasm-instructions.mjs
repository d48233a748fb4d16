// The core's WebAssembly alone, in instructions: Node runs the production
// module as bench/wasm.mjs drives it (a signal room, two subscribers of one
// topic, `_sb_message` on a frame already in the module's memory, host.send a
// no-op) under callgrind, with V8's top tier only (--no-liftoff
// --no-wasm-lazy-compilation --single-threaded). After 2,000 uncounted
// publishes, `count` more run inside one Array.prototype.forEach, and
// callgrind counts only within that builtin (--toggle-collect): start-up and
// compilation, which moved a run of 20,000 by ±10% per publish, are not
// counted at all. Repeatable to a few instructions per publish.
//
//   node bench/wasm-instructions.mjs            # 200 B, 4 KB and a y-webrtc offer of ~4 KB
//   node bench/wasm-instructions.mjs 200 4096   # frame sizes
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { register } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const WARM = 2000;
const COUNT = 20000;

// A publish of `bytes`: `data` a plain string, or ("sdp") an object like
// y-webrtc's offer, whose SDP has a `\r\n` escape every ~16 bytes.
function frame(bytes, kind) {
  if (kind !== "sdp") {
    const head = `{"type":"publish","topic":"room","data":"`;
    return head + "x".repeat(bytes - head.length - 2) + '"}';
  }
  const lines = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n".repeat(Math.ceil(bytes / 50));
  const signal = { to: "a0b1c2d3-e4f5", from: "f5e4d3c2-b1a0", type: "signal", token: 0.123456, signal: { type: "offer", sdp: "" } };
  const empty = JSON.stringify({ type: "publish", topic: "room", data: signal }).length;
  signal.signal.sdp = lines.slice(0, Math.max(0, bytes - empty) / 1.066);
  return JSON.stringify({ type: "publish", topic: "room", data: signal });
}

// In the child: WARM + count publishes through the export.
async function publish(text, count) {
  register("../test/worker/wasm-loader.mjs", import.meta.url);
  const { Core } = await import("../js-shim/wasm.js");
  const { Host } = await import("../js-shim/host.js");
  let module;
  class CountingHost extends Host {
    clock = Date.now();
    bind(m) {
      super.bind(m);
      module = m;
    }
    now() { return (this.clock += 1000); }
    log() {}
  }
  const socket = { send() {}, serializeAttachment() {}, close() {} };
  const storage = { kv: { get() {}, put() {}, delete() {}, list: () => [] }, setAlarm() {}, deleteAlarm() {} };
  const upgrade = { method: "GET", path: "/", query: {}, headers: { upgrade: "websocket" }, upgrade: true };
  const host = new CountingHost({ sockets: new Map(), storage, effects() {} });
  const core = await Core.load("signal", {}, host);
  for (const conn of [1, 2]) {
    core.fetch(upgrade);
    host.sockets.set(conn, socket);
    core.open(conn);
    core.message(conn, '{"type":"subscribe","topics":["room"]}');
  }
  const ptr = module._sb_input(text.length * 3);
  const len = new TextEncoder().encodeInto(text, module.HEAPU8.subarray(ptr, ptr + text.length * 3)).written;
  let sent = 0;
  host.send = host.send_spliced = () => { sent++; };
  // 2: all ASCII, as Core.message marks such a frame, so the core splices as in workerd.
  const one = () => module._sb_message(1, len, 2, host.now());
  for (let i = 0; i < WARM; i++) one();
  new Array(count).fill(0).forEach(one);
  // A publish that reaches nobody measures nothing.
  if (sent !== WARM + count) throw new Error(`${sent} publishes delivered of ${WARM + count}`);
}

function instructions(bytes, kind, count) {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-wasm-callgrind-"));
  try {
    const run = spawnSync("valgrind", ["--tool=callgrind", "--collect-atstart=no", "--toggle-collect=Builtins_ArrayForEach",
      `--callgrind-out-file=${join(dir, "out")}`, process.execPath, "--no-liftoff", "--no-wasm-lazy-compilation", "--single-threaded",
      new URL(import.meta.url).pathname, "--child", String(bytes), kind, String(count)], { encoding: "utf8" });
    const collected = run.stderr.match(/Collected : (\d+)/);
    if (run.status !== 0 || !collected) throw new Error(`callgrind run failed (${run.status}): ${run.stderr.slice(-2000)}`);
    return Number(collected[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function wasmInstructions(rows = [[200, "plain"], [4096, "plain"], [4096, "sdp"]]) {
  return rows.map(([bytes, kind]) => {
    const perPublish = Math.round(instructions(bytes, kind, COUNT) / COUNT);
    return { bytes: frame(bytes, kind).length, kind, perPublish };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "--child") {
    const [, , , bytes, kind, count] = process.argv;
    await publish(frame(Number(bytes), kind), Number(count));
  } else {
    const sizes = process.argv.slice(2).map(Number);
    const rows = sizes.length ? sizes.map((bytes) => [bytes, "plain"]) : undefined;
    for (const row of wasmInstructions(rows)) console.log(JSON.stringify(row));
  }
}
