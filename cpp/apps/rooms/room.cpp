#include "apps/rooms/room.h"

#include <vector>

#include "apps/rooms/room_token.h"

namespace sb::rooms {
namespace {

constexpr std::string_view kCapacityKey = "maxParticipants";

constexpr FramePolicy kFrames{.limits = &kSocketLimits};

// {"type":"error","error":<error>}; an invalid frame counts toward ROOMS_MAX_INVALID_MESSAGES.
Answer error_answer(std::string error, bool invalid = false) {
  std::string frame = to_text({{"type", "error"}, {"error", error}});
  return {.reason = std::move(error), .frame = std::move(frame), .invalid = invalid};
}

}  // namespace

Room::Room(Host& host, const Config& config) : App(host, config, kFrames) {}

Outcome Room::fetch(const Request& request) {
  if (request.path == "/capacity" && request.method == "POST") return admit(request);
  if (request.path != "/ws") return Response::error(404, "not found");
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (rooms: /ws?token=<jwt>)");
  if (!config_.has(kJwtSecret)) return Response::error(503, "JWT_SECRET is not configured (wrangler secret put JWT_SECRET)");
  // Identity only from the token the Worker verified (its route, rooms_api.cpp).
  auto admitted = RoomToken::verified(request);
  if (!admitted) return Response::error(401, request.param("token").value_or("").empty() ? "Missing token" : "Invalid token");
  if (full_without(admitted->participant_id)) return Response::error(409, "Room is full");
  if (auto space = room_for(request, 0); !space) return space.error();
  return Accept{};
}

// From the Worker's join route: records the room's maxParticipants and says
// whether one more participant fits.
Outcome Room::admit(const Request& request) {
  std::optional<Json> body = parse_json(request.body);
  const Json* max = body ? field(*body, kCapacityKey) : nullptr;
  if (max == nullptr || !max->is_number_integer() || max->get<std::int64_t>() < 1) return Response::error(400, "maxParticipants required");
  std::int64_t value = max->get<std::int64_t>();
  if (capacity() != value) {
    host_.kv_put(kCapacityKey, std::to_string(value));
    capacity_ = value;
  }
  if (full_without("")) return Response::error(409, "Room is full");
  return Response::json(200, {{"participants", participants_.size()}, {"maxParticipants", value}});
}

std::int64_t Room::capacity() {
  if (!capacity_) {
    // A room the join route never told (tokens signed elsewhere): the default.
    capacity_ = config_[kDefaultMaxParticipants];
    if (auto stored = host_.kv_get(kCapacityKey)) {
      if (auto value = parse_json(*stored); value && value->is_number_integer()) capacity_ = value->get<std::int64_t>();
    }
  }
  return *capacity_;
}

// Whether the room is at capacity, not counting `participant_id` (a
// reconnecting participant takes its own place back).
bool Room::full_without(const std::string& participant_id) {
  auto connected = static_cast<std::int64_t>(sockets_.size() - (sockets_.contains(participant_id) ? 1 : 0));
  return connected >= capacity();
}

void Room::opened(ConnId conn, const Request& request) {
  auto token = RoomToken::verified(request);
  if (!token) {  // fetch refused it: never reached through the shim
    close(conn, 1008, "invalid token");
    return;
  }
  // The same participant again (a reconnect): the new socket replaces the old,
  // whose close then announces nothing.
  if (auto it = sockets_.find(token->participant_id); it != sockets_.end()) {
    ConnId old = it->second;
    sockets_.erase(it);
    participants_.erase(old);
    close(old, 1000, "replaced by a newer connection");
  }
  // Who is already here and streaming, before anyone learns of the newcomer.
  for (const auto& [other, participant] : participants_) {
    if (!participant.session_id) continue;
    send(conn, to_text({{"type", "cloudflare-session"},
                              {"roomId", token->room_id},
                              {"participantId", participant.id},
                              {"participantName", participant.name},
                              {"sessionId", *participant.session_id},
                              {"tracks", participant.tracks}}));
  }
  to_others(conn, to_text({{"type", "join"},
                           {"from", token->participant_id},
                           {"to", "all"},
                           {"data", {{"participant_id", token->participant_id}, {"participant_name", token->participant_name}}}}));
  Participant& joined = participants_[conn];
  joined.id = token->participant_id;
  joined.name = token->participant_name;
  sockets_[joined.id] = conn;
  save(conn, joined);
  event("participant_joined", {{"participant", joined.id}});
}

Answer Room::answer(ConnId conn, Refusal why, std::string_view data) {
  switch (why) {
    case Refusal::too_large: return {.reason = "message too big", .close = 1009};
    case Refusal::too_fast: return error_answer("rate limit exceeded");
    case Refusal::not_json:
    case Refusal::untyped: return error_answer("invalid message: expected a JSON object with a string type", true);
    case Refusal::binary: break;
  }
  return App::answer(conn, why, data);
}

void Room::webSocketMessage(ConnId conn, Frame& frame) {
  Participant& sender = participants_.find(conn)->second;
  Json& message = frame.message();
  if (frame.type == "cloudflare-session") {
    auto session = string_field(message, "sessionId");
    const Json* tracks = field(message, "tracks");
    if (!session || session->empty() || tracks == nullptr || !tracks->is_array()) {
      return reject(conn, "cloudflare-session needs a sessionId and a tracks array");
    }
    sender.session_id = std::string(*session);
    sender.tracks = *tracks;
    save(conn, sender);
    to_others(conn, frame.text);  // exactly as received: clients read their own fields
    return;
  }
  // Before stamping: a new member may move the frame's strings.
  bool track_state = frame.type == "track-state";
  // The sender's identity comes from its token, never from the frame.
  message["from"] = sender.id;
  if (track_state) {
    message["participantId"] = sender.id;
    to_others(conn, to_text(message));
    return;
  }
  // The legacy peer-to-peer path (offer, answer, ice, ...): to everyone or to one.
  std::optional<std::string_view> to = string_field(message, "to");
  if (!to) return reject(conn, "message needs a \"to\": a participant id or \"all\"");
  if (*to == "all") {
    to_others(conn, to_text(message));
  } else if (auto target = sockets_.find(std::string(*to)); target != sockets_.end()) {
    send(target->second, to_text(message));
  } else {
    refuse(conn, {.reason = "unknown participant", .frame = error_answer("unknown participant: " + std::string(*to)).frame});
  }
}

void Room::webSocketClose(ConnId conn, int, std::string_view) {
  auto it = participants_.find(conn);
  if (it == participants_.end()) return;
  std::string id = std::move(it->second.id);
  participants_.erase(it);
  if (auto current = sockets_.find(id); current == sockets_.end() || current->second != conn) return;
  sockets_.erase(id);
  event("participant_left", {{"participant", id}});
  to_others(conn, to_text({{"type", "leave"}, {"from", id}, {"to", "all"}, {"data", {{"participant_id", id}}}}));
}

void Room::restored(ConnId conn, const Json& state) {
  auto id = string_field(state, "participantId");
  if (!id) return;  // never happens: every accepted socket is saved at once
  if (auto it = sockets_.find(std::string(*id)); it != sockets_.end()) {
    // Two sockets of one participant: the newer one (higher id) is the current one.
    if (it->second > conn) return;
    participants_.erase(it->second);
  }
  Participant& participant = participants_[conn];
  participant.id = std::string(*id);
  participant.name = std::string(string_field(state, "participantName").value_or(""));
  if (auto session = string_field(state, "sessionId")) participant.session_id = std::string(*session);
  if (const Json* tracks = field(state, "tracks")) participant.tracks = *tracks;
  if (const Json* invalid = field(state, "invalid"); invalid && invalid->is_number_integer()) participant.invalid = invalid->get<std::int64_t>();
  sockets_[participant.id] = conn;
}

void Room::to_others(ConnId conn, std::string_view frame) {
  std::vector<ConnId> others;
  others.reserve(participants_.size());
  for (const auto& [other, participant] : participants_) {
    if (other != conn) others.push_back(other);
  }
  if (!others.empty()) send(others, frame);
}

void Room::reject(ConnId conn, std::string_view error) { refuse(conn, error_answer(std::string(error), true)); }

bool Room::tolerated(ConnId conn) {
  Participant& participant = participants_[conn];
  if (++participant.invalid > config_[kMaxInvalidMessages]) return false;
  save(conn, participant);
  return true;
}

Json Room::counts() const { return {{"participants", sockets_.size()}}; }

void Room::save(ConnId conn, const Participant& participant) {
  Json state = {{"participantId", participant.id}, {"participantName", participant.name}};
  if (participant.session_id) {
    state["sessionId"] = *participant.session_id;
    state["tracks"] = participant.tracks;
  }
  if (participant.invalid > 0) state["invalid"] = participant.invalid;
  attach(conn, state);
}

}  // namespace sb::rooms
