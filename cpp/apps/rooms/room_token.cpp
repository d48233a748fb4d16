#include "apps/rooms/room_token.h"

#include <cmath>

#include "apps/rooms/room.h"
#include "core/http.h"
#include "core/token.h"

namespace sb::rooms {
namespace {
constexpr std::size_t kMaxIdBytes = 128;
}

std::string RoomToken::issue(WorkerHost& host, double now_ms, std::int64_t ttl_seconds) const {
  auto iat = static_cast<std::int64_t>(std::floor(now_ms / 1000.0));
  return sign_jwt(host, kJwtSecret,
                  {{"room_id", room_id}, {"participant_id", participant_id}, {"participant_name", participant_name}, {"exp", iat + ttl_seconds}, {"iat", iat}});
}

std::optional<RoomToken> RoomToken::read(WorkerHost& host, std::string_view token, double now_ms) {
  std::optional<Json> claims = verify_jwt(host, kJwtSecret, token, now_ms);
  if (!claims) return std::nullopt;
  auto room = string_field(*claims, "room_id");
  auto participant = string_field(*claims, "participant_id");
  // The room id names the Durable Object; the participant id is echoed in frames.
  if (!room || !is_instance_name(*room) || !participant || participant->empty() || participant->size() > kMaxIdBytes) return std::nullopt;
  const Json* name = field(*claims, "participant_name");
  if (name != nullptr && !name->is_string() && !name->is_null()) return std::nullopt;
  return RoomToken{std::string(*room), std::string(*participant), std::string(string_field(*claims, "participant_name").value_or("Guest"))};
}

Forward RoomToken::forward() const {
  Forward to{"", room_id};
  to.headers[std::string(kVerifiedHeader)] =
      to_text({{"room_id", room_id}, {"participant_id", participant_id}, {"participant_name", participant_name}});
  return to;
}

std::optional<RoomToken> RoomToken::verified(const Request& request) {
  std::string_view header = request.header(kVerifiedHeader);
  std::optional<Json> claims = header.empty() ? std::nullopt : parse_json(header);
  auto room = claims ? string_field(*claims, "room_id") : std::nullopt;
  auto participant = claims ? string_field(*claims, "participant_id") : std::nullopt;
  if (!room || !participant) return std::nullopt;
  return RoomToken{std::string(*room), std::string(*participant), std::string(string_field(*claims, "participant_name").value_or(""))};
}

}  // namespace sb::rooms
