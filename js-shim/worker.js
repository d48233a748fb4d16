// The Worker: the core's router decides; requests for an app go to its
// Durable Object by name. One class per app, each a one-liner.
import { perform } from "./effects.js";
import { Host } from "./host.js";
import { describe, toResponse } from "./http.js";
import { SwitchboardObject } from "./object.js";
import { Core } from "./wasm.js";

let router;

export default {
  async fetch(request, env) {
    let answer;
    try {
      answer = await route(request, env);
    } catch (error) {
      // Any error out of the router's core (a trap, a stack overflow, out of
      // memory) may leave its instance poisoned: the next request builds a new one.
      router = undefined;
      Host.write(JSON.stringify({ event: "trap", level: "error", app: "worker", error: String(error?.message ?? error) }));
      return Response.json({ error: "internal error" }, { status: 500 });
    }
    if (!answer.forward) return toResponse(answer);
    const { binding, instance, headers } = answer.forward;
    // A deployment may drop a binding it does not need ([assets]: the demo page).
    if (!env[binding]) return Response.json({ error: "not found" }, { status: 404 });
    const forwarded = withHeaders(request, headers);
    if (!instance) return env[binding].fetch(forwarded);
    return env[binding].get(env[binding].idFromName(instance)).fetch(forwarded);
  },
};

async function route(request, env) {
  router ??= Core.load("", env, new Host({ env }));
  const core = await router;
  let answer = core.route(await describe(request));
  while (answer.effect) answer = core.resume(answer.effect.context, await perform(env, answer.effect.request));
  return answer;
}

// The request with the headers the core set (null: removed), replacing the client's own.
function withHeaders(request, headers = {}) {
  const names = Object.keys(headers);
  if (names.length === 0) return request;
  const replaced = new Headers(request.headers);
  for (const name of names) {
    if (headers[name] === null) replaced.delete(name);
    else replaced.set(name, headers[name]);
  }
  return new Request(request, { headers: replaced });
}

export class SignalingRoom extends SwitchboardObject {
  static app = "signal";
}

export class SignalGateway extends SwitchboardObject {
  static app = "signal-gateway";
}

export class SignalTopics extends SwitchboardObject {
  static app = "signal-topics";
}

export class Devices extends SwitchboardObject {
  static app = "mpc";
}

export class RelaySession extends SwitchboardObject {
  static app = "relay";
}

export class Rooms extends SwitchboardObject {
  static app = "rooms";
}

export class SwarmCoordinator extends SwitchboardObject {
  static app = "swarm";
}

export class InviteRegistry extends SwitchboardObject {
  static app = "swarm-invites";
}
