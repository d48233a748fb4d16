// The real Worker under `wrangler dev` (workerd), as `npm start` serves it,
// on a free port, with `[vars]` overrides and optionally persisted state.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";

const root = new URL("../..", import.meta.url).pathname;
// How long a test waits for a socket to close before it fails.
const CLOSE_WAIT_MS = 15_000;

export async function freePort() {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  return port;
}

// This repository's wrangler.toml without its [assets] section (the demo
// page), as a deployment that only signals would have it.
export function configWithoutAssets() {
  const config = join(mkdtempSync(join(tmpdir(), "switchboard-config-")), "wrangler.toml");
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8")
    .replace(/^\[assets\]\n(?:.+\n)*/m, "")
    .replace(/^main = "(.*)"$/m, `main = "${root}$1"`);
  writeFileSync(config, toml);
  return config;
}

// vars: { NAME: "value" } overrides; persistTo: a folder that outlives the server;
// config: another wrangler.toml (bench/floor/ uses it); port: the port of a
// server that stopped, to restart it where its clients reconnect.
/** @param {{ vars?: Record<string, string | number>, persistTo?: string, config?: string, port?: number }} [options] */
export async function startWorker({ vars = {}, persistTo = mkdtempSync(join(tmpdir(), "switchboard-")), config, port } = {}) {
  // A free port can be taken by another process before workerd binds it (the
  // suites start servers side by side): then try again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(vars, persistTo, config, port ?? (await freePort()));
    } catch (error) {
      if (attempt === 3 || port !== undefined || !/Address already in use/.test(String(error))) throw error;
    }
  }
}

async function launch(vars, persistTo, config, port) {
  const inspectorPort = await freePort();
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistTo, "--inspector-port", String(inspectorPort)];
  if (config) args.push("--config", config);
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  const child = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (output.includes("Ready on")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}):\n${output}`)));
  });
  const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    await ready;
  } catch (error) {
    try {
      process.kill(-child.pid, "SIGKILL");  // workerd may outlive wrangler
    } catch {
      // Already gone.
    }
    throw error;
  } finally {
    clearTimeout(timeout);
  }
  const base = `127.0.0.1:${port}`;
  return {
    port,
    http: `http://${base}`,
    ws: `ws://${base}`,
    persistTo,
    inspector: `127.0.0.1:${inspectorPort}`,  // wrangler's DevTools endpoint (bench/profile.mjs)
    pid: child.pid,  // also the process group of wrangler and its workerd processes
    output: () => output,
    // The Worker's log lines, parsed: `wrangler dev` prints warnings and errors
    // with a coloured prefix before the JSON.
    logged: () =>
      output
        .replace(/\x1b\[[0-9;]*m/g, "")
        .split("\n")
        .filter((line) => line.includes('{"event":'))
        .map((line) => JSON.parse(line.slice(line.indexOf('{"event":')))),
    // The log lines once `done(lines)` holds, or after `ms` as they are: a line
    // reaches wrangler dev's output some time after the event it tells of.
    async loggedOnce(done, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!done(this.logged()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return this.logged();
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      process.kill(-child.pid, "SIGTERM");
      await exited;
    },
    // A crash: SIGKILL to wrangler and workerd at once, nothing flushed or closed.
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      process.kill(-child.pid, "SIGKILL");
      await exited;
    },
    // Resident memory of the workerd process(es) serving this Worker, in bytes.
    rss() {
      let bytes = 0;
      for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          const [comm, rest] = [stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), stat.slice(stat.lastIndexOf(")") + 2).split(" ")];
          if (comm !== "workerd" || Number(rest[2]) !== child.pid) continue;
          bytes += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
        } catch {
          // The process went away while we looked.
        }
      }
      return bytes;
    },
  };
}

// A WebSocket client that queues what it receives, so tests can await frames in order.
// Typed per protocol (clients/src/messages/*.d.ts): Out = the app's ClientMessage, In = its ServerMessage;
// a suite opens `/** @type {typeof Client.open<Out, In>} */ (Client.open)`.
/**
 * @template [Out=any]
 * @template [In=any]
 */
export class Client {
  /**
   * @template [Out=any]
   * @template [In=any]
   * @param {string} url
   * @param {any} [options]
   * @returns {Promise<Client<Out, In>>}
   */
  static async open(url, options) {
    const client = new Client(new WebSocket(url, options));
    await new Promise((resolve, reject) => {
      client.ws.once("open", resolve);
      client.ws.once("error", reject);
      client.ws.once("unexpected-response", (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = [];
    this.ended = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on("message", (data, binary) => {
      this.frames.push(binary ? data : data.toString());
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  // Raw text or bytes go out as they are (bad-input tests send garbage that way).
  /** @param {Out | string | Buffer} frame */
  send(frame) {
    this.ws.send(typeof frame === "string" || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  // The next frame, parsed as JSON; fails after `ms`.
  /** @returns {Promise<In>} */
  async next(ms = 5000) {
    return JSON.parse(await this.text(ms));
  }

  // The next frame as it came: text, or bytes for a binary frame.
  /** @returns {Promise<string | Buffer>} */
  async text(ms = 5000) {
    const deadline = Date.now() + ms;
    while (this.frames.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no frame arrived in time");
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift();
  }

  // Proves silence: nothing arrives within `ms`.
  async nothing(ms = 300) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.frames.length) throw new Error(`unexpected frame: ${this.frames[0]}`);
  }

  // The close: { code, reason }; fails if the connection has not ended within
  // CLOSE_WAIT_MS of asking, so a socket the server forgot to close fails its
  // test instead of hanging the run.
  get closed() {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the socket did not close within ${CLOSE_WAIT_MS} ms`)), CLOSE_WAIT_MS);
    });
    return Promise.race([this.ended, late]).finally(() => clearTimeout(timer));
  }

  close() {
    this.ws.close();
    return this.closed;
  }

  // The close frame the server sent: { code, reason }. When the server closes
  // a socket that never sent a frame, workerd ends its TCP connection only when
  // the object next hibernates (docs/operations.md, "Replaced sockets"), and
  // \`ws\` reports the close only then; stop waiting once the frame is in
  // (readyState CLOSING): the reported code and reason are the frame's.
  async closeFrame() {
    while (this.ws.readyState === WebSocket.OPEN) await new Promise((resolve) => setTimeout(resolve, 5));
    this.ws.terminate();
    return this.closed;
  }
}

// The HTTP answer to a WebSocket upgrade that the server refused.
export function refusedUpgrade(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once("open", () => reject(new Error("upgrade was accepted")));
    ws.once("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: body ? JSON.parse(body) : null }));
    });
    ws.once("error", () => {});
  });
}
