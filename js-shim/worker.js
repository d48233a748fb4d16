// The Worker: the core's router decides; requests for an app go to its
// Durable Object by name. One class per app, each a one-liner.
import { Host } from "./host.js";
import { describe, toResponse } from "./http.js";
import { SwitchboardObject } from "./object.js";
import { Core } from "./wasm.js";

let router;

export default {
  async fetch(request, env) {
    router ??= Core.load("", env, new Host());
    const answer = (await router).route(await describe(request));
    if (!answer.forward) return toResponse(answer);
    const namespace = env[answer.forward.binding];
    return namespace.get(namespace.idFromName(answer.forward.instance)).fetch(request);
  },
};

export class SignalingRoom extends SwitchboardObject {
  static app = "signal";
}

export class RelaySession extends SwitchboardObject {
  static app = "relay";
}
