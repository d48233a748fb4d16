// Just enough of Node for the type check of test/worker/*.mjs, without
// @types/node: modules the suites use are untyped (any), except the asserts,
// whose `expected` side must have the type of the actual value, so an expected
// frame is checked against the protocol's ServerMessage.

declare module "node:test";
declare module "node:child_process";
declare module "node:crypto";
declare module "node:events";
declare module "node:fs";
declare module "node:http";
declare module "node:module";
declare module "node:net";
declare module "node:os";
declare module "node:path";
declare module "node:zlib";
declare module "ws";

declare module "node:assert/strict" {
  interface Assert {
    (value: unknown, message?: string | Error): asserts value;
    ok(value: unknown, message?: string | Error): asserts value;
    equal<T>(actual: T, expected: NoInfer<T>, message?: string | Error): void;
    strictEqual<T>(actual: T, expected: NoInfer<T>, message?: string | Error): void;
    deepEqual<T>(actual: T, expected: NoInfer<T>, message?: string | Error): void;
    deepStrictEqual<T>(actual: T, expected: NoInfer<T>, message?: string | Error): void;
    [other: string]: any;
  }
  const assert: Assert;
  export default assert;
}

declare const Buffer: {
  from(data: string | ArrayLike<number>, encoding?: string): Buffer;
  alloc(size: number, fill?: string | number): Buffer;
  isBuffer(value: unknown): value is Buffer;
  byteLength(text: string): number;
  concat(list: Uint8Array[]): Buffer;
};
interface Buffer extends Uint8Array {
  toString(encoding?: string): string;
  includes(value: string | Uint8Array | number): boolean;
}
declare const process: any;
