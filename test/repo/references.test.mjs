// Whoever clones the repository can follow every reference in it: each
// Markdown link (and its #anchor) in the README and docs/, and each file path
// named in those pages, in clients/ and in code comments, points at a file of
// the repository (or at one the build writes), and nothing cites a document
// that is not here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;
const self = "test/repo/references.test.mjs";  // names the forbidden documents to find them
const tracked = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
  .split("\0")
  .filter((file) => file && existsSync(join(root, file)));
const files = new Set(tracked);
const folders = new Set(tracked.flatMap((file) => file.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"))));
const exists = (path) => files.has(path) || folders.has(path.replace(/\/$/, ""));
// Written by the build or by the user (git-ignored), named on purpose.
const generated = (path) => {
  try {
    execFileSync("git", ["check-ignore", "-q", "--no-index", path], { cwd: root });
    return true;
  } catch {
    return false;
  }
};

const markdown = tracked.filter((file) => file.endsWith(".md") && !file.startsWith("test/fuzz/corpus/"));
const code = tracked.filter((file) => /\.(cpp|h|js|mjs|ts|sh|toml|ya?ml|json|txt)$|^CMakeLists\.txt$|(^|\/)\.?[\w.-]*example$/.test(file) && !file.startsWith("test/fuzz/corpus/") && file !== "package-lock.json");
const topFolders = [...new Set(tracked.filter((file) => file.includes("/")).map((file) => file.split("/")[0]))];

// The comments of a code file (what a reader takes for documentation).
function comments(file, text) {
  if (/\.(sh|toml|ya?ml|txt)$|CMakeLists|example$/.test(file)) return [...text.matchAll(/(?:^|\s)#(.*)$/gm)].map((m) => m[1]);
  if (file.endsWith(".json")) return [...text.matchAll(/^\s*\/\/(.*)$/gm)].map((m) => m[1]);
  return [...text.matchAll(/\/\/(.*)$|\/\*([\s\S]*?)\*\//gm)].map((m) => m[1] ?? m[2]);
}

// Repository paths named in prose: `cpp/core/app.h`, test/worker/, docs/signal.md …
function pathsIn(text) {
  const found = [];
  const pattern = new RegExp(`(?<![\\w./@-])((?:${topFolders.map((f) => f.replace(/\./g, "\\.")).join("|")})/[\\w./-]*)`, "g");
  for (const [, path] of text.matchAll(pattern)) {
    if (/[<*{…]/.test(path)) continue;
    found.push(path.replace(/[.,:;]+$/, ""));
  }
  for (const [, name] of text.matchAll(/(?<![\w./-])([A-Z][A-Z_]*\.md|LICENSE|wrangler\.toml|package\.json|CMakeLists\.txt)(?![\w-])/g)) found.push(name);
  return found;
}

// GitHub's anchors for a Markdown file's headings.
function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const [, heading] of text.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6}\s+(.*)$/gm)) {
    const slug = heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

test("every Markdown link points at a file of the repository, and every #anchor at a heading", () => {
  const broken = [];
  for (const file of markdown) {
    const text = readFileSync(join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split("#");
      const resolved = path ? normalize(join(dirname(file), path)).replace(/^\.\//, "") : file;
      if (resolved.startsWith("..") || !exists(resolved)) {
        broken.push(`${file}: ${target}`);
        continue;
      }
      if (anchor && resolved.endsWith(".md") && !anchors(readFileSync(join(root, resolved), "utf8")).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

test("every file path named in the README, docs/, clients/ and code comments exists (or is written by the build)", () => {
  const missing = [];
  const check = (file, text) => {
    for (const path of pathsIn(text)) {
      if (!exists(path) && !generated(path)) missing.push(`${file}: ${path}`);
    }
  };
  for (const file of markdown) check(file, readFileSync(join(root, file), "utf8"));
  for (const file of code.filter((file) => file !== self)) check(file, comments(file, readFileSync(join(root, file), "utf8")).join("\n"));
  assert.deepEqual(missing, []);
});

test("nothing cites a document that is not in the repository", () => {
  const citations = [];
  for (const file of [...markdown, ...code].filter((file) => file !== self)) {
    const text = readFileSync(join(root, file), "utf8");
    for (const [line, n] of text.split("\n").map((line, i) => [line, i + 1])) {
      // The specification documents outside the repository, which a clone does not have, and bare section marks (§3.5) with no file to find them in.
      if (/protocols\.md|\bSPEC\.md|TOOLCHAIN\.md|\.\.\/shared\b|(?<!RFC \d+ )§\s*[\dD]/.test(line)) citations.push(`${relative(root, join(root, file))}:${n}: ${line.trim()}`);
    }
  }
  assert.deepEqual(citations, []);
});

test("the check itself: a path that is not there is caught", () => {
  assert.deepEqual(pathsIn("see cpp/core/nothing.h and docs/signal.md"), ["cpp/core/nothing.h", "docs/signal.md"]);
  assert.ok(!exists("cpp/core/nothing.h") && !generated("cpp/core/nothing.h"));
  assert.ok(exists("docs/signal.md") && exists("test/worker/") && generated("public/index.html"));
  assert.ok(anchors("# Operations\n## Limits\n## Logs and `stats`").has("logs-and-stats"));
});
