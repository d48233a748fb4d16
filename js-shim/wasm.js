// The core as JavaScript sees it: one compiled module per isolate, one
// instance per Durable Object (and one for the Worker's routing). Each method
// is one platform event; text crosses as UTF-8 through the core's input buffer.
import createCore from "./core.js";
import wasm from "./core.wasm";

const encoder = new TextEncoder();
const kEncodeFirst = 64 * 1024;
// What a frame is, for sb_message (cpp/wasm/abi.cpp names them too).
const kText = 0, kBinary = 1, kAsciiText = 2;
// The limits and settings the core declares: the only entries of env it is given.
let declared;
// The names of the secrets the core uses by name (sb_secrets).
let secrets;

export class Core {
  // `app` is a manifest's name, or "" for the Worker's router; `instance` the object's name.
  static async load(app, env, host, instance = "") {
    const module = await createCore({
      host,
      instantiateWasm(imports, done) {
        done(new WebAssembly.Instance(wasm, imports));
        return {};
      },
    });
    host.bind(module);
    const core = new Core(module, host);
    declared ??= new Set(core.#call(module._sb_declared, ""));
    secrets ??= new Set(core.#call(module._sb_secrets, ""));
    // Only declared entries reach the core, and a secret only as whether it is
    // set: its value stays here (Host.hmac_secret, Effects' secret_headers).
    const vars = Object.fromEntries(
      Object.entries(env)
        .filter(([name, value]) => declared.has(name) && typeof value === "string")
        .map(([name, value]) => [name, secrets.has(name) ? value !== "" : value]),
    );
    const setup = core.#call(module._sb_init, JSON.stringify({ app, instance, vars }));
    if (setup.error) throw new Error(`switchboard core: ${setup.error} (${app})`);
    core.autoResponse = setup.autoResponse;
    return core;
  }

  #module;
  #host;
  // The core's input buffer as last handed out (sb_input keeps it until a
  // larger one is asked for), and its view over `heap`, the memory it was made from.
  #input = { ptr: 0, capacity: 0, view: undefined, heap: undefined };

  constructor(module, host) {
    this.#module = module;
    this.#host = host;
  }

  route(request) { return this.#call(this.#module._sb_route, JSON.stringify(request)); }
  fetch(request) { return this.#call(this.#module._sb_fetch, JSON.stringify(request)); }
  resume(context, answer) { return this.#call(this.#module._sb_resume, JSON.stringify({ context, answer })); }
  open(conn) { this.#module._sb_open(conn); }
  // Every frame comes through here, so a text frame that fits the input
  // buffer as last handed out is written with no further call: workerd's V8
  // can leave this path in its interpreter for good, where each call and
  // property load counts (BENCHMARKS.md, "The shim in V8's interpreter").
  // The clock goes in with the frame: the core reads no import for it. A text
  // whose UTF-8 is as long as the string is all ASCII: the core may send
  // parts of it back by offset (Host.send_spliced).
  message(conn, data) {
    const module = this.#module;
    const host = this.#host;
    if (typeof data !== "string") return module._sb_message(conn, this.#writeBytes(data), kBinary, host.now());
    const input = this.#input;
    const fits = data.length * 3 <= input.capacity && input.heap === module.HEAPU8;
    const written = fits ? encoder.encodeInto(data, input.view).written : this.#writeText(data);
    host.message = data;
    module._sb_message(conn, written, written === data.length ? kAsciiText : kText, host.now());
    host.message = "";
  }
  close(conn, code, reason) { this.#module._sb_close(conn, code, this.#writeText(reason ?? "")); }
  alarm() { this.#module._sb_alarm(); }
  wake(conn, attachment) { this.#module._sb_wake(conn, this.#writeText(attachment)); }
  woke() { this.#module._sb_woke(); }

  // Exports that answer through host.respond: the answer, parsed.
  #call(fn, text) {
    fn(this.#writeText(text));
    return JSON.parse(this.#host.takeAnswer());
  }

  #writeText(text) {
    // Large frames (a relay's 10 MiB bundles) are encoded first: reserving the
    // worst case, 3 bytes per UTF-16 unit, would grow memory by 3× their size for good.
    if (text.length > kEncodeFirst) return this.#writeBytes(encoder.encode(text));
    return encoder.encodeInto(text, this.#inputView(text.length * 3)).written;
  }

  // A view of at least `capacity` bytes of the input buffer. Most frames fit
  // the last one: no call into the core and no new view per message.
  #inputView(capacity) {
    const input = this.#input;
    if (capacity > input.capacity) {
      input.ptr = this.#module._sb_input(capacity);
      input.capacity = capacity;
      input.heap = undefined;
    }
    // Memory growth (in sb_input or any other call) replaces HEAPU8 and detaches the old views.
    const heap = this.#module.HEAPU8;
    if (input.heap !== heap) {
      input.heap = heap;
      input.view = heap.subarray(input.ptr, input.ptr + input.capacity);
    }
    return input.view;
  }

  #writeBytes(buffer) {
    const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
    this.#inputView(bytes.byteLength).set(bytes);
    return bytes.byteLength;
  }
}
