import { describeParts } from "./http.js";

// Performs an Effect the core asked for (cpp/core/http.h) and describes the
// answer as the core reads it. Failures become {"error"}: the core decides
// what a client sees.
export async function perform(env, request) {
  try {
    if (request.fetch) {
      const { url, method, headers, body, secret_headers: secretHeaders = {} } = request.fetch;
      // Secrets the core names but never holds, added on their way out.
      for (const [name, { prefix, secret }] of Object.entries(secretHeaders)) headers[name] = prefix + (env[secret] ?? "");
      return describeResponse(await fetch(url, { method, headers, body: body ?? undefined }));
    }
    if (request.object) {
      // Durable Object RPC (the object's call()), with the request as the core reads one.
      const { binding, instance, method, path, headers, body } = request.object;
      const namespace = env[binding];
      const description = describeParts(method, `https://${binding}.internal${path}`, headers, body);
      return await namespace.get(namespace.idFromName(instance)).call(description);
    }
    if (request.kv) {
      const { binding, get, put, value, ttl } = request.kv;
      if (get !== undefined) return { value: await env[binding].get(get) };
      await env[binding].put(put, value, ttl ? { expirationTtl: ttl } : undefined);
      return {};
    }
    return { error: "unknown effect" };
  } catch (error) {
    return { error: String(error?.message ?? error) };
  }
}

async function describeResponse(response) {
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}
