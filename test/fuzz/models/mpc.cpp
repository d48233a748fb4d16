// The MPC device registry: storage never references a gone session, and with
// device-bound sessions nothing is left once every device has disconnected.
#include "model.h"

namespace sb::fuzz {
namespace {

class Mpc final : public Model {
 public:
  void finished(const std::map<std::string, std::string>& storage, Fail fail) override {
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

const bool defined = define({.app = "mpc",
                             .vars = [] { return Json{{"MPC_MAX_MESSAGE_BYTES", "2000"}, {"MPC_MAX_SESSIONS", "4"}, {"MPC_MAX_SESSION_INFO_BYTES", "400"}}; },
                             .make = []() -> std::unique_ptr<Model> { return std::make_unique<Mpc>(); }});

}  // namespace
}  // namespace sb::fuzz
