// Requests as the core reads them (cpp/core/http.h), and its answers as Responses.
export async function describe(request) {
  const url = new URL(request.url);
  const description = {
    method: request.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(request.headers),
    upgrade: request.headers.get("upgrade")?.toLowerCase() === "websocket",
  };
  if (request.body) description.body = await request.clone().text();
  return description;
}

export function toResponse({ status, headers, body }) {
  return new Response(body || null, { status, headers });
}
