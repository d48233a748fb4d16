// What each app promises beyond "valid JSON to open sockets": a model of the
// app's rules that the fuzz target checks every delivered frame against.
#pragma once
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "core/json.h"

namespace sb::fuzz {

using Fail = void (*)(const char*, std::string_view);

#if defined(SB_FUZZ_SIGNAL)
// Small limits so the fuzzer reaches them.
inline Json vars() { return {{"SIGNAL_MAX_INVALID_MESSAGES", "3"}, {"SIGNAL_MAX_TOPICS_PER_CONNECTION", "4"}, {"SIGNAL_MAX_MESSAGE_BYTES", "300"}}; }

// A publish reaches only sockets subscribed to its topic.
class Model {
 public:
  void opened(ConnId, std::string_view) {}
  void sent(ConnId conn, std::string_view frame) {
    std::optional<Json> message = parse_json(frame);
    std::optional<std::string_view> type = message ? string_field(*message, "type") : std::nullopt;
    const Json* topics = message ? field(*message, "topics") : nullptr;
    if (!type || topics == nullptr || !topics->is_array()) return;
    for (const Json& topic : *topics) {
      if (!topic.is_string()) continue;
      if (*type == "subscribe") topics_[conn].insert(topic.get<std::string>());
      if (*type == "unsubscribe") topics_[conn].erase(topic.get<std::string>());
    }
  }
  void closed(ConnId conn) { topics_.erase(conn); }
  void delivered(ConnId conn, const std::string& frame, Fail fail) {
    std::optional<Json> message = parse_json(frame);
    std::optional<std::string_view> type = message ? string_field(*message, "type") : std::nullopt;
    if (type == "pong") return;
    std::optional<std::string_view> topic = message ? string_field(*message, "topic") : std::nullopt;
    if (type != "publish" || !topic || !topics_[conn].contains(std::string(*topic))) fail("publish outside the receiver's topics", frame);
  }
  void finished(const std::map<std::string, std::string>&, Fail) {}

 private:
  std::map<ConnId, std::set<std::string>> topics_;
};
#elif defined(SB_FUZZ_MPC)
inline Json vars() { return {{"MPC_MAX_MESSAGE_BYTES", "2000"}, {"MPC_MAX_SESSIONS", "4"}, {"MPC_MAX_SESSION_INFO_BYTES", "400"}}; }

// Storage never references a gone session, and with device-bound sessions
// nothing is left once every device has disconnected.
class Model {
 public:
  void opened(ConnId, std::string_view) {}
  void sent(ConnId, std::string_view) {}
  void closed(ConnId) {}
  void delivered(ConnId, const std::string&, Fail) {}
  void finished(const std::map<std::string, std::string>& storage, Fail fail) {
    for (const auto& [key, value] : storage) {
      if (key.starts_with("device_sessions:")) {
        std::optional<Json> ids = parse_json(value);
        if (!ids || !ids->is_array()) fail("device_sessions is not a list", key);
        for (const Json& id : *ids) {
          if (!id.is_string() || !storage.contains("session:" + id.get<std::string>())) fail("device_sessions names a gone session", key);
        }
      }
      if (key.starts_with("session:")) fail("a session outlived every device (creator mode)", key);
    }
  }
};
#elif defined(SB_FUZZ_SWARM)
// Small limits and short timers so the fuzzer reaches them.
inline Json vars() {
  return {{"SWARM_MAX_MESSAGE_BYTES", "600"}, {"SWARM_MAX_DEVICES", "3"}, {"SWARM_MAX_CONNECTIONS", "5"}, {"SWARM_OFFLINE_AFTER_MS", "3000"},
          {"SWARM_REMOVE_AFTER_MS", "6000"}, {"SWARM_INVITES_PER_WINDOW", "2"}};
}

// Every frame is a server event in the {event, data} envelope, and each
// socket hears `connect` before anything else.
class Model {
 public:
  void opened(ConnId, std::string_view) {}
  void sent(ConnId, std::string_view) {}
  void closed(ConnId) {}  // socket ids are never reused; frames sent before the close are checked after it
  void delivered(ConnId conn, const std::string& frame, Fail fail) {
    static const std::set<std::string_view> kEvents = {"connect", "swarm:snapshot", "job:batch", "swarm:throttle_sync", "sys:log", "auth:token"};
    std::optional<Json> message = parse_json(frame);
    std::optional<std::string_view> event = message ? string_field(*message, "event") : std::nullopt;
    if (!event || !kEvents.contains(*event) || field(*message, "data") == nullptr) fail("not a server event", frame);
    if (heard_.insert(conn).second && *event != "connect") fail("first frame is not connect", frame);
  }
  void finished(const std::map<std::string, std::string>&, Fail) {}

 private:
  std::set<ConnId> heard_;
};
#elif defined(SB_FUZZ_RELAY)
inline Json vars() { return {{"RELAY_MAX_MESSAGE_BYTES", "500"}, {"RELAY_MAX_MESSAGES_PER_SECOND", "5"}, {"RELAY_IDLE_TIMEOUT_MS", "5000"}, {"RELAY_VACANT_TTL_MS", "3000"}}; }

// At most one socket per side is ever reachable: a replaced socket hears nothing.
class Model {
 public:
  void opened(ConnId conn, std::string_view path) {
    std::string side(path.substr(0, path.find('/', 1)));
    if (auto it = sides_.find(side); it != sides_.end()) replaced_.insert(it->second);
    sides_[side] = conn;
  }
  void sent(ConnId, std::string_view) {}
  void closed(ConnId) {}
  void delivered(ConnId conn, const std::string& frame, Fail fail) {
    if (replaced_.contains(conn)) fail("a replaced socket still receives", frame);
  }
  void finished(const std::map<std::string, std::string>&, Fail) {}

 private:
  std::map<std::string, ConnId> sides_;
  std::set<ConnId> replaced_;
};
#elif defined(SB_FUZZ_ROOMS)
// The seed corpus carries tokens signed with this secret (test/fuzz/corpus/rooms).
inline Json vars() {
  return {{"JWT_SECRET", "fuzz-jwt-secret"}, {"CLOUDFLARE_APP_ID", "fuzz-app"}, {"CLOUDFLARE_APP_SECRET", "fuzz-calls-secret"},
          {"TURN_KEY_ID", "fuzz-turn"}, {"TURN_KEY_API_TOKEN", "fuzz-turn-api-token"},
          {"ROOMS_MAX_MESSAGE_BYTES", "2000"}, {"ROOMS_MAX_INVALID_MESSAGES", "3"}};
}

// A participant never hears its own broadcasts back (a frame it addresses to
// its own id is delivered, as asked).
class Model {
 public:
  void opened(ConnId, std::string_view) {}
  void sent(ConnId conn, std::string_view frame) { last_[conn] = std::string(frame); }
  void closed(ConnId) {}
  void delivered(ConnId conn, const std::string& frame, Fail fail) {
    std::optional<Json> message = parse_json(frame);
    if (!message || string_field(*message, "type") == "error" || last_[conn] != frame) return;
    std::optional<std::string_view> to = string_field(*message, "to");
    if (!to || *to == "all") fail("a broadcast echoed to its sender", frame);
  }
  void finished(const std::map<std::string, std::string>&, Fail) {}

 private:
  std::map<ConnId, std::string> last_;
};
#else
inline Json vars() { return Json::object(); }

class Model {
 public:
  void opened(ConnId, std::string_view) {}
  void sent(ConnId, std::string_view) {}
  void closed(ConnId) {}
  void delivered(ConnId, const std::string&, Fail) {}
  void finished(const std::map<std::string, std::string>&, Fail) {}
};
#endif

}  // namespace sb::fuzz
