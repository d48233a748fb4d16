// Apptuner's desktop↔mobile pairing relay: one PairingSession per session id,
// at most one socket per Side; any JSON one side sends goes to the other.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/access.h"
#include "core/manifest.h"

namespace sb::relay {

inline constexpr Limit kIdleTimeoutMs{"RELAY_IDLE_TIMEOUT_MS", 30 * 60 * 1000, "time without inbound frames after which both sides are closed with 1000 \"Session timeout\" and the session is deleted"};
inline constexpr Limit kVacantTtlMs{"RELAY_VACANT_TTL_MS", 5 * 60 * 1000, "how long a session with neither side connected waits for a reconnect before it is deleted"};
inline constexpr SocketLimits kSocketLimits{
    .max_message_bytes = {"RELAY_MAX_MESSAGE_BYTES", 10 * 1024 * 1024, "largest text frame (UTF-8 bytes); larger get the error \"Message too large (<n> bytes, max <max>)\" and are not forwarded"},
    .messages_per_second = {"RELAY_MAX_MESSAGES_PER_SECOND", 100, "inbound frames per session per second; more get the error \"Rate limit exceeded (max <n> messages/sec)\" and are not forwarded"},
    .max_connections = {},
    .ip_connects_per_minute = {"RELAY_IP_CONNECTS_PER_MINUTE", 0, "upgrades per client IP per minute and session (`CF-Connecting-IP`); more get 429; 0 = off"}};
// "token": each side needs an access token with the session id as `scope` and its side (`desktop` or `mobile`) as `sub`.
inline constexpr Setting kAccess{"RELAY_ACCESS", "open", "`open` (anyone who knows a session id can take either side) or `token`: an access token for the session whose `sub` is the side"};
inline constexpr const Setting* kSettings[] = {&kAccess};
inline constexpr const Limit* kLimits[] = {&kIdleTimeoutMs, &kVacantTtlMs, &kSocketLimits.messages_per_second, &kSocketLimits.max_message_bytes,
                                          &kSocketLimits.ip_connects_per_minute};

enum class Side { Desktop, Mobile };

// What the path /desktop/<id> or /mobile/<id> names.
struct Pairing {
  Side side;
  std::string session_id;

  // nullopt unless the path is exactly /(desktop|mobile)/[A-Za-z0-9]+.
  static std::optional<Pairing> from_path(std::string_view path);
  // `desktop` or `mobile`: the side as the wire and access tokens name it.
  std::string_view side_name() const { return side == Side::Desktop ? "desktop" : "mobile"; }
};

extern const Manifest kManifest;

// The answers a relay path gets before a socket opens.
inline constexpr std::string_view kUpgradeRequired = "Expected WebSocket upgrade";
inline constexpr std::string_view kInvalidPath = "Invalid path. Use /desktop/{sessionId} or /mobile/{sessionId}";

class PairingSession final : public App {
 public:
  PairingSession(Host& host, const Config& config);

  Outcome fetch(const Request& request) override;
  void alarm() override;

 protected:
  void opened(ConnId conn, const Request& request) override;
  bool accepts(ConnId conn) override;
  void webSocketMessage(ConnId conn, Frame& frame) override;
  Answer answer(ConnId conn, Refusal why, std::string_view data) override;
  void webSocketClose(ConnId conn, int code, std::string_view reason) override;
  void restored(ConnId conn, const Json& state) override;

 private:
  std::optional<ConnId>& slot(Side side) { return side == Side::Desktop ? desktop_ : mobile_; }
  std::optional<Side> side_of(ConnId conn) const;
  void notify(Side to, std::string_view type);
  Answer error(std::string message);
  void record_activity(double now);
  void arm();
  void end();

  std::optional<ConnId> desktop_;
  std::optional<ConnId> mobile_;
  // Kept in storage: the last recorded inbound frame, and since when nobody is connected.
  std::optional<double> activity_;
  std::optional<double> vacant_since_;
  double armed_ = 0;
};

}  // namespace sb::relay
