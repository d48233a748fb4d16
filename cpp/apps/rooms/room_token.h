// The credential a participant gets from `POST /api/rooms/:id/join` and
// presents as `/ws?token=`: an HS256 JWT keyed by JWT_SECRET with the claims
// {room_id, participant_id, participant_name, exp, iat} (seconds).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/host.h"

namespace sb::rooms {

struct RoomToken {
  std::string room_id;
  std::string participant_id;
  std::string participant_name;

  std::string issue(WorkerHost& host, double now_ms, std::int64_t ttl_seconds) const;
  // nullopt unless verified, unexpired, and the claims name a room and a participant.
  static std::optional<RoomToken> read(WorkerHost& host, std::string_view token, double now_ms);
};

}  // namespace sb::rooms
