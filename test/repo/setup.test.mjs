// Set-up on a system without apt: scripts/setup.sh stops with a message that
// names what is missing and where to go instead, not with a shell error.
// And the local secrets template names every secret the operations page lists.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;

test("without apt-get and without the tools, setup.sh names the missing packages and the dev container", () => {
  // A PATH with only what the script needs to get that far: no apt-get, no compilers.
  const bin = mkdtempSync(join(tmpdir(), "switchboard-noapt-"));
  for (const tool of ["dirname", "ls", "id", "cmp"]) symlinkSync(spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(), join(bin, tool));
  const run = spawnSync("/bin/bash", [join(root, "scripts/setup.sh")], { env: { PATH: bin }, encoding: "utf8" });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /missing emscripten cmake clang/);
  assert.match(run.stderr, /no apt-get/);
  assert.match(run.stderr, /\.devcontainer\/devcontainer\.json/);
  assert.doesNotMatch(run.stderr, /command not found|line \d+/);
});

test("the dev container is a Debian image that runs scripts/setup.sh", () => {
  const config = JSON.parse(readFileSync(join(root, ".devcontainer/devcontainer.json"), "utf8").replace(/^\s*\/\/.*$/gm, ""));
  assert.match(config.image, /bookworm/);
  assert.match(config.postCreateCommand, /scripts\/setup\.sh/);
});

test(".dev.vars.example lists every secret of docs/operations.md, each with a comment", () => {
  const secrets = [...readFileSync(join(root, "docs/operations.md"), "utf8").matchAll(/^\| `([A-Z_]+)` \| secret \|/gm)].map((m) => m[1]);
  assert.ok(secrets.length >= 5, String(secrets));
  const example = readFileSync(join(root, ".dev.vars.example"), "utf8").split("\n");
  for (const name of secrets) {
    const at = example.findIndex((line) => line.startsWith(`${name}=`));
    assert.ok(at > 0, `${name} is not in .dev.vars.example`);
    assert.match(example[at - 1], /^# /, `${name} has no comment`);
  }
});
