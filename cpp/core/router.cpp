#include "router.h"

#include <algorithm>

#include "version.h"

namespace sb {
namespace {

// CORS_ORIGIN (a setting) narrows the allowed origin; unset means any.
Outcome with_cors(Outcome outcome, const Config& config) {
  if (auto* response = std::get_if<Response>(&outcome)) {
    std::string_view origin = config.text("CORS_ORIGIN");
    response->headers["access-control-allow-origin"] = origin.empty() ? std::string("*") : std::string(origin);
    response->headers["access-control-allow-methods"] = "GET, POST, PUT, DELETE, OPTIONS";
    response->headers["access-control-allow-headers"] = "Content-Type, Authorization, Upgrade";
  }
  return outcome;
}

// An app's Effect carries the app's name, so resume() knows whose answer it is.
Outcome addressed(Outcome outcome, const AppSpec& app, const Config& config) {
  if (auto* effect = std::get_if<Effect>(&outcome)) {
    effect->context = {{"app", app.name}, {"state", std::move(effect->context)}};
  }
  return with_cors(std::move(outcome), config);
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

}  // namespace

bool enabled(const AppSpec& app, const Config& config) {
  std::string_view list = config.text("APPS");
  if (list.find_first_not_of(" ,") == std::string_view::npos) return true;
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    item.remove_prefix(std::min(item.find_first_not_of(' '), item.size()));
    item = item.substr(0, item.find_last_not_of(' ') + 1);
    if (item == app.name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

Outcome route(const Request& request, const Config& config, std::span<const AppSpec> apps, Host& host) {
  if (request.method == "OPTIONS") return with_cors(Response{204, Json::object(), ""}, config);
  if (request.path == "/health") return with_cors(health(config, apps, host.now()), config);
  for (const AppSpec& app : apps) {
    if (!enabled(app, config)) continue;
    if (auto decided = app.route(request, config, host)) return addressed(std::move(*decided), app, config);
  }
  return with_cors(Response::error(404, "not found"), config);
}

Outcome resume(const Json& context, const Json& answer, const Config& config, std::span<const AppSpec> apps, Host& host) {
  std::string_view name = string_field(context, "app").value_or("");
  const Json* state = field(context, "state");
  for (const AppSpec& app : apps) {
    if (app.name == name && app.resume != nullptr && state != nullptr && enabled(app, config)) {
      return addressed(app.resume(*state, answer, config, host), app, config);
    }
  }
  return with_cors(Response::error(500, "internal error"), config);
}

}  // namespace sb
