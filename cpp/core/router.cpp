#include "router.h"

#include <algorithm>
#include <vector>

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

// A route's path (manifest.h) as tokens: a character, one segment, or the rest.
constexpr int kSegment = -1;
constexpr int kRest = -2;

std::vector<int> tokens(std::string_view pattern) {
  std::vector<int> out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*') {
      out.push_back(kRest);
    } else if (pattern[i] == ':') {
      out.push_back(kSegment);
      while (i + 1 < pattern.size() && pattern[i + 1] != '/') ++i;
    } else {
      out.push_back(static_cast<unsigned char>(pattern[i]));
    }
  }
  return out;
}

bool path_matches(std::string_view pattern, std::string_view path) {
  for (int token : tokens(pattern)) {
    if (token == kRest) return true;
    if (token == kSegment) {
      path.remove_prefix(std::min(path.find('/'), path.size()));
    } else if (path.empty() || static_cast<unsigned char>(path.front()) != token) {
      return false;
    } else {
      path.remove_prefix(1);
    }
  }
  return path.empty();
}

// Whether some path matches both token lists (from a[i], b[j] on).
bool paths_meet(const std::vector<int>& a, std::size_t i, const std::vector<int>& b, std::size_t j) {
  if ((i < a.size() && a[i] == kRest) || (j < b.size() && b[j] == kRest)) return true;
  if (i == a.size() || j == b.size()) {
    if (i == a.size() && j == b.size()) return true;
    return i == a.size() ? b[j] == kSegment && paths_meet(a, i, b, j + 1) : a[i] == kSegment && paths_meet(a, i + 1, b, j);
  }
  if (a[i] == kSegment && b[j] == kSegment) return paths_meet(a, i + 1, b, j) || paths_meet(a, i, b, j + 1);
  if (a[i] == kSegment) return paths_meet(a, i + 1, b, j) || (b[j] != '/' && paths_meet(a, i, b, j + 1));
  if (b[j] == kSegment) return paths_meet(a, i, b, j + 1) || (a[i] != '/' && paths_meet(a, i + 1, b, j));
  return a[i] == b[j] && paths_meet(a, i + 1, b, j + 1);
}

// `word` is one of the space-separated words of `list`.
bool has_word(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    std::size_t space = list.find(' ');
    if (list.substr(0, space) == word) return true;
    list.remove_prefix(space == std::string_view::npos ? list.size() : space + 1);
  }
  return false;
}

// How many words of `some` are in `all`, and how many it has.
std::pair<int, int> words_in(std::string_view some, std::string_view all) {
  int found = 0, count = 0;
  while (!some.empty()) {
    std::size_t space = some.find(' ');
    found += has_word(all, some.substr(0, space)) ? 1 : 0;
    ++count;
    some.remove_prefix(space == std::string_view::npos ? some.size() : space + 1);
  }
  return {found, count};
}

bool route_matches(const Route& route, const Request& request) {
  if (!route.methods.empty() && !has_word(route.methods, request.method)) return false;
  if (route.plain && request.upgrade) return false;
  if (!route.with_param.empty() && field(request.query, route.with_param) == nullptr) return false;
  if (!route.without_param.empty() && field(request.query, route.without_param) != nullptr) return false;
  return path_matches(route.path, request.path);
}

// Every request `narrow` matches, `wide` matches too, and not the other way round.
bool narrower(const Route& narrow, const Route& wide) {
  auto [found, count] = words_in(narrow.methods, wide.methods);
  bool methods = wide.methods.empty() || (!narrow.methods.empty() && found == count);
  bool within = narrow.path == wide.path && methods && (narrow.plain || !wide.plain) &&
                (wide.with_param.empty() || wide.with_param == narrow.with_param) &&
                (wide.without_param.empty() || wide.without_param == narrow.without_param);
  bool same = narrow.methods == wide.methods && narrow.plain == wide.plain && narrow.with_param == wide.with_param &&
              narrow.without_param == wide.without_param;
  return within && !same;
}

// Whether one request can match both routes.
bool routes_meet(const Route& a, const Route& b) {
  if (!a.methods.empty() && !b.methods.empty() && words_in(a.methods, b.methods).first == 0) return false;
  if ((!a.with_param.empty() && a.with_param == b.without_param) || (!b.with_param.empty() && b.with_param == a.without_param)) return false;
  return paths_meet(tokens(a.path), 0, tokens(b.path), 0);
}

// ALLOWED_ORIGINS: comma-separated scheme://host[:port]; empty allows every origin.
bool restricted(const Config& config) { return config[kAllowedOrigins].find_first_not_of(" ,") != std::string_view::npos; }

// Browsers always send Origin on cross-site requests and upgrades; clients that
// send none are not browsers, and an Origin check cannot protect them.
bool origin_allowed(std::string_view origin, const Config& config) {
  return origin.empty() || !restricted(config) || listed(config[kAllowedOrigins], origin);
}

// With ALLOWED_ORIGINS, CORS names the request's origin when it is listed (and
// nothing otherwise); without it, CORS_ORIGIN (the rooms API's setting) or *.
Outcome with_cors(Outcome outcome, std::string_view origin, const Config& config) {
  auto* response = std::get_if<Response>(&outcome);
  if (response == nullptr) return outcome;
  if (!restricted(config)) {
    response->headers["access-control-allow-origin"] = config[kCorsOrigin];
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
void log_refusal(const Outcome& outcome, std::string_view app, WorkerHost& host) {
  const auto* response = std::get_if<Response>(&outcome);
  std::optional<std::string_view> reason = response ? response->refusal() : std::nullopt;
  if (!reason) return;
  host.log(to_text({{"event", "refused"}, {"level", level_name(Level::warn)}, {"app", app}, {"status", response->status}, {"reason", *reason}, {"count", 1}}));
}

// A Forward with no binding goes to the app's own.
Outcome bound(Outcome outcome, const Manifest& app) {
  if (auto* forward = std::get_if<Forward>(&outcome); forward && forward->binding.empty()) forward->binding = app.binding;
  return outcome;
}

// An app's Effect carries the app's name (and the request's Origin, for the
// CORS headers of the final answer), so resume() knows whose answer it is.
Outcome addressed(Outcome outcome, const Manifest& app, std::string_view origin, const Config& config, WorkerHost& host) {
  outcome = bound(std::move(outcome), app);
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

Response health(const Config& config, Manifests apps, double now_ms) {
  Json names = Json::array();
  for (const Manifest* app : apps) {
    if (enabled(*app, config)) names.push_back(app->name);
  }
  return Response::json(200, {{"status", "healthy"},
                              {"service", "switchboard"},
                              {"version", kVersion},
                              {"timestamp", static_cast<std::int64_t>(now_ms)},
                              {"apps", names}});
}

// GET /stats/<app>/<instance>: the object's own counts (ADMIN_TOKEN, when set, as a Bearer token).
Outcome stats(const Request& request, const Config& config, Manifests apps, WorkerHost& host) {
  std::string_view rest = std::string_view(request.path).substr(std::string_view("/stats/").size());
  std::size_t slash = rest.find('/');
  std::string_view app = rest.substr(0, slash);
  std::string_view instance = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (config.has(kAdminToken) && !presents_secret(request, host, kAdminToken)) return Response::error(401, "unauthorized");
  for (const Manifest* spec : apps) {
    if (spec->name == app && spec->make != nullptr && enabled(*spec, config) && is_instance_name(instance) && request.method == "GET") {
      if (spec->stats != nullptr) {
        if (std::optional<Outcome> own = spec->stats(instance, config, host)) return addressed(std::move(*own), *spec, request.header("origin"), config, host);
      }
      return Forward{std::string(spec->binding), std::string(instance)};
    }
  }
  return Response::error(404, "not found");
}

// The routes the router answers itself; no app may claim their paths.
constexpr Route kReserved[] = {{.path = "/health"}, {.path = "/stats/*"}};

std::string describe(const Manifest* app, const Route& route) {
  std::string text = std::string(app ? app->name : "the router") + " (" + std::string(route.methods.empty() ? "any" : route.methods) + " " +
                     std::string(route.path);
  if (route.plain) text += ", not an upgrade";
  if (!route.with_param.empty()) text += ", with ?" + std::string(route.with_param);
  if (!route.without_param.empty()) text += ", without ?" + std::string(route.without_param);
  return text + ")";
}

}  // namespace

bool enabled(const Manifest& app, const Config& config) {
  std::string_view list = config[kEnabledApps];
  return list.find_first_not_of(" ,") == std::string_view::npos || listed(list, app.name);
}

std::string overlaps(Manifests apps) {
  for (std::size_t i = 0; i < apps.size(); ++i) {
    for (const Route& route : apps[i]->routes) {
      for (const Route& reserved : kReserved) {
        if (routes_meet(route, reserved)) return describe(apps[i], route) + " overlaps " + describe(nullptr, reserved);
      }
      for (std::size_t j = i + 1; j < apps.size(); ++j) {
        for (const Route& other : apps[j]->routes) {
          if (routes_meet(route, other) && !narrower(route, other) && !narrower(other, route)) {
            return describe(apps[i], route) + " overlaps " + describe(apps[j], other);
          }
        }
      }
    }
  }
  return "";
}

namespace {

// The narrowest route of the enabled apps that matches (overlaps() leaves at most one).
std::pair<const Manifest*, const Route*> match(const Request& request, const Config& config, Manifests apps) {
  std::pair<const Manifest*, const Route*> best{nullptr, nullptr};
  for (const Manifest* app : apps) {
    if (!enabled(*app, config)) continue;
    for (const Route& route : app->routes) {
      if (route_matches(route, request) && (best.second == nullptr || narrower(route, *best.second))) best = {app, &route};
    }
  }
  return best;
}

}  // namespace

std::optional<Outcome> route_app(const Manifest& app, const Request& request, const Config& config, WorkerHost& host) {
  const Manifest* one[] = {&app};
  auto [found, route] = match(request, Config(), one);
  if (route == nullptr) return std::nullopt;
  return bound(route->handle(request, config, host), app);
}

Outcome route(const Request& request, const Config& config, Manifests apps, WorkerHost& host) {
  std::string_view origin = request.header("origin");
  if (request.method == "OPTIONS") return with_cors(Response{.status = 204}, origin, config);
  if (request.path == "/health") return with_cors(health(config, apps, host.now()), origin, config);
  if (request.path.starts_with("/stats/")) return with_cors(stats(request, config, apps, host), origin, config);
  // Cross-site WebSocket hijacking: a page on another origin opening a socket with the user's cookies.
  if (request.upgrade && !origin_allowed(origin, config)) {
    Outcome refused = Response::error(403, "origin not allowed");
    log_refusal(refused, "worker", host);
    return refused;
  }
  auto [app, matched] = match(request, config, apps);
  if (matched != nullptr) return addressed(matched->handle(request, config, host), *app, origin, config, host);
  return with_cors(Response::error(404, "not found"), origin, config);
}

Effect continue_at(const Step& step, Json request, Json context) {
  Json marked = step.name.empty() ? Json::object() : Json{{"step", step.name}};
  for (auto& [key, value] : context.items()) marked[key] = std::move(value);
  return Effect{std::move(request), std::move(marked)};
}

Outcome resume_step(const Manifest& app, const Json& context, const Json& answer, const Config& config, WorkerHost& host) {
  std::string_view name = string_field(context, "step").value_or("");
  for (const Step& step : app.steps) {
    if (step.name == name) return step.resume(context, answer, config, host);
  }
  return Response::error(500, "internal error");
}

Outcome resume(const Json& context, const Json& answer, const Config& config, Manifests apps, WorkerHost& host) {
  std::string_view name = string_field(context, "app").value_or("");
  std::string_view origin = string_field(context, "origin").value_or("");
  const Json* state = field(context, "state");
  for (const Manifest* app : apps) {
    if (app->name == name && !app->steps.empty() && state != nullptr && enabled(*app, config)) {
      return addressed(resume_step(*app, *state, answer, config, host), *app, origin, config, host);
    }
  }
  return with_cors(Response::error(500, "internal error"), origin, config);
}

}  // namespace sb
