// One signaling object: a publish reaches only sockets subscribed to its topic.
#include <set>

#include "model.h"

namespace sb::fuzz {
namespace {

class Signal final : public Model {
 public:
  void sent(ConnId conn, std::string_view frame) override {
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
  void closed(ConnId conn) override { topics_.erase(conn); }
  void delivered(ConnId conn, const std::string& frame, Fail fail) override {
    std::optional<Json> message = parse_json(frame);
    std::optional<std::string_view> type = message ? string_field(*message, "type") : std::nullopt;
    if (type == "pong") return;
    std::optional<std::string_view> topic = message ? string_field(*message, "topic") : std::nullopt;
    if (type != "publish" || !topic || !topics_[conn].contains(std::string(*topic))) fail("publish outside the receiver's topics", frame);
  }

 private:
  std::map<ConnId, std::set<std::string>> topics_;
};

// Small limits so the fuzzer reaches them.
const bool defined = define({.app = "signal",
                             .vars = [] { return Json{{"SIGNAL_MAX_INVALID_MESSAGES", "3"}, {"SIGNAL_MAX_TOPICS_PER_CONNECTION", "4"}, {"SIGNAL_MAX_MESSAGE_BYTES", "300"}}; },
                             .make = []() -> std::unique_ptr<Model> { return std::make_unique<Signal>(); }});

}  // namespace
}  // namespace sb::fuzz
