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
