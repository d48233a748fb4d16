// The upload bundle, built offline exactly as `wrangler deploy` would build it,
// into build/bundle/ (what CI keeps and deploys): the WebAssembly module's
// size budget (docs/architecture.md), no test hooks, and deploying the bundle
// with --no-bundle uploads exactly its bytes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

const root = new URL("../..", import.meta.url).pathname;
const bundle = join(root, "build/bundle");
// 296.4 KB / 120.4 KiB with link-time optimisation (BENCHMARKS.md, "Module size").
const WASM_BUDGET_BYTES = 300 * 1000;
const WASM_GZIP_BUDGET_BYTES = 122 * 1024;

const wrangler = (args) =>
  execFileSync(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
    encoding: "utf8",
    stdio: "pipe",
  });
// The bindings a dry run says the Worker gets: `env.NAME` lines.
const bindings = (output) => [...output.matchAll(/^env\.(\w+)/gm)].map((m) => m[1]).sort();

test("wrangler deploy --dry-run builds the bundle offline, with the module inside the budget", () => {
  rmSync(bundle, { recursive: true, force: true });
  wrangler(["deploy", "--dry-run", "--outdir", bundle]);
  const files = readdirSync(bundle);
  const wasm = files.find((name) => name.endsWith(".wasm"));
  assert.ok(wasm, `no .wasm in the bundle: ${files}`);
  assert.ok(files.includes("worker.js"), `no worker.js in the bundle: ${files}`);
  const raw = statSync(join(bundle, wasm)).size;
  const gzipped = gzipSync(readFileSync(join(bundle, wasm)), { level: 9 }).length;
  assert.ok(raw <= WASM_BUDGET_BYTES, `core.wasm is ${raw} bytes, budget ${WASM_BUDGET_BYTES}`);
  assert.ok(gzipped <= WASM_GZIP_BUDGET_BYTES, `core.wasm gzipped is ${gzipped} bytes, budget ${WASM_GZIP_BUDGET_BYTES}`);
  for (const hook of ["__switchboard_test_trap__", "__switchboard_test_overflow__"]) {
    assert.ok(!readFileSync(join(bundle, wasm)).includes(hook), `the test-only hook ${hook} is in the bundle`);
  }
});

test("the bundle carries its source map, which points at js-shim/", () => {
  assert.match(readFileSync(join(bundle, "worker.js"), "utf8"), /\/\/# sourceMappingURL=worker\.js\.map\s*$/);
  const map = JSON.parse(readFileSync(join(bundle, "worker.js.map"), "utf8"));
  for (const file of ["object.js", "host.js", "worker.js"]) assert.ok(map.sources.some((source) => source.endsWith(`js-shim/${file}`)), file);
});

test("deploying build/bundle with --no-bundle uploads the bundle's own bytes: nothing is rebuilt", () => {
  const again = mkdtempSync(join(tmpdir(), "switchboard-redeploy-"));
  const production = wrangler(["deploy", join(bundle, "worker.js"), "--no-bundle", "--env", "", "--dry-run", "--outdir", again]);
  const uploaded = readdirSync(again).filter((name) => !name.endsWith(".map") && name !== "README.md");
  assert.ok(uploaded.includes("worker.js"));
  assert.ok(uploaded.some((name) => name.endsWith(".wasm")));
  for (const name of uploaded) {
    assert.ok(readFileSync(join(again, name)).equals(readFileSync(join(bundle, name))), `${name} differs from build/bundle/${name}`);
  }
  // [env.staging] repeats every binding (environments do not inherit them).
  const staging = wrangler(["deploy", join(bundle, "worker.js"), "--no-bundle", "--env", "staging", "--dry-run", "--outdir", mkdtempSync(join(tmpdir(), "switchboard-staging-"))]);
  assert.deepEqual(bindings(staging), bindings(production));
  assert.deepEqual(bindings(production), ["ASSETS", "Devices", "InviteRegistry", "ROOM_METADATA", "RelaySession", "Rooms", "SignalGateway", "SignalTopics", "SignalingRoom", "SwarmCoordinator"]);
});
