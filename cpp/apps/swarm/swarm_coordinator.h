// The Ostrich-Legs compute-swarm coordinator (docs/swarm.md): one
// Durable Object per Swarm. Devices register, benchmark, request batches of
// generated Jobs and report them done; whoever holds the dashboard steers the
// run state and throttle; every change is broadcast as a `swarm:snapshot`.
// Frames both ways are {"event", "data"}.
//
// The object is spread over files by concern: schema.cpp checks what clients
// send; swarm_coordinator.cpp is the object's life (sockets, alarm, sweep);
// handlers.cpp does each client event; snapshot.cpp is what members see;
// storage.cpp loads the swarm and writes it back.
#pragma once
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "apps/swarm/schema.h"
#include "apps/swarm/scheduler.h"
#include "core/access.h"
#include "core/manifest.h"

namespace sb::swarm {

inline constexpr SocketLimits kSocketLimits{
    .max_message_bytes = {"SWARM_MAX_MESSAGE_BYTES", 64 * 1024, "largest frame; larger ones get a WARN sys:log and change nothing"},
    .messages_per_second = {"SWARM_MESSAGES_PER_SECOND", 1000, "frames per second one socket may send (bursts up to the same number; a worker sends two per finished job); more get a WARN sys:log and change nothing"},
    .max_connections = {"SWARM_MAX_CONNECTIONS", 1000, "sockets per swarm; more are refused with 503"},
    .ip_connects_per_minute = {"SWARM_IP_CONNECTS_PER_MINUTE", 0, "upgrades per client IP per minute and swarm (`CF-Connecting-IP`); more get 429; 0 = off"}};
inline constexpr Limit kMaxDevices{"SWARM_MAX_DEVICES", 1000, "devices one swarm remembers; registering more gets a WARN sys:log"};
inline constexpr Limit kTickMs{"SWARM_TICK_MS", 2000, "the alarm: snapshot broadcast and liveness sweep, while a socket is connected (ms)"};
inline constexpr Limit kOfflineAfterMs{"SWARM_OFFLINE_AFTER_MS", 60'000, "a device that sent nothing for this long is OFFLINE (ms)"};
inline constexpr Limit kRemoveAfterMs{"SWARM_REMOVE_AFTER_MS", 300'000, "a disconnected device silent for this long is removed (ms)"};
inline constexpr Limit kInvitesPerWindow{"SWARM_INVITES_PER_WINDOW", 5, "invite codes one swarm may make per rolling window"};
inline constexpr Limit kInviteWindowMs{"SWARM_INVITE_WINDOW_MS", 60'000, "the invite rate limit's rolling window (ms)"};
inline constexpr const Limit* kLimits[] = {&kSocketLimits.max_message_bytes, &kSocketLimits.max_connections, &kSocketLimits.messages_per_second,
                                          &kSocketLimits.ip_connects_per_minute, &kMaxDevices, &kTickMs, &kOfflineAfterMs, &kRemoveAfterMs, &kInvitesPerWindow, &kInviteWindowMs};

// "token": every device needs an access token whose `sub` is its persistentId;
// it joins the swarm named by `scope`, or, with an invite code, the code's swarm.
inline constexpr Setting kAccess{"SWARM_ACCESS", "open", "`open` (anyone may connect as any `persistentId`) or `token`: an access token whose `sub` is the `persistentId` and whose `scope` is the swarm"};
inline constexpr const Setting* kSettings[] = {&kAccess};
extern const Manifest kManifest;

// A member of the swarm, as the snapshot shows it (DeviceInfo).
struct Device {
  std::string id;
  std::string name;
  std::string type;    // DESKTOP | MOBILE | COLAB | SERVER
  std::string status;  // ONLINE | OFFLINE | DISABLED (BUSY, REGISTERED: never set here)
  std::int64_t cpu_cores = 0;
  double memory_gb = 0;
  bool gpu_available = false;
  std::optional<std::string> gpu_name;
  double ops_score = 0;
  std::int64_t total_jobs_completed = 0;
  std::int64_t last_heartbeat = 0;
  double last_user_interaction = 0;
  std::string swarm_id;

  Json to_json() const;
  static std::optional<Device> from_json(const Json& j);
  bool counted() const { return status != "OFFLINE" && status != "DISABLED"; }
};

class SwarmCoordinator final : public App {
 public:
  SwarmCoordinator(Host& host, const Config& config);

  Outcome fetch(const Request& request) override;
  void alarm() override;
  Outcome resume(const Json& context, const Json& answer) override;

  // The snapshot every member sees (docs/swarm.md, The wire).
  Json snapshot() const;

 protected:
  void opened(ConnId conn, const Request& request) override;
  bool accepts(ConnId conn) override { return sockets_.contains(conn); }
  void webSocketMessage(ConnId conn, Frame& frame) override;
  Answer answer(ConnId conn, Refusal why, std::string_view data) override;
  void webSocketClose(ConnId conn, int code, std::string_view reason) override;
  void restored(ConnId conn, const Json& state) override;
  Json counts() const override;

 private:
  // Each is done, or returns the reason an event's data is refused.
  Handled dispatch(ConnId conn, const std::string& device, std::string_view event, const Json* data);
  Handled register_device(const std::string& id, const Json* data);
  Handled heartbeat(const std::string& id, const Json* data);
  Handled request_batch(ConnId conn, const std::string& id, const Json* data);
  Handled complete_job(const std::string& id, const Json* data);
  Handled set_run_state(const Json* data);
  Handled set_throttle(const Json* data);
  Handled benchmark(const std::string& id, const Json* data);
  Handled toggle_device(const Json* data);
  Handled generate_invite(ConnId conn, const std::string& id, const Json* data);

  // Any valid frame is a sign of life: fresh heartbeat (in memory and the
  // socket's attachment, not storage), OFFLINE → ONLINE.
  void alive(const std::string& id);
  // A socket's attachment: its device, and the device's liveness when known
  // (every socket of a device carries the same).
  void attach_device(ConnId conn, const std::string& id);
  // Offline after silence or without a socket; removed when gone long enough.
  void sweep();
  void remove(const std::string& id);
  void schedule(const Device& device);  // a fresh quota and share weight

  void emit(ConnId conn, std::string_view event, const Json& data);
  void broadcast(std::string_view event, const Json& data);
  void log(std::string_view level, std::string_view message, std::string_view source);
  // A WARN sys:log to one socket, for input it refused (`reason`: how the refusal is counted).
  Answer warning(std::string_view reason, std::string_view message);

  // Storage. Devices and quotas an event changed are marked (save_*) and
  // written once, at the event's end (flush); the swarm-wide values and a
  // device's share weight are written at once, where they change (store_*).
  void load();
  void save_device(const std::string& id) { dirty_devices_.insert(id); }
  void save_quota(const std::string& id) { dirty_quotas_.insert(id); }
  void flush();
  void store_run_state();
  void store_throttle();
  void store_completed();
  void store_queue();
  void store_invites();
  void store_weight(const std::string& id);

  std::int64_t now() { return static_cast<std::int64_t>(host_.now()); }

  // Storage, mirrored. The swarm's name is the object's instance: its host's persistentId.
  std::string run_state_ = "STOPPED";
  double throttle_ = 40;
  std::int64_t completed_ = 0;
  std::deque<Job> queue_;
  std::vector<double> invites_;  // when recent invite codes were made
  std::map<std::string, Device> devices_;  // in key order, as the original listed storage
  std::map<std::string, Quota> quotas_;
  std::map<std::string, double> weights_;  // share weights (the original's scheduler:weights)

  // Sockets: each belongs to one device id; a device may have several.
  std::map<ConnId, std::string> sockets_;
  std::map<std::string, std::set<ConnId>> device_sockets_;

  std::map<std::string, std::int64_t> stored_heartbeats_;  // each device's lastHeartbeat as storage has it
  std::set<std::string> dirty_devices_;
  std::set<std::string> dirty_quotas_;
  bool snapshot_due_ = false;
};

}  // namespace sb::swarm
