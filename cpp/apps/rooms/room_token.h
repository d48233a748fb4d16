// The credential a participant gets from `POST /api/rooms/:id/join` and
// presents as `/ws?token=`: an HS256 JWT keyed by JWT_SECRET with the claims
// {room_id, participant_id, participant_name, exp, iat} (seconds).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/host.h"
#include "core/http.h"

namespace sb::rooms {

struct RoomToken {
  std::string room_id;
  std::string participant_id;
  std::string participant_name;

  std::string issue(WorkerHost& host, double now_ms, std::int64_t ttl_seconds) const;
  // nullopt unless verified, unexpired, and the claims name a room and a participant.
  static std::optional<RoomToken> read(WorkerHost& host, std::string_view token, double now_ms);

  // The Worker verifies a room socket's token once and hands the object what
  // it read in kVerifiedHeader (replacing any the client sent).
  Forward forward() const;
  // What the Worker verified for this request; nullopt when it verified nothing.
  static std::optional<RoomToken> verified(const Request& request);
};

inline constexpr std::string_view kVerifiedHeader = "x-switchboard-room-token";

}  // namespace sb::rooms
