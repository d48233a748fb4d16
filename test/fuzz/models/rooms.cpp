// An SFU room: a participant never hears its own broadcasts back (a frame it
// addresses to its own id is delivered, as asked).
#include "model.h"

namespace sb::fuzz {
namespace {

class Rooms final : public Model {
 public:
  void sent(ConnId conn, std::string_view frame) override { last_[conn] = std::string(frame); }
  void delivered(ConnId conn, const std::string& frame, Fail fail) override {
    std::optional<Json> message = parse_json(frame);
    if (!message || string_field(*message, "type") == "error" || last_[conn] != frame) return;
    std::optional<std::string_view> to = string_field(*message, "to");
    if (!to || *to == "all") fail("a broadcast echoed to its sender", frame);
  }

 private:
  std::map<ConnId, std::string> last_;
};

// The seed corpus carries tokens signed with this secret (test/fuzz/corpus/rooms).
const bool defined = define({.app = "rooms",
                             .vars =
                                 [] {
                                   return Json{{"JWT_SECRET", "fuzz-jwt-secret"},     {"CLOUDFLARE_APP_ID", "fuzz-app"},
                                               {"CLOUDFLARE_APP_SECRET", "fuzz-calls-secret"}, {"TURN_KEY_ID", "fuzz-turn"},
                                               {"TURN_KEY_API_TOKEN", "fuzz-turn-api-token"}, {"ROOMS_MAX_MESSAGE_BYTES", "2000"},
                                               {"ROOMS_MAX_INVALID_MESSAGES", "3"}};
                                 },
                             .make = []() -> std::unique_ptr<Model> { return std::make_unique<Rooms>(); }});

}  // namespace
}  // namespace sb::fuzz
