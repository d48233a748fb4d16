#include "apps/relay/pairing_session.h"

#include <algorithm>
#include <cstdint>

#include "core/access.h"

namespace sb::relay {
namespace {

constexpr std::string_view kActivityKey = "session/activity";
constexpr std::string_view kVacantKey = "session/vacant";
// Recording every frame's time would be a storage write per frame; to the
// second (finer for short test timeouts) is as good for a 30-minute rule.
constexpr double kActivityResolutionMs = 1000;

std::string_view name(Side side) { return Pairing{side, ""}.side_name(); }
Side other(Side side) { return side == Side::Desktop ? Side::Mobile : Side::Desktop; }
std::string_view replaced(Side side) { return side == Side::Desktop ? "New desktop connection" : "New mobile connection"; }

bool is_session_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

std::optional<double> stored_time(Host& host, std::string_view key) {
  std::optional<std::string> text = host.kv_get(key);
  std::optional<Json> value = text ? parse_json(*text) : std::nullopt;
  if (!value || !value->is_number()) return std::nullopt;
  return value->get<double>();
}

// Whole milliseconds, so a core rebuilt from storage holds exactly what this one holds.
double store_time(Host& host, std::string_view key, double at) {
  auto ms = static_cast<std::int64_t>(at);
  host.kv_put(key, to_text(ms));
  return static_cast<double>(ms);
}

std::int64_t timestamp(Host& host) { return static_cast<std::int64_t>(host.now()); }

// One rate for both sides, as the later relay's per-session limit. (It lives
// in memory only: the platform hibernates an object only after several seconds
// without events, so a wake-up starts a fresh window anyway.)
constexpr FramePolicy kFrames{.limits = &kSocketLimits, .typed = false, .shared_rate = true};

}  // namespace

std::optional<Pairing> Pairing::from_path(std::string_view path) {
  for (auto [side, prefix] : {std::pair{Side::Desktop, "/desktop/"}, std::pair{Side::Mobile, "/mobile/"}}) {
    std::string_view id = path.substr(std::min(path.size(), std::string_view(prefix).size()));
    if (path.starts_with(prefix) && is_session_id(id)) return Pairing{side, std::string(id)};
  }
  return std::nullopt;
}

PairingSession::PairingSession(Host& host, const Config& config)
    : App(host, config, kFrames), activity_(stored_time(host, kActivityKey)), vacant_since_(stored_time(host, kVacantKey)) {}

Outcome PairingSession::fetch(const Request& request) {
  if (!request.upgrade) return Response::error(426, kUpgradeRequired);
  std::optional<Pairing> pairing = Pairing::from_path(request.path);
  if (!pairing) return Response::error(400, kInvalidPath);
  if (token_mode(config_, kAccess) && string_field(access_of(request).value_or(Json()), "sub") != pairing->side_name()) {
    return Response::error(401, "invalid access token");
  }
  if (auto space = room_for(request, 0); !space) return space.error();
  return Accept{};
}

void PairingSession::opened(ConnId conn, const Request& request) {
  std::optional<Pairing> pairing = Pairing::from_path(request.path);
  if (!pairing) {  // fetch refused such paths; never reached through the shim
    close(conn, 1008, "invalid path");
    return;
  }
  const Side side = pairing->side;
  double now = host_.now();
  // Nobody here and past its idle deadline (the alarm is due): start afresh.
  if (activity_ && !desktop_ && !mobile_ && now >= *activity_ + static_cast<double>(config_[kIdleTimeoutMs])) end();
  if (!activity_) record_activity(now);  // a new session: its clock starts now
  if (vacant_since_) {
    vacant_since_.reset();
    host_.kv_delete(kVacantKey);
  }
  attach(conn, {{"side", name(side)}});
  // Take the slot before closing the old socket, so its close is a stale one.
  std::optional<ConnId> previous = std::exchange(slot(side), conn);
  if (previous) close(*previous, 1000, replaced(side));
  notify(other(side), side == Side::Desktop ? "desktop_connected" : "mobile_connected");
  if (slot(other(side))) notify(side, side == Side::Desktop ? "mobile_connected" : "desktop_connected");
  send(conn, to_text(Json{{"type", "connected"},
                                {"clientType", name(side)},
                                {"sessionId", pairing->session_id},
                                {"timestamp", timestamp(host_)}}));
  arm();
}

bool PairingSession::accepts(ConnId conn) {
  if (!side_of(conn)) return false;
  record_activity(host_.now());
  return true;
}

Answer PairingSession::answer(ConnId conn, Refusal why, std::string_view data) {
  switch (why) {
    case Refusal::too_large:
      return error("Message too large (" + std::to_string(data.size()) + " bytes, max " +
                   std::to_string(config_[kSocketLimits.max_message_bytes]) + ")");
    case Refusal::too_fast:
      return error("Rate limit exceeded (max " + std::to_string(config_[kSocketLimits.messages_per_second]) + " messages/sec)");
    case Refusal::not_json: return error("Invalid JSON");
    case Refusal::binary:
    case Refusal::untyped: break;  // untyped: any JSON is relayed
  }
  return App::answer(conn, why, data);
}

void PairingSession::webSocketMessage(ConnId conn, Frame& frame) {
  if (frame.type == "ping") {
    send(conn, to_text(Json{{"type", "pong"}, {"timestamp", timestamp(host_)}}));
    return;
  }
  Side side = *side_of(conn);
  if (std::optional<ConnId> peer = slot(other(side))) {
    send(*peer, to_text(frame.message()));
  } else {
    refuse(conn, error(side == Side::Desktop ? "Mobile device not connected" : "Desktop not connected"));
  }
}

void PairingSession::webSocketClose(ConnId conn, int, std::string_view) {
  std::optional<Side> side = side_of(conn);
  if (!side) return;  // a replaced socket, or one closed at the session's end
  slot(*side).reset();
  notify(other(*side), side == Side::Desktop ? "desktop_disconnected" : "mobile_disconnected");
  if (!desktop_ && !mobile_) {
    vacant_since_ = store_time(host_, kVacantKey, host_.now());
    arm();
  }
}

void PairingSession::restored(ConnId conn, const Json& state) {
  std::optional<std::string_view> side_name = string_field(state, "side");
  if (side_name != name(Side::Desktop) && side_name != name(Side::Mobile)) {
    close(conn, 1011, "session state lost");  // cannot happen: open attaches the side at once
    return;
  }
  Side side = *side_name == name(Side::Desktop) ? Side::Desktop : Side::Mobile;
  // Socket ids only grow: if a replaced socket is still listed, the newer one
  // holds the slot and the older one is closed (again).
  std::optional<ConnId>& held = slot(side);
  if (!held) {
    held = conn;
    return;
  }
  ConnId stale = std::min(*held, conn);
  held = std::max(*held, conn);
  close(stale, 1000, replaced(side));
}

void PairingSession::alarm() {
  armed_ = 0;
  if (!activity_) return end();  // nothing left of this session
  double now = host_.now();
  if (now >= *activity_ + static_cast<double>(config_[kIdleTimeoutMs])) {
    // Empty the slots first: these closes are the session's end, not a side leaving.
    std::optional<ConnId> desktop = std::exchange(desktop_, std::nullopt);
    std::optional<ConnId> mobile = std::exchange(mobile_, std::nullopt);
    event("session_timeout");
    if (desktop) close(*desktop, 1000, "Session timeout");
    if (mobile) close(*mobile, 1000, "Session timeout");
    return end();
  }
  if (!desktop_ && !mobile_) {
    // Sockets that vanished without a close event (a restart) leave no mark: count from now.
    if (!vacant_since_) vacant_since_ = store_time(host_, kVacantKey, now);
    if (now >= *vacant_since_ + static_cast<double>(config_[kVacantTtlMs])) return end();
  }
  arm();
}

std::optional<Side> PairingSession::side_of(ConnId conn) const {
  if (desktop_ == conn) return Side::Desktop;
  if (mobile_ == conn) return Side::Mobile;
  return std::nullopt;
}

void PairingSession::notify(Side to, std::string_view type) {
  if (std::optional<ConnId> conn = slot(to)) send(*conn, to_text(Json{{"type", type}, {"timestamp", timestamp(host_)}}));
}

Answer PairingSession::error(std::string message) {
  std::string frame = to_text(Json{{"type", "error"}, {"error", message}, {"timestamp", timestamp(host_)}});
  return {.reason = std::move(message), .frame = std::move(frame)};
}

void PairingSession::record_activity(double now) {
  double resolution = std::min(kActivityResolutionMs, static_cast<double>(config_[kIdleTimeoutMs]) / 10);
  if (activity_ && now - *activity_ < resolution) return;
  activity_ = store_time(host_, kActivityKey, now);
}

// One alarm for both rules: the idle deadline, or the vacancy deadline if sooner.
void PairingSession::arm() {
  if (!activity_) return;
  double at = *activity_ + static_cast<double>(config_[kIdleTimeoutMs]);
  if (vacant_since_) at = std::min(at, *vacant_since_ + static_cast<double>(config_[kVacantTtlMs]));
  if (at == armed_) return;
  armed_ = at;
  set_alarm(at);
}

// The session is gone: its storage, its alarm, its clock.
void PairingSession::end() {
  event("session_deleted");
  erase_storage();
  set_alarm(0);
  armed_ = 0;
  activity_.reset();
  vacant_since_.reset();
}

}  // namespace sb::relay
