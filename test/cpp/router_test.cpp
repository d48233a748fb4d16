#include <doctest/doctest.h>

#include "apps/apps.h"
#include "core/router.h"
#include "core/version.h"
#include "fake_host.h"

using sb::Json;

namespace {

sb::Request get(std::string path, std::string method = "GET") {
  sb::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

sb::test::FakeHost worker_host(const Json& vars = Json::object()) {
  sb::test::FakeHost host = sb::test::with_secrets(vars);
  host.clock = 1'700'000'000'000.0;
  return host;
}

sb::Response respond(const sb::Request& r, sb::Json vars = Json::object()) {
  auto host = worker_host(vars);
  return std::get<sb::Response>(sb::route(r, sb::configure(vars), sb::all_apps(), host));
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
  Json every = Json::array();
  for (const sb::Manifest* app : sb::all_apps()) every.push_back(app->name);
  CHECK(body["apps"] == every);
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

TEST_CASE("CORS_ORIGIN narrows the allowed origin on every answer") {
  auto preflight = respond(get("/anything", "OPTIONS"), {{"CORS_ORIGIN", "https://app.example"}});
  CHECK(preflight.headers["access-control-allow-origin"] == "https://app.example");
  CHECK(respond(get("/nope"), {{"CORS_ORIGIN", "https://app.example"}}).headers["access-control-allow-origin"] == "https://app.example");
}

TEST_CASE("APPS switches apps off: their routes answer 404") {
  sb::Request upgrade = get("/");
  upgrade.upgrade = true;
  auto host = worker_host();
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade, sb::Config(), sb::all_apps(), host)));
  CHECK(respond(upgrade, {{"APPS", "mpc, relay"}}).status == 404);
  CHECK(Json::parse(respond(get("/health"), {{"APPS", "mpc"}}).body)["apps"] == Json{"mpc"});
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade, sb::configure(Json{{"APPS", " relay , signal"}}), sb::all_apps(), host)));
}

namespace {

// An app that looks a key up in KV before answering: the Effect round trip.
sb::Outcome lookup_route(const sb::Request&, const sb::Config&, sb::WorkerHost&) {
  return sb::Effect{{{"kv", {{"binding", "KV"}, {"get", "k"}}}}, {{"asked", "k"}}};
}

sb::Outcome lookup_resume(const Json& context, const Json& answer, const sb::Config&, sb::WorkerHost&) {
  return sb::Response::json(200, {{"asked", context["asked"]}, {"value", answer["value"]}});
}

constexpr sb::Route kLookupRoutes[] = {{.path = "/lookup", .handle = &lookup_route}};
constexpr sb::Step kLookupSteps[] = {{.name = "", .resume = &lookup_resume}};  // one step: unnamed
const sb::Manifest kLookupApp{.name = "lookup", .routes = kLookupRoutes, .steps = kLookupSteps};
const sb::Manifest* const kLookup[] = {&kLookupApp};

}  // namespace

TEST_CASE("an app's Effect goes out addressed to it and its answer comes back to it") {
  auto host = worker_host();
  auto outcome = sb::route(get("/lookup"), sb::Config(), kLookup, host);
  auto& effect = std::get<sb::Effect>(outcome);
  CHECK(effect.request == Json{{"kv", {{"binding", "KV"}, {"get", "k"}}}});
  CHECK(effect.context == Json{{"app", "lookup"}, {"origin", ""}, {"state", {{"asked", "k"}}}});
  auto answer = std::get<sb::Response>(sb::resume(effect.context, {{"value", "v"}}, sb::Config(), kLookup, host));
  CHECK(answer.status == 200);
  CHECK(Json::parse(answer.body) == Json{{"asked", "k"}, {"value", "v"}});
  CHECK(answer.headers["access-control-allow-origin"] == "*");
  CHECK(std::get<sb::Response>(sb::resume({{"app", "nobody"}, {"state", {}}}, {}, sb::Config(), kLookup, host)).status == 500);
  CHECK(std::get<sb::Response>(sb::resume(effect.context, {}, sb::configure(Json{{"APPS", "other"}}), kLookup, host)).status == 500);
}

TEST_CASE("ALLOWED_ORIGINS: exact matches may upgrade and get CORS; others get 403 and no CORS") {
  auto host = worker_host();
  Json vars = {{"ALLOWED_ORIGINS", "https://app.example, http://localhost:5173"}};
  auto upgrade_from = [](std::string origin) {
    sb::Request r = get("/");
    r.upgrade = true;
    if (!origin.empty()) r.headers["origin"] = origin;
    return r;
  };
  sb::Config config = sb::configure(vars);
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade_from("https://app.example"), config, sb::all_apps(), host)));
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade_from("http://localhost:5173"), config, sb::all_apps(), host)));
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade_from(""), config, sb::all_apps(), host)));
  for (const char* origin : {"https://evil.example", "https://app.example.evil", "http://app.example", "https://app.example:443"}) {
    CAPTURE(origin);
    auto refused = respond(upgrade_from(origin), vars);
    CHECK(refused.status == 403);
    CHECK(Json::parse(refused.body) == Json{{"error", "origin not allowed"}});
  }
  sb::Request health = get("/health");
  health.headers["origin"] = "http://localhost:5173";
  auto allowed = respond(health, vars);
  CHECK(allowed.headers["access-control-allow-origin"] == "http://localhost:5173");
  CHECK(allowed.headers["vary"] == "Origin");
  health.headers["origin"] = "https://evil.example";
  CHECK_FALSE(respond(health, vars).headers.contains("access-control-allow-origin"));
  CHECK(std::holds_alternative<sb::Forward>(sb::route(upgrade_from("https://evil.example"), sb::Config(), sb::all_apps(), host)));
}

TEST_CASE("an object answers GET /stats/<app>/<instance> itself: its counts, limits and settings") {
  sb::test::Object room("signal", Json{{"SIGNAL_MAX_TOPICS_PER_CONNECTION", "7"}}, "eu-1");
  room.join();
  auto response = std::get<sb::Response>(room.fetch(get("/stats/signal/eu-1")));
  CHECK(response.status == 200);
  Json stats = sb::parse_json(response.body).value_or(Json());
  CHECK(stats["app"] == "signal");
  CHECK(stats["connections"] == 1);
  CHECK(stats["limits"]["SIGNAL_MAX_TOPICS_PER_CONNECTION"] == 7);
  CHECK(stats["settings"]["SIGNAL_ACCESS"] == "open");
}

TEST_CASE("/stats/<app>/<instance> goes to that object; ADMIN_TOKEN guards it when set") {
  auto host = worker_host();
  auto forward = std::get<sb::Forward>(sb::route(get("/stats/signal/eu-1"), sb::Config(), sb::all_apps(), host));
  CHECK(forward.binding == "SignalingRoom");
  CHECK(forward.instance == "eu-1");
  CHECK(respond(get("/stats/nope/x")).status == 404);
  CHECK(respond(get("/stats/demo/x")).status == 404);
  CHECK(respond(get("/stats/signal/")).status == 404);
  CHECK(respond(get("/stats/signal/a", "POST")).status == 404);
  CHECK(respond(get("/stats/signal/x"), {{"APPS", "mpc"}}).status == 404);
  Json guarded = {{"ADMIN_TOKEN", "admin-secret"}};
  CHECK(respond(get("/stats/signal/global"), guarded).status == 401);
  sb::Request with_token = get("/stats/signal/global");
  with_token.headers["authorization"] = "Bearer admin-secret";
  auto guarded_host = worker_host(guarded);
  CHECK(std::holds_alternative<sb::Forward>(sb::route(with_token, sb::configure(guarded), sb::all_apps(), guarded_host)));
  with_token.headers["authorization"] = "Bearer admin-secreT";
  CHECK(std::get<sb::Response>(sb::route(with_token, sb::configure(guarded), sb::all_apps(), guarded_host)).status == 401);
}

TEST_CASE("a plain GET of / is the demo page; an upgrade of / stays signaling; APPS can drop the demo") {
  auto host = worker_host();
  auto page = std::get<sb::Forward>(sb::route(get("/"), sb::Config(), sb::all_apps(), host));
  CHECK(page.binding == "ASSETS");
  CHECK(page.instance.empty());
  CHECK(std::get<sb::Forward>(sb::route(get("/demo.js"), sb::Config(), sb::all_apps(), host)).binding == "ASSETS");
  CHECK(std::get<sb::Forward>(sb::route(get("/favicon.svg"), sb::Config(), sb::all_apps(), host)).binding == "ASSETS");
  sb::Request upgrade = get("/");
  upgrade.upgrade = true;
  CHECK(std::get<sb::Forward>(sb::route(upgrade, sb::Config(), sb::all_apps(), host)).binding == "SignalingRoom");
  CHECK(respond(get("/"), {{"APPS", "signal"}}).status == 426);
  CHECK(respond(get("/", "POST")).status == 426);
  CHECK(respond(get("/secret.txt")).status == 404);
}

TEST_CASE("refusals the Worker decides are logged: app, status and the reason the client is told") {
  auto host = worker_host();
  sb::Config config = sb::configure(Json{{"ALLOWED_ORIGINS", "https://app.example"}});
  sb::Request plain = get("/mpc");
  sb::Request hijack = get("/");
  hijack.upgrade = true;
  hijack.headers["origin"] = "https://evil.example";
  sb::route(plain, config, sb::all_apps(), host);
  sb::route(hijack, config, sb::all_apps(), host);
  sb::route(get("/health"), config, sb::all_apps(), host);
  sb::route(get("/no/such/path"), config, sb::all_apps(), host);  // noise from scanners: not logged
  REQUIRE(host.logs.size() == 2);
  CHECK(Json::parse(host.logs[0]) == Json{{"event", "refused"}, {"level", "warn"}, {"app", "mpc"}, {"status", 426}, {"reason", "expected a WebSocket upgrade (MPC device signaling)"}, {"count", 1}});
  CHECK(Json::parse(host.logs[1]) == Json{{"event", "refused"}, {"level", "warn"}, {"app", "worker"}, {"status", 403}, {"reason", "origin not allowed"}, {"count", 1}});
}
