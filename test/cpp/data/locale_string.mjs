// Writes locale_string.txt: doubles and what V8 makes of them with
// toLocaleString("en-US"), for the differential test in swarm_test.cpp.
// Seeded, so a rerun on the same Node gives the same file:
// `node test/cpp/data/locale_string.mjs`.
import { writeFileSync } from "node:fs";

let seed = 0x5eed1234;
const random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const view = new DataView(new ArrayBuffer(8));
const bits = (x) => (view.setFloat64(0, x), view.getBigUint64(0).toString(16).padStart(16, "0"));

const values = [];
for (let i = 0; i < 1500; i++) {
  // Any double below 1e40 (larger ones only add digits): random bits.
  view.setUint32(0, (random() * 2 ** 32) >>> 0);
  view.setUint32(4, (random() * 2 ** 32) >>> 0);
  if (Math.abs(view.getFloat64(0)) < 1e40) values.push(view.getFloat64(0));
  // Around every scale a score or a window takes, and past 2^53 and 1e21.
  values.push(random() * 10 ** Math.floor(random() * 36 - 10));
  // Short decimals, where the dropped fourth digit decides the rounding.
  values.push(Math.floor(random() * 1e7) / 10 ** Math.floor(random() * 8));
  values.push(Math.floor(random() * 1e6) + 0.0005 + Math.floor(random() * 1000) / 1000);
}
const lines = [];
for (const value of values) {
  if (!Number.isFinite(value)) continue;
  const text = value.toLocaleString("en-US");
  // V8 keeps the sign of a negative value that rounds to zero ("-0"); the
  // coordinator formats scores and windows, never negative, and prints "0".
  if (text === "-0") continue;
  lines.push(`${bits(value)} ${text}`);
}
writeFileSync(new URL("./locale_string.txt", import.meta.url), lines.join("\n") + "\n");
