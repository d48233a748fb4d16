// A sharded `/` natively: gateways and topic owners as separate cores, the
// calls between them delivered in a seeded random order (the platform
// promises none), checked against one object's rules; and first come, first
// served, for what one gateway's flood may hold up.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "apps/signal/space.h"
#include "fake_host.h"

using sb::ConnId;
using sb::Json;
using sb::test::Object;

namespace {

const Json kVars = {{"SIGNAL_GATEWAYS", "3"}, {"SIGNAL_TOPIC_SHARDS", "2"}, {"SIGNAL_MESSAGES_PER_SECOND", "1000000"}};

struct Space {
  std::map<std::string, std::unique_ptr<Object>> objects;  // by "binding/instance"
  std::mt19937 random;

  explicit Space(unsigned seed) : random(seed) {
    for (int i = 0; i < 3; ++i) add("signal-gateway", sb::signal::kGatewayBinding, sb::signal::gateway_name(i));
    for (int i = 0; i < 2; ++i) add("signal-topics", sb::signal::kOwnerBinding, "t" + std::to_string(i));
  }
  void add(std::string_view app, std::string_view binding, const std::string& instance) {
    objects[std::string(binding) + "/" + instance] = std::make_unique<Object>(app, kVars, instance);
  }
  Object& gateway(int i) { return *objects[std::string(sb::signal::kGatewayBinding) + "/g" + std::to_string(i)]; }

  // Delivers calls, one at a time, picked at random among every object's pending ones.
  void pump() {
    for (;;) {
      std::vector<Object*> waiting;
      for (auto& [name, object] : objects) {
        if (!object->host.effects.empty()) waiting.push_back(object.get());
      }
      if (waiting.empty()) return;
      Object& from = *waiting[random() % waiting.size()];
      Json effect = from.host.effects.front();
      from.host.effects.erase(from.host.effects.begin());
      deliver(from, effect);
    }
  }

  // Delivers calls in the order they were made, across every object (as
  // receivers that serve calls first come, first served), until `done()`
  // holds or none is left.
  void pump_in_order(const std::function<bool()>& done = [] { return false; }) {
    while (!done()) {
      for (auto& [name, object] : objects) {
        for (Json& effect : object->host.effects) in_order.emplace_back(object.get(), std::move(effect));
        object->host.effects.clear();
      }
      if (in_order.empty()) return;
      auto [from, effect] = std::move(in_order.front());
      in_order.pop_front();
      deliver(*from, effect);
    }
  }
  std::deque<std::pair<Object*, Json>> in_order;  // made, not yet delivered

  // One call: its receiver answers, and the caller reads the answer.
  void deliver(Object& from, const Json& effect) {
    const Json& call = effect["request"]["object"];
    Object& to = *objects[call["binding"].get<std::string>() + "/" + call["instance"].get<std::string>()];
    sb::Request request;
    request.method = call["method"];
    request.path = call["path"];
    request.body = call["body"].is_string() ? call["body"].get<std::string>() : "";
    auto response = std::get<sb::Response>(to.fetch(request));
    from.resume(effect["context"], {{"status", response.status}, {"body", response.body}});
  }
};

std::string frame(const Json& j) { return j.dump(); }


}  // namespace

TEST_CASE("sharded: random subscribes, publishes and closes match one object, whatever order calls arrive in") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    Space space(seed);
    std::mt19937 random(seed * 7919);
    struct Socket {
      int gateway;
      ConnId conn;
      std::set<std::string> topics;
    };
    std::vector<Socket> sockets;
    for (int i = 0; i < 9; ++i) sockets.push_back({i % 3, space.gateway(i % 3).join(), {}});
    const std::vector<std::string> topics = {"a", "b", "c", "d"};
    int n = 0;
    for (int step = 0; step < 60; ++step) {
      Socket& socket = sockets[random() % sockets.size()];
      Object& gateway = space.gateway(socket.gateway);
      int roll = static_cast<int>(random() % 10);
      if (roll < 3) {
        const std::string& topic = topics[random() % topics.size()];
        gateway.message(socket.conn, frame({{"type", "subscribe"}, {"topics", {topic}}}));
        socket.topics.insert(topic);
      } else if (roll < 4) {
        const std::string& topic = topics[random() % topics.size()];
        gateway.message(socket.conn, frame({{"type", "unsubscribe"}, {"topics", {topic}}}));
        socket.topics.erase(topic);
      } else if (roll < 5) {
        gateway.disconnect(socket.conn);
        socket = {socket.gateway, gateway.join(), {}};
      } else {
        // Changes before a publish are applied (a pong promises it); then two
        // publishers' bursts, their calls delivered in random order.
        space.pump();
        Socket& other = sockets[random() % sockets.size()];
        std::map<ConnId, std::vector<Json>> expected;  // by gateway * 1000 + conn
        for (Socket* publisher : {&socket, &other}) {
          const std::string& topic = topics[random() % topics.size()];
          std::size_t listeners = 0;
          for (const Socket& s : sockets) listeners += s.topics.count(topic);
          for (int k = 0; k < 3; ++k) {
            Json message = {{"type", "publish"}, {"topic", topic}, {"data", n++}};
            space.gateway(publisher->gateway).message(publisher->conn, frame(message));
            message["clients"] = listeners;
            for (const Socket& s : sockets) {
              if (s.topics.count(topic)) expected[s.gateway * 1000 + s.conn].push_back(message);
            }
          }
        }
        space.pump();
        for (const Socket& s : sockets) {
          std::vector<Json> got;
          for (const std::string& text : space.gateway(s.gateway).take(s.conn)) got.push_back(Json::parse(text));
          std::vector<Json>& want = expected[s.gateway * 1000 + s.conn];
          // Each publisher's frames in the order sent; the two may interleave.
          auto by_topic_order = [](std::vector<Json> frames) {
            std::stable_sort(frames.begin(), frames.end(), [](const Json& x, const Json& y) { return x["data"].get<int>() / 3 < y["data"].get<int>() / 3; });
            return frames;
          };
          CHECK(by_topic_order(got) == by_topic_order(want));
        }
      }
    }
  }
}

TEST_CASE("sharded: a pong waits until the gateway's earlier changes are applied") {
  Space space(1);
  Object& g0 = space.gateway(0);
  ConnId conn = g0.join();
  g0.message(conn, R"({"type":"subscribe","topics":["x"]})");
  g0.message(conn, R"({ "type": "ping" })");
  CHECK(g0.take(conn).empty());
  space.pump();
  CHECK(g0.take(conn) == std::vector<std::string>{R"({"type":"pong"})"});
}

TEST_CASE("sharded: an owner rebuilt from storage still knows who listens") {
  Space space(2);
  Object& g1 = space.gateway(1);
  ConnId listener = g1.join();
  g1.message(listener, R"({"type":"subscribe","topics":["kept"]})");
  space.pump();
  for (int i = 0; i < 2; ++i) space.objects[std::string(sb::signal::kOwnerBinding) + "/t" + std::to_string(i)]->hibernate();
  Object& g2 = space.gateway(2);
  ConnId sender = g2.join();
  g2.message(sender, R"({"type":"publish","topic":"kept","data":1})");
  space.pump();
  CHECK(g1.take(listener) == std::vector<std::string>{R"({"type":"publish","topic":"kept","data":1,"clients":1})"});
}

TEST_CASE("sharded: a gateway woken from hibernation knows its sockets by their ids; one restarted tells the owners they are gone") {
  Space space(3);
  Object& g0 = space.gateway(0);
  ConnId listener = g0.join();
  g0.message(listener, R"({"type":"subscribe","topics":["woken"]})");
  space.pump();
  g0.hibernate();  // the socket stays, with its attachment
  CHECK(space.objects[std::string(sb::signal::kGatewayBinding) + "/g0"]->host.effects.empty());  // nothing to reconcile
  Object& g1 = space.gateway(1);
  ConnId sender = g1.join();
  g1.message(sender, R"({"type":"publish","topic":"woken","data":1})");
  space.pump();
  CHECK(g0.take(listener) == std::vector<std::string>{R"({"type":"publish","topic":"woken","data":1,"clients":1})"});

  // A restart: the same storage, no sockets. Its first start tells the owner.
  std::string key = std::string(sb::signal::kGatewayBinding) + "/g0";
  auto restarted = std::make_unique<Object>("signal-gateway", kVars, "g0");
  restarted->host.storage = space.objects[key]->host.storage;
  restarted->hibernate();
  space.objects[key] = std::move(restarted);
  space.pump();
  g1.message(sender, R"({"type":"subscribe","topics":["woken"]})");
  g1.message(sender, R"({"type":"publish","topic":"woken","data":2})");
  space.pump();
  CHECK(g1.take(sender) == std::vector<std::string>{R"({"type":"publish","topic":"woken","data":2,"clients":1})"});
}

TEST_CASE("sharded: a gateway restarted by a deploy that changed SIGNAL_TOPIC_SHARDS clears its sockets at the owner it told before") {
  Space space(4);
  std::string topic = "moved";
  for (int n = 0; sb::signal::owner_of(topic, 2) != "t1"; ++n) topic = "moved-" + std::to_string(n);
  std::string key = std::string(sb::signal::kGatewayBinding) + "/g0";
  Object& g0 = space.gateway(0);
  ConnId listener = g0.join();
  g0.message(listener, Json{{"type", "subscribe"}, {"topics", {topic}}}.dump());
  space.pump();
  const auto& kept = space.objects[std::string(sb::signal::kOwnerBinding) + "/t1"]->host.storage;
  auto listeners = [&] { return std::count_if(kept.begin(), kept.end(), [](const auto& entry) { return entry.first.starts_with("m"); }); };
  CHECK(listeners() == 1);

  // The deploy: one owner now (t0); g0 starts again on its storage, its sockets gone.
  Json vars = kVars;
  vars["SIGNAL_TOPIC_SHARDS"] = "1";
  auto restarted = std::make_unique<Object>("signal-gateway", vars, "g0");
  restarted->host.storage = g0.host.storage;
  restarted->hibernate();
  space.objects[key] = std::move(restarted);
  space.pump();
  CHECK(listeners() == 0);
}

TEST_CASE("sharded: a topic owner serves its gateways in turn, so a publish from another gateway passes a flood's backlog") {
  // Every frame of the flood is taken in before any call is delivered, and
  // calls reach their receivers first come, first served: were a gateway to
  // send a call per publish, the calm one would wait for all of them.
  Space space(5);
  std::string calm = "calm";
  for (int n = 0; sb::signal::owner_of(calm, 2) != sb::signal::owner_of("flood", 2); ++n) calm = "calm-" + std::to_string(n);
  Object& g0 = space.gateway(0);
  Object& g1 = space.gateway(1);
  ConnId flooder = g0.join();
  ConnId victim = g1.join();
  g0.message(flooder, R"({"type":"subscribe","topics":["flood"]})");
  g1.message(victim, Json{{"type", "subscribe"}, {"topics", {calm}}}.dump());
  space.pump();

  const int count = 4000;
  const std::string payload(2048, 'x');
  auto publish = [&](int i) { return Json{{"type", "publish"}, {"topic", "flood"}, {"data", {{"i", i}, {"payload", payload}}}}.dump(); };
  for (int i = 0; i < count; ++i) g0.message(flooder, publish(i));
  g1.message(victim, Json{{"type", "publish"}, {"topic", calm}, {"data", 0}}.dump());

  Object& owner = *space.objects[std::string(sb::signal::kOwnerBinding) + "/" + sb::signal::owner_of(calm, 2)];
  space.pump_in_order([&] { return !g1.host.received[victim].empty(); });
  REQUIRE(g1.take(victim) == std::vector<std::string>{Json{{"type", "publish"}, {"topic", calm}, {"data", 0}, {"clients", 1}}.dump()});
  // When it arrives, the owner has applied the flood's first call (one
  // publish: the rest queued behind it), the calm one, and at most the
  // flood's next batch, whose call was made while the calm one waited.
  const std::int64_t batch = sb::signal::kBatchBytes.fallback / static_cast<std::int64_t>(publish(0).size());
  CHECK(owner.stats()["space"]["billable"]["publishes"].get<std::int64_t>() <= 2 + batch);

  space.pump_in_order();
  std::vector<int> echoed;
  for (const std::string& text : g0.take(flooder)) echoed.push_back(Json::parse(text)["data"]["i"].get<int>());
  std::vector<int> sent(count);
  std::iota(sent.begin(), sent.end(), 0);
  CHECK(echoed == sent);
}
