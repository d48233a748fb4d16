#include <doctest/doctest.h>

#include <random>

#include "apps/relay/pairing_session.h"
#include "core/router.h"
#include "fake_host.h"

using sb::Json;
using sb::test::Object;
using sb::test::parsed;
using sb::test::upgrade;

namespace {

// A session object whose clock ticks between events, so timestamps tell frames apart.
struct Session {
  explicit Session(Json vars = Json::object()) : object("relay", std::move(vars)) {}

  sb::ConnId desktop() { return object.join(upgrade("/desktop/abc123")); }
  sb::ConnId mobile() { return object.join(upgrade("/mobile/abc123")); }
  std::vector<Json> take(sb::ConnId conn) { return parsed(object.take(conn)); }
  std::int64_t now() const { return static_cast<std::int64_t>(object.host.clock); }
  Json event(const char* type) const { return {{"type", type}, {"timestamp", now()}}; }
  Json error(const std::string& message) const { return {{"type", "error"}, {"error", message}, {"timestamp", now()}}; }
  Json welcome(const char* side) const {
    return {{"type", "connected"}, {"clientType", side}, {"sessionId", "abc123"}, {"timestamp", now()}};
  }
  // The platform runs the alarm once its time has come.
  void advance(double ms) {
    object.host.clock += ms;
    if (object.host.alarm_at > 0 && object.host.clock >= object.host.alarm_at) object.alarm();
  }

  Object object;
};

sb::Response refused(const sb::Request& request) {
  sb::test::FakeHost host;
  return std::get<sb::Response>(sb::route(request, sb::Config(), sb::all_apps(), host));
}

sb::Request plain(std::string path) {
  sb::Request request = upgrade(std::move(path));
  request.upgrade = false;
  return request;
}

}  // namespace

TEST_CASE("relay: routes: /health first, then 426 without an upgrade, then 400 for a bad path or id") {
  CHECK(refused(plain("/health")).status == 200);
  for (const char* path : {"/desktop/abc123", "/mobile/abc123", "/desktop/not-valid", "/mobile", "/desktop/"}) {
    auto response = refused(plain(path));
    CHECK(response.status == 426);
    CHECK(Json::parse(response.body) == Json{{"error", "Expected WebSocket upgrade"}});
  }
  for (const char* path : {"/desktop", "/desktop/", "/desktop/abc-123", "/desktop/abc_1", "/desktop/abc/", "/mobile/a/b", "/mobile/%41bc", "/mobile/ab.c"}) {
    auto response = refused(upgrade(path));
    CHECK_MESSAGE(response.status == 400, path);
    CHECK(Json::parse(response.body) == Json{{"error", "Invalid path. Use /desktop/{sessionId} or /mobile/{sessionId}"}});
  }
  sb::test::FakeHost host;
  auto forward = std::get<sb::Forward>(sb::route(upgrade("/mobile/AbC09z"), sb::Config(), sb::all_apps(), host));
  CHECK(forward.binding == "RelaySession");
  CHECK(forward.instance == "AbC09z");
  for (const char* other : {"/desktops/abc", "/mobilex", "/Desktop/abc", "/cli/abc"}) {
    CHECK(!sb::route_app(*sb::find_app("relay"), upgrade(other), sb::Config(), host));
  }
  auto off = std::get<sb::Response>(sb::route(upgrade("/desktop/abc"), sb::configure(Json{{"APPS", "signal"}}), sb::all_apps(), host));
  CHECK(off.status == 404);
}

TEST_CASE("relay: the object itself refuses a plain request or a bad path") {
  Object object("relay");
  CHECK(std::get<sb::Response>(object.connect(plain("/desktop/abc"))).status == 426);
  CHECK(std::get<sb::Response>(object.connect(upgrade("/desktop/a-b"))).status == 400);
}

TEST_CASE("relay: welcome frame, peer notifications both ways, a late joiner is told its peer is there") {
  Session s;
  auto desktop = s.desktop();
  CHECK(s.take(desktop) == std::vector<Json>{s.welcome("desktop")});
  s.object.host.clock += 5;
  auto mobile = s.mobile();
  CHECK(s.take(desktop) == std::vector<Json>{s.event("mobile_connected")});
  CHECK(s.take(mobile) == std::vector<Json>{s.event("desktop_connected"), s.welcome("mobile")});

  s.object.host.clock += 5;
  s.object.disconnect(mobile);
  CHECK(s.take(desktop) == std::vector<Json>{s.event("mobile_disconnected")});
  auto mobile2 = s.mobile();
  CHECK(s.take(desktop) == std::vector<Json>{s.event("mobile_connected")});
  s.object.disconnect(desktop);
  CHECK(s.take(mobile2) == std::vector<Json>{s.event("desktop_connected"), s.welcome("mobile"), s.event("desktop_disconnected")});
  auto desktop2 = s.desktop();
  CHECK(s.take(mobile2) == std::vector<Json>{s.event("desktop_connected")});
  CHECK(s.take(desktop2) == std::vector<Json>{s.event("mobile_connected"), s.welcome("desktop")});
}

TEST_CASE("relay: any JSON goes to the other side, re-serialised; with nobody there the sender gets an error") {
  Session s;
  auto desktop = s.desktop();
  s.take(desktop);
  s.object.message(desktop, R"({ "type" : "bundle_update", "payload": {"code": "x"} })");
  CHECK(s.take(desktop) == std::vector<Json>{s.error("Mobile device not connected")});
  auto mobile = s.mobile();
  s.take(desktop);
  s.take(mobile);
  s.object.message(desktop, R"({ "type" : "bundle_update", "payload": {"code": "x"} })");
  CHECK(s.object.take(mobile) == std::vector<std::string>{R"({"type":"bundle_update","payload":{"code":"x"}})"});
  for (const char* any : {"[1,2]", "42", "\"text\"", "null", R"({"no":"type"})"}) {
    s.object.message(mobile, any);
    CHECK(s.object.take(desktop) == std::vector<std::string>{Json::parse(any).dump()});
  }
  CHECK(s.take(mobile).empty());
  s.object.disconnect(desktop);
  s.take(mobile);
  s.object.message(mobile, R"({"type":"bundle_ack","success":true})");
  CHECK(s.take(mobile) == std::vector<Json>{s.error("Desktop not connected")});
}

TEST_CASE("relay: a second desktop or mobile replaces the first; the stale close changes nothing") {
  Session s;
  auto desktop = s.desktop(), mobile = s.mobile();
  s.take(desktop);
  s.take(mobile);
  auto desktop2 = s.desktop();
  CHECK(s.object.host.closes.at(desktop).code == 1000);
  CHECK(s.object.host.closes.at(desktop).reason == "New desktop connection");
  CHECK(s.take(mobile) == std::vector<Json>{s.event("desktop_connected")});
  CHECK(s.take(desktop2) == std::vector<Json>{s.event("mobile_connected"), s.welcome("desktop")});
  CHECK(s.take(desktop).empty());
  // The platform's close event for the replaced socket arrives late.
  s.object.disconnect(desktop);
  CHECK(s.take(mobile).empty());
  s.object.message(mobile, R"({"type":"bundle_ack","success":true})");
  CHECK(s.take(desktop2).size() == 1);

  auto mobile2 = s.mobile();
  CHECK(s.object.host.closes.at(mobile).reason == "New mobile connection");
  s.object.disconnect(mobile);
  CHECK(s.take(desktop2) == std::vector<Json>{s.event("mobile_connected")});
  s.object.message(desktop2, R"({"type":"bundle_update"})");
  CHECK(s.take(mobile2).back() == Json{{"type", "bundle_update"}});
}

TEST_CASE("relay: ping is answered with pong and a timestamp, never forwarded") {
  Session s;
  auto desktop = s.desktop(), mobile = s.mobile();
  s.take(desktop);
  s.take(mobile);
  s.object.message(mobile, R"({"type":"ping","timestamp":123})");
  CHECK(s.take(mobile) == std::vector<Json>{s.event("pong")});
  CHECK(s.take(desktop).empty());
  s.object.disconnect(desktop);
  s.take(mobile);
  s.object.message(mobile, R"({"type":"ping"})");
  CHECK(s.take(mobile) == std::vector<Json>{s.event("pong")});
}

TEST_CASE("relay: text that is not JSON gets an error and the socket stays; binary closes with 1003") {
  Session s;
  auto desktop = s.desktop(), mobile = s.mobile();
  s.take(desktop);
  s.take(mobile);
  for (const char* bad : {"not json", "{", "", "{\"a\":1}x"}) {
    s.object.message(desktop, bad);
    CHECK(s.take(desktop) == std::vector<Json>{s.error("Invalid JSON")});
  }
  CHECK(s.take(mobile).empty());
  CHECK(s.object.is_open(desktop));
  s.object.message(desktop, R"({"type":"x"})", true);
  CHECK(s.object.host.closes.at(desktop).code == 1003);
  CHECK(s.take(mobile) == std::vector<Json>{s.event("desktop_disconnected")});
}

TEST_CASE("relay: frames over the size limit get the later relay's error and are not forwarded") {
  Session s(Json{{"RELAY_MAX_MESSAGE_BYTES", "100"}});
  auto desktop = s.desktop(), mobile = s.mobile();
  s.take(desktop);
  s.take(mobile);
  std::string exact = Json{{"type", "x"}, {"pad", std::string(100 - 21, 'p')}}.dump();
  REQUIRE(exact.size() == 100);
  s.object.message(desktop, exact);
  CHECK(s.take(mobile).size() == 1);
  s.object.message(desktop, exact + " ");
  CHECK(s.take(desktop) == std::vector<Json>{s.error("Message too large (101 bytes, max 100)")});
  CHECK(s.take(mobile).empty());
  CHECK(s.object.is_open(desktop));
  // Measured in UTF-8 bytes: 61 characters, 101 bytes.
  std::string accents;
  for (int i = 0; i < 40; ++i) accents += "\xc3\xa9";  // é
  s.object.message(desktop, R"({"type":"x","pad":")" + accents + R"("})");
  CHECK(s.take(desktop) == std::vector<Json>{s.error("Message too large (101 bytes, max 100)")});
  CHECK(sb::Config()[sb::relay::kSocketLimits.max_message_bytes] == 10485760);
}

TEST_CASE("relay: past the per-session rate the sender gets the later relay's error until the bucket refills") {
  Session s;
  auto desktop = s.desktop(), mobile = s.mobile();
  s.take(desktop);
  s.take(mobile);
  for (int i = 0; i < 60; ++i) s.object.message(desktop, R"({"type":"console_log"})");
  for (int i = 0; i < 40; ++i) s.object.message(mobile, R"({"type":"console_log"})");
  CHECK(s.take(mobile).size() == 60);
  CHECK(s.take(desktop).size() == 40);
  s.object.message(desktop, R"({"type":"ping"})");
  CHECK(s.take(desktop) == std::vector<Json>{s.error("Rate limit exceeded (max 100 messages/sec)")});
  s.object.message(mobile, R"({"type":"x"})");
  CHECK(s.take(mobile) == std::vector<Json>{s.error("Rate limit exceeded (max 100 messages/sec)")});
  CHECK(s.take(desktop).empty());
  // 100 per second refill one frame every 10 ms.
  s.object.host.clock += 9;
  s.object.message(mobile, R"({"type":"x"})");
  CHECK(s.take(mobile) == std::vector<Json>{s.error("Rate limit exceeded (max 100 messages/sec)")});
  s.object.host.clock += 11;
  s.object.message(mobile, R"({"type":"x"})");
  CHECK(s.take(desktop) == std::vector<Json>{{{"type", "x"}}});

  Session small(Json{{"RELAY_MAX_MESSAGES_PER_SECOND", "2"}});
  auto d = small.desktop();
  small.take(d);
  for (int i = 0; i < 3; ++i) small.object.message(d, R"({"type":"ping"})");
  CHECK(small.take(d).back() == small.error("Rate limit exceeded (max 2 messages/sec)"));
}

TEST_CASE("relay: 30 min without frames: both sides closed with 1000 Session timeout, the session deleted") {
  Session s;
  auto desktop = s.desktop(), mobile = s.mobile();
  const double idle = 30 * 60 * 1000;
  CHECK(s.object.host.alarm_at == s.object.host.clock + idle);
  s.advance(idle / 2);
  s.object.message(desktop, R"({"type":"bundle_update"})");
  const double last = s.object.host.clock;
  s.advance(idle / 2);  // the first alarm finds recent activity and re-arms
  CHECK(s.object.is_open(desktop));
  CHECK(s.object.host.alarm_at == last + idle);
  s.take(desktop);
  s.take(mobile);
  s.advance(idle / 2 - 1);
  CHECK(s.object.host.closes.empty());
  s.advance(1);
  for (auto conn : {desktop, mobile}) {
    CHECK(s.object.host.closes.at(conn).code == 1000);
    CHECK(s.object.host.closes.at(conn).reason == "Session timeout");
    CHECK(s.take(conn).empty());  // no *_disconnected: the session ended
  }
  CHECK(s.object.host.storage.empty());
  CHECK(s.object.host.alarm_at == 0);
}

TEST_CASE("relay: both sides gone: the session is deleted after 5 min unless someone reconnects") {
  Session s;
  auto desktop = s.desktop(), mobile = s.mobile();
  s.object.message(desktop, R"({"type":"bundle_update"})");
  const double activity = s.object.host.clock;
  s.advance(1000);
  s.object.disconnect(desktop);
  s.object.disconnect(mobile);
  CHECK(s.object.host.alarm_at == s.object.host.clock + 5 * 60 * 1000);
  CHECK(!s.object.host.storage.empty());

  SUBCASE("nobody comes back") {
    s.advance(5 * 60 * 1000 - 1);
    CHECK(!s.object.host.storage.empty());
    s.advance(1);
    CHECK(s.object.host.storage.empty());
    CHECK(s.object.host.alarm_at == 0);
  }
  SUBCASE("a reconnect inside the window keeps the session and its clock") {
    s.advance(4 * 60 * 1000);
    s.object.hibernate();  // emptied objects are evicted: the session lives in storage
    auto back = s.desktop();
    CHECK(s.object.host.alarm_at == activity + 30 * 60 * 1000);
    s.advance(60 * 1000);
    CHECK(s.object.is_open(back));
    CHECK(s.object.host.storage.contains("session/activity"));
    s.object.host.clock = activity + 30 * 60 * 1000 - 1;
    s.advance(1);
    CHECK(s.object.host.closes.at(back).reason == "Session timeout");
    CHECK(s.object.host.storage.empty());
  }
  SUBCASE("after deletion the same id starts a new session") {
    s.advance(5 * 60 * 1000);
    auto fresh = s.mobile();
    CHECK(s.take(fresh) == std::vector<Json>{s.welcome("mobile")});
    CHECK(s.object.host.alarm_at == s.object.host.clock + 30 * 60 * 1000);
  }
}

TEST_CASE("relay: timer durations come from [vars]") {
  Session s(Json{{"RELAY_IDLE_TIMEOUT_MS", "3000"}, {"RELAY_VACANT_TTL_MS", "1000"}});
  auto desktop = s.desktop();
  CHECK(s.object.host.alarm_at == s.object.host.clock + 3000);
  s.object.disconnect(desktop);
  CHECK(s.object.host.alarm_at == s.object.host.clock + 1000);
  s.advance(1000);
  CHECK(s.object.host.storage.empty());
}

TEST_CASE("relay: a session past its idle deadline whose alarm has not run yet starts afresh on connect") {
  Session s(Json{{"RELAY_IDLE_TIMEOUT_MS", "3000"}, {"RELAY_VACANT_TTL_MS", "60000"}});
  s.object.disconnect(s.desktop());
  s.object.host.clock += 5000;  // the alarm is late
  auto mobile = s.mobile();
  CHECK(s.object.host.alarm_at == s.object.host.clock + 3000);
  s.object.alarm();
  CHECK(s.object.is_open(mobile));
}

TEST_CASE("relay: sides survive hibernation in their attachments") {
  Session s;
  auto desktop = s.desktop(), mobile = s.mobile();
  CHECK(s.object.host.attachments.at(desktop) == R"({"side":"desktop"})");
  s.take(desktop);
  s.take(mobile);
  s.object.hibernate();
  s.object.message(desktop, R"({"type":"bundle_update"})");
  CHECK(s.take(mobile).size() == 1);
  s.object.hibernate();
  auto mobile2 = s.mobile();
  CHECK(s.object.host.closes.at(mobile).reason == "New mobile connection");
  s.object.hibernate();
  s.object.disconnect(mobile2);
  CHECK(s.take(desktop) == std::vector<Json>{s.event("mobile_connected"), s.event("mobile_disconnected")});
}

// The contract of hibernation: a core rebuilt from attachments and storage
// answers exactly as one that never slept. The platform evicts an object only
// after some seconds without events, so a sleep here first lets 10 s pass.
TEST_CASE("relay: a rebuilt core behaves exactly like one that never slept") {
  const Json vars = {{"RELAY_IDLE_TIMEOUT_MS", "60000"}, {"RELAY_VACANT_TTL_MS", "20000"}, {"RELAY_MAX_MESSAGES_PER_SECOND", "5"}, {"RELAY_MAX_MESSAGE_BYTES", "40"}};
  const char* frames[] = {R"({"type":"bundle_update","payload":{"code":"x"}})", R"({"type":"ping"})", R"({"type":"console_log","args":[1]})", "not json", R"({"type":"bundle_ack","success":true})"};
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    Session awake(vars), sleepy(vars);
    std::vector<sb::ConnId> conns;
    auto both = [&](auto&& step) {
      step(awake);
      step(sleepy);
    };
    for (int step = 0; step < 80; ++step) {
      int action = static_cast<int>(rng() % 10);
      if (action == 0 || conns.empty()) {
        const char* path = rng() % 2 ? "/desktop/s1" : "/mobile/s1";
        sb::ConnId a = awake.object.join(upgrade(path));
        CHECK(sleepy.object.join(upgrade(path)) == a);
        conns.push_back(a);
      } else if (action == 1) {
        sb::ConnId conn = conns[rng() % conns.size()];
        both([&](Session& s) { s.object.disconnect(conn); });
      } else if (action == 2) {
        double ms = rng() % 30000;
        both([&](Session& s) { s.advance(ms); });
      } else if (action == 3) {
        both([&](Session& s) { s.advance(10000); });
        sleepy.object.hibernate();
      } else if (action == 4) {
        sb::ConnId conn = conns[rng() % conns.size()];
        both([&](Session& s) { s.object.message(conn, "\x01", true); });
      } else {
        sb::ConnId conn = conns[rng() % conns.size()];
        const char* frame = frames[rng() % 5];
        double ms = rng() % 300;
        both([&](Session& s) {
          s.object.host.clock += ms;
          s.object.message(conn, frame);
        });
      }
      std::erase_if(conns, [&](sb::ConnId c) { return !awake.object.is_open(c); });
    }
    CHECK(awake.object.host.received == sleepy.object.host.received);
    CHECK(awake.object.host.storage == sleepy.object.host.storage);
    CHECK(awake.object.host.alarm_at == sleepy.object.host.alarm_at);
    REQUIRE(awake.object.host.closes.size() == sleepy.object.host.closes.size());
    for (const auto& [conn, close] : awake.object.host.closes) {
      CHECK(sleepy.object.host.closes.at(conn).code == close.code);
      CHECK(sleepy.object.host.closes.at(conn).reason == close.reason);
    }
  }
}

TEST_CASE("relay: every limit has its documented default") {
  sb::Config defaults;
  CHECK(defaults[sb::relay::kIdleTimeoutMs] == 1'800'000);
  CHECK(defaults[sb::relay::kVacantTtlMs] == 300'000);
  CHECK(defaults[sb::relay::kSocketLimits.messages_per_second] == 100);
  CHECK(defaults[sb::relay::kSocketLimits.max_message_bytes] == 10'485'760);
}

TEST_CASE("relay: a replaced socket still listed after a wake-up is closed; the newer one keeps the slot") {
  sb::test::FakeHost host;
  sb::Config config;
  auto app = sb::find_app("relay")->make(host, config);
  app->wake(7, R"({"side":"desktop"})");
  app->wake(3, R"({"side":"desktop"})");
  app->wake(5, R"({"side":"mobile"})");
  app->wake(9, "");  // no side: its state is lost, so it is closed rather than ignored
  app->woke();
  CHECK(host.closes.at(3).reason == "New desktop connection");
  CHECK(host.closes.at(9).code == 1011);
  CHECK(host.closes.size() == 2);
  app->message(5, R"({"type":"bundle_ack"})", false);
  CHECK(host.received[7] == std::vector<std::string>{R"({"type":"bundle_ack"})"});
  app->message(3, R"({"type":"x"})", false);
  CHECK(host.received[5].empty());
}

TEST_CASE("relay: RELAY_IP_CONNECTS_PER_MINUTE answers 429 past the rate") {
  Object session("relay", {{"RELAY_IP_CONNECTS_PER_MINUTE", "2"}});
  auto from = [&](const char* path, const char* ip) { return session.connect(upgrade(path, {{"cf-connecting-ip", ip}})); };
  CHECK(std::holds_alternative<sb::ConnId>(from("/desktop/abc", "192.0.2.1")));
  CHECK(std::holds_alternative<sb::ConnId>(from("/mobile/abc", "192.0.2.1")));
  CHECK(std::get<sb::Response>(from("/mobile/abc", "192.0.2.1")).status == 429);
  session.host.clock += 60'000;
  CHECK(std::holds_alternative<sb::ConnId>(from("/mobile/abc", "192.0.2.1")));
}

TEST_CASE("relay: the session keeps its name while an alarm may wake it, and forgets it with the session") {
  Object session("relay", Json::object(), "abc123");
  auto desktop = session.join(upgrade("/desktop/abc123"));
  CHECK(session.host.storage.at("app/instance") == "abc123");
  session.disconnect(desktop);
  // A restart: the vacancy alarm wakes an object the platform gave no name.
  Object restarted("relay");
  restarted.host.storage = session.host.storage;
  restarted.host.clock = session.host.clock + 5 * 60 * 1000;
  restarted.hibernate();
  restarted.unnamed();
  restarted.alarm();
  REQUIRE(!restarted.host.logs.empty());
  CHECK(Json::parse(restarted.host.logs.back()) == Json{{"event", "session_deleted"}, {"level", "info"}, {"app", "relay"}, {"instance", "abc123"}});
  CHECK(restarted.host.storage.empty());
  CHECK(restarted.host.alarm_at == 0);
  // The same object serves the id's next session, and keeps the name again.
  auto again = restarted.join(upgrade("/mobile/abc123"));
  CHECK(restarted.host.storage.at("app/instance") == "abc123");
  CHECK(restarted.is_open(again));
}

TEST_CASE("relay: JSON nested past MAX_JSON_DEPTH is answered as invalid JSON") {
  Session s(Json{{"MAX_JSON_DEPTH", "8"}});
  auto desktop = s.desktop(), mobile = s.mobile();
  s.take(desktop);
  s.take(mobile);
  s.object.message(desktop, R"({"a":[[[[[[[1]]]]]]]})");  // 8 deep
  CHECK(s.take(mobile).size() == 1);
  s.object.message(desktop, R"({"a":[[[[[[[[1]]]]]]]]})");  // 9 deep
  CHECK(s.take(desktop) == std::vector<Json>{s.error("Invalid JSON")});
  CHECK(s.take(mobile).empty());
  CHECK(s.object.stats()["limits"]["MAX_JSON_DEPTH"] == 8);
}
