#include <doctest/doctest.h>

#include <random>

#include "fake_host.h"

using sb::Json;
using sb::test::Object;
using sb::test::parsed;
using sb::test::upgrade;

namespace {

std::string subscribe(std::initializer_list<const char*> topics) {
  return Json{{"type", "subscribe"}, {"topics", Json(topics)}}.dump();
}

std::string publish(const char* topic, Json data) {
  return Json{{"type", "publish"}, {"topic", topic}, {"data", std::move(data)}}.dump();
}

}  // namespace

TEST_CASE("publish reaches every subscriber, the sender too, with clients") {
  Object room("signal");
  auto a = room.join(), b = room.join(), outsider = room.join();
  room.message(a, subscribe({"doc-1"}));
  room.message(b, subscribe({"doc-1"}));
  room.message(outsider, subscribe({"doc-2"}));
  room.message(a, publish("doc-1", {{"type", "announce"}, {"from", "peer-a"}}));

  Json expected = {{"type", "publish"}, {"topic", "doc-1"}, {"data", {{"type", "announce"}, {"from", "peer-a"}}}, {"clients", 2}};
  for (sb::ConnId conn : {a, b}) {
    auto frames = room.take(conn);
    REQUIRE(frames.size() == 1);
    CHECK(parsed(frames[0]) == expected);
  }
  CHECK(room.take(outsider).empty());
}

TEST_CASE("a sender need not subscribe; fields pass through; clients is overwritten") {
  Object room("signal");
  auto listener = room.join(), sender = room.join();
  room.message(listener, subscribe({"t"}));
  room.message(sender, R"({"type":"publish","topic":"t","data":"b64==","clients":99,"extra":[1,2]})");
  auto frames = room.take(listener);
  REQUIRE(frames.size() == 1);
  CHECK(parsed(frames[0]) == Json{{"type", "publish"}, {"topic", "t"}, {"data", "b64=="}, {"clients", 1}, {"extra", {1, 2}}});
  CHECK(room.take(sender).empty());
}

TEST_CASE("a publish goes out as sent, clients appended; a BOM and surrounding whitespace are dropped") {
  Object room("signal");
  auto listener = room.join();
  room.message(listener, subscribe({"t"}));
  room.message(listener, R"({"type":"publish","topic":"t","data":{"n":1.50,"s":"\u00e9 é"}})");
  room.message(listener, "\xEF\xBB\xBF \n{\"type\":\"publish\",\"topic\":\"t\"} \r\n");
  CHECK(room.take(listener) == std::vector<std::string>{R"({"type":"publish","topic":"t","data":{"n":1.50,"s":"\u00e9 é"},"clients":1})",
                                                        R"({"type":"publish","topic":"t","clients":1})"});
}

TEST_CASE("unsubscribe stops delivery; subscribe is idempotent; close leaves every topic") {
  Object room("signal");
  auto a = room.join(), b = room.join();
  room.message(a, subscribe({"x", "x", "y"}));
  room.message(b, subscribe({"x"}));
  room.message(b, publish("x", 1));
  CHECK(parsed(room.take(a).at(0))["clients"] == 2);
  room.message(a, R"({"type":"unsubscribe","topics":["x"]})");
  room.message(b, publish("x", 2));
  CHECK(room.take(a).empty());
  CHECK(parsed(room.take(b).at(1))["clients"] == 1);
  room.disconnect(a);
  room.message(b, publish("y", 3));  // nobody left on y
  CHECK(room.take(b).empty());
}

TEST_CASE("ping gets a JSON pong, and the platform is asked to answer lib0's ping itself") {
  Object room("signal");
  auto a = room.join();
  room.message(a, R"({ "type" : "ping" })");
  CHECK(room.take(a) == std::vector<std::string>{R"({"type":"pong"})"});
  sb::test::FakeHost host;
  auto app = sb::find_app("signal")->make(host, sb::Config());
  REQUIRE(app->auto_response());
  CHECK(app->auto_response()->request == R"({"type":"ping"})");
  CHECK(app->auto_response()->response == R"({"type":"pong"})");
}

TEST_CASE("binary frames are read as UTF-8 JSON, like the reference server") {
  Object room("signal");
  auto a = room.join();
  room.message(a, subscribe({"t"}), true);
  room.message(a, publish("t", "hi"), true);
  CHECK(room.take(a).size() == 1);
}

TEST_CASE("a publish with anything after a NUL byte is refused, not forwarded as it came") {
  Object room("signal");
  auto a = room.join(), b = room.join();
  room.message(b, subscribe({"t"}));
  using namespace std::string_literals;
  room.message(a, "{\"type\":\"publish\",\"topic\":\"t\"}\0,\"x\":1}"s);
  room.message(a, "{\"type\":\"publish\",\"topic\":\"t\"}\0"s);
  CHECK(room.take(b).empty());
  CHECK(room.stats()["errors"] == 2);
}

TEST_CASE("garbage is ignored, never answered, and a flood of it closes with 1008") {
  Object room("signal", {{"SIGNAL_MAX_INVALID_MESSAGES", "5"}});
  auto a = room.join(), b = room.join();
  room.message(b, subscribe({"t"}));
  const char* garbage[] = {"not json", "[1,2]", R"({"type":"nope"})", R"({"type":"publish","data":1})", R"({"type":"publish","topic":"","data":1})"};
  for (const char* frame : garbage) room.message(a, frame);
  CHECK(room.is_open(a));
  CHECK(room.take(a).empty());
  CHECK(room.take(b).empty());
  room.message(a, "{");
  CHECK_FALSE(room.is_open(a));
  CHECK(room.host.closes.at(a).code == 1008);
  room.message(b, publish("t", 1));
  CHECK(room.take(b).size() == 1);
}

TEST_CASE("non-string topics are skipped and counted as invalid") {
  Object room("signal", {{"SIGNAL_MAX_INVALID_MESSAGES", "1"}});
  auto a = room.join();
  room.message(a, R"({"type":"subscribe","topics":[1,"ok",null]})");
  room.message(a, publish("ok", 1));
  CHECK(room.take(a).size() == 1);
  room.message(a, R"({"type":"subscribe","topics":"ok"})");
  CHECK(room.host.closes.at(a).code == 1008);
}

TEST_CASE("frames over the size limit close with 1009") {
  Object room("signal", {{"SIGNAL_MAX_MESSAGE_BYTES", "100"}});
  auto a = room.join();
  room.message(a, publish("t", std::string(60, 'x')));
  CHECK(room.is_open(a));
  room.message(a, publish("t", std::string(100, 'x')));
  CHECK(room.host.closes.at(a).code == 1009);
}

TEST_CASE("too many topics on one socket closes with 1008") {
  Object room("signal", {{"SIGNAL_MAX_TOPICS_PER_CONNECTION", "2"}});
  auto a = room.join();
  room.message(a, subscribe({"a", "b"}));
  CHECK(room.is_open(a));
  room.message(a, subscribe({"c"}));
  CHECK(room.host.closes.at(a).code == 1008);
}

TEST_CASE("connection cap and per-IP upgrade rate") {
  Object room("signal", {{"SIGNAL_MAX_CONNECTIONS", "2"}, {"SIGNAL_IP_CONNECTS_PER_MINUTE", "3"}});
  auto from = [](const char* ip) { return upgrade("/", {{"cf-connecting-ip", ip}}); };
  auto first = room.join(from("1.1.1.1"));
  room.join(from("1.1.1.1"));
  auto full = room.connect(from("2.2.2.2"));
  CHECK(std::get<sb::Response>(full).status == 503);
  room.disconnect(first);
  room.join(from("1.1.1.1"));
  room.disconnect(2);
  auto limited = room.connect(from("1.1.1.1"));
  CHECK(std::get<sb::Response>(limited).status == 429);
  CHECK(std::holds_alternative<sb::ConnId>(room.connect(from("2.2.2.2"))));
  room.host.clock += 60'000;
  room.disconnect(3);
  CHECK(std::holds_alternative<sb::ConnId>(room.connect(from("1.1.1.1"))));
}

TEST_CASE("routes: / and /signal/<shard>, 426 without upgrade, opt-in shared token") {
  Object open("signal");
  auto forward = [](const sb::Outcome& o) { return std::get<sb::Forward>(o); };
  CHECK(forward(open.route(upgrade("/"))).instance == "global");
  CHECK(forward(open.route(upgrade("/signal/eu-1"))).instance == "eu-1");
  CHECK(forward(open.route(upgrade("/"))).binding == "SignalingRoom");
  CHECK(std::get<sb::Response>(open.route(upgrade("/signal/a%2Fb"))).status == 400);
  sb::Request plain = upgrade("/");
  plain.upgrade = false;
  CHECK(std::get<sb::Response>(open.route(plain)).status == 426);

  Object guarded("signal", {{"SIGNAL_TOKEN", "s3cret"}});
  CHECK(std::get<sb::Response>(guarded.route(upgrade("/"))).status == 401);
  CHECK(std::get<sb::Response>(guarded.route(upgrade("/", {{"authorization", "Bearer wrong!"}}))).status == 401);
  std::get<sb::Forward>(guarded.route(upgrade("/", {{"authorization", "Bearer s3cret"}})));
  sb::Request by_query = upgrade("/");
  by_query.query = {{"token", "s3cret"}};
  std::get<sb::Forward>(guarded.route(by_query));
}

TEST_CASE("attachments over the platform's 2 KiB cap are kept in storage and cleaned up") {
  Object room("signal");
  auto a = room.join(), b = room.join();
  std::string many = R"({"type":"subscribe","topics":[)";
  for (int i = 0; i < 60; ++i) {
    if (i > 0) many += ',';
    many += Json("topic-with-a-rather-long-name-" + std::to_string(i)).dump();
  }
  many += "]}";
  room.message(a, many);
  CHECK(room.host.attachments.at(a).size() < 2048);
  CHECK(room.host.storage.size() == 1);
  room.hibernate();
  room.message(b, publish("topic-with-a-rather-long-name-59", 1));
  CHECK(room.take(a).size() == 1);
  room.disconnect(a);
  CHECK(room.host.storage.empty());
}

// The contract of hibernation: a core rebuilt from attachments mid-sequence
// answers exactly as one that never slept.
TEST_CASE("a rebuilt core behaves exactly like one that never slept") {
  const char* topics[] = {"a", "b", "c"};
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    Object awake("signal", {{"SIGNAL_MAX_INVALID_MESSAGES", "3"}});
    Object sleepy("signal", {{"SIGNAL_MAX_INVALID_MESSAGES", "3"}});
    std::vector<sb::ConnId> conns;
    for (int step = 0; step < 60; ++step) {
      std::string frame;
      int action = static_cast<int>(rng() % 8);
      if (conns.empty() || action == 0) {
        conns.push_back(awake.join());
        CHECK(sleepy.join() == conns.back());
        continue;
      }
      sb::ConnId conn = conns[rng() % conns.size()];
      const char* topic = topics[rng() % 3];
      switch (action) {
        case 1: frame = subscribe({topic}); break;
        case 2: frame = Json{{"type", "unsubscribe"}, {"topics", {topic}}}.dump(); break;
        case 3: case 4: frame = publish(topic, step); break;
        case 5: frame = "garbage"; break;
        case 6:
          awake.disconnect(conn);
          sleepy.disconnect(conn);
          std::erase(conns, conn);
          continue;
        case 7: sleepy.hibernate(); continue;
      }
      awake.message(conn, frame);
      sleepy.message(conn, frame);
      std::erase_if(conns, [&](sb::ConnId c) { return !awake.is_open(c); });
    }
    CHECK(awake.host.received == sleepy.host.received);
    CHECK(awake.host.closes.size() == sleepy.host.closes.size());
  }
}

TEST_CASE("a socket sending faster than SIGNAL_MESSAGES_PER_SECOND is closed with 1008; the rate refills") {
  Object room("signal", {{"SIGNAL_MESSAGES_PER_SECOND", "5"}});
  auto a = room.join(), b = room.join();
  for (int i = 0; i < 5; ++i) room.message(a, R"({"type":"ping"})");
  CHECK(room.is_open(a));
  room.message(a, R"({"type":"ping"})");
  CHECK(room.host.closes.at(a).code == 1008);
  CHECK(room.host.closes.at(a).reason == "rate limit exceeded");
  for (int i = 0; i < 5; ++i) room.message(b, R"({"type":"ping"})");
  room.host.clock += 1000;
  for (int i = 0; i < 5; ++i) room.message(b, R"({"type":"ping"})");
  CHECK(room.is_open(b));
}

TEST_CASE("logs say what happened to whom, never what was said; stats count without identifiers") {
  Object room("signal", {{"SIGNAL_MAX_INVALID_MESSAGES", "1"}});
  auto a = room.join(), b = room.join();
  room.message(a, subscribe({"secret-topic"}));
  room.message(b, publish("secret-topic", "secret-data"));
  room.message(b, "junk");
  room.message(b, "junk");
  room.disconnect(a, 1001);
  std::vector<std::string> events;
  for (const std::string& line : room.host.logs) {
    CHECK(line.find("secret") == std::string::npos);
    events.push_back(Json::parse(line)["event"].get<std::string>());
  }
  // b's second refusal (the 1008 close) comes within the interval of its first:
  // it is counted on b's close line instead of a line of its own.
  CHECK(events == std::vector<std::string>{"open", "open", "refused", "close", "close"});
  REQUIRE(room.host.logs.size() == 5);
  CHECK(Json::parse(room.host.logs[2]) == Json{{"event", "refused"}, {"level", "warn"}, {"app", ""}, {"instance", ""}, {"reason", "invalid message"}, {"count", 1}});
  CHECK(Json::parse(room.host.logs[3]) == Json{{"event", "close"}, {"level", "info"}, {"app", ""}, {"instance", ""}, {"code", 1008}, {"reason", "too many invalid messages"}, {"connections", 1}, {"refused", 1}});
  CHECK(Json::parse(room.host.logs[4]) == Json{{"event", "close"}, {"level", "info"}, {"app", ""}, {"instance", ""}, {"code", 1001}, {"reason", ""}, {"connections", 0}});
  CHECK(room.stats()["errors"] == 2);
}

TEST_CASE("a flood of refusals: one log line per socket per LOG_REFUSALS_INTERVAL_MS with its count, stats exact") {
  Object room("signal", {{"SIGNAL_MAX_INVALID_MESSAGES", "1000"}, {"SIGNAL_MESSAGES_PER_SECOND", "100000"}, {"LOG_REFUSALS_INTERVAL_MS", "5000"}});
  auto a = room.join(), b = room.join();
  auto refusals = [&] {
    std::vector<Json> lines;
    for (const std::string& line : room.host.logs) {
      if (Json parsed = Json::parse(line); parsed["event"] == "refused") lines.push_back(parsed);
    }
    return lines;
  };
  for (int i = 0; i < 500; ++i) room.message(a, "junk");
  room.message(b, "junk");
  REQUIRE(refusals().size() == 2);  // a's first and b's first, at once
  CHECK(refusals()[0]["count"] == 1);
  room.host.clock += 4999;
  room.message(a, "junk");
  CHECK(refusals().size() == 2);
  room.host.clock += 1;
  room.message(a, "junk");  // the interval is over: one line for everything held back
  REQUIRE(refusals().size() == 3);
  CHECK(refusals()[2]["count"] == 501);
  CHECK(refusals()[2]["level"] == "warn");
  room.message(a, "junk");
  room.disconnect(a, 1000);
  CHECK(Json::parse(room.host.logs.back())["refused"] == 1);
  CHECK(room.stats()["errors"] == 504);
  CHECK(room.stats()["limits"]["LOG_REFUSALS_INTERVAL_MS"] == 5000);
}

TEST_CASE("stats: connections, topics, frames in and out, errors and the limits in force") {
  Object room("signal", {{"SIGNAL_MAX_CONNECTIONS", "7"}});
  auto a = room.join(), b = room.join();
  room.message(a, subscribe({"t1", "t2"}));
  room.message(b, subscribe({"t1"}));
  room.message(a, publish("t1", 1));
  room.message(b, "junk");
  Json stats = room.stats();
  CHECK(stats["connections"] == 2);
  CHECK(stats["topics"] == 2);
  CHECK(stats["messagesIn"] == 4);
  CHECK(stats["messagesOut"] == 2);
  CHECK(stats["errors"] == 1);
  CHECK(stats["limits"]["SIGNAL_MAX_CONNECTIONS"] == 7);
  CHECK(stats["limits"]["SIGNAL_MAX_MESSAGE_BYTES"] == 262144);
}
