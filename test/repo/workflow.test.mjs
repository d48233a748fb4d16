// The deploy workflow cannot run here, so its shape is checked instead: one
// build and `npm test` in Debian (what scripts/setup.sh installs for), the
// tested bundle kept as an artifact, and deploys of exactly that artifact with
// the account and token from secrets; staging only from pull requests, only
// when a repository variable says so. Read with PyYAML (Debian's python3-yaml,
// which scripts/setup.sh installs).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;

function readYaml(path) {
  // YAML 1.1 reads the key `on` as true; GitHub reads it as "on".
  const script = "import json,sys,yaml\nd=yaml.safe_load(open(sys.argv[1]))\nif True in d: d['on']=d.pop(True)\nprint(json.dumps(d))";
  return JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8" }));
}

const workflow = readYaml(`${root}.github/workflows/deploy.yml`);
const { test: testJob, deploy, "deploy-staging": staging } = workflow.jobs;
const runs = (job) => job.steps.filter((step) => step.run).map((step) => step.run.trim());
const uses = (job, action) => job.steps.filter((step) => step.uses?.startsWith(`${action}@`));
const debian = (job) => assert.match(String(job.container?.image ?? job.container), /bookworm|debian/, "a Debian container");

test("it runs on pushes to main and on pull requests", () => {
  assert.deepEqual(workflow.on.push.branches, ["main"]);
  assert.ok("pull_request" in workflow.on);
});

test("the test job builds once in Debian, runs npm test and keeps the tested bundle", () => {
  debian(testJob);
  assert.deepEqual(runs(testJob), ["npm test"]);
  const [upload] = uses(testJob, "actions/upload-artifact");
  assert.ok(upload, "the bundle is uploaded");
  const paths = upload.with.path.split("\n").map((line) => line.trim()).filter(Boolean);
  // What test/worker/bundle.test.mjs writes and checks, and the demo page's assets.
  assert.deepEqual(paths.sort(), ["build/bundle/", "public/"]);
  assert.equal(upload.with["if-no-files-found"], "error");
  assert.match(readFileSync(`${root}test/worker/bundle.test.mjs`, "utf8"), /build\/bundle/);
});

for (const [name, job, env] of [
  ["deploy", deploy, ' --env ""'],
  ["deploy-staging", staging, " --env staging"],
]) {
  test(`${name} deploys exactly the tested artifact, in Debian, with the account and token from secrets`, () => {
    assert.ok(job, `no ${name} job`);
    assert.deepEqual([job.needs].flat(), ["test"]);
    debian(job);
    const [download] = uses(job, "actions/download-artifact");
    assert.equal(download?.with.name, uses(testJob, "actions/upload-artifact")[0].with.name);
    const commands = runs(job);
    assert.deepEqual(commands, ["npm ci --no-audit --no-fund", `npx wrangler deploy build/bundle/worker.js --no-bundle${env}`]);
    assert.ok(!commands.some((command) => /npm (test|run)|build-wasm|cmake|emcc|em\+\+/.test(command)), "nothing is rebuilt before the deploy");
    const step = job.steps.find((s) => s.run?.includes("wrangler deploy"));
    assert.ok(job.steps.indexOf(download) < job.steps.indexOf(step));
    assert.deepEqual(step.env, {
      CLOUDFLARE_API_TOKEN: "${{ secrets.CLOUDFLARE_API_TOKEN }}",
      CLOUDFLARE_ACCOUNT_ID: "${{ secrets.CLOUDFLARE_ACCOUNT_ID }}",
    });
  });
}

test("production deploys only from main; staging only from pull requests, only when enabled", () => {
  assert.equal(deploy.if, "github.event_name == 'push' && github.ref == 'refs/heads/main'");
  assert.equal(staging.if, "github.event_name == 'pull_request' && vars.DEPLOY_STAGING == 'true' && github.event.pull_request.head.repo.full_name == github.repository");
  assert.match(readFileSync(`${root}wrangler.toml`, "utf8"), /^\[env\.staging\]$/m);
});
