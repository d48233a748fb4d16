#include "router.h"

#include "version.h"

namespace sb {
namespace {

void add_cors(Response& response) {
  response.headers["access-control-allow-origin"] = "*";
  response.headers["access-control-allow-methods"] = "GET, POST, PUT, DELETE, OPTIONS";
  response.headers["access-control-allow-headers"] = "Content-Type, Authorization, Upgrade";
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

Outcome route(const Request& request, const Config& config, std::span<const AppSpec> apps, double now_ms) {
  Outcome outcome = Response::error(404, "not found");
  if (request.method == "OPTIONS") {
    outcome = Response{204, Json::object(), ""};
  } else if (request.path == "/health") {
    Json names = Json::array();
    for (const AppSpec& app : apps) {
      if (enabled(app, config)) names.push_back(app.name);
    }
    outcome = Response::json(200, {{"status", "healthy"},
                                   {"service", "switchboard"},
                                   {"version", kVersion},
                                   {"timestamp", static_cast<std::int64_t>(now_ms)},
                                   {"apps", names}});
  } else {
    for (const AppSpec& app : apps) {
      if (!enabled(app, config)) continue;
      if (auto decided = app.route(request, config)) {
        outcome = std::move(*decided);
        break;
      }
    }
  }
  if (auto* response = std::get_if<Response>(&outcome)) add_cors(*response);
  return outcome;
}

}  // namespace sb
