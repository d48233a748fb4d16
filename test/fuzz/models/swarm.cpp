// The swarm coordinator: every frame is a server event in the {event, data}
// envelope, and each socket hears `connect` before anything else.
#include <set>

#include "model.h"

namespace sb::fuzz {
namespace {

class Swarm final : public Model {
 public:
  void delivered(ConnId conn, const std::string& frame, Fail fail) override {
    static const std::set<std::string_view> kEvents = {"connect", "swarm:snapshot", "job:batch", "swarm:throttle_sync", "sys:log", "auth:token"};
    std::optional<Json> message = parse_json(frame);
    std::optional<std::string_view> event = message ? string_field(*message, "event") : std::nullopt;
    if (!event || !kEvents.contains(*event) || field(*message, "data") == nullptr) fail("not a server event", frame);
    if (heard_.insert(conn).second && *event != "connect") fail("first frame is not connect", frame);
  }

 private:
  std::set<ConnId> heard_;
};

// Small limits and short timers so the fuzzer reaches them.
const bool defined = define({.app = "swarm",
                             .vars =
                                 [] {
                                   return Json{{"SWARM_MAX_MESSAGE_BYTES", "600"}, {"SWARM_MAX_DEVICES", "3"},        {"SWARM_MAX_CONNECTIONS", "5"},
                                               {"SWARM_OFFLINE_AFTER_MS", "3000"}, {"SWARM_REMOVE_AFTER_MS", "6000"}, {"SWARM_INVITES_PER_WINDOW", "2"}};
                                 },
                             .make = []() -> std::unique_ptr<Model> { return std::make_unique<Swarm>(); }});

}  // namespace
}  // namespace sb::fuzz
