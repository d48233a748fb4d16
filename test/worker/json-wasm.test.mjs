// @ts-check
// The module's JSON reader scans strings 16 bytes at a time from wherever they
// start, with SSE2 intrinsics that the built module runs as WebAssembly SIMD.
// So the built module, through the real shim in Node, must read string
// escapes, multi-byte characters and control characters, at every offset
// around a 16-byte boundary, exactly as JSON.parse does: a publish's `data`
// reaches the subscriber as JSON.parse reads it, and a frame JSON.parse
// refuses reaches nobody. Seeded (JSON_WASM_SEED), so a failure replays.
import assert from "node:assert/strict";
import { register } from "node:module";
import { test } from "node:test";

register("./wasm-loader.mjs", import.meta.url);
const { Core } = await import("../../js-shim/wasm.js");
const { Host } = await import("../../js-shim/host.js");

// A clock a minute further on at every read, so no rate limit decides a verdict.
class Clocked extends Host {
  clock = Date.now();
  now() { return (this.clock += 60_000); }
  log() {}
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces of a JSON string's source text; a broken one may leave a lone
// surrogate escape, which JSON.parse takes and the module refuses on purpose
// (docs/signal.md), as any frame whose text is not well-formed Unicode.
const valid = ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0041", "\\u00e9", "\\u20ac", "\\ud83d\\ude00", "é", "€", "😀", "中文", "\u007f", "'"];
const invalid = ['"', "\\", "\\x", "\\u12", "\\u12g4", "\\udc00", "\\uDFFF", "\u0001", "\u001f", "\t", "\n"];

function piece(random) {
  const roll = random();
  if (roll < 0.55) return "abcdefghijklmnopqrstuvwxyz0123456789 ".repeat(2).slice(0, Math.floor(random() * 40));
  if (roll < 0.97) return valid[Math.floor(random() * valid.length)];
  return invalid[Math.floor(random() * invalid.length)];
}

test("the module reads strings as JSON.parse does, at every offset around a 16-byte boundary", async () => {
  const seed = Number(process.env.JSON_WASM_SEED ?? 20261202);
  const random = mulberry32(seed);
  const received = [];
  let closed = false;
  const sockets = new Map([
    [1, { send() {}, serializeAttachment() {}, close() { closed = true; } }],
    [2, { send(frame) { received.push(frame); }, serializeAttachment() {}, close() {} }],
  ]);
  const storage = { kv: { get() {}, put() {}, delete() {}, list: () => [] }, setAlarm() {}, deleteAlarm() {} };
  const host = new Clocked({ sockets, storage, effects() {} });
  // Every refusal counts against the socket; this run makes hundreds on one.
  const core = await Core.load("signal", { SIGNAL_MAX_INVALID_MESSAGES: "1000000" }, host);
  for (const conn of [1, 2]) {
    core.fetch({ method: "GET", path: "/", query: {}, headers: { upgrade: "websocket" }, upgrade: true });
    core.open(conn);
  }
  core.message(2, '{"type":"subscribe","topics":["t"]}');

  let accepted = 0, refused = 0;
  for (let i = 0; i < 3000; i++) {
    // A prefix of 0–31 bytes puts the string's pieces at every alignment.
    const raw = "p".repeat(i % 32) + Array.from({ length: 1 + Math.floor(random() * 8) }, () => piece(random)).join("");
    // With `clients`, the module builds the message, so every decoded string
    // is sent as it was decoded; without, the frame's own text is sent.
    const frame = `{"type":"publish","topic":"t",${i % 2 ? '"clients":0,' : ""}"data":"${raw}"}`;
    let expected;
    try {
      expected = JSON.parse(frame).data;
      if (!expected.isWellFormed()) expected = undefined;
    } catch {
      expected = undefined;
    }
    received.length = 0;
    core.message(1, frame);
    const context = `seed ${seed}, frame ${i}: ${JSON.stringify(frame)}`;
    if (expected === undefined) {
      assert.equal(received.length, 0, `refused by JSON.parse, delivered by the module (${context})`);
      refused++;
    } else {
      assert.equal(received.length, 1, `read by JSON.parse, not delivered by the module (${context})`);
      assert.equal(JSON.parse(received[0]).data, expected, context);
      accepted++;
    }
    assert.equal(closed, false, `the publisher was closed (${context})`);
  }
  // Both verdicts were exercised, not one of them alone.
  assert.ok(accepted > 2000 && refused > 100, `accepted ${accepted}, refused ${refused}`);
});
