#include "http.h"

#include "token.h"

namespace sb {

std::optional<Request> Request::from_json(const Json& j) {
  auto method = string_field(j, "method");
  auto path = string_field(j, "path");
  if (!method || !path) return std::nullopt;
  Request r;
  r.method = *method;
  r.path = *path;
  if (const Json* q = field(j, "query"); q && q->is_object()) r.query = *q;
  if (const Json* h = field(j, "headers"); h && h->is_object()) r.headers = *h;
  r.body = string_field(j, "body").value_or("");
  const Json* upgrade = field(j, "upgrade");
  r.upgrade = upgrade && upgrade->is_boolean() && upgrade->get<bool>();
  return r;
}

std::optional<std::string_view> Request::bearer() const {
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view auth = header("authorization");
  if (!auth.starts_with(kBearer)) return std::nullopt;
  return auth.substr(kBearer.size());
}

Response Response::json(int status, const Json& body) {
  return Response{.status = status, .headers = {{"content-type", "application/json"}}, .body = to_text(body)};
}

Response Response::error(int status, std::string_view message) {
  Response response = json(status, {{"error", message}});
  response.reason = message;
  return response;
}

std::optional<std::string_view> Response::refusal() const {
  if (status < 400) return std::nullopt;
  return reason;
}

Json to_json(const Outcome& outcome) {
  if (const auto* r = std::get_if<Response>(&outcome)) {
    return {{"status", r->status}, {"headers", r->headers}, {"body", r->body}};
  }
  if (const auto* f = std::get_if<Forward>(&outcome)) {
    return {{"forward", {{"binding", f->binding}, {"instance", f->instance}, {"headers", f->headers}}}};
  }
  if (const auto* e = std::get_if<Effect>(&outcome)) {
    return {{"effect", {{"request", e->request}, {"context", e->context}}}};
  }
  return {{"accept", true}};
}


bool is_instance_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Response upgrade_required(std::string_view what) {
  return Response::error(426, "expected a WebSocket upgrade (" + std::string(what) + ")");
}

Outcome shard_target(const Request& request, std::string_view prefix) {
  std::string instance = "global";
  if (request.path.starts_with(prefix)) {
    instance = request.path.substr(prefix.size());
    if (!is_instance_name(instance)) return Response::error(400, "invalid shard name");
  }
  return Forward{"", instance};
}

Outcome shard_route(const Request& request, std::string_view prefix, std::string_view what) {
  Outcome target = shard_target(request, prefix);
  if (!request.upgrade && std::holds_alternative<Forward>(target)) return upgrade_required(what);
  return target;
}

bool presents_secret(const Request& request, WorkerHost& host, const Setting& secret) {
  if (auto bearer = request.bearer(); bearer && is_secret(host, secret, *bearer)) return true;
  auto token = request.param("token");
  return token && is_secret(host, secret, *token);
}

}  // namespace sb
