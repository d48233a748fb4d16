#include <doctest/doctest.h>

#include <string>

#include "core/access.h"
#include "core/token.h"
#include "fake_host.h"

using sb::ConnId;
using sb::Json;
using sb::test::Object;
using sb::test::upgrade;

namespace {

const Json kTokenMode = {{"ACCESS_TOKEN_SECRET", "access-secret"}, {"SIGNAL_ACCESS", "token"}, {"MPC_ACCESS", "token"},
                         {"RELAY_ACCESS", "token"}, {"SWARM_ACCESS", "token"}};

std::int64_t in(sb::Host& host, std::int64_t seconds) { return static_cast<std::int64_t>(host.now() / 1000) + seconds; }

std::string token(sb::Host& host, Json claims) {
  if (!claims.contains("exp")) claims["exp"] = in(host, 60);
  return sb::sign_jwt(host, sb::kAccessSecret, claims);
}

sb::Request with_token(std::string path, const std::string& jwt, Json query = Json::object()) {
  sb::Request r = upgrade(std::move(path), {{"authorization", "Bearer " + jwt}});
  r.query = std::move(query);
  return r;
}

// The request as the Worker hands it to the object: with the claims it verified.
sb::Request admitted(const sb::Outcome& routed, sb::Request request) {
  const auto& forward = std::get<sb::Forward>(routed);
  request.headers[std::string(sb::kAccessHeader)] = forward.headers[std::string(sb::kAccessHeader)];
  return request;
}

int status(const sb::Outcome& outcome) { return std::get<sb::Response>(outcome).status; }

}  // namespace

TEST_CASE("access tokens: app, sub and scope required as strings; topics an array of strings; exp and nbf honoured") {
  auto host = sb::test::with_secrets(kTokenMode);
  Json good = {{"app", "mpc"}, {"sub", "dev-a"}, {"scope", "global"}};
  CHECK(sb::read_access_token(host, token(host, good), host.now()));
  for (const char* claim : {"app", "sub", "scope"}) {
    CAPTURE(claim);
    Json missing = good;
    missing.erase(claim);
    CHECK_FALSE(sb::read_access_token(host, token(host, missing), host.now()));
    Json empty = good;
    empty[claim] = "";
    CHECK_FALSE(sb::read_access_token(host, token(host, empty), host.now()));
    Json number = good;
    number[claim] = 7;
    CHECK_FALSE(sb::read_access_token(host, token(host, number), host.now()));
  }
  Json long_sub = good;
  long_sub["sub"] = std::string(sb::kMaxAccessClaimBytes + 1, 'x');
  CHECK_FALSE(sb::read_access_token(host, token(host, long_sub), host.now()));
  Json topics = good;
  topics["topics"] = {"a", "b*"};
  CHECK(sb::read_access_token(host, token(host, topics), host.now()));
  topics["topics"] = {"a", 1};
  CHECK_FALSE(sb::read_access_token(host, token(host, topics), host.now()));
  topics["topics"] = "a";
  CHECK_FALSE(sb::read_access_token(host, token(host, topics), host.now()));
  Json expired = good;
  expired["exp"] = in(host, 0);
  CHECK_FALSE(sb::read_access_token(host, token(host, expired), host.now()));
  Json early = good;
  early["nbf"] = in(host, 10);
  CHECK_FALSE(sb::read_access_token(host, token(host, early), host.now()));
  // Another secret's token (say, the rooms app's) is not an access token.
  constexpr sb::Setting kOther{"OTHER_SECRET", "", "", true};
  host.secrets["OTHER_SECRET"] = "other-secret";
  Json claims = good;
  claims["exp"] = in(host, 60);
  CHECK_FALSE(sb::read_access_token(host, sb::sign_jwt(host, kOther, claims), host.now()));
}

TEST_CASE("the Worker refuses upgrades without a valid token (401) or with one for elsewhere (403); open mode ignores tokens") {
  Object mpc("mpc", kTokenMode);
  auto& host = mpc.host;
  CHECK(status(mpc.route(upgrade("/mpc"))) == 401);
  CHECK(status(mpc.route(with_token("/mpc", "a.b.c"))) == 401);
  CHECK(status(mpc.route(with_token("/mpc", token(host, {{"app", "relay"}, {"sub", "d"}, {"scope", "global"}})))) == 403);
  CHECK(status(mpc.route(with_token("/mpc", token(host, {{"app", "mpc"}, {"sub", "d"}, {"scope", "eu"}})))) == 403);
  auto forward = std::get<sb::Forward>(mpc.route(with_token("/mpc/eu", token(host, {{"app", "mpc"}, {"sub", "d"}, {"scope", "eu"}}))));
  CHECK(Json::parse(forward.headers[std::string(sb::kAccessHeader)].get<std::string>())["sub"] == "d");
  sb::Request by_query = upgrade("/mpc");
  by_query.query = {{"access_token", token(host, {{"app", "mpc"}, {"sub", "d"}, {"scope", "global"}})}};
  CHECK(std::holds_alternative<sb::Forward>(mpc.route(by_query)));

  Object unset("mpc", {{"MPC_ACCESS", "token"}});
  CHECK(status(unset.route(upgrade("/mpc"))) == 503);

  // Open mode: the header is removed so the object never sees a client's copy.
  Object open("mpc", {{"ACCESS_TOKEN_SECRET", "access-secret"}});
  auto passed = std::get<sb::Forward>(open.route(upgrade("/mpc", {{std::string(sb::kAccessHeader), R"({"sub":"x"})"}})));
  CHECK(passed.headers[std::string(sb::kAccessHeader)].is_null());
}

TEST_CASE("in token mode a plain GET to a socket route gets the token's verdict first, then 426; open mode answers 426 at once") {
  auto plain = [](sb::Request request) {
    request.upgrade = false;
    return request;
  };
  struct Case {
    std::string app, path, access;
  };
  for (const Case& socket_route : {Case{"mpc", "/mpc/eu", "MPC_ACCESS"}, Case{"relay", "/desktop/abcdef123456", "RELAY_ACCESS"},
                                   Case{"signal", "/signal/eu", "SIGNAL_ACCESS"}}) {
    const std::string& app = socket_route.app;
    const std::string& path = socket_route.path;
    CAPTURE(app);
    Object object(app, {{socket_route.access, "token"}, {"ACCESS_TOKEN_SECRET", "access-secret"}});
    std::string scope = app == "relay" ? "abcdef123456" : "eu";
    std::string sub = app == "relay" ? "desktop" : "d";
    CHECK(status(object.route(plain(upgrade(path)))) == 401);
    CHECK(status(object.route(plain(with_token(path, "a.b.c")))) == 401);
    CHECK(status(object.route(plain(with_token(path, token(object.host, {{"app", app}, {"sub", sub}, {"scope", "elsewhere"}}))))) == 403);
    CHECK(status(object.route(plain(with_token(path, token(object.host, {{"app", app}, {"sub", sub}, {"scope", scope}}))))) == 426);
    Object open(app, {{"ACCESS_TOKEN_SECRET", "access-secret"}});
    CHECK(status(open.route(plain(upgrade(path)))) == 426);
  }
}

TEST_CASE("mpc in token mode: a socket registers only as its sub and so only the device's token replaces its socket") {
  Object mpc("mpc", kTokenMode);
  auto& host = mpc.host;
  auto connect = [&](const std::string& sub) {
    sb::Request r = with_token("/mpc", token(host, {{"app", "mpc"}, {"sub", sub}, {"scope", "global"}}));
    return mpc.join(admitted(mpc.route(r), r));
  };
  ConnId a = connect("dev-a"), b = connect("dev-b");
  mpc.message(a, R"({"type":"register","device_id":"dev-a"})");
  mpc.message(b, R"({"type":"register","device_id":"dev-a"})");
  CHECK(mpc.take(b) == std::vector<std::string>{R"({"type":"error","error":"device_id not allowed"})"});
  CHECK(mpc.is_open(a));
  CHECK(mpc.stats()["errors"] == 1);
  ConnId again = connect("dev-a");
  mpc.message(again, R"({"type":"register","device_id":"dev-a"})");
  CHECK_FALSE(mpc.is_open(a));
  CHECK(mpc.host.closes[a].reason == "replaced");
  // An upgrade that did not come through the Worker's check is refused.
  CHECK(std::get<sb::Response>(mpc.connect(upgrade("/mpc"))).status == 401);
  // After hibernation the binding holds.
  mpc.hibernate();
  mpc.message(b, R"({"type":"register","device_id":"dev-a"})");
  CHECK(mpc.take(b).back() == R"({"type":"error","error":"device_id not allowed"})");
}

TEST_CASE("relay in token mode: sub is the side; swarm: sub is the persistentId and scope the swarm") {
  Object relay("relay", kTokenMode);
  auto& host = relay.host;
  auto desktop = token(host, {{"app", "relay"}, {"sub", "desktop"}, {"scope", "abc"}});
  CHECK(std::holds_alternative<sb::Forward>(relay.route(with_token("/desktop/abc", desktop))));
  CHECK(status(relay.route(with_token("/mobile/abc", desktop))) == 403);
  CHECK(status(relay.route(with_token("/desktop/abd", desktop))) == 403);

  Object swarm("swarm", kTokenMode);
  auto guest = token(swarm.host, {{"app", "swarm"}, {"sub", "node-g"}, {"scope", "node-h"}});
  auto joined = std::get<sb::Forward>(swarm.route(with_token("/ws", guest, {{"persistentId", "node-g"}})));
  CHECK(joined.instance == "node-h");
  CHECK(status(swarm.route(with_token("/ws", guest, {{"persistentId", "node-h"}}))) == 403);
  CHECK(status(swarm.route(with_token("/ws", token(swarm.host, {{"app", "swarm"}, {"sub", "node-g"}, {"scope", "a/b"}}), {{"persistentId", "node-g"}}))) == 403);
  // With an invite code the registry decides the swarm; the token's claims go along.
  auto lookup = std::get<sb::Effect>(swarm.route(with_token("/ws", guest, {{"persistentId", "node-g"}, {"token", "ABCDEF"}})));
  auto spec = sb::find_app("swarm");
  Json answer = {{"status", 200}, {"body", R"({"swarm":"node-x"})"}};
  auto invited = std::get<sb::Forward>(sb::resume_step(*spec, lookup.context, answer, sb::configure(kTokenMode), swarm.host));
  CHECK(invited.instance == "node-x");
  CHECK(Json::parse(invited.headers[std::string(sb::kAccessHeader)].get<std::string>())["sub"] == "node-g");
}

TEST_CASE("signal in token mode: the topics claim limits subscribe and publish; the rest is refused and counted") {
  Object room("signal", kTokenMode);
  auto& host = room.host;
  auto connect = [&](Json claims) {
    sb::Request r = with_token("/", token(host, std::move(claims)));
    return room.join(admitted(room.route(r), r));
  };
  ConnId limited = connect({{"app", "signal"}, {"sub", "p1"}, {"scope", "global"}, {"topics", {"room-a", "team-*"}}});
  ConnId free = connect({{"app", "signal"}, {"sub", "p2"}, {"scope", "global"}});
  room.message(free, R"({"type":"subscribe","topics":["room-b","team-x"]})");
  room.message(limited, R"({"type":"subscribe","topics":["team-x","room-b"]})");
  room.message(limited, R"({"type":"publish","topic":"room-b","data":1})");
  CHECK(room.take(free).empty());
  room.message(free, R"({"type":"publish","topic":"room-b","data":2})");
  CHECK(room.take(limited).empty());
  CHECK(room.take(free).size() == 1);  // its own echo
  room.message(limited, R"({"type":"publish","topic":"team-x","data":3})");
  CHECK(room.take(free) == std::vector<std::string>{R"({"type":"publish","topic":"team-x","data":3,"clients":2})"});
  CHECK(room.stats()["errors"] == 2);
  room.take(limited);
  room.hibernate();
  room.message(limited, R"({"type":"subscribe","topics":["room-b"]})");
  room.message(free, R"({"type":"publish","topic":"room-b","data":4})");
  CHECK(room.take(limited).empty());
  CHECK(room.stats()["errors"] == 1);  // counts since the object woke
}
