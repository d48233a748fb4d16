// `node bench/v8-flags.mjs <flag>…`: workerd's binary config (a Cap'n Proto
// message, as miniflare writes it to workerd's stdin) from stdin to stdout,
// with Config.v8Flags set, for bench/callgrind-workerd.sh. Neither wrangler
// nor miniflare has an option for V8's flags, and miniflare leaves the field
// empty: the flags go in a segment of their own, reached by a far pointer.
// Layout: https://capnproto.org/encoding.html
import { buffer } from "node:stream/consumers";

const WORD = 8;
const V8_FLAGS = 2;  // Config's pointer slot for v8Flags (workerd.capnp: services, sockets, v8Flags, …)

const flags = process.argv.slice(2);
const input = await buffer(process.stdin);

const count = input.readUInt32LE(0) + 1;
const sizes = Array.from({ length: count }, (_, i) => input.readUInt32LE(4 + 4 * i));
const headerBytes = (segments) => Math.ceil((4 + 4 * segments) / WORD) * WORD;
const body = input.subarray(headerBytes(count));

// The root: a struct pointer at the first word of segment 0.
const root = body.readBigUInt64LE(0);
if ((root & 3n) !== 0n) throw new Error("v8-flags: the root is not a struct pointer here");
const offset = Number(BigInt.asIntN(30, (root >> 2n) & 0x3fffffffn));
const dataWords = Number((root >> 32n) & 0xffffn);
const pointerWords = Number(root >> 48n);
if (pointerWords <= V8_FLAGS) throw new Error("v8-flags: Config has no v8Flags slot");
const slot = (1 + offset + dataWords + V8_FLAGS) * WORD;
if (body.readBigUInt64LE(slot) !== 0n) throw new Error("v8-flags: v8Flags is set already");

// The new segment: a landing pad (a list pointer to the list after it), the
// list of text pointers, then each text, NUL-terminated, in whole words.
const texts = flags.map((flag) => Buffer.from(`${flag}\0`));
const textWords = texts.map((t) => Math.ceil(t.length / WORD));
const words = 1 + flags.length + textWords.reduce((a, b) => a + b, 0);
const segment = Buffer.alloc(words * WORD);
const listPointer = (offsetWords, elementSize, elements) =>
  1n | (BigInt.asUintN(30, BigInt(offsetWords)) << 2n) | (BigInt(elementSize) << 32n) | (BigInt(elements) << 35n);
segment.writeBigUInt64LE(listPointer(0, 6, flags.length), 0);
let at = 1 + flags.length;
texts.forEach((t, i) => {
  const pointerAt = 1 + i;
  segment.writeBigUInt64LE(listPointer(at - (pointerAt + 1), 2, t.length), pointerAt * WORD);
  t.copy(segment, at * WORD);
  at += textWords[i];
});

// The slot becomes a far pointer to the landing pad at word 0 of the new segment.
const patched = Buffer.from(body);
patched.writeBigUInt64LE(2n | (BigInt(count) << 32n), slot);
const header = Buffer.alloc(headerBytes(count + 1));
header.writeUInt32LE(count, 0);
[...sizes, words].forEach((size, i) => header.writeUInt32LE(size, 4 + 4 * i));
process.stdout.write(Buffer.concat([header, patched, segment]));
