// The frame gate: what every socket frame goes through before its app sees it
// (App::message): binary, size, rate, JSON (at MAX_JSON_DEPTH), its kind. An
// app declares how, and answers each refusal its own documented way.
#pragma once
#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config.h"
#include "json.h"

namespace sb {

// The socket limits an app has, each under the app's own name (its `[vars]`
// entry): the gate enforces the first two, App::room_for the others. A limit
// with an empty name is one the app does not have.
struct SocketLimits {
  Limit max_message_bytes;
  Limit messages_per_second;  // bursts up to the same number
  Limit max_connections;
  Limit ip_connects_per_minute;
};

// How an app's frames are checked.
struct FramePolicy {
  const SocketLimits* limits = nullptr;  // none: no size or rate limit
  // The member that names a message's kind ("type", "event"); a frame without
  // it as a string is refused as untyped, unless `typed` is false.
  std::string_view type_field = "type";
  bool typed = true;
  bool binary_as_text = false;  // read binary frames as UTF-8 text, else refuse them
  bool shared_rate = false;     // one rate for all the object's sockets, else one per socket
  // The top-level members of an object frame the app reads (the type member
  // among them): the gate finds them without building the frame, which it
  // checks as fully (Frame::member); the app builds the whole message only if
  // it asks (Frame::message). Empty: every frame is built whole.
  std::span<const std::string_view> members = {};
};

// Why the gate turned a frame down, in the order it checks.
enum class Refusal { binary, too_large, too_fast, not_json, untyped };

// A frame the gate let through.
class Frame {
 public:
  // A frame built whole.
  Frame(std::string_view text, Json message) : text(text), message_(std::move(message)) {}
  // A frame read as its policy's `members` (`found` for each, in order), built when asked.
  Frame(std::string_view text, std::int64_t max_depth, std::span<const std::string_view> members,
        std::span<const MemberView> found)
      : text(text), max_depth_(max_depth), members_(members), found_(found) {}

  std::string_view text;  // as received
  // The policy's type member; "" when absent (untyped apps). A view into the
  // message, or into the gate's read of the members: copy it before adding
  // members to the message.
  std::string_view type;

  // One of the policy's `members` (any other name is not present). `name` is
  // captured by reference: a copy in the closure is one more wide load of
  // what was just stored (read_members).
  MemberView member(std::string_view name) const {
    // The same literal as the policy's, most often: its address settles it.
    auto it = std::find_if(members_.begin(), members_.end(),
                           [&](std::string_view m) { return m.data() == name.data() ? m.size() == name.size() : same(m, name); });
    return it == members_.end() ? MemberView{} : found_[it - members_.begin()];
  }
  // The whole message, built on first use: parse_json gives read_members'
  // verdict, so it reads a text the gate accepted (the null is never reached).
  Json& message() {
    if (!message_) message_ = parse_json(text, max_depth_);
    if (!message_) message_.emplace();
    return *message_;
  }

 private:
  std::optional<Json> message_;
  std::int64_t max_depth_ = kDefaultJsonDepth;
  std::span<const std::string_view> members_;
  std::span<const MemberView> found_;
};

// What a socket gets for refused input: counted in stats and logged as
// `reason` every time; then the close, or else the error frame.
struct Answer {
  std::string reason;
  int close = 0;       // a close code (also the close's reason); 0: the socket stays open
  std::string frame;   // the app's error frame; empty: none
  bool invalid = false;  // counts toward the socket's invalid-frame limit (App::tolerated)
};

}  // namespace sb
