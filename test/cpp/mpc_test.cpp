#include <doctest/doctest.h>

#include <random>
#include <set>

#include "fake_host.h"

using sb::ConnId;
using sb::Json;
using sb::test::Object;
using sb::test::parsed;
using sb::test::upgrade;

namespace {

// Frames of `conn` since the last look, parsed.
std::vector<Json> got(Object& mpc, ConnId conn) { return parsed(mpc.take(conn)); }

std::string reg(const std::string& id) { return Json{{"type", "register"}, {"device_id", id}}.dump(); }

Json dkg(const std::string& id, const std::string& proposer, Json participants = nullptr) {
  if (participants.is_null()) participants = Json::array({proposer});
  return {{"session_id", id},       {"proposer_id", proposer},  {"total", 3},
          {"threshold", 2},         {"participants", participants}, {"session_type", "dkg"},
          {"curve_type", "unified"}, {"coordination_type", "Network"}};
}

std::string announce(const Json& info) { return Json{{"type", "announce_session"}, {"session_info", info}}.dump(); }
std::string join(const std::string& session, const std::string& device) {
  return Json{{"type", "session_status_update"}, {"session_info", {{"session_id", session}, {"participant_joined", device}}}}.dump();
}
Json error(const std::string& text) { return {{"type", "error"}, {"error", text}}; }
Json devices(std::vector<std::string> ids) { return {{"type", "devices"}, {"devices", ids}}; }

// A device: a socket that registered, with the `devices` frames of its arrival consumed.
ConnId device(Object& mpc, const std::string& id) {
  ConnId conn = mpc.join(upgrade("/mpc"));
  mpc.message(conn, reg(id));
  return conn;
}

void drain(Object& mpc, std::initializer_list<ConnId> conns) {
  for (ConnId conn : conns) mpc.take(conn);
}

Json stored(Object& mpc, const std::string& key) { return Json::parse(mpc.host.storage.at(key)); }

// The storage invariant: every record is reachable from the index of each
// device that keeps it alive, and no index names a record that is gone.
void check_storage(Object& mpc, bool creator_bound) {
  std::map<std::string, std::set<std::string>> holders;  // device → session ids that need it
  for (const auto& [key, value] : mpc.host.storage) {
    if (!key.starts_with("session:")) continue;
    Json record = Json::parse(value);
    std::string id = key.substr(8);
    for (const auto& device : record["active_participants"]) holders[device.get<std::string>()].insert(id);
    if (creator_bound) holders[record["creator"].get<std::string>()].insert(id);
  }
  std::map<std::string, std::set<std::string>> indexes;
  for (const auto& [key, value] : mpc.host.storage) {
    if (!key.starts_with("device_sessions:")) continue;
    Json ids = Json::parse(value);
    CHECK_FALSE(ids.empty());
    for (const auto& id : ids) indexes[key.substr(16)].insert(id.get<std::string>());
  }
  CHECK(indexes == holders);
}

}  // namespace

TEST_CASE("mpc: register broadcasts devices to everyone, the registrant once; list_devices needs no registration") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1");
  CHECK(got(mpc, a) == std::vector<Json>{devices({"mpc-1"})});
  ConnId b = device(mpc, "mpc-2");
  CHECK(got(mpc, a) == std::vector<Json>{devices({"mpc-1", "mpc-2"})});
  CHECK(got(mpc, b) == std::vector<Json>{devices({"mpc-1", "mpc-2"})});
  ConnId stranger = mpc.join(upgrade("/mpc"));
  mpc.message(stranger, R"({"type":"list_devices"})");
  CHECK(got(mpc, stranger) == std::vector<Json>{devices({"mpc-1", "mpc-2"})});
  CHECK(mpc.take(a).empty());
  CHECK(stored(mpc, "device_list") == Json{"mpc-1", "mpc-2"});
  CHECK(mpc.host.attachments.at(a) == R"({"device":"mpc-1"})");

  mpc.disconnect(a);
  CHECK(got(mpc, b) == std::vector<Json>{devices({"mpc-2"})});
  CHECK(mpc.take(stranger).empty());
  CHECK(stored(mpc, "device_list") == Json{"mpc-2"});
  mpc.disconnect(b);
  CHECK(mpc.host.storage.empty());
}

TEST_CASE("mpc: relay goes to the target only, from the sender's id or \"\"; an absent target is an error") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2");
  ConnId stranger = mpc.join(upgrade("/mpc"));
  drain(mpc, {a, b});
  Json offer = {{"websocket_msg_type", "WebRTCSignal"}, {"Offer", {{"sdp", "v=0"}}}};
  mpc.message(a, Json{{"type", "relay"}, {"to", "mpc-2"}, {"data", offer}}.dump());
  CHECK(got(mpc, b) == std::vector<Json>{{{"type", "relay"}, {"from", "mpc-1"}, {"data", offer}}});
  CHECK(mpc.take(a).empty());
  mpc.message(stranger, R"({"type":"relay","to":"mpc-1","data":null})");
  CHECK(got(mpc, a) == std::vector<Json>{{{"type", "relay"}, {"from", ""}, {"data", nullptr}}});
  mpc.message(a, R"({"type":"relay","to":"mpc-9","data":{}})");
  CHECK(got(mpc, a) == std::vector<Json>{error("unknown device: mpc-9")});
  CHECK(mpc.take(b).empty());
}

TEST_CASE("mpc: announce_session stores the session and tells everyone but the announcer; unregistered callers get silence") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2"), c = device(mpc, "mpc-3");
  ConnId stranger = mpc.join(upgrade("/mpc"));
  drain(mpc, {a, b, c});
  Json info = dkg("s1", "mpc-1");
  mpc.message(a, announce(info));
  Json available = {{"type", "session_available"}, {"session_info", info}};
  CHECK(got(mpc, b) == std::vector<Json>{available});
  CHECK(got(mpc, c) == std::vector<Json>{available});
  CHECK(mpc.take(a).empty());
  CHECK(mpc.take(stranger).empty());
  CHECK(stored(mpc, "session:s1") == Json{{"session_info", info}, {"active_participants", {"mpc-1"}}, {"creator", "mpc-1"}});
  CHECK(stored(mpc, "device_sessions:mpc-1") == Json{"s1"});

  mpc.message(stranger, announce(dkg("s2", "x")));
  CHECK(mpc.take(stranger).empty());
  CHECK(mpc.take(b).empty());
  CHECK_FALSE(mpc.host.storage.contains("session:s2"));

  Json coded = {{"session_code", "c1"}, {"total", 2}};
  mpc.message(b, announce(coded));
  CHECK(mpc.host.storage.contains("session:c1"));
  mpc.message(b, announce({{"total", 2}}));
  CHECK(got(mpc, b) == std::vector<Json>{error("AnnounceSession missing session_id")});
  CHECK_FALSE(mpc.host.storage.contains("session:unknown"));
  check_storage(mpc, true);
}

TEST_CASE("mpc: request_active_sessions replays stored sessions and asks the other devices") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2"), c = device(mpc, "mpc-3");
  ConnId stranger = mpc.join(upgrade("/mpc"));
  mpc.message(a, announce(dkg("s1", "mpc-1")));
  mpc.message(a, announce(dkg("s2", "mpc-1")));
  drain(mpc, {a, b, c});
  mpc.message(b, R"({"type":"request_active_sessions"})");
  CHECK(got(mpc, b) == std::vector<Json>{{{"type", "session_available"}, {"session_info", dkg("s1", "mpc-1")}},
                                         {{"type", "session_available"}, {"session_info", dkg("s2", "mpc-1")}}});
  Json ask = {{"type", "session_list_request"}, {"from", "mpc-2"}};
  CHECK(got(mpc, a) == std::vector<Json>{ask});
  CHECK(got(mpc, c) == std::vector<Json>{ask});
  mpc.message(stranger, R"({"type":"request_active_sessions"})");
  CHECK(got(mpc, stranger).size() == 2);
  CHECK(mpc.take(a).empty());
}

TEST_CASE("mpc: query_my_active_sessions finds the caller's sessions and makes it active again") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2");
  ConnId stranger = mpc.join(upgrade("/mpc"));
  mpc.message(b, R"({"type":"query_my_active_sessions"})");
  drain(mpc, {a});
  CHECK(got(mpc, b).back() == Json{{"type", "sessions_for_device"}, {"sessions", Json::array()}});
  Json info = dkg("s1", "mpc-1", {"mpc-1", "mpc-2"});
  mpc.message(a, announce(info));
  mpc.message(a, announce(dkg("s2", "mpc-1")));
  drain(mpc, {a, b});
  mpc.message(b, R"({"type":"query_my_active_sessions"})");
  CHECK(got(mpc, b) == std::vector<Json>{{{"type", "sessions_for_device"}, {"sessions", {info}}}});
  CHECK(stored(mpc, "session:s1")["active_participants"] == Json{"mpc-1", "mpc-2"});
  CHECK(stored(mpc, "device_sessions:mpc-2") == Json{"s1"});
  mpc.message(stranger, R"({"type":"query_my_active_sessions"})");
  CHECK(mpc.take(stranger).empty());
  check_storage(mpc, true);
}

TEST_CASE("mpc: session_status_update grows participants and relays participant_update from \"server\"") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2"), c = device(mpc, "mpc-3");
  ConnId stranger = mpc.join(upgrade("/mpc"));
  mpc.message(a, announce(dkg("s1", "mpc-1")));
  drain(mpc, {a, b, c});
  mpc.message(b, join("s1", "mpc-2"));
  Json grown = dkg("s1", "mpc-1", {"mpc-1", "mpc-2"});
  Json update = {{"type", "relay"}, {"from", "server"}, {"data", {{"type", "participant_update"}, {"session_id", "s1"}, {"session_info", grown}}}};
  CHECK(got(mpc, a) == std::vector<Json>{update});
  CHECK(got(mpc, b) == std::vector<Json>{update});
  CHECK(mpc.take(c).empty());
  mpc.message(b, join("s1", "mpc-2"));  // idempotent
  CHECK(got(mpc, a) == std::vector<Json>{update});
  CHECK(stored(mpc, "session:s1")["active_participants"] == Json{"mpc-1", "mpc-2"});

  mpc.message(stranger, join("s1", "mpc-3"));  // the caller need not be registered
  Json all = dkg("s1", "mpc-1", {"mpc-1", "mpc-2", "mpc-3"});
  CHECK(got(mpc, c).at(0)["data"]["session_info"] == all);
  CHECK(mpc.take(stranger).empty());
  CHECK(stored(mpc, "device_sessions:mpc-3") == Json{"s1"});

  mpc.message(a, R"({"type":"session_status_update","session_info":{}})");
  CHECK(got(mpc, a).back() == error("SessionStatusUpdate missing session_id"));
  mpc.message(a, R"({"type":"session_status_update","session_info":{"session_id":""}})");
  CHECK(got(mpc, a).back() == error("SessionStatusUpdate missing session_id"));
  mpc.message(a, R"({"type":"session_status_update","session_info":{"session_id":"nope"}})");
  CHECK(got(mpc, a).back() == error("unknown session: nope"));
  // Without a joiner it only tells the participants.
  mpc.message(a, R"({"type":"session_status_update","session_info":{"session_id":"s1"}})");
  CHECK(got(mpc, b).back()["data"]["session_info"] == all);
  // A joiner that is not connected is listed but not active.
  mpc.message(a, join("s1", "mpc-4"));
  CHECK(stored(mpc, "session:s1")["active_participants"] == Json{"mpc-1", "mpc-2", "mpc-3"});
  CHECK(stored(mpc, "session:s1")["session_info"]["participants"].size() == 4);
  check_storage(mpc, true);
}

TEST_CASE("mpc: the creator's disconnect removes its sessions; everyone registered hears it; nothing is left") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2"), c = device(mpc, "mpc-3");
  mpc.message(a, announce(dkg("s1", "mpc-1")));
  mpc.message(b, announce(dkg("s2", "mpc-2")));
  mpc.message(b, join("s1", "mpc-2"));
  drain(mpc, {a, b, c});
  mpc.disconnect(a);
  Json removed = {{"type", "session_removed"}, {"session_id", "s1"}, {"reason", "Session creator disconnected"}};
  CHECK(got(mpc, b) == std::vector<Json>{removed, devices({"mpc-2", "mpc-3"})});
  CHECK(got(mpc, c) == std::vector<Json>{removed, devices({"mpc-2", "mpc-3"})});
  CHECK_FALSE(mpc.host.storage.contains("session:s1"));
  CHECK(stored(mpc, "device_sessions:mpc-2") == Json{"s2"});
  check_storage(mpc, true);
  // A participant leaving does not end a session.
  mpc.message(c, join("s2", "mpc-3"));
  drain(mpc, {b, c});
  mpc.disconnect(c);
  CHECK(got(mpc, b) == std::vector<Json>{devices({"mpc-2"})});
  CHECK(stored(mpc, "session:s2")["active_participants"] == Json{"mpc-2"});
  mpc.disconnect(b);
  CHECK(mpc.host.storage.empty());
}

TEST_CASE("mpc: MPC_SESSION_END=all-participants keeps a session until its last active participant leaves") {
  Object mpc("mpc", {{"MPC_SESSION_END", "all-participants"}});
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2"), c = device(mpc, "mpc-3");
  mpc.message(a, announce(dkg("s1", "mpc-1")));
  mpc.message(b, join("s1", "mpc-2"));
  drain(mpc, {a, b, c});
  mpc.disconnect(a);
  CHECK(got(mpc, b) == std::vector<Json>{devices({"mpc-2", "mpc-3"})});
  CHECK(got(mpc, c) == std::vector<Json>{devices({"mpc-2", "mpc-3"})});
  CHECK(stored(mpc, "session:s1")["active_participants"] == Json{"mpc-2"});
  check_storage(mpc, false);
  mpc.disconnect(b);
  CHECK(got(mpc, c) == std::vector<Json>{{{"type", "session_removed"}, {"session_id", "s1"}, {"reason", "All participants disconnected"}},
                                         devices({"mpc-3"})});
  mpc.disconnect(c);
  CHECK(mpc.host.storage.empty());
}

TEST_CASE("mpc: re-registering replaces the old socket (1000 \"replaced\"); its late close changes nothing") {
  Object mpc("mpc");
  ConnId old = device(mpc, "mpc-1"), b = device(mpc, "mpc-2");
  mpc.message(old, announce(dkg("s1", "mpc-1")));
  drain(mpc, {old, b});
  ConnId fresh = device(mpc, "mpc-1");
  CHECK(mpc.host.closes.at(old).code == 1000);
  CHECK(mpc.host.closes.at(old).reason == "replaced");
  CHECK_FALSE(mpc.is_open(old));
  CHECK(got(mpc, fresh) == std::vector<Json>{devices({"mpc-1", "mpc-2"})});
  CHECK(got(mpc, b) == std::vector<Json>{devices({"mpc-1", "mpc-2"})});
  mpc.disconnect(old);  // the platform's late close event
  CHECK(mpc.take(b).empty());
  CHECK(mpc.host.storage.contains("session:s1"));
  mpc.message(b, R"({"type":"relay","to":"mpc-1","data":1})");
  CHECK(got(mpc, fresh) == std::vector<Json>{{{"type", "relay"}, {"from", "mpc-2"}, {"data", 1}}});
  // The same socket under a new name: the old name leaves.
  mpc.message(fresh, reg("mpc-9"));
  CHECK(got(mpc, b) == std::vector<Json>{{{"type", "session_removed"}, {"session_id", "s1"}, {"reason", "Session creator disconnected"}},
                                         devices({"mpc-2"}),
                                         devices({"mpc-2", "mpc-9"})});
}

TEST_CASE("mpc: bad input gets the protocol's errors and changes nothing") {
  Object mpc("mpc", {{"MPC_MAX_MESSAGE_BYTES", "4096"}, {"MPC_MAX_SESSION_INFO_BYTES", "512"}, {"MPC_MAX_ID_BYTES", "16"}, {"MPC_MAX_SESSIONS", "2"}});
  ConnId a = device(mpc, "mpc-1");
  mpc.message(a, announce(dkg("s1", "mpc-1")));
  drain(mpc, {a});
  auto before = mpc.host.storage;
  const char* invalid[] = {
      "not json", "[1]", "\"register\"", "{}", R"({"type":"Register","device_id":"x"})", R"({"type":"nope"})",
      R"({"type":"register"})", R"({"type":"register","device_id":5})", R"({"type":"relay","data":{}})",
      R"({"type":"relay","to":"mpc-1"})", R"({"type":"relay","to":1,"data":{}})", R"({"type":"announce_session"})",
      R"({"type":"session_status_update"})", R"({"type":7})",
  };
  for (const char* frame : invalid) {
    mpc.message(a, frame);
    CHECK_MESSAGE(got(mpc, a) == std::vector<Json>{error("invalid message")}, frame);
  }
  std::pair<std::string, std::string> refused[] = {
      {reg(""), "invalid device_id"},
      {reg("server"), "invalid device_id"},
      {reg(std::string(17, 'd')), "invalid device_id"},
      {announce(dkg(std::string(17, 's'), "mpc-1")), "invalid session_id"},
      {announce(dkg("big", std::string(600, 'p'))), "session_info too large"},
      {announce({{"session_id", 5}}), "AnnounceSession missing session_id"},
      {join("s1", std::string(17, 'j')), "invalid device_id"},
      {Json{{"type", "relay"}, {"to", "x"}, {"data", std::string(5000, 'x')}}.dump(), "message too large"},
  };
  for (const auto& entry : refused) {
    mpc.message(a, entry.first);
    CHECK_MESSAGE(got(mpc, a) == std::vector<Json>{error(entry.second)}, entry.first);
  }
  CHECK(mpc.host.storage == before);
  // A join that would grow session_info past its limit is refused whole.
  for (int i = 0; i < 40; ++i) mpc.message(a, join("s1", "joiner-" + std::to_string(i)));
  CHECK(got(mpc, a).back() == error("session_info too large"));
  CHECK(mpc.host.storage.at("session:s1").size() < 700);
  mpc.message(a, announce(dkg("s2", "mpc-1")));
  mpc.message(a, announce(dkg("s3", "mpc-1")));
  CHECK(got(mpc, a) == std::vector<Json>{error("too many sessions")});
  mpc.message(a, announce(dkg("s2", "mpc-1")));  // re-announcing an existing one is fine
  CHECK(mpc.take(a).empty());
  CHECK(mpc.is_open(a));
  mpc.message(a, R"({"type":"list_devices"})", true);
  CHECK_FALSE(mpc.is_open(a));
  CHECK(mpc.host.closes.at(a).code == 1003);
  CHECK(mpc.host.storage.empty());
}

TEST_CASE("mpc: a relayed SessionUpdate rewrites the stored session, as the original") {
  Object mpc("mpc");
  ConnId a = device(mpc, "mpc-1"), b = device(mpc, "mpc-2");
  mpc.message(a, announce(dkg("s1", "mpc-1")));
  drain(mpc, {a, b});
  Json update = {{"type", "SessionUpdate"}, {"session_code", "s1"}, {"participants", {"mpc-1", "mpc-2", "gone"}}};
  mpc.message(a, Json{{"type", "relay"}, {"to", "mpc-2"}, {"data", update}}.dump());
  CHECK(got(mpc, b).at(0)["data"] == update);
  CHECK(stored(mpc, "session:s1")["session_info"] == update);
  CHECK(stored(mpc, "session:s1")["active_participants"] == Json{"mpc-1", "mpc-2"});
  check_storage(mpc, true);
}

TEST_CASE("mpc: routes, upgrades and the connection cap") {
  Object mpc("mpc", {{"MPC_MAX_CONNECTIONS", "1"}});
  auto forward = [](const sb::Outcome& o) { return std::get<sb::Forward>(o); };
  CHECK(forward(mpc.route(upgrade("/mpc"))).binding == "Devices");
  CHECK(forward(mpc.route(upgrade("/mpc"))).instance == "global");
  CHECK(forward(mpc.route(upgrade("/mpc/wallet-eu"))).instance == "wallet-eu");
  CHECK(std::get<sb::Response>(mpc.route(upgrade("/mpc/"))).status == 400);
  CHECK(std::get<sb::Response>(mpc.route(upgrade("/mpc/a b"))).status == 400);
  CHECK_FALSE(sb::route_app(*sb::find_app("mpc"), upgrade("/mpcx"), sb::Config(), mpc.host));
  sb::Request plain = upgrade("/mpc");
  plain.upgrade = false;
  CHECK(std::get<sb::Response>(mpc.route(plain)).status == 426);
  ConnId first = mpc.join(upgrade("/mpc"));
  CHECK(std::get<sb::Response>(mpc.connect(upgrade("/mpc"))).status == 503);
  mpc.disconnect(first);
  CHECK(std::holds_alternative<ConnId>(mpc.connect(upgrade("/mpc"))));
}

TEST_CASE("mpc: after a restart (no socket survives) sessions stay for stateless rejoin; the device list is emptied") {
  Object before("mpc");
  ConnId a = device(before, "mpc-1"), b = device(before, "mpc-2");
  Json info = dkg("s1", "mpc-1", {"mpc-1", "mpc-2"});
  before.message(a, announce(info));
  before.message(b, join("s1", "mpc-2"));

  Object after("mpc");
  after.host.storage = before.host.storage;  // same persisted state, every socket gone
  after.hibernate();
  CHECK_FALSE(after.host.storage.contains("device_list"));
  CHECK(after.host.storage.contains("session:s1"));
  ConnId b2 = device(after, "mpc-2");
  CHECK(got(after, b2) == std::vector<Json>{devices({"mpc-2"})});
  after.message(b2, R"({"type":"query_my_active_sessions"})");
  CHECK(got(after, b2) == std::vector<Json>{{{"type", "sessions_for_device"}, {"sessions", {stored(after, "session:s1")["session_info"]}}}});
  CHECK(stored(after, "session:s1")["session_info"]["participants"] == Json{"mpc-1", "mpc-2"});
  // The creator comes back too; its leaving still ends the session.
  ConnId a2 = device(after, "mpc-1");
  drain(after, {a2, b2});
  after.disconnect(a2);
  CHECK(got(after, b2).at(0) == Json{{"type", "session_removed"}, {"session_id", "s1"}, {"reason", "Session creator disconnected"}});
  after.disconnect(b2);
  CHECK(after.host.storage.empty());
}

TEST_CASE("mpc: a device whose socket vanished while others stayed is gone when the object wakes") {
  sb::test::FakeHost host;
  sb::Config config;
  auto first = sb::find_app("mpc")->make(host, config);
  first->open(1, upgrade("/mpc"));
  first->open(2, upgrade("/mpc"));
  first->message(1, reg("mpc-1"), false);
  first->message(2, reg("mpc-2"), false);
  first->message(1, announce(dkg("s1", "mpc-1")), false);
  host.received.clear();
  // Only socket 2 is still there when the object is rebuilt.
  auto woken = sb::find_app("mpc")->make(host, config);
  woken->wake(2, host.attachments.at(2));
  woken->woke();
  CHECK(parsed(host.received[2]) == std::vector<Json>{{{"type", "session_removed"}, {"session_id", "s1"}, {"reason", "Session creator disconnected"}},
                                                      devices({"mpc-2"})});
  CHECK_FALSE(host.storage.contains("session:s1"));
  CHECK_FALSE(host.storage.contains("device_sessions:mpc-1"));
}

// Random traffic: a core that hibernates at random points answers exactly as
// one that never slept, and storage never holds a record nothing can remove.
TEST_CASE("mpc: a rebuilt core behaves exactly like one that never slept; storage stays consistent") {
  const char* ids[] = {"d1", "d2", "d3", "d4"};
  const char* sessions[] = {"s1", "s2", "s3"};
  for (bool creator_bound : {true, false}) {
    Json vars = {{"MPC_SESSION_END", creator_bound ? "creator" : "all-participants"}};
    for (unsigned seed = 1; seed <= 150; ++seed) {
      std::mt19937 rng(seed);
      Object awake("mpc", vars), sleepy("mpc", vars);
      std::vector<ConnId> conns;
      for (int step = 0; step < 80; ++step) {
        int action = static_cast<int>(rng() % 12);
        if (conns.empty() || action == 0) {
          conns.push_back(awake.join(upgrade("/mpc")));
          CHECK(sleepy.join(upgrade("/mpc")) == conns.back());
          continue;
        }
        ConnId conn = conns[rng() % conns.size()];
        std::string id = ids[rng() % 4], session = sessions[rng() % 3];
        std::string frame;
        switch (action) {
          case 1: case 2: frame = reg(id); break;
          case 3: frame = announce(dkg(session, id, {id, ids[rng() % 4]})); break;
          case 4: frame = join(session, id); break;
          case 5: frame = Json{{"type", "relay"}, {"to", id}, {"data", step}}.dump(); break;
          case 6: frame = R"({"type":"request_active_sessions"})"; break;
          case 7: frame = R"({"type":"query_my_active_sessions"})"; break;
          case 8: frame = step % 2 ? "garbage" : R"({"type":"list_devices"})"; break;
          case 9:
            awake.disconnect(conn);
            sleepy.disconnect(conn);
            std::erase(conns, conn);
            continue;
          default: sleepy.hibernate(); continue;
        }
        awake.message(conn, frame);
        sleepy.message(conn, frame);
        std::erase_if(conns, [&](ConnId c) { return !awake.is_open(c); });
      }
      CHECK(awake.host.received == sleepy.host.received);
      CHECK(awake.host.storage == sleepy.host.storage);
      check_storage(awake, creator_bound);
      for (ConnId conn : conns) awake.disconnect(conn);
      CHECK(awake.host.storage.empty());
    }
  }
}

TEST_CASE("mpc flood limits: MPC_MESSAGES_PER_SECOND answers an error; MPC_IP_CONNECTS_PER_MINUTE answers 429") {
  Object mpc("mpc", {{"MPC_MESSAGES_PER_SECOND", "2"}, {"MPC_IP_CONNECTS_PER_MINUTE", "1"}});
  auto from = [&](const char* ip) { return mpc.connect(upgrade("/mpc", {{"cf-connecting-ip", ip}})); };
  auto a = std::get<sb::ConnId>(from("203.0.113.9"));
  CHECK(std::get<sb::Response>(from("203.0.113.9")).status == 429);
  CHECK(std::holds_alternative<sb::ConnId>(from("203.0.113.10")));
  for (int i = 0; i < 3; ++i) mpc.message(a, R"({"type":"list_devices"})");
  auto frames = mpc.take(a);
  REQUIRE(frames.size() == 3);
  CHECK(Json::parse(frames[2]) == Json{{"type", "error"}, {"error", "rate limit exceeded"}});
  mpc.host.clock += 1000;
  mpc.message(a, R"({"type":"list_devices"})");
  CHECK(Json::parse(mpc.take(a).at(0))["type"] == "devices");
}
