// Node module hooks: `import wasm from "./core.wasm"` yields a compiled
// WebAssembly.Module, as workerd gives it to js-shim/wasm.js.
export async function load(url, context, next) {
  if (!url.endsWith(".wasm")) return next(url, context);
  const source = `import { readFileSync } from "node:fs";
export default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));`;
  return { format: "module", source, shortCircuit: true };
}
