#include "router.h"

#include <algorithm>

#include "access.h"
#include "version.h"

namespace sb {
namespace {

// `item` is one of the comma-separated entries of `list`.
bool listed(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    entry.remove_prefix(std::min(entry.find_first_not_of(' '), entry.size()));
    entry = entry.substr(0, entry.find_last_not_of(' ') + 1);
    if (!entry.empty() && entry == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// ALLOWED_ORIGINS: comma-separated scheme://host[:port]; empty allows every origin.
bool restricted(const Config& config) { return config.text("ALLOWED_ORIGINS").find_first_not_of(" ,") != std::string_view::npos; }

// Browsers always send Origin on cross-site requests and upgrades; clients that
// send none are not browsers, and an Origin check cannot protect them.
bool origin_allowed(std::string_view origin, const Config& config) {
  return origin.empty() || !restricted(config) || listed(config.text("ALLOWED_ORIGINS"), origin);
}

// With ALLOWED_ORIGINS, CORS names the request's origin when it is listed (and
// nothing otherwise); without it, CORS_ORIGIN (the rooms API's setting) or *.
Outcome with_cors(Outcome outcome, std::string_view origin, const Config& config) {
  auto* response = std::get_if<Response>(&outcome);
  if (response == nullptr) return outcome;
  if (!restricted(config)) {
    std::string_view fixed = config.text("CORS_ORIGIN");
    response->headers["access-control-allow-origin"] = fixed.empty() ? std::string_view("*") : fixed;
  } else if (!origin.empty() && origin_allowed(origin, config)) {
    response->headers["access-control-allow-origin"] = origin;
    response->headers["vary"] = "Origin";
  } else {
    return outcome;
  }
  response->headers["access-control-allow-methods"] = "GET, POST, PUT, DELETE, OPTIONS";
  response->headers["access-control-allow-headers"] = "Content-Type, Authorization, Upgrade";
  return outcome;
}

// A refusal decided in the Worker (an object logs its own): one log line,
// with the reason the client is told and never the request itself.
void log_refusal(const Outcome& outcome, std::string_view app, Host& host) {
  const auto* response = std::get_if<Response>(&outcome);
  std::optional<std::string> reason = response ? response->refusal() : std::nullopt;
  if (!reason) return;
  host.log(to_text({{"event", "refused"}, {"level", level_name(Level::warn)}, {"app", app}, {"status", response->status}, {"reason", *reason}, {"count", 1}}));
}

// An app's Effect carries the app's name (and the request's Origin, for the
// CORS headers of the final answer), so resume() knows whose answer it is.
Outcome addressed(Outcome outcome, const AppSpec& app, std::string_view origin, const Config& config, Host& host) {
  if (auto* effect = std::get_if<Effect>(&outcome)) {
    effect->context = {{"app", app.name}, {"origin", origin}, {"state", std::move(effect->context)}};
  }
  // Only the Worker says what it verified: a client's own copy never reaches an object.
  if (auto* forward = std::get_if<Forward>(&outcome); forward && !forward->headers.contains(kAccessHeader)) {
    forward->headers[std::string(kAccessHeader)] = nullptr;
  }
  log_refusal(outcome, app.name, host);
  return with_cors(std::move(outcome), origin, config);
}

Response health(const Config& config, std::span<const AppSpec> apps, double now_ms) {
  Json names = Json::array();
  for (const AppSpec& app : apps) {
    if (enabled(app, config)) names.push_back(app.name);
  }
  return Response::json(200, {{"status", "healthy"},
                              {"service", "switchboard"},
                              {"version", kVersion},
                              {"timestamp", static_cast<std::int64_t>(now_ms)},
                              {"apps", names}});
}

// GET /stats/<app>/<instance>: the object's own counts (ADMIN_TOKEN, when set, as a Bearer token).
Outcome stats(const Request& request, const Config& config, std::span<const AppSpec> apps, Host& host) {
  std::string_view rest = std::string_view(request.path).substr(std::string_view("/stats/").size());
  std::size_t slash = rest.find('/');
  std::string_view app = rest.substr(0, slash);
  std::string_view instance = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (config.has_secret(kAdminToken) && !presents_secret(request, host, kAdminToken)) return Response::error(401, "unauthorized");
  for (const AppSpec& spec : apps) {
    if (spec.name == app && spec.make != nullptr && enabled(spec, config) && is_instance_name(instance) && request.method == "GET") {
      return Forward{std::string(spec.binding), std::string(instance)};
    }
  }
  return Response::error(404, "not found");
}

}  // namespace

bool enabled(const AppSpec& app, const Config& config) {
  std::string_view list = config.text("APPS");
  return list.find_first_not_of(" ,") == std::string_view::npos || listed(list, app.name);
}

Outcome route(const Request& request, const Config& config, std::span<const AppSpec> apps, Host& host) {
  std::string_view origin = request.header("origin");
  if (request.method == "OPTIONS") return with_cors(Response{204, Json::object(), ""}, origin, config);
  if (request.path == "/health") return with_cors(health(config, apps, host.now()), origin, config);
  if (request.path.starts_with("/stats/")) return with_cors(stats(request, config, apps, host), origin, config);
  // Cross-site WebSocket hijacking: a page on another origin opening a socket with the user's cookies.
  if (request.upgrade && !origin_allowed(origin, config)) {
    Outcome refused = Response::error(403, "origin not allowed");
    log_refusal(refused, "worker", host);
    return refused;
  }
  for (const AppSpec& app : apps) {
    if (!enabled(app, config)) continue;
    if (auto decided = app.route(request, config, host)) return addressed(std::move(*decided), app, origin, config, host);
  }
  return with_cors(Response::error(404, "not found"), origin, config);
}

Outcome resume(const Json& context, const Json& answer, const Config& config, std::span<const AppSpec> apps, Host& host) {
  std::string_view name = string_field(context, "app").value_or("");
  std::string_view origin = string_field(context, "origin").value_or("");
  const Json* state = field(context, "state");
  for (const AppSpec& app : apps) {
    if (app.name == name && app.resume != nullptr && state != nullptr && enabled(app, config)) {
      return addressed(app.resume(*state, answer, config, host), app, origin, config, host);
    }
  }
  return with_cors(Response::error(500, "internal error"), origin, config);
}

}  // namespace sb
