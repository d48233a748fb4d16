// The frame gate, on every frame of every app: compiled for speed with the
// signaling room (CMakeLists.txt), as it is the publish path.
#include "app.h"

namespace sb {

void App::message(ConnId conn, std::string_view data, bool binary) {
  auto socket = open_.find(conn);
  if (socket == open_.end()) return;
  ++frames_in_;
  if (!accepts(conn)) return;
  if (binary && !frames_.binary_as_text) return refuse(conn, answer(conn, Refusal::binary, data));
  if (static_cast<std::int64_t>(data.size()) > max_message_bytes_) return refuse(conn, answer(conn, Refusal::too_large, data));
  if (frames_.limits != nullptr) {
    TokenBucket& rate = frames_.shared_rate ? shared_rate_ : socket->second;
    if (!rate.take(host_.now(), messages_per_second_, 1000)) return refuse(conn, answer(conn, Refusal::too_fast, data));
  }
  if (frames_.members.empty()) {
    std::optional<Json> message = parse_json(data, max_json_depth_);
    if (!message) return refuse(conn, answer(conn, Refusal::not_json, data));
    Frame frame(data, std::move(*message));
    return deliver(conn, frame, string_field(frame.message(), frames_.type_field));
  }
  if (!read_members(data, max_json_depth_, frames_.members, members_)) return refuse(conn, answer(conn, Refusal::not_json, data));
  Frame frame(data, max_json_depth_, frames_.members, members_);
  deliver(conn, frame, frame.member(frames_.type_field).string);
}

void App::deliver(ConnId conn, Frame& frame, std::optional<std::string_view> type) {
  if (type) {
    frame.type = *type;
  } else if (frames_.typed) {
    return refuse(conn, answer(conn, Refusal::untyped, frame.text));
  }
  webSocketMessage(conn, frame);
}

}  // namespace sb
