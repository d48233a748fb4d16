// MPC wallet device signaling (docs/mpc.md): a registry
// of connected devices, a relay between them, and DKG/signing sessions that
// are bound to the device that announced them. Wire format: serde's
// internally tagged enums, `tag = "type"`, snake_case.
//
// The device list, the sessions and each device's session index live in
// storage (keys `device_list`, `session:<id>`, `device_sessions:<device>`), so
// they outlive hibernation and restarts; which socket is which device lives
// in the socket's attachment.
#pragma once
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/access.h"
#include "core/manifest.h"

namespace sb::mpc {

inline constexpr SocketLimits kSocketLimits{
    .max_message_bytes = {"MPC_MAX_MESSAGE_BYTES", 1024 * 1024, "largest frame; larger gets `error \"message too large\"` and changes nothing"},
    .messages_per_second = {"MPC_MESSAGES_PER_SECOND", 100, "frames per second one socket may send (bursts up to the same number); more get `error \"rate limit exceeded\"` and do nothing"},
    .max_connections = {"MPC_MAX_CONNECTIONS", 10000, "sockets per shard; more are refused with 503"},
    .ip_connects_per_minute = {"MPC_IP_CONNECTS_PER_MINUTE", 0, "upgrades per client IP per minute and shard (`CF-Connecting-IP`); more get 429; 0 = off"}};
inline constexpr Limit kMaxSessionInfoBytes{"MPC_MAX_SESSION_INFO_BYTES", 16 * 1024, "largest stored `session_info` (as JSON); larger gets `error \"session_info too large\"`"};
inline constexpr Limit kMaxIdBytes{"MPC_MAX_ID_BYTES", 128, "longest `device_id` / `session_id`; longer gets `error \"invalid device_id\"` / `\"invalid session_id\"`"};
inline constexpr Limit kMaxSessions{"MPC_MAX_SESSIONS", 1000, "sessions per shard; announcing another gets `error \"too many sessions\"`"};
inline constexpr Setting kSessionEnd{"MPC_SESSION_END", "creator", "when a session ends: `creator` (when the device that announced it leaves) or `all-participants` (the original server's rule, see MPC)"};
// "token": every socket needs an access token (scope: the shard) and may only register as its `sub`.
inline constexpr Setting kAccess{"MPC_ACCESS", "open", "`open` (anyone who knows a `device_id` can register it and take over its socket) or `token`: an access token for the shard, and `register` only as its `sub`"};
inline constexpr const Setting* kSettings[] = {&kSessionEnd, &kAccess};
inline constexpr const Limit* kLimits[] = {&kSocketLimits.max_message_bytes, &kMaxSessionInfoBytes, &kMaxIdBytes, &kMaxSessions,
                                          &kSocketLimits.max_connections, &kSocketLimits.messages_per_second, &kSocketLimits.ip_connects_per_minute};

// The stored record `session:<id>`.
struct Session {
  Json info;                        // session_info as announced (and grown by joins)
  std::vector<std::string> active;  // active_participants
  std::string creator;              // the device that sent announce_session
};

extern const Manifest kManifest;

class DeviceRegistry final : public App {
 public:
  DeviceRegistry(Host& host, const Config& config);

  Outcome fetch(const Request& request) override;

 protected:
  void opened(ConnId conn, const Request& request) override;
  void webSocketMessage(ConnId conn, Frame& frame) override;
  Answer answer(ConnId conn, Refusal why, std::string_view data) override;
  void webSocketClose(ConnId conn, int code, std::string_view reason) override;
  void restored(ConnId conn, const Json& state) override;
  Json counts() const override;
  void rebuilt() override;

 private:
  // Client messages.
  void register_device(ConnId conn, const std::string& device);
  void relay(ConnId conn, const std::string& to, const Json& data);
  void announce_session(ConnId conn, const Json& info);
  void request_active_sessions(ConnId conn);
  void query_my_active_sessions(ConnId conn);
  void session_status_update(ConnId conn, const Json& info);
  void record_session_update(ConnId conn, const Json& data);

  // A device is gone: its sessions end or lose it, the others hear of it.
  void leave(const std::string& device);
  void remove_session(const std::string& id, const Session& session, std::string_view reason);
  // Whether `device` keeps `session` in its index (and keeps it alive).
  bool holds(const Session& session, const std::string& device) const;
  // Keeps every holder's `device_sessions:<device>` in step with a record's change.
  void reindex(const std::string& id, const Session& before, const Session& after);

  std::optional<Session> load_session(const std::string& id);
  void store_session(const std::string& id, const Session& session);
  std::vector<std::string> load_index(const std::string& device);
  void store_index(const std::string& device, const std::vector<std::string>& ids);
  void index_add(const std::string& device, const std::string& id);
  void index_remove(const std::string& device, const std::string& id);
  void store_device_list();
  std::size_t session_count() const;

  const std::string* device_of(ConnId conn) const;
  bool connected(const std::string& device) const { return conns_.contains(device); }
  std::vector<ConnId> registered(std::optional<ConnId> except = std::nullopt) const;
  void reply(ConnId conn, const Json& message);
  void error(ConnId conn, std::string_view text);

  bool creator_bound_;  // MPC_SESSION_END: "creator" (default) or "all-participants"
  bool token_mode_;     // MPC_ACCESS
  std::unordered_map<ConnId, std::string> subs_;  // token mode: socket → the only device_id it may register
  std::unordered_set<ConnId> sockets_;
  std::unordered_map<std::string, ConnId> conns_;    // registered device → its socket
  std::unordered_map<ConnId, std::string> devices_;  // socket → registered device
  std::vector<std::string> device_list_;              // mirror of `device_list`, in registration order
  mutable std::optional<std::size_t> session_count_;          // counted from storage on first need
};

}  // namespace sb::mpc
