// Requests and responses as the shim describes them to the core, and what the
// core answers: a response, an accepted WebSocket, or a hand-over to a Durable Object.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config.h"
#include "host.h"
#include "json.h"

namespace sb {

struct Request {
  std::string method;
  std::string path;
  Json query = Json::object();    // decoded search params, first value of each
  Json headers = Json::object();  // lower-case names
  std::string body;
  bool upgrade = false;  // `Upgrade: websocket`

  static std::optional<Request> from_json(const Json& j);
  std::string_view header(std::string_view name) const { return string_field(headers, name).value_or(""); }
  std::optional<std::string_view> param(std::string_view name) const { return string_field(query, name); }
  // The credential of `Authorization: Bearer <credential>`, if that is how the header reads.
  std::optional<std::string_view> bearer() const;
  // The credential as `Authorization: Bearer`, else as the query parameter `param`; "" when neither.
  std::string_view credential(std::string_view param) const { return bearer().value_or(this->param(param).value_or("")); }
};

struct Response {
  int status = 200;
  Json headers = Json::object();
  std::string body;
  // Why it was refused: error()'s message, for the logs (never sent on its own).
  std::string reason;

  static Response json(int status, const Json& body);
  // {"error": message}, with the message as its reason.
  static Response error(int status, std::string_view message);
  // A refusal (4xx, 5xx): its reason ("" when none was given); nothing for a success.
  std::optional<std::string_view> refusal() const;
};

// The core accepts the WebSocket; the shim calls on_open right after.
struct Accept {};

// The Worker hands the request to `binding.idFromName(instance)`, or, with no
// instance, to the binding itself (a Fetcher: the static assets).
struct Forward {
  std::string binding;
  std::string instance;
  // Headers the Worker sets on the request it hands over, replacing any the
  // client sent (null removes one): what the Worker verified, for the object.
  Json headers = Json::object();
};

// Work only the shim can do without blocking: an outbound fetch, a request to
// another Durable Object, a Workers KV read or write. `request` is one of
//   {"fetch":  {"url", "method", "headers", "body", "secret_headers"}}
// (secret_headers: {name: {"prefix", "secret"}}, a header whose value is
// prefix + the secret named `secret`, which the shim reads itself)
//   {"object": {"binding", "instance", "method", "path", "headers", "body"}}
//   {"kv":     {"binding", "get": key}} | {"kv": {"binding", "put": key, "value", "ttl"}}
// The answer ({"status","headers","body"}, {"value": text|null}, or
// {"error": text} when it could not be done) comes back with `context` to resume().
struct Effect {
  Json request;
  Json context;
};

using Outcome = std::variant<Response, Accept, Forward, Effect>;

// An Effect's secret_headers: `Authorization: Bearer <the value of secret>`.
inline Json bearer_secret(const Setting& secret) { return {{"authorization", {{"prefix", "Bearer "}, {"secret", secret.name}}}}; }

Json to_json(const Outcome& outcome);

// A path segment that names a Durable Object instance (shard): 1–64 of [A-Za-z0-9_.-].
bool is_instance_name(std::string_view name);

// 426 naming `what`: a WebSocket route's answer to a request without an upgrade.
Response upgrade_required(std::string_view what);
// A route's path is the shard "global", or `prefix<shard>` that shard: a
// Forward to the app's binding, or 400 for a bad shard name.
Outcome shard_target(const Request& request, std::string_view prefix);
// shard_target, and 426 (naming `what`) without an upgrade.
Outcome shard_route(const Request& request, std::string_view prefix, std::string_view what);

// `Authorization: Bearer <secret>` or `?token=<secret>`: the value of the
// secret `secret`, compared by the host's HMAC keyed by its name, in constant time.
bool presents_secret(const Request& request, WorkerHost& host, const Setting& secret);

}  // namespace sb
