// The upload bundle, built offline exactly as `wrangler deploy` would build it:
// the WebAssembly module's size budget (stated in the README), no test hooks.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

const root = new URL("../..", import.meta.url).pathname;
const WASM_BUDGET_BYTES = 768 * 1024;
const WASM_GZIP_BUDGET_BYTES = 256 * 1024;

test("wrangler deploy --dry-run builds the bundle offline, with the module inside the budget", () => {
  const out = mkdtempSync(join(tmpdir(), "switchboard-bundle-"));
  execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    stdio: "pipe",
  });
  const files = readdirSync(out);
  const wasm = files.find((name) => name.endsWith(".wasm"));
  assert.ok(wasm, `no .wasm in the bundle: ${files}`);
  assert.ok(files.includes("worker.js"), `no worker.js in the bundle: ${files}`);
  const raw = statSync(join(out, wasm)).size;
  const gzipped = gzipSync(readFileSync(join(out, wasm)), { level: 9 }).length;
  assert.ok(raw <= WASM_BUDGET_BYTES, `core.wasm is ${raw} bytes, budget ${WASM_BUDGET_BYTES}`);
  assert.ok(gzipped <= WASM_GZIP_BUDGET_BYTES, `core.wasm gzipped is ${gzipped} bytes, budget ${WASM_GZIP_BUDGET_BYTES}`);
  for (const hook of ["__switchboard_test_trap__", "__switchboard_test_overflow__"]) {
    assert.ok(!readFileSync(join(out, wasm)).includes(hook), `the test-only hook ${hook} is in the bundle`);
  }
});
