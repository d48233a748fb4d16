// The pairing relay: at most one socket per side is ever reachable; a replaced socket hears nothing.
#include <set>

#include "model.h"

namespace sb::fuzz {
namespace {

class Relay final : public Model {
 public:
  void opened(ConnId conn, std::string_view path) override {
    std::string side(path.substr(0, path.find('/', 1)));
    if (auto it = sides_.find(side); it != sides_.end()) replaced_.insert(it->second);
    sides_[side] = conn;
  }
  void delivered(ConnId conn, const std::string& frame, Fail fail) override {
    if (replaced_.contains(conn)) fail("a replaced socket still receives", frame);
  }

 private:
  std::map<std::string, ConnId> sides_;
  std::set<ConnId> replaced_;
};

const bool defined = define(
    {.app = "relay",
     .vars = [] { return Json{{"RELAY_MAX_MESSAGE_BYTES", "500"}, {"RELAY_MAX_MESSAGES_PER_SECOND", "5"}, {"RELAY_IDLE_TIMEOUT_MS", "5000"}, {"RELAY_VACANT_TTL_MS", "3000"}}; },
     .make = []() -> std::unique_ptr<Model> { return std::make_unique<Relay>(); }});

}  // namespace
}  // namespace sb::fuzz
