// Builds the demo page into public/ (the Worker's static assets): the HTML,
// CSS and icon as they are, and demo.js bundled with Yjs and y-webrtc.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
mkdirSync(`${root}/public`, { recursive: true });
for (const file of ["index.html", "demo.css", "favicon.svg"]) copyFileSync(`${root}/demo/${file}`, `${root}/public/${file}`);
await build({
  entryPoints: [`${root}/demo/demo.js`],
  outfile: `${root}/public/demo.js`,
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2022",
  logLevel: "warning",
});
