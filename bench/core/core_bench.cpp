// The apps' cores alone, natively, one phase per event kind: the signal app's
// subscribe, publish and close, then each other app's hot path (the swarm's
// heartbeat and snapshot, the relay's forward, the MPC relay, the rooms
// forward). Under callgrind (bench/core.mjs runs it with --collect-atstart=no)
// each phase is collected and dumped on its own, so its instruction count
// divides by its event count; outside valgrind the same phases are timed. One
// JSON line per phase on stdout.
#include <malloc.h>
#include <valgrind/callgrind.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "apps/apps.h"
#include "apps/rooms/room_token.h"

namespace {

using sb::ConnId;

// Drops every frame (counting its bytes) so only the core is measured.
class NullHost final : public sb::Host {
 public:
  using Host::send;
  void send(std::span<const ConnId> to, std::string_view text) override {
    frames += to.size();
    sent += to.size() * text.size();
  }
  // As the shim splices a publish: the core's part is naming the two parts.
  void send(std::span<const ConnId> to, std::string_view head, std::string_view tail) override {
    frames += to.size();
    sent += to.size() * (head.size() + tail.size());
  }
  void close(ConnId, int, std::string_view) override {}
  void attach(ConnId, std::string_view state) override { attached += state.size(); }
  std::optional<std::string> kv_get(std::string_view key) override {
    auto it = storage.find(std::string(key));
    return it == storage.end() ? std::nullopt : std::optional(it->second);
  }
  void kv_put(std::string_view key, std::string_view value) override { storage[std::string(key)] = value; }
  void kv_delete(std::string_view key) override { storage.erase(std::string(key)); }
  std::vector<std::pair<std::string, std::string>> kv_list(std::string_view prefix) override {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = storage.lower_bound(std::string(prefix)); it != storage.end() && it->first.starts_with(prefix); ++it) out.push_back(*it);
    return out;
  }
  void set_alarm(double) override {}
  double now() override { return clock_ms; }
  void random(std::span<std::uint8_t> out) override { std::fill(out.begin(), out.end(), 0); }
  // Room tokens are signed and checked with the same (zero) digest.
  sb::Digest hmac_sha256(std::string_view, std::string_view) override { return {}; }
  sb::Digest hmac_secret(std::string_view, std::string_view) override { return {}; }
  void perform(std::string_view effect) override { effects.emplace_back(effect); }
  void log(std::string_view) override {}

  std::size_t frames = 0;
  std::size_t sent = 0;
  std::size_t attached = 0;
  double clock_ms = 1.7e12;
  std::map<std::string, std::string> storage;
  std::vector<std::string> effects;
};

std::string publish(std::string_view topic, std::size_t bytes) {
  std::string head = R"({"type":"publish","topic":")" + std::string(topic) + R"(","data":")";
  std::string tail = R"("})";
  return head + std::string(bytes > head.size() + tail.size() ? bytes - head.size() - tail.size() : 0, 'x') + tail;
}

// Runs `events` events of one kind, a second apart so no rate limit trips;
// prints their cost. Returns the frames they sent.
std::size_t phase(const char* name, int events, NullHost& host, const std::function<void(int)>& event) {
  std::size_t frames = host.frames;
  std::size_t sent = host.sent;
  auto start = std::chrono::steady_clock::now();
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT;
  for (int i = 0; i < events; ++i) {
    host.clock_ms += 1000;
    event(i);
  }
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_DUMP_STATS_AT(name);
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"phase\":\"%s\",\"events\":%d,\"ns\":%.0f,\"sentBytes\":%zu}\n", name, events, ns, host.sent - sent);
  return host.frames - frames;
}

// A publish that reaches fewer subscribers than it should measures nothing.
void expect_delivered(std::size_t frames, std::size_t expected, const std::string& phase) {
  if (frames == expected) return;
  std::fprintf(stderr, "core_bench: %s delivered %zu frames, expected %zu\n", phase.c_str(), frames, expected);
  std::exit(1);
}

sb::Request upgrade(std::string path, std::map<std::string, std::string> query = {}) {
  sb::Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.upgrade = true;
  for (auto& [name, value] : query) r.query[name] = value;
  return r;
}

// One Durable Object of an app, driven as the shim drives it: the upgrade
// through the app's fetch, then open, message and alarm.
struct Object {
  Object(NullHost& host, std::string_view app, const sb::Json& vars, std::string_view instance)
      : config(sb::configure(vars)), app(sb::find_app(app)->make(host, config)) {
    this->app->identify(app, instance);
  }
  ConnId join(const sb::Request& request) {
    if (!std::holds_alternative<sb::Accept>(app->request(request))) {
      std::fprintf(stderr, "core_bench: upgrade to %s refused\n", request.path.c_str());
      std::exit(1);
    }
    app->open(++last, request);
    return last;
  }
  sb::Config config;
  std::unique_ptr<sb::App> app;
  ConnId last = 0;
};

// A JSON string of `bytes` characters, to pad a frame to a size.
std::string pad(std::size_t bytes) { return std::string(bytes, 'x'); }

// The other apps' hot paths, 200 B frames where the client sends them.
void other_apps(int events) {
  {
    // A swarm of 20 registered, benchmarked devices (the snapshot lists each
    // with its numbers); liveness stays ONLINE over the bench's clock.
    NullHost host;
    Object swarm(host, "swarm", {{"SWARM_OFFLINE_AFTER_MS", "1000000000000"}}, "node-host0001");
    std::vector<ConnId> devices;
    for (int i = 0; i < 20; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "node-dev%05d", i);
      ConnId conn = swarm.join(upgrade("/ws", {{"persistentId", i == 0 ? "node-host0001" : id}}));
      swarm.app->message(conn, R"({"event":"device:register","data":{"name":"Desktop )" + std::to_string(i) +
                                   R"(","capabilities":{"cpuCores":8,"memoryGB":15.5,"gpuAvailable":true,"gpuName":"RTX 4090"}}})",
                         false);
      swarm.app->message(conn, R"({"event":"benchmark:result","data":{"score":)" + std::to_string(123456.7 + i) + "}}", false);
      devices.push_back(conn);
    }
    const std::string beat = R"({"event":"heartbeat","data":{"lastInteraction":1767225600123.5}})";
    expect_delivered(phase("swarm heartbeat", events, host, [&](int) { swarm.app->message(devices[1], beat, false); }), 0, "swarm heartbeat");
    expect_delivered(phase("swarm snapshot (20 devices)", events, host, [&](int) { swarm.app->alarm(); }), events * devices.size(),
                     "swarm snapshot");
  }
  {
    NullHost host;
    Object relay(host, "relay", sb::Json::object(), "abc123");
    ConnId desktop = relay.join(upgrade("/desktop/abc123"));
    relay.join(upgrade("/mobile/abc123"));
    const std::string head = R"({"type":"console_log","payload":{"level":"info","message":")";
    const std::string frame = head + pad(200 - head.size() - 4) + R"("}})";
    expect_delivered(phase("relay forward", events, host, [&](int) { relay.app->message(desktop, frame, false); }), events, "relay forward");
  }
  {
    NullHost host;
    Object mpc(host, "mpc", sb::Json::object(), "mpc");
    ConnId a = mpc.join(upgrade("/mpc"));
    ConnId b = mpc.join(upgrade("/mpc"));
    mpc.app->message(a, R"({"type":"register","device_id":"mpc-1"})", false);
    mpc.app->message(b, R"({"type":"register","device_id":"mpc-2"})", false);
    const std::string head = R"({"type":"relay","to":"mpc-2","data":{"round":1,"payload":")";
    const std::string frame = head + pad(200 - head.size() - 3) + R"("}})";
    expect_delivered(phase("mpc relay", events, host, [&](int) { mpc.app->message(a, frame, false); }), events, "mpc relay");
  }
  {
    NullHost host;
    const sb::Json vars = {{"JWT_SECRET", "room-secret"}};
    Object room(host, "rooms", vars, "room-1");
    // As the Worker's route hands the socket over: the token verified there,
    // what it read in the request's headers.
    auto enter = [&](const char* participant) {
      sb::Request request = upgrade("/ws");
      request.headers.update(sb::rooms::RoomToken{"room-1", participant, participant}.forward().headers);
      return room.join(request);
    };
    ConnId a = enter("p-a");
    enter("p-b");
    const std::string head = R"({"type":"offer","to":"p-b","data":{"sdp":")";
    const std::string frame = head + pad(200 - head.size() - 3) + R"("}})";
    expect_delivered(phase("rooms forward", events, host, [&](int) { room.app->message(a, frame, false); }), events, "rooms forward");
  }
}

// A sharded `/` (two gateways, one topic owner): one publisher and a
// subscriber on g0, a subscriber on g1; each publish goes gateway → owner →
// both gateways, every call carried as the shim carries it (the Effect's text
// parsed, the answer resumed), one call at a time until none is left.
void sharded(int events) {
  const sb::Json vars = {{"SIGNAL_GATEWAYS", "2"}, {"SIGNAL_TOPIC_SHARDS", "1"}, {"SIGNAL_MESSAGES_PER_SECOND", "1000000"}};
  NullHost hosts[3];
  Object g0(hosts[0], "signal-gateway", vars, "g0");
  Object g1(hosts[1], "signal-gateway", vars, "g1");
  Object owner(hosts[2], "signal-topics", vars, "t0");
  std::map<std::string, Object*> objects = {{"g0", &g0}, {"g1", &g1}, {"t0", &owner}};
  std::map<Object*, NullHost*> host_of = {{&g0, &hosts[0]}, {&g1, &hosts[1]}, {&owner, &hosts[2]}};
  auto pump = [&] {
    for (bool moved = true; moved;) {
      moved = false;
      for (auto& [from, host] : host_of) {
        for (std::vector<std::string> effects = std::exchange(host->effects, {}); const std::string& text : effects) {
          moved = true;
          sb::Json effect = sb::parse_json(text).value_or(sb::Json());
          const sb::Json& call = effect["request"]["object"];
          sb::Request request;
          request.method = call["method"];
          request.path = call["path"];
          request.body = call["body"];
          auto response = std::get<sb::Response>(objects.at(call["instance"])->app->request(request));
          from->app->resume(effect["context"], {{"status", response.status}, {"body", response.body}});
        }
      }
    }
  };
  sb::Request upgrade;
  upgrade.method = "GET";
  upgrade.path = "/";
  upgrade.upgrade = true;
  ConnId publisher = g0.join(upgrade);
  for (Object* gateway : {&g0, &g1}) {
    gateway->app->message(gateway->join(upgrade), R"({"type":"subscribe","topics":["room"]})", false);
    pump();
  }
  const std::string frame = publish("room", 200);
  std::size_t before = hosts[0].frames + hosts[1].frames;
  phase("sharded publish-2/200", events, hosts[0], [&](int) {
    g0.app->message(publisher, frame, false);
    pump();
  });
  expect_delivered(hosts[0].frames + hosts[1].frames - before, static_cast<std::size_t>(events) * 2, "sharded publish-2/200");
}

}  // namespace

int main() {
  constexpr int kEvents = 1000;
  NullHost host;
  sb::Config config;
  auto room = sb::find_app("signal")->make(host, config);
  sb::Request upgrade;
  upgrade.method = "GET";
  upgrade.path = "/";
  upgrade.upgrade = true;

  // Sockets 1..1000 subscribe to "room"; 1001..1100 listen on "hundred"; 1101 on "solo".
  std::size_t heap = mallinfo2().uordblks;
  for (ConnId conn = 1; conn <= kEvents + 101; ++conn) room->open(conn, upgrade);
  const std::string subscribe_room = R"({"type":"subscribe","topics":["room"]})";
  for (ConnId conn = kEvents + 1; conn <= kEvents + 100; ++conn) room->message(conn, R"({"type":"subscribe","topics":["hundred"]})", false);
  room->message(kEvents + 101, R"({"type":"subscribe","topics":["solo"]})", false);
  const ConnId sender = kEvents + 101;

  phase("subscribe", kEvents, host, [&](int i) { room->message(static_cast<ConnId>(i + 1), subscribe_room, false); });
  // The core's own memory per socket, each in one topic (the platform's is measured in workerd).
  std::printf("{\"heapBytesPerSocket\":%.0f}\n", static_cast<double>(mallinfo2().uordblks - heap) / (kEvents + 101));
  for (std::size_t bytes : {200, 4096}) {
    const std::string to_one = publish("solo", bytes);
    const std::string to_hundred = publish("hundred", bytes);
    const std::string size = std::to_string(bytes);
    const std::string one = "publish-1/" + size, hundred = "publish-100/" + size;
    expect_delivered(phase(one.c_str(), kEvents, host, [&](int) { room->message(sender, to_one, false); }), kEvents, one);
    expect_delivered(phase(hundred.c_str(), kEvents, host, [&](int) { room->message(sender, to_hundred, false); }),
                     kEvents * 100, hundred);
  }
  // Each closing socket is one of the 1,000 subscribers of "room".
  phase("close", kEvents, host, [&](int i) { room->closed(static_cast<ConnId>(i + 1), 1000, ""); });
  sharded(kEvents);
  other_apps(kEvents);
  return 0;
}
