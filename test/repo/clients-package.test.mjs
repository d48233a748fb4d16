// The client package as another project gets it: `npm pack` in clients/ makes
// a tarball with the sources, declarations and README; unpacked into a fresh
// project's node_modules (as npm install does, with its one dependency linked
// from here, since tests stay offline) it imports by name in Node and its
// declarations resolve in TypeScript. And the README's examples are the
// type-checked files in clients/examples/.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;
const clients = join(root, "clients");
const manifest = JSON.parse(readFileSync(join(clients, "package.json"), "utf8"));

test("npm pack makes a tarball that installs and imports by name, with its types", () => {
  const work = mkdtempSync(join(tmpdir(), "switchboard-pack-"));
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: clients, encoding: "utf8" }));
  assert.equal(packed.name, "@switchboard/client");
  const files = packed.files.map((file) => file.path).sort();
  for (const file of ["package.json", "README.md", "LICENSE", "src/index.js", "src/index.d.ts", "src/connection.js", "src/messages/mpc.d.ts"]) assert.ok(files.includes(file), file);
  assert.deepEqual(files.filter((file) => !/^(package\.json|README\.md|LICENSE|src\/.*\.(js|d\.ts))$/.test(file)), []);
  assert.equal(manifest.license, "MIT");
  assert.equal(manifest.type, "module");
  assert.equal(manifest.dependencies.partysocket, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies.partysocket);

  const app = join(work, "app");
  const installed = join(app, "node_modules/@switchboard/client");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", join(work, packed.filename), "-C", installed, "--strip-components=1"]);
  for (const dependency of ["partysocket", "event-target-polyfill"]) symlinkSync(join(root, "node_modules", dependency), join(app, "node_modules", dependency));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  const exported = execFileSync(process.execPath, ["--input-type=module", "-e", `import * as client from "@switchboard/client"; console.log(Object.keys(client).sort().join(","))`], { cwd: app, encoding: "utf8" });
  assert.equal(exported.trim(), "Connection,MpcDevice,PairingSide,RoomSocket,RoomsClient,RoomsError,SignalingClient,SwarmNode,kFinalCloseCodes,kFinalStatuses,kMaxOutbox");

  // A consumer's TypeScript: the classes' events and the message types, from the package's own declarations.
  writeFileSync(
    join(app, "main.ts"),
    `import { MpcDevice } from "@switchboard/client";
import type { SessionInfo } from "@switchboard/client/messages/mpc";
const device = new MpcDevice({ url: "wss://host", deviceId: "d" });
device.on("sessions", (sessions: SessionInfo[]) => sessions.length);
// @ts-expect-error: not an event of MpcDevice
device.on("no-such-event", () => {});
`,
  );
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2023", "dom"], types: [], strict: true, noEmit: true }, files: ["main.ts"] }));
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", app], { encoding: "utf8" });
});

test("clients/README.md shows each example exactly as clients/examples/ type-checks it", () => {
  const readme = readFileSync(join(clients, "README.md"), "utf8");
  const examples = readdirSync(join(clients, "examples")).filter((file) => file.endsWith(".ts"));
  assert.equal(examples.length, 5);
  for (const file of examples) {
    const code = readFileSync(join(clients, "examples", file), "utf8");
    assert.ok(readme.includes("```ts\n" + code + "```"), `clients/README.md lacks examples/${file} as it is`);
  }
});
