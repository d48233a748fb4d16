#include <doctest/doctest.h>

#include <bit>
#include <fstream>
#include <random>
#include <regex>

#include "apps/swarm/invite_registry.h"
#include "apps/swarm/js_number.h"
#include "apps/swarm/scheduler.h"
#include "apps/swarm/swarm_coordinator.h"
#include "core/router.h"
#include "fake_host.h"

using sb::Json;
using sb::test::Object;

namespace {

sb::Request member(const std::string& id, const std::string& token = "", const std::string& path = "/ws") {
  sb::Request r = sb::test::upgrade(path);
  if (!id.empty()) r.query["persistentId"] = id;
  if (!token.empty()) r.query["token"] = token;
  return r;
}

std::string emit(const std::string& event, const Json& data) { return Json{{"event", event}, {"data", data}}.dump(); }

std::string registration(const std::string& name, int cores, double memory, bool gpu) {
  return emit("device:register", {{"name", name}, {"capabilities", {{"cpuCores", cores}, {"memoryGB", memory}, {"gpuAvailable", gpu}}}});
}

std::vector<Json> frames(Object& swarm, sb::ConnId conn) {
  std::vector<Json> out;
  for (const std::string& text : swarm.take(conn)) out.push_back(Json::parse(text));
  return out;
}

// The last snapshot a socket received (and forgets the rest).
Json last_snapshot(Object& swarm, sb::ConnId conn) {
  Json last;
  for (const Json& f : frames(swarm, conn)) {
    if (f["event"] == "swarm:snapshot") last = f["data"];
  }
  REQUIRE(last.is_object());
  return last;
}

Json log_line(const char* level, const std::string& message, double at, const std::string& source) {
  return {{"event", "sys:log"}, {"data", {{"level", level}, {"message", message}, {"timestamp", static_cast<std::int64_t>(at)}, {"source", source}}}};
}

// A swarm whose host (node-host0001) is connected and registered; frames so far are dropped.
struct Swarm {
  explicit Swarm(Json vars = Json::object()) : object("swarm", std::move(vars), "node-host0001") {
    host = object.join(member("node-host0001"));
    object.message(host, registration("Host Desktop", 8, 16, false));
    object.take(host);
  }
  sb::ConnId guest(const std::string& id, const std::string& name, int cores, double memory, bool gpu) {
    sb::ConnId conn = object.join(member(id));
    object.message(conn, registration(name, cores, memory, gpu));
    for (auto& [c, received] : object.host.received) received.clear();
    return conn;
  }
  Object object;
  sb::ConnId host;
};

}  // namespace

TEST_CASE("swarm routes: /ws with persistentId and /swarm/ws; /ws without it is not the swarm's") {
  const sb::Manifest& app = *sb::find_app("swarm");
  sb::Config config;
  sb::test::FakeHost host;
  CHECK_FALSE(sb::route_app(app, member(""), config, host));
  CHECK_FALSE(sb::route_app(app, sb::test::upgrade("/ws"), config, host));
  auto forward = std::get<sb::Forward>(*sb::route_app(app, member("node-abc123xyz"), config, host));
  CHECK(forward.binding == "SwarmCoordinator");
  CHECK(forward.instance == "node-abc123xyz");
  CHECK(std::get<sb::Forward>(*sb::route_app(app, member("node-1", "", "/swarm/ws"), config, host)).instance == "node-1");
  for (const char* host_mode : {"null", "undefined"}) {
    CHECK(std::get<sb::Forward>(*sb::route_app(app, member("node-1", host_mode), config, host)).instance == "node-1");
  }
  sb::Request empty_token = member("node-1");
  empty_token.query["token"] = "";
  CHECK(std::get<sb::Forward>(*sb::route_app(app, empty_token, config, host)).instance == "node-1");

  auto missing = std::get<sb::Response>(*sb::route_app(app, member("", "", "/swarm/ws"), config, host));
  CHECK(missing.status == 400);
  CHECK(Json::parse(missing.body) == Json{{"error", "Missing persistentId"}});
  sb::Request blank = member("");
  blank.query["persistentId"] = "";
  CHECK(std::get<sb::Response>(*sb::route_app(app, blank, config, host)).status == 400);
  CHECK(std::get<sb::Response>(*sb::route_app(app, member("node/../x"), config, host)).status == 400);
  sb::Request plain = member("node-1");
  plain.upgrade = false;
  CHECK(std::get<sb::Response>(*sb::route_app(app, plain, config, host)).status == 426);

  // A code is looked up in the registry before the upgrade.
  auto effect = std::get<sb::Effect>(*sb::route_app(app, member("node-guest", "k3j9qz"), config, host));
  CHECK(effect.request == Json{{"object", {{"binding", "InviteRegistry"}, {"instance", "global"}, {"method", "GET"}, {"path", "/invites/K3J9QZ"}}}});
  for (const char* malformed : {"AB", "K3J9-QZ", "ABCDEFGHIJKLMNOPQ"}) {
    auto refused = std::get<sb::Response>(*sb::route_app(app, member("node-guest", malformed), config, host));
    CHECK(refused.status == 403);
    CHECK(Json::parse(refused.body) == Json{{"error", "invalid invite code"}});
  }
  auto joined = std::get<sb::Forward>(sb::resume_step(app, effect.context, {{"status", 200}, {"body", R"({"swarm":"node-host0001"})"}}, config, host));
  CHECK(joined.instance == "node-host0001");
  auto unknown = std::get<sb::Response>(sb::resume_step(app, effect.context, {{"status", 404}, {"body", R"({"error":"invalid invite code"})"}}, config, host));
  CHECK(unknown.status == 403);
  CHECK(Json::parse(unknown.body) == Json{{"error", "invalid invite code"}});
  CHECK(std::get<sb::Response>(sb::resume_step(app, effect.context, {{"error", "unreachable"}}, config, host)).status == 503);
  CHECK(std::get<sb::Response>(sb::resume_step(app, effect.context, {{"status", 200}, {"body", "{}"}}, config, host)).status == 503);

  // Through the router: /ws with persistentId is the swarm's (without it, the rooms app's).
  auto routed = sb::route(member("node-1"), config, sb::all_apps(), host);
  CHECK(std::get<sb::Forward>(routed).binding == "SwarmCoordinator");
  CHECK(std::get<sb::Response>(sb::route(member("", "", "/swarm/ws"), config, sb::all_apps(), host)).status == 400);
  CHECK(sb::route_app(*sb::find_app("swarm-invites"), member("node-1", "", "/invites"), config, host) == std::nullopt);
}

TEST_CASE("connect comes first; register answers with the log line and a snapshot of the exact shape") {
  Object swarm("swarm", Json::object(), "node-abcdefghi");
  double t0 = swarm.host.clock;
  auto a = swarm.join(member("node-abcdefghi"));
  CHECK(frames(swarm, a) == std::vector<Json>{{{"event", "connect"}, {"data", {{"status", "connected"}}}}});
  CHECK(swarm.host.alarm_at == t0 + 2000);

  swarm.message(a, emit("connect", Json::object()));  // the client's own on-open emit: ignored
  CHECK(swarm.take(a).empty());
  swarm.message(a, emit("device:register", {{"name", "Studio Box"}, {"capabilities", {{"cpuCores", 8}, {"memoryGB", 0.5}, {"gpuAvailable", true}, {"gpuName", "RTX"}}}}));
  auto got = frames(swarm, a);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == log_line("SYS", "Node Registered: Studio Box", t0, "AUTH"));
  Json device = {{"id", "node-abcdefghi"},
                 {"name", "Studio Box"},
                 {"type", "DESKTOP"},
                 {"status", "ONLINE"},
                 {"capabilities", {{"cpuCores", 8}, {"memoryGB", 0.5}, {"gpuAvailable", true}, {"gpuName", "RTX"}}},
                 {"opsScore", 0},
                 {"totalJobsCompleted", 0},
                 {"lastHeartbeat", static_cast<std::int64_t>(t0)},
                 {"lastUserInteraction", static_cast<std::int64_t>(t0)},
                 {"swarmId", "node-abcdefghi"}};
  Json expected = {{"event", "swarm:snapshot"},
                   {"data",
                    {{"runState", "STOPPED"},
                     {"devices", {{"node-abcdefghi", device}}},
                     {"stats", {{"totalJobs", 0}, {"activeJobs", 0}, {"pendingJobs", 0}, {"completedJobs", 0}, {"globalVelocity", 0}, {"globalThrottle", 40}}},
                     {"resources", {{"totalCores", 8}, {"totalMemory", 0.5}, {"totalGPUs", 1}, {"onlineCount", 1}}}}}};
  CHECK(got[1] == expected);
  // Byte for byte as the original's JSON.stringify: integers without fractions.
  CHECK(swarm.host.received[a].empty());
  swarm.message(a, emit("heartbeat", Json::object()));
  swarm.message(a, emit("cmd:set_throttle", 40));
  auto texts = swarm.take(a);
  REQUIRE(texts.size() == 2);
  CHECK(texts[0] == R"({"event":"swarm:throttle_sync","data":40})");
  CHECK(texts[1].find(R"("resources":{"totalCores":8,"totalMemory":0.5,"totalGPUs":1,"onlineCount":1})") != std::string::npos);
}

TEST_CASE("device types follow the name and the hardware") {
  Swarm s;
  struct Case {
    const char* name;
    bool gpu;
    double memory;
    const char* type;
  } cases[] = {{"My MOBILE phone", true, 32, "MOBILE"}, {"colab-runner", true, 32, "COLAB"}, {"rig", true, 16.5, "SERVER"},
               {"rig", true, 16, "DESKTOP"},            {"rig", false, 64, "DESKTOP"}};
  int n = 0;
  for (const Case& c : cases) {
    std::string id = "node-t" + std::to_string(n++);
    auto conn = s.object.join(member(id));
    s.object.message(conn, registration(c.name, 4, c.memory, c.gpu));
    CAPTURE(c.name);
    CHECK(last_snapshot(s.object, conn)["devices"][id]["type"] == c.type);
  }
}

TEST_CASE("scheduling arithmetic, hand-computed (docs/swarm.md, Scheduling)") {
  using namespace sb::swarm;
  CHECK(device_weight(8, false, 0) == 80);
  CHECK(device_weight(8, true, 250'000) == 230);   // 80 + 50 + min(250, 100)
  CHECK(device_weight(4, false, 12'345) == doctest::Approx(52.345));
  CHECK(device_weight(0, false, 0) == 1);           // never below 1
  CHECK(fresh_quota(80, 2).max_concurrent == 10);    // max(10, 2×4)
  CHECK(fresh_quota(80, 16).max_concurrent == 64);
  CHECK(fresh_quota(80, 16).active_jobs == 0);
  CHECK(batch_share(80, 170) == 14);   // floor(80/170×30) = floor(14.12)
  CHECK(batch_share(90, 170) == 15);   // floor(15.88)
  CHECK(batch_share(230, 310) == 22);  // floor(22.26)
  CHECK(batch_share(1, 1000) == 1);    // floor(0.03), at least 1
  CHECK(batch_share(5, 0.5) == 150);   // Σ below 1 counts as 1
  Quota quota{100, 2, 10};
  complete_job(quota, 2500);
  CHECK(quota.active_jobs == 1);
  CHECK(quota.weight == doctest::Approx(95));
  complete_job(quota, 100);
  CHECK(quota.weight == doctest::Approx(96.9));  // 95 × 1.02
  CHECK(quota.active_jobs == 0);
  complete_job(quota, 100);  // no slot held: nothing changes
  CHECK(quota.weight == doctest::Approx(96.9));
  CHECK(quota.active_jobs == 0);
  Quota untimed{100, 1, 10};
  complete_job(untimed, 0);
  CHECK(untimed.weight == 100);

  std::deque<Job> queue = {{{"id", "a"}, {"type", "MATH_STRESS"}}, {{"id", "b"}, {"type", "MAT_MUL"}}, {{"id", "c"}, {"type", "MATH_STRESS"}}, {{"id", "d"}, {"type", "MAT_MUL"}}};
  auto batch = take_jobs(queue, 3, "MAT_MUL");
  REQUIRE(batch.size() == 3);
  CHECK(batch[0]["id"] == "b");
  CHECK(batch[1]["id"] == "d");
  CHECK(batch[2]["id"] == "a");  // no MAT_MUL left: the head
  CHECK(queue.size() == 1);
}

TEST_CASE("generated jobs: shape, mix and ids from the host's random") {
  sb::test::FakeHost host;
  std::deque<sb::swarm::Job> queue;
  int matmul = 0;
  const std::regex id_shape("job-1767225600000-[0-9a-z]{5}");
  for (int round = 0; round < 10; ++round) {
    queue.clear();
    sb::swarm::refill(queue, host, 1'767'225'600'000);
    REQUIRE(queue.size() == 100);
    for (const Json& job : queue) {
      CHECK(std::regex_match(job["id"].get<std::string>(), id_shape));
      CHECK(job["complexity"] >= 1);
      CHECK(job["complexity"] <= 10);
      if (job["type"] == "MAT_MUL") {
        ++matmul;
        CHECK(job["data"] == Json{{"size", 1024}});
      } else {
        CHECK(job["type"] == "MATH_STRESS");
        CHECK(job["data"] == Json{{"iterations", 100000}});
      }
      CHECK(job.dump().starts_with(R"({"id":)"));
    }
  }
  CHECK(matmul > 240);  // 30% of 1000
  CHECK(matmul < 360);
  std::deque<sb::swarm::Job> full(5001, Json::object());
  sb::swarm::refill(full, host, 0);
  CHECK(full.size() == 5001);
}

TEST_CASE("batches: only while RUNNING, shares by weight, preferred types, slots released on completion") {
  Swarm s;  // host: 8 cores, no GPU → weight 80, 32 slots
  auto gpu = s.guest("node-gpu00001", "GPU Box", 4, 8, true);  // 40 + 50 = 90, 16 slots
  s.object.message(gpu, emit("job:request_batch", Json::object()));
  CHECK(s.object.take(gpu).empty());  // STOPPED: nothing

  s.object.message(s.host, emit("cmd:set_run_state", "RUNNING"));
  s.object.take(s.host);
  s.object.take(gpu);
  s.object.message(s.host, R"({"event":"job:request_batch"})");  // the client sends no data at all
  auto host_batch = frames(s.object, s.host);
  REQUIRE(host_batch.size() == 1);
  CHECK(host_batch[0]["event"] == "job:batch");
  CHECK(host_batch[0]["data"].size() == 14);  // floor(80/170×30)
  for (const Json& job : host_batch[0]["data"]) CHECK(job["type"] == "MATH_STRESS");

  s.object.message(gpu, emit("job:request_batch", Json::object()));
  auto gpu_batch = frames(s.object, gpu);
  REQUIRE(gpu_batch.size() == 1);
  CHECK(gpu_batch[0]["data"].size() == 15);  // floor(90/170×30)
  CHECK(gpu_batch[0]["data"][0]["type"] == "MAT_MUL");
  CHECK(s.object.take(s.host).empty());  // a batch goes to the requester only

  s.object.message(s.host, emit("heartbeat", Json::object()));
  // 100 generated, 29 handed out.
  s.object.alarm();
  Json snap = last_snapshot(s.object, s.host);
  CHECK(snap["stats"]["pendingJobs"] == 71);
  CHECK(snap["stats"]["totalJobs"] == 71);
  CHECK(snap["stats"]["activeJobs"] == 2);  // online devices while RUNNING
  s.object.take(gpu);

  Json stats = s.object.stats();
  CHECK(stats["devices"] == 2);
  CHECK(stats["pendingJobs"] == 71);
  // 16 slots: 15 used, one left; then none.
  s.object.message(gpu, emit("job:request_batch", Json::object()));
  CHECK(frames(s.object, gpu).at(0)["data"].size() == 1);
  s.object.message(gpu, emit("job:request_batch", Json::object()));
  CHECK(s.object.take(gpu).empty());
  s.object.message(gpu, emit("job:complete", {{"chunkId", gpu_batch[0]["data"][0]["id"]}, {"workerId", "node-gpu00001"}, {"result", 1.5}, {"durationMs", 12.5}}));
  Json after = last_snapshot(s.object, gpu);
  CHECK(after["stats"]["completedJobs"] == 1);
  CHECK(after["stats"]["totalJobs"] == 71);  // 1 completed + 70 pending
  CHECK(after["devices"]["node-gpu00001"]["totalJobsCompleted"] == 1);
  CHECK(Json::parse(s.object.host.storage.at("quota/node-gpu00001"))["weight"] == doctest::Approx(91.8));  // 90 × 1.02
  s.object.message(gpu, emit("job:request_batch", Json::object()));
  CHECK(frames(s.object, gpu).at(0)["data"].size() == 1);

  // A benchmark re-registers: weight 40 + 50 + 100 = 190, all 16 slots free again.
  s.object.message(gpu, emit("benchmark:result", {{"score", 123456.7}}));
  auto bench = frames(s.object, gpu);
  CHECK(bench.at(0) == log_line("CPU", "Benchmark: 123,456.7 OPS", s.object.host.clock, "node-gpu00001"));
  CHECK(bench.at(1)["data"]["devices"]["node-gpu00001"]["opsScore"] == 123456.7);
  s.object.message(gpu, emit("job:request_batch", Json::object()));
  CHECK(frames(s.object, gpu).at(0)["data"].size() == 16);  // min(floor(190/270×30) = 21, 16 free)

  // A failed job: logged, not counted, slot released.
  s.object.take(s.host);
  s.object.message(s.host, emit("job:complete", {{"chunkId", "job-x"}, {"workerId", "node-host0001"}, {"error", "boom"}}));
  auto failed = frames(s.object, s.host);
  CHECK(failed.at(0) == log_line("ERR", "Job job-x failed on node-host0001", s.object.host.clock, "COMPUTE"));
  CHECK(failed.at(1)["data"]["stats"]["completedJobs"] == 1);
  CHECK(Json::parse(s.object.host.storage.at("quota/node-host0001"))["activeJobs"] == 13);
}

TEST_CASE("snapshot arithmetic: only counted devices, velocity = round(Σops × throttle/100) while RUNNING") {
  Swarm s;
  auto b = s.guest("node-b0000001", "B", 4, 2.25, true);
  auto c = s.guest("node-c0000001", "C", 2, 4, false);
  s.object.message(s.host, emit("benchmark:result", {{"score", 1500}}));
  s.object.message(b, emit("benchmark:result", {{"score", 2333}}));
  s.object.message(c, emit("benchmark:result", {{"score", 10000}}));
  s.object.message(s.host, emit("cmd:set_throttle", 55));
  Json stopped = last_snapshot(s.object, s.host);
  CHECK(stopped["stats"]["globalVelocity"] == 0);
  CHECK(stopped["stats"]["activeJobs"] == 0);
  CHECK(stopped["stats"]["globalThrottle"] == 55);
  CHECK(stopped["resources"] == Json{{"totalCores", 14}, {"totalMemory", 22.25}, {"totalGPUs", 1}, {"onlineCount", 3}});

  s.object.message(s.host, emit("cmd:toggle_device", {{"id", "node-c0000001"}, {"enabled", false}}));
  auto toggled = frames(s.object, s.host);
  CHECK(toggled.at(0) == log_line("WARN", "Node node-c00 was disabled by Master", s.object.host.clock, "ORCHESTRATOR"));
  s.object.message(s.host, emit("cmd:set_run_state", "RUNNING"));
  auto running = frames(s.object, s.host);
  CHECK(running.at(0) == log_line("SYS", "Swarm state changed to RUNNING", s.object.host.clock, "MASTER"));
  Json snap = running.at(1)["data"];
  CHECK(snap["runState"] == "RUNNING");
  CHECK(snap["stats"]["globalVelocity"] == 2108);  // round(3833 × 0.55 = 2108.15)
  CHECK(snap["stats"]["activeJobs"] == 2);
  CHECK(snap["resources"] == Json{{"totalCores", 12}, {"totalMemory", 18.25}, {"totalGPUs", 1}, {"onlineCount", 2}});
  CHECK(snap["devices"].size() == 3);  // every stored device, any status
  CHECK(snap["devices"]["node-c0000001"]["status"] == "DISABLED");

  s.object.take(c);
  s.object.message(s.host, emit("cmd:set_throttle", 12.5));
  auto sync = frames(s.object, c);
  CHECK(sync.at(0) == Json{{"event", "swarm:throttle_sync"}, {"data", 12.5}});
  CHECK(sync.at(1)["data"]["stats"]["globalVelocity"] == 479);  // round(3833 × 0.125 = 479.125)
  s.object.message(s.host, emit("cmd:set_throttle", 0));
  CHECK(last_snapshot(s.object, s.host)["stats"]["globalThrottle"] == 0);

  // A DISABLED device still gets work (as the original); enabling it logs SYS.
  s.object.take(c);
  s.object.message(c, emit("job:request_batch", Json::object()));
  CHECK(frames(s.object, c).at(0)["event"] == "job:batch");
  s.object.take(b);
  s.object.message(b, emit("cmd:toggle_device", {{"id", "node-c0000001"}, {"enabled", true}}));
  CHECK(frames(s.object, b).at(0) == log_line("SYS", "Node node-c00 was enabled by Master", s.object.host.clock, "ORCHESTRATOR"));
}

TEST_CASE("re-registering keeps the score and the count, resets the slots") {
  Swarm s;
  s.object.message(s.host, emit("benchmark:result", {{"score", 4000}}));
  s.object.message(s.host, emit("cmd:set_run_state", "RUNNING"));
  s.object.message(s.host, emit("job:request_batch", Json::object()));
  s.object.message(s.host, emit("job:complete", {{"chunkId", "j1"}}));
  s.object.take(s.host);
  CHECK(Json::parse(s.object.host.storage.at("quota/node-host0001"))["activeJobs"] == 29);
  s.object.message(s.host, registration("Renamed", 8, 16, false));
  Json device = last_snapshot(s.object, s.host)["devices"]["node-host0001"];
  CHECK(device["name"] == "Renamed");
  CHECK(device["opsScore"] == 4000);
  CHECK(device["totalJobsCompleted"] == 1);
  CHECK(Json::parse(s.object.host.storage.at("quota/node-host0001"))["activeJobs"] == 0);
}

TEST_CASE("toLocaleString as V8 prints benchmark scores") {
  using sb::swarm::locale_string;
  CHECK(locale_string(0) == "0");
  CHECK(locale_string(5) == "5");
  CHECK(locale_string(12345) == "12,345");
  CHECK(locale_string(1.0005) == "1.001");  // the shortest decimal is rounded, not the binary value
  CHECK(locale_string(0.0625) == "0.063");
  CHECK(locale_string(123456.789) == "123,456.789");
  CHECK(locale_string(1234567.8915) == "1,234,567.892");
  CHECK(locale_string(999.9995) == "1,000");
  CHECK(locale_string(2.675) == "2.675");
  CHECK(locale_string(1e-7) == "0");
  CHECK(locale_string(1e21) == "1,000,000,000,000,000,000,000");
  CHECK(locale_string(1e23) == "100,000,000,000,000,000,000,000");
  CHECK(locale_string(12345678901234567890.0) == "12,345,678,901,234,567,000");
  CHECK(sb::swarm::js_length("héllo") == 5);
  CHECK(sb::swarm::js_length("😀") == 2);
}

TEST_CASE("toLocaleString as V8 prints it, over a seeded sample of doubles") {
  // data/locale_string.txt: bits of a double, then V8's toLocaleString("en-US")
  // (written by data/locale_string.mjs).
  std::ifstream file(SB_SOURCE_DIR "/test/cpp/data/locale_string.txt");
  REQUIRE(file.good());
  std::string line;
  int cases = 0;
  while (std::getline(file, line)) {
    std::size_t space = line.find(' ');
    REQUIRE(space != std::string::npos);
    double value = std::bit_cast<double>(std::stoull(line.substr(0, space), nullptr, 16));
    CAPTURE(line);
    CHECK(sb::swarm::locale_string(value) == line.substr(space + 1));
    ++cases;
  }
  CHECK(cases > 4000);
}

TEST_CASE("every event is validated: bad data gets a WARN to the sender only and changes nothing") {
  Swarm s;
  auto other = s.guest("node-other001", "Other", 2, 4, false);
  const std::string bad[] = {
      "not json",
      "[1,2]",
      R"({"data":{}})",
      R"({"event":7,"data":{}})",
      emit("no:such_event", Json::object()),
      emit("device:register", "x"),
      emit("device:register", {{"capabilities", {{"cpuCores", 4}, {"memoryGB", 8}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", std::string(101, 'n')}, {"capabilities", {{"cpuCores", 4}, {"memoryGB", 8}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 0}, {"memoryGB", 8}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 1025}, {"memoryGB", 8}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 2.5}, {"memoryGB", 8}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", "4"}, {"memoryGB", 8}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 4}, {"memoryGB", -1}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 4}, {"memoryGB", 65537}, {"gpuAvailable", false}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 4}, {"memoryGB", 8}, {"gpuAvailable", 1}}}}),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 4}, {"memoryGB", 8}, {"gpuAvailable", true}, {"gpuName", std::string(201, 'g')}}}}),
      emit("heartbeat", 5),
      emit("heartbeat", {{"lastInteraction", -1}}),
      emit("job:request_batch", "now"),
      emit("job:complete", {{"result", 1}}),
      emit("job:complete", {{"chunkId", std::string(129, 'c')}}),
      emit("job:complete", {{"chunkId", "c"}, {"durationMs", -5}}),
      emit("job:complete", {{"chunkId", "c"}, {"durationMs", "5"}}),
      emit("job:complete", {{"chunkId", "c"}, {"workerId", 3}}),
      emit("cmd:set_run_state", "FASTER"),
      emit("cmd:set_run_state", Json{{"state", "RUNNING"}}),
      emit("cmd:set_throttle", 101),
      emit("cmd:set_throttle", -1),
      emit("cmd:set_throttle", "50"),
      R"({"event":"cmd:set_throttle","data":1e999})",
      emit("benchmark:result", {{"score", -3}}),
      emit("benchmark:result", {{"score", "fast"}}),
      emit("benchmark:result", 100),
      emit("cmd:toggle_device", {{"id", "node-other001"}}),
      emit("cmd:toggle_device", {{"id", 5}, {"enabled", true}}),
      emit("cmd:toggle_device", {{"id", "node-nobody"}, {"enabled", false}}),
      emit("auth:generate_token", "please"),
      emit("device:register", {{"name", "n"}, {"capabilities", {{"cpuCores", 4}, {"memoryGB", 8}, {"gpuAvailable", false}}}, {"pad", std::string(70'000, 'p')}}),
  };
  auto storage = s.object.host.storage;
  for (const std::string& frame : bad) {
    CAPTURE(frame.substr(0, 120));
    s.object.host.clock += 1;  // a frame that counted as liveness would change the stored heartbeat
    s.object.message(other, frame);
    auto got = frames(s.object, other);
    REQUIRE(got.size() == 1);
    CHECK(got[0]["event"] == "sys:log");
    CHECK(got[0]["data"]["level"] == "WARN");
    CHECK(got[0]["data"]["source"] == "GATEWAY");
    CHECK(s.object.take(s.host).empty());
    CHECK(s.object.host.storage == storage);
    CHECK(s.object.host.effects.empty());
  }
  s.object.message(other, emit("no:such_event", 1));
  CHECK(frames(s.object, other).at(0)["data"]["message"] == "Rejected no:such_event: unknown event");
  s.object.message(other, emit("cmd:set_throttle", 101));
  CHECK(frames(s.object, other).at(0)["data"]["message"] == "Rejected cmd:set_throttle: data must be a number from 0 to 100");
  s.object.message(other, "{");
  CHECK(frames(s.object, other).at(0)["data"]["message"] == "Rejected frame: not JSON");
  CHECK(s.object.is_open(other));

  // Binary frames close with 1003; the device is then offline.
  s.object.message(other, registration("x", 1, 1, false), true);
  CHECK_FALSE(s.object.is_open(other));
  CHECK(s.object.host.closes.at(other).code == 1003);
  CHECK(last_snapshot(s.object, s.host)["devices"]["node-other001"]["status"] == "OFFLINE");
}

TEST_CASE("a full swarm refuses new devices and new sockets") {
  Object swarm("swarm", {{"SWARM_MAX_DEVICES", "1"}, {"SWARM_MAX_CONNECTIONS", "2"}});
  auto a = swarm.join(member("node-a"));
  swarm.message(a, registration("A", 1, 1, false));
  auto b = swarm.join(member("node-b"));
  swarm.take(b);
  swarm.message(b, registration("B", 1, 1, false));
  auto got = frames(swarm, b);
  REQUIRE(got.size() == 1);
  CHECK(got[0]["data"]["message"] == "Rejected device:register: the swarm is full (1 devices)");
  swarm.message(a, registration("A again", 1, 1, false));  // a known device may re-register
  CHECK(last_snapshot(swarm, a)["devices"]["node-a"]["name"] == "A again");
  auto refused = std::get<sb::Response>(swarm.connect(member("node-c")));
  CHECK(refused.status == 503);
}

TEST_CASE("swarm flood limits: SWARM_MESSAGES_PER_SECOND answers a WARN; SWARM_IP_CONNECTS_PER_MINUTE answers 429") {
  Object swarm("swarm", {{"SWARM_MESSAGES_PER_SECOND", "2"}, {"SWARM_IP_CONNECTS_PER_MINUTE", "1"}});
  auto from = [&](const char* id, const char* ip) {
    sb::Request request = member(id);
    request.headers = {{"cf-connecting-ip", ip}};
    return swarm.connect(request);
  };
  auto a = std::get<sb::ConnId>(from("node-a", "203.0.113.9"));
  CHECK(std::get<sb::Response>(from("node-b", "203.0.113.9")).status == 429);
  CHECK(Json::parse(swarm.host.logs.back())["reason"] == "too many connections from this address");
  CHECK(swarm.stats()["errors"] == 1);
  CHECK(std::holds_alternative<sb::ConnId>(from("node-c", "203.0.113.10")));
  swarm.take(a);
  swarm.message(a, registration("A", 1, 1, false));
  swarm.message(a, emit("cmd:set_throttle", 50));
  swarm.message(a, emit("cmd:set_throttle", 60));
  auto got = frames(swarm, a);
  REQUIRE_FALSE(got.empty());
  CHECK(got.back() == log_line("WARN", "Rejected frame: more than 2 per second", swarm.host.clock, "GATEWAY"));
  auto throttles = std::count_if(got.begin(), got.end(), [](const Json& f) { return f["event"] == "swarm:throttle_sync"; });
  CHECK(throttles == 1);
  swarm.host.clock += 1000;
  swarm.message(a, emit("cmd:set_throttle", 60));
  CHECK(frames(swarm, a).at(0) == Json{{"event", "swarm:throttle_sync"}, {"data", 60}});
}

TEST_CASE("liveness: any valid frame is a heartbeat; silent → OFFLINE; gone and silent → removed") {
  Swarm s({{"SWARM_OFFLINE_AFTER_MS", "60000"}, {"SWARM_REMOVE_AFTER_MS", "300000"}});
  auto b = s.guest("node-b0000001", "B", 4, 8, false);
  auto c = s.guest("node-c0000001", "C", 4, 8, false);
  double t0 = s.object.host.clock;

  s.object.host.clock = t0 + 30'000;
  s.object.message(s.host, emit("job:request_batch", Json::object()));  // STOPPED: no batch, but alive
  s.object.message(c, emit("heartbeat", {{"lastInteraction", 1234}}));
  s.object.host.clock = t0 + 60'001;
  s.object.alarm();
  Json snap = last_snapshot(s.object, s.host);
  CHECK(snap["devices"]["node-host0001"]["status"] == "ONLINE");
  CHECK(snap["devices"]["node-host0001"]["lastHeartbeat"] == static_cast<std::int64_t>(t0 + 30'000));
  CHECK(snap["devices"]["node-b0000001"]["status"] == "OFFLINE");  // connected but silent
  CHECK(snap["devices"]["node-c0000001"]["lastUserInteraction"] == 1234);
  CHECK(snap["resources"]["onlineCount"] == 2);
  CHECK(s.object.host.alarm_at == t0 + 60'001 + 2000);

  // Its next frame brings it back at once, with a snapshot.
  s.object.message(b, emit("job:request_batch", Json::object()));
  CHECK(last_snapshot(s.object, s.host)["devices"]["node-b0000001"]["status"] == "ONLINE");

  // A disconnect: the log line (first 8 characters), OFFLINE, snapshot.
  s.object.take(c);
  s.object.disconnect(c);
  auto left = frames(s.object, s.host);
  REQUIRE(left.size() == 2);
  CHECK(left[0] == log_line("NET", "Node offline: node-c00", s.object.host.clock, "GATEWAY"));
  CHECK(left[1]["data"]["devices"]["node-c0000001"]["status"] == "OFFLINE");

  // 300 s after its last frame a gone device is removed; a connected one is kept.
  s.object.host.clock = t0 + 30'000 + 300'001;
  s.object.alarm();
  snap = last_snapshot(s.object, s.host);
  CHECK_FALSE(snap["devices"].contains("node-c0000001"));
  CHECK(snap["devices"]["node-host0001"]["status"] == "OFFLINE");
  CHECK(snap["devices"].contains("node-b0000001"));
  CHECK_FALSE(s.object.host.storage.contains("device/node-c0000001"));
  CHECK_FALSE(s.object.host.storage.contains("quota/node-c0000001"));
}

TEST_CASE("the alarm ticks while someone is connected and stops with the last socket") {
  Object swarm("swarm", {{"SWARM_TICK_MS", "500"}});
  double t0 = swarm.host.clock;
  auto a = swarm.join(member("node-a"));
  CHECK(swarm.host.alarm_at == t0 + 500);
  auto b = swarm.join(member("node-b"));
  swarm.take(a);
  swarm.host.clock += 500;
  swarm.alarm();
  CHECK(frames(swarm, a).at(0)["event"] == "swarm:snapshot");  // broadcast every tick
  CHECK(frames(swarm, b).back()["event"] == "swarm:snapshot");
  CHECK(swarm.host.alarm_at == t0 + 1000);
  swarm.disconnect(a);
  CHECK(swarm.host.alarm_at == t0 + 1000);
  swarm.disconnect(b);
  CHECK(swarm.host.alarm_at == 0);
  // An alarm already due when the last socket went (or after a restart) does not re-arm.
  swarm.alarm();
  CHECK(swarm.host.alarm_at == 0);
  swarm.host.clock += 10'000;
  swarm.join(member("node-a"));
  CHECK(swarm.host.alarm_at == swarm.host.clock + 500);
}

TEST_CASE("two sockets of one device: the older one's close is not the device leaving") {
  Swarm s;
  auto second = s.object.join(member("node-host0001"));
  s.object.take(second);
  s.object.take(s.host);
  s.object.disconnect(s.host);
  CHECK(s.object.take(second).empty());
  s.object.host.clock += 1;
  s.object.alarm();
  CHECK(last_snapshot(s.object, second)["devices"]["node-host0001"]["status"] == "ONLINE");
  s.object.disconnect(second);
  CHECK(Json::parse(s.object.host.storage.at("device/node-host0001"))["status"] == "OFFLINE");
}

TEST_CASE("invites: made through the registry, 5 per rolling minute, limited reply is auth:token \"\"") {
  Swarm s;
  auto guest = s.guest("node-guest001", "Guest", 2, 4, false);
  double t0 = s.object.host.clock;
  for (int i = 0; i < 5; ++i) {
    s.object.host.clock = t0 + i * 1000;
    s.object.message(s.host, emit("auth:generate_token", Json::object()));
  }
  REQUIRE(s.object.host.effects.size() == 5);
  Json effect = s.object.host.effects[0];
  CHECK(effect["request"] == Json{{"object",
                                   {{"binding", "InviteRegistry"},
                                    {"instance", "global"},
                                    {"method", "POST"},
                                    {"path", "/invites"},
                                    {"headers", {{"content-type", "application/json"}}},
                                    {"body", R"({"swarm":"node-host0001"})"}}}});
  CHECK(s.object.take(s.host).empty());  // nothing until the registry answers
  s.object.resume(effect["context"], {{"status", 200}, {"body", R"({"code":"K3J9QZ","expiresAt":1})"}});
  auto made = frames(s.object, s.host);
  REQUIRE(made.size() == 2);
  CHECK(made[0] == log_line("SYS", "Generated new invite code: K3J9QZ", s.object.host.clock, "AUTH"));
  CHECK(made[1] == Json{{"event", "auth:token"}, {"data", "K3J9QZ"}});
  CHECK(frames(s.object, guest) == std::vector<Json>{made[0]});  // logs go to everyone, the code to the requester

  // The sixth within the minute is refused without asking the registry.
  s.object.host.clock = t0 + 59'999;
  s.object.message(s.host, emit("auth:generate_token", Json::object()));
  auto limited = frames(s.object, s.host);
  REQUIRE(limited.size() == 2);
  CHECK(limited[0] == log_line("WARN", "Invite code generation rate limited (5/min)", s.object.host.clock, "AUTH"));
  CHECK(limited[1] == Json{{"event", "auth:token"}, {"data", ""}});
  CHECK(frames(s.object, guest).at(0)["data"]["level"] == "WARN");
  CHECK(s.object.host.effects.size() == 5);
  // A rolling window: the first one ages out after 60 s.
  s.object.host.clock = t0 + 60'000;
  s.object.message(s.host, emit("auth:generate_token", Json::object()));
  CHECK(s.object.host.effects.size() == 6);

  // A registry that fails: auth:token "" and an ERR line to the requester.
  s.object.resume(s.object.host.effects[1]["context"], {{"error", "unreachable"}});
  auto failed = frames(s.object, s.host);
  REQUIRE(failed.size() == 2);
  CHECK(failed[0]["data"]["level"] == "ERR");
  CHECK(failed[1] == Json{{"event", "auth:token"}, {"data", ""}});
  CHECK(s.object.take(guest).empty());
  // An answer for a requester who left: the code is still announced, nobody gets auth:token.
  s.object.disconnect(s.host);
  s.object.take(guest);
  s.object.resume(s.object.host.effects[2]["context"], {{"status", 200}, {"body", R"({"code":"ABC123"})"}});
  auto late = frames(s.object, guest);
  REQUIRE(late.size() == 1);
  CHECK(late[0]["data"]["message"] == "Generated new invite code: ABC123");
}

TEST_CASE("an object that was not told its name makes no invite codes") {
  Object swarm("swarm");
  auto guest = swarm.join(member("node-g", "K3J9QZ"));
  swarm.take(guest);
  swarm.message(guest, emit("auth:generate_token", Json::object()));
  auto got = frames(swarm, guest);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == Json{{"event", "auth:token"}, {"data", ""}});
  CHECK(got[1]["data"]["level"] == "WARN");
  CHECK(swarm.host.effects.empty());
}

TEST_CASE("the invite registry: codes, lookups, 24 h expiry, no live code reused") {
  Object registry("swarm-invites");
  auto post = [&](const std::string& body) {
    sb::Request r;
    r.method = "POST";
    r.path = "/invites";
    r.body = body;
    return std::get<sb::Response>(registry.fetch(r));
  };
  auto get = [&](const std::string& code) {
    sb::Request r;
    r.method = "GET";
    r.path = "/invites/" + code;
    return std::get<sb::Response>(registry.fetch(r));
  };
  auto seed = registry.host.seed;
  auto made = post(R"({"swarm":"node-host0001"})");
  REQUIRE(made.status == 200);
  std::string code = Json::parse(made.body)["code"];
  CHECK(std::regex_match(code, std::regex("[0-9A-Z]{6}")));
  CHECK(Json::parse(made.body)["expiresAt"] == static_cast<std::int64_t>(registry.host.clock + 86'400'000));
  auto found = get(code);
  CHECK(found.status == 200);
  CHECK(Json::parse(found.body) == Json{{"swarm", "node-host0001"}});
  CHECK(get("ZZZZZZ").status == 404);
  CHECK(Json::parse(get("ZZZZZZ").body) == Json{{"error", "invalid invite code"}});
  CHECK(post("{}").status == 400);
  CHECK(post(R"({"swarm":"a/b"})").status == 400);

  // The same random draw again: the live code is not handed out twice.
  registry.host.seed = seed;
  auto second = post(R"({"swarm":"node-other"})");
  CHECK(Json::parse(second.body)["code"] != code);
  CHECK(Json::parse(get(code).body)["swarm"] == "node-host0001");

  registry.host.clock += 86'400'000;
  CHECK(get(code).status == 404);
  CHECK_FALSE(registry.host.storage.contains("invite/" + code));
  // The alarm forgets expired codes.
  CHECK(registry.host.alarm_at > 0);
  registry.alarm();
  for (const auto& [key, value] : registry.host.storage) CHECK_FALSE(key.starts_with("invite/"));
}

TEST_CASE("storage outlives the object: devices, run state and counters after a restart") {
  Swarm s;
  auto b = s.guest("node-b0000001", "B", 4, 8, false);
  s.object.message(s.host, emit("cmd:set_run_state", "RUNNING"));
  s.object.message(s.host, emit("cmd:set_throttle", 70));
  s.object.message(b, emit("benchmark:result", {{"score", 5000}}));
  s.object.message(b, emit("job:request_batch", Json::object()));
  s.object.message(b, emit("job:complete", {{"chunkId", "j"}}));
  s.object.message(b, emit("job:complete", {{"chunkId", "k"}}));
  Json before = last_snapshot(s.object, s.host);

  // A new process: the same storage, no sockets, the old alarm still due.
  Object restarted("swarm", Json::object(), "node-host0001");
  restarted.host.storage = s.object.host.storage;
  restarted.host.clock = s.object.host.clock + 1000;
  restarted.hibernate();  // no sockets: the core is rebuilt from storage alone
  restarted.alarm();  // nobody connected: devices go OFFLINE, the alarm stops
  CHECK(restarted.host.alarm_at == 0);
  auto host = restarted.join(member("node-host0001"));
  restarted.message(host, registration("Host Desktop", 8, 16, false));
  Json after = last_snapshot(restarted, host);
  CHECK(after["runState"] == "RUNNING");
  CHECK(after["stats"]["completedJobs"] == 2);
  CHECK(after["stats"]["pendingJobs"] == before["stats"]["pendingJobs"]);
  CHECK(after["stats"]["globalThrottle"] == 70);
  CHECK(after["devices"]["node-b0000001"]["totalJobsCompleted"] == 2);
  CHECK(after["devices"]["node-b0000001"]["opsScore"] == 5000);
  CHECK(after["devices"]["node-b0000001"]["status"] == "OFFLINE");
  CHECK(after["devices"]["node-host0001"]["swarmId"] == "node-host0001");
}

// The contract of hibernation: a core rebuilt from attachments and storage at
// any point answers exactly as one that never slept.
TEST_CASE("swarm: a rebuilt core behaves exactly like one that never slept") {
  const std::string ids[] = {"node-host0001", "node-b0000001", "node-c0000001", "node-d0000001"};
  const std::string events[] = {
      registration("Desk", 8, 16, false),
      registration("GPU rig", 4, 32, true),
      registration("Mobile", 2, 2, false),
      emit("heartbeat", {{"lastInteraction", 42}}),
      emit("job:request_batch", Json::object()),
      emit("job:request_batch", Json::object()),
      emit("job:complete", {{"chunkId", "x"}, {"durationMs", 2500}}),
      emit("job:complete", {{"chunkId", "y"}, {"durationMs", 10}}),
      emit("job:complete", {{"chunkId", "z"}, {"error", "oops"}}),
      emit("cmd:set_run_state", "RUNNING"),
      emit("cmd:set_run_state", "PAUSED"),
      emit("cmd:set_throttle", 65),
      emit("benchmark:result", {{"score", 3210.5}}),
      emit("cmd:toggle_device", {{"id", "node-b0000001"}, {"enabled", false}}),
      emit("cmd:toggle_device", {{"id", "node-b0000001"}, {"enabled", true}}),
      emit("auth:generate_token", Json::object()),
      emit("cmd:set_throttle", 300),
      "garbage",
  };
  const Json vars = {{"SWARM_OFFLINE_AFTER_MS", "20000"}, {"SWARM_REMOVE_AFTER_MS", "50000"}, {"SWARM_INVITES_PER_WINDOW", "2"}};
  for (unsigned seed = 1; seed <= 150; ++seed) {
    std::mt19937 rng(seed);
    Object awake("swarm", vars, ids[0]);
    Object sleepy("swarm", vars, ids[0]);
    std::vector<sb::ConnId> conns;
    auto both = [&](auto&& act) {
      act(awake);
      act(sleepy);
    };
    for (int step = 0; step < 80; ++step) {
      int action = static_cast<int>(rng() % 12);
      if (conns.empty() || action == 0) {
        const std::string& id = conns.empty() ? ids[0] : ids[rng() % 4];
        conns.push_back(awake.join(member(id)));
        CHECK(sleepy.join(member(id)) == conns.back());
        continue;
      }
      sb::ConnId conn = conns[rng() % conns.size()];
      switch (action) {
        case 1: {
          double dt = static_cast<double>(rng() % 30'000);
          both([&](Object& o) {
            o.host.clock += dt;
            o.alarm();
          });
          break;
        }
        case 2:
          both([&](Object& o) { o.disconnect(conn); });
          std::erase(conns, conn);
          break;
        case 3: sleepy.hibernate(); break;
        case 4:
          // The registry answers whatever is pending, in order.
          for (Object* o : {&awake, &sleepy}) {
            for (const Json& effect : std::exchange(o->host.effects, {})) {
              o->resume(effect["context"], {{"status", 200}, {"body", R"({"code":"K3J9QZ"})"}});
            }
          }
          break;
        default: {
          const std::string& frame = events[rng() % std::size(events)];
          both([&](Object& o) { o.message(conn, frame); });
          std::erase_if(conns, [&](sb::ConnId c) { return !awake.is_open(c); });
        }
      }
    }
    CHECK(awake.host.received == sleepy.host.received);
    CHECK(awake.host.storage == sleepy.host.storage);
    CHECK(awake.host.alarm_at == sleepy.host.alarm_at);
    CHECK(awake.host.effects == sleepy.host.effects);
  }
}

TEST_CASE("heartbeats write nothing: liveness lives in memory and the attachment, storage gets it on a timer") {
  Swarm s(Json{{"SWARM_OFFLINE_AFTER_MS", "60000"}});
  auto b = s.guest("node-b0000001", "B", 4, 8, false);
  double t0 = s.object.host.clock;
  std::size_t before = s.object.host.writes;
  for (int i = 1; i <= 100; ++i) {
    s.object.host.clock = t0 + i * 100;
    s.object.message(b, emit("heartbeat", {{"lastInteraction", 1000 + i}}));
  }
  CHECK(s.object.host.writes == before);  // was one device record per heartbeat
  // A rebuilt core (hibernation, a trap) knows them exactly, from the attachment.
  s.object.hibernate();
  s.object.host.clock = t0 + 10'100;
  s.object.alarm();
  Json snap = last_snapshot(s.object, s.host);
  CHECK(snap["devices"]["node-b0000001"]["lastHeartbeat"] == static_cast<std::int64_t>(t0 + 10'000));
  CHECK(snap["devices"]["node-b0000001"]["lastUserInteraction"] == 1100);
  CHECK(snap["devices"]["node-b0000001"]["status"] == "ONLINE");
  CHECK(s.object.host.writes == before);
  // Once they are half an offline period ahead of storage, the alarm writes them (once).
  for (int i = 1; i <= 400; ++i) {
    s.object.host.clock = t0 + 10'000 + i * 100;
    s.object.message(b, emit("heartbeat", {{"lastInteraction", 2000 + i}}));
  }
  s.object.alarm();
  s.object.alarm();
  CHECK(s.object.host.writes == before + 1);
  CHECK(Json::parse(s.object.host.storage.at("device/node-b0000001"))["lastHeartbeat"] == static_cast<std::int64_t>(t0 + 50'000));
}

TEST_CASE("an alarm that wakes the swarm without its name (after a restart) finds the name in storage") {
  Swarm s;
  CHECK(s.object.host.storage.at("app/instance") == "node-host0001");
  Object restarted("swarm");
  restarted.host.storage = s.object.host.storage;
  restarted.hibernate();
  restarted.unnamed();
  restarted.alarm();
  auto host = restarted.join(member("node-host0001"));
  restarted.message(host, registration("Host Desktop", 8, 16, false));
  CHECK(last_snapshot(restarted, host)["devices"]["node-host0001"]["swarmId"] == "node-host0001");
  restarted.message(host, emit("auth:generate_token", Json::object()));
  REQUIRE(restarted.host.effects.size() == 1);
  CHECK(restarted.host.effects[0]["request"]["object"]["body"] == R"({"swarm":"node-host0001"})");
  for (const std::string& line : restarted.host.logs) CHECK(Json::parse(line)["instance"] == "node-host0001");
}
