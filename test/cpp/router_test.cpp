#include <doctest/doctest.h>

#include "apps/apps.h"
#include "core/router.h"
#include "core/version.h"

using sb::Json;

namespace {

sb::Request get(std::string path, std::string method = "GET") {
  sb::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

sb::Response respond(const sb::Request& r, sb::Json vars = Json::object()) {
  return std::get<sb::Response>(sb::route(r, sb::Config(std::move(vars)), sb::all_apps(), 1'700'000'000'000.0));
}

}  // namespace

TEST_CASE("health names the service, version and enabled apps") {
  auto response = respond(get("/health"));
  CHECK(response.status == 200);
  Json body = Json::parse(response.body);
  CHECK(body["status"] == "healthy");
  CHECK(body["service"] == "switchboard");
  CHECK(body["version"] == std::string(sb::kVersion));
  CHECK(body["timestamp"] == 1'700'000'000'000);
  CHECK(body["apps"] == Json{"signal", "relay"});
  CHECK(response.headers["access-control-allow-origin"] == "*");
}

TEST_CASE("unknown paths are 404 JSON, preflight is answered") {
  auto missing = respond(get("/nope"));
  CHECK(missing.status == 404);
  CHECK(Json::parse(missing.body) == Json{{"error", "not found"}});
  auto preflight = respond(get("/anything", "OPTIONS"));
  CHECK(preflight.status == 204);
  CHECK(preflight.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE, OPTIONS");
}

TEST_CASE("APPS switches apps off: their routes answer 404") {
  sb::Request upgrade = get("/");
  upgrade.upgrade = true;
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade, sb::Config(), sb::all_apps(), 0)));
  CHECK(respond(upgrade, {{"APPS", "mpc, relay"}}).status == 404);
  CHECK(Json::parse(respond(get("/health"), {{"APPS", "mpc"}}).body)["apps"] == Json::array());
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade, sb::Config(Json{{"APPS", " relay , signal"}}), sb::all_apps(), 0)));
}
