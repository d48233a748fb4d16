// Requests as the core reads them (cpp/core/http.h), and its answers as Responses.
export async function describe(request) {
  const description = describeParts(request.method, request.url, request.headers);
  description.upgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (request.body) description.body = await request.clone().text();
  return description;
}

// A request given by its parts (a call from another object), described alike.
export function describeParts(method, url, headers, body) {
  const { pathname, searchParams } = new URL(url);
  const description = { method, path: pathname, query: Object.fromEntries(searchParams), headers: Object.fromEntries(new Headers(headers)) };
  if (body != null) description.body = body;
  return description;
}

export function toResponse({ status, headers, body }) {
  return new Response(body || null, { status, headers });
}
