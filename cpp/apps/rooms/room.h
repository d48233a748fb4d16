// SFU room signaling, wire-compatible with the podcast recorder's signaling
// Worker: a rooms API (metadata in Workers KV), room tokens (HS256 JWT), one
// Durable Object per room that introduces participants and relays their
// Cloudflare Calls sessions, and a proxy to the Calls API that keeps its secret.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/manifest.h"

namespace sb::rooms {

inline constexpr SocketLimits kSocketLimits{
    .max_message_bytes = {"ROOMS_MAX_MESSAGE_BYTES", 128 * 1024, "largest frame on a room socket; larger closes it with 1009"},
    .messages_per_second = {"ROOMS_MESSAGES_PER_SECOND", 100, "frames per second one room socket may send (bursts up to the same number); more get an error frame and are not forwarded"},
    .max_connections = {},
    .ip_connects_per_minute = {"ROOMS_IP_CONNECTS_PER_MINUTE", 0, "upgrades per client IP per minute and room (`CF-Connecting-IP`); more get 429; 0 = off"}};
inline constexpr Limit kMaxInvalidMessages{"ROOMS_MAX_INVALID_MESSAGES", 100, "malformed frames a room socket may send (each answered with an error frame) before it is closed with 1008"};
inline constexpr Limit kMaxBodyBytes{"ROOMS_MAX_BODY_BYTES", 128 * 1024, "largest body of a rooms API or Calls proxy request; larger gets 413"};
inline constexpr Limit kMaxNameBytes{"ROOMS_MAX_NAME_BYTES", 256, "longest room name, creator or participant name; longer gets 400"};
inline constexpr Limit kDefaultMaxParticipants{"ROOMS_DEFAULT_MAX_PARTICIPANTS", 10, "maxParticipants of a room created without one"};
inline constexpr Limit kMaxParticipants{"ROOMS_MAX_PARTICIPANTS", 100, "largest maxParticipants a room may ask for; more gets 400"};
inline constexpr Limit kMetadataTtlSeconds{"ROOMS_METADATA_TTL_SECONDS", 7200, "lifetime of a room's metadata in ROOM_METADATA (Workers KV: at least 60)"};
inline constexpr Limit kTokenTtlSeconds{"ROOMS_TOKEN_TTL_SECONDS", 86400, "lifetime of a room token (exp = iat + this)"};
inline constexpr Limit kTurnTtlSeconds{"ROOMS_TURN_TTL_SECONDS", 86400, "lifetime of the TURN credentials handed out by ice-servers and join"};
inline constexpr std::string_view kCloudflareApi = "https://rtc.live.cloudflare.com/v1";
inline constexpr Setting kJwtSecret{"JWT_SECRET", "", "signs and verifies room tokens (HS256); unset: the rooms API and room sockets answer 503", true};
inline constexpr Setting kCloudflareAppId{"CLOUDFLARE_APP_ID", "", "the Calls app the proxy forwards to; unset: the proxy answers 503"};
inline constexpr Setting kCloudflareAppSecret{"CLOUDFLARE_APP_SECRET", "", "the Calls app's bearer secret, sent upstream only", true};
inline constexpr Setting kCallsApiBase{"CALLS_API_BASE", kCloudflareApi, "the Calls API the proxy forwards to"};
inline constexpr Setting kTurnKeyId{"TURN_KEY_ID", "", "the Cloudflare TURN key for ice-servers and join; unset: STUN only"};
inline constexpr Setting kTurnKeyApiToken{"TURN_KEY_API_TOKEN", "", "the TURN key's API token", true};
inline constexpr Setting kTurnApiBase{"TURN_API_BASE", kCloudflareApi, "the TURN credentials API"};
inline constexpr const Setting* kSettings[] = {&kJwtSecret, &kCloudflareAppId, &kCloudflareAppSecret, &kCallsApiBase, &kTurnKeyId, &kTurnKeyApiToken, &kTurnApiBase};
inline constexpr const Limit* kLimits[] = {&kSocketLimits.max_message_bytes, &kMaxInvalidMessages, &kMaxBodyBytes, &kMaxNameBytes,
                                          &kDefaultMaxParticipants, &kMaxParticipants, &kMetadataTtlSeconds, &kTokenTtlSeconds,
                                          &kSocketLimits.messages_per_second, &kSocketLimits.ip_connects_per_minute, &kTurnTtlSeconds};

inline constexpr std::string_view kBinding = "Rooms";
extern const Manifest kManifest;

// The Durable Object of one room (instance = the token's room_id).
class Room final : public App {
 public:
  Room(Host& host, const Config& config);

  Outcome fetch(const Request& request) override;

 protected:
  void opened(ConnId conn, const Request& request) override;
  bool accepts(ConnId conn) override { return participants_.contains(conn); }
  void webSocketMessage(ConnId conn, Frame& frame) override;
  Answer answer(ConnId conn, Refusal why, std::string_view data) override;
  bool tolerated(ConnId conn) override;
  void webSocketClose(ConnId conn, int code, std::string_view reason) override;
  void restored(ConnId conn, const Json& state) override;
  Json counts() const override;

 private:
  struct Participant {
    std::string id;
    std::string name;
    std::optional<std::string> session_id;  // its Cloudflare Calls session, once announced
    Json tracks;
    std::int64_t invalid = 0;
  };

  Outcome admit(const Request& request);
  std::int64_t capacity();
  bool full_without(const std::string& participant_id);
  void to_others(ConnId conn, std::string_view frame);
  void reject(ConnId conn, std::string_view error);
  void save(ConnId conn, const Participant& participant);

  // By socket: socket ids only grow, so this is also the order of arrival.
  std::map<ConnId, Participant> participants_;
  std::unordered_map<std::string, ConnId> sockets_;  // participant id → its socket
  std::optional<std::int64_t> capacity_;             // maxParticipants, as the join route last told it
};

}  // namespace sb::rooms
