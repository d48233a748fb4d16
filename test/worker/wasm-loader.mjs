// A Node module hook: `import wasm from "./core.wasm"` gives a compiled
// WebAssembly.Module, as wrangler's bundler does for the Worker.
export async function load(url, context, nextLoad) {
  if (!url.endsWith(".wasm")) return nextLoad(url, context);
  const source = `import { readFileSync } from "node:fs";\nexport default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));\n`;
  return { format: "module", source, shortCircuit: true };
}
