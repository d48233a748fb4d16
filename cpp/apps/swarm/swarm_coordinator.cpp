#include "apps/swarm/swarm_coordinator.h"

#include "apps/swarm/js_number.h"
#include "apps/swarm/schema.h"
#include "core/access.h"

namespace sb::swarm {
namespace {

// Frames are {"event", "data"}.
constexpr FramePolicy kFrames{.limits = &kSocketLimits, .type_field = "event"};

}  // namespace

SwarmCoordinator::SwarmCoordinator(Host& host, const Config& config) : App(host, config, kFrames) { load(); }

Outcome SwarmCoordinator::fetch(const Request& request) {
  std::string_view device = request.param("persistentId").value_or("");
  if (device.empty()) return Response::error(400, "Missing persistentId");
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (swarm coordinator)");
  if (!is_instance_name(device)) return Response::error(400, "invalid persistentId");
  if (token_mode(config_, kAccess) && string_field(access_of(request).value_or(Json()), "sub") != device) {
    return Response::error(401, "invalid access token");
  }
  if (auto space = room_for(request, sockets_.size()); !space) return space.error();
  return Accept{};
}

void SwarmCoordinator::opened(ConnId conn, const Request& request) {
  std::string device(request.param("persistentId").value_or(""));
  bool first = sockets_.empty();
  sockets_[conn] = device;
  device_sockets_[device].insert(conn);
  attach_device(conn, device);
  emit(conn, "connect", {{"status", "connected"}});
  if (first) {
    // The alarm stopped with the last socket: catch up on what it would have swept.
    sweep();
    set_alarm(host_.now() + static_cast<double>(config_[kTickMs]));
  }
  snapshot_due_ = false;
  flush();
}

void SwarmCoordinator::restored(ConnId conn, const Json& state) {
  std::optional<std::string_view> device = string_field(state, "device");
  if (!device) return close(conn, 1011, "lost connection state");
  sockets_[conn] = std::string(*device);
  device_sockets_[std::string(*device)].insert(conn);
  // While a device has sockets, their attachments hold its liveness, newer than storage's.
  const Json* seen = field(state, "lastHeartbeat");
  const Json* interaction = field(state, "lastUserInteraction");
  auto it = devices_.find(std::string(*device));
  if (it == devices_.end() || !integral(seen) || !finite_number(interaction)) return;
  it->second.last_heartbeat = static_cast<std::int64_t>(seen->get<double>());
  it->second.last_user_interaction = interaction->get<double>();
}

Answer SwarmCoordinator::answer(ConnId conn, Refusal why, std::string_view data) {
  switch (why) {
    case Refusal::too_large:
      return warning("frame too large", "Rejected frame: larger than " + std::to_string(config_[kSocketLimits.max_message_bytes]) + " bytes");
    case Refusal::too_fast:
      return warning("rate limit exceeded", "Rejected frame: more than " + std::to_string(config_[kSocketLimits.messages_per_second]) + " per second");
    case Refusal::not_json: return warning("not JSON", "Rejected frame: not JSON");
    case Refusal::untyped: return warning("not an event", "Rejected frame: expected {\"event\": <name>, \"data\": <payload>}");
    case Refusal::binary: break;
  }
  return App::answer(conn, why, data);
}

void SwarmCoordinator::webSocketMessage(ConnId conn, Frame& frame) {
  std::string_view event = frame.type;
  const Json* payload = field(frame.message(), "data");
  std::string device = sockets_[conn];
  auto known = devices_.find(device);
  std::optional<std::pair<std::int64_t, double>> seen;
  if (known != devices_.end()) seen = std::pair{known->second.last_heartbeat, known->second.last_user_interaction};
  Handled handled = check_event(event, payload);
  if (handled) handled = dispatch(conn, device, event, payload);
  if (auto it = devices_.find(device); it != devices_.end() && seen != std::pair{it->second.last_heartbeat, it->second.last_user_interaction}) {
    for (ConnId socket : device_sockets_[device]) attach_device(socket, device);
  }
  if (!handled) refuse(conn, warning("invalid event", "Rejected " + std::string(clip(event, 64)) + ": " + handled.error()));
  if (snapshot_due_) broadcast("swarm:snapshot", snapshot());
  snapshot_due_ = false;
  flush();
}

void SwarmCoordinator::webSocketClose(ConnId conn, int, std::string_view) {
  auto socket = sockets_.find(conn);
  if (socket == sockets_.end()) return;
  std::string id = socket->second;
  sockets_.erase(socket);
  auto owned = device_sockets_.find(id);
  if (owned != device_sockets_.end()) owned->second.erase(conn);
  auto device = devices_.find(id);
  // A device with another socket still open has not left.
  if (owned == device_sockets_.end() || owned->second.empty()) {
    if (owned != device_sockets_.end()) device_sockets_.erase(owned);
    log("NET", "Node offline: " + id.substr(0, 8), "GATEWAY");
    event("device_offline", {{"device", id}});
    if (device != devices_.end() && device->second.status != "DISABLED") {
      device->second.status = "OFFLINE";
      save_device(id);
      broadcast("swarm:snapshot", snapshot());
    }
  }
  if (sockets_.empty()) set_alarm(0);
  flush();
}

void SwarmCoordinator::alarm() {
  sweep();
  // Liveness is kept in memory and attachments; storage gets it at most once
  // per half of SWARM_OFFLINE_AFTER_MS per device, for a restart that loses
  // the sockets (and their attachments).
  for (const auto& [id, device] : devices_) {
    if (device.last_heartbeat - stored_heartbeats_[id] >= config_[kOfflineAfterMs] / 2) save_device(id);
  }
  if (!sockets_.empty()) {
    broadcast("swarm:snapshot", snapshot());
    set_alarm(host_.now() + static_cast<double>(config_[kTickMs]));
  }
  snapshot_due_ = false;
  flush();
}

void SwarmCoordinator::attach_device(ConnId conn, const std::string& id) {
  Json state = {{"device", id}};
  if (auto it = devices_.find(id); it != devices_.end()) {
    state["lastHeartbeat"] = it->second.last_heartbeat;
    state["lastUserInteraction"] = js_number(it->second.last_user_interaction);
  }
  attach(conn, state);
}

void SwarmCoordinator::sweep() {
  std::int64_t now_ms = now();
  std::vector<std::string> gone;
  for (auto& [id, device] : devices_) {
    std::int64_t silent = now_ms - device.last_heartbeat;
    bool connected = device_sockets_.contains(id);
    // A connected device is never forgotten: its socket may speak again.
    if (!connected && silent > config_[kRemoveAfterMs]) {
      gone.push_back(id);
    } else if (device.status != "DISABLED" && device.status != "OFFLINE" && (!connected || silent > config_[kOfflineAfterMs])) {
      device.status = "OFFLINE";
      save_device(id);
    }
  }
  for (const std::string& id : gone) remove(id);
}

void SwarmCoordinator::emit(ConnId conn, std::string_view event, const Json& data) { send(conn, envelope(event, data)); }

void SwarmCoordinator::broadcast(std::string_view event, const Json& data) {
  if (sockets_.empty()) return;
  std::vector<ConnId> everyone;
  everyone.reserve(sockets_.size());
  for (const auto& [conn, device] : sockets_) everyone.push_back(conn);
  send(everyone, envelope(event, data));
}

void SwarmCoordinator::log(std::string_view level, std::string_view message, std::string_view source) {
  broadcast("sys:log", {{"level", level}, {"message", message}, {"timestamp", now()}, {"source", source}});
}

Answer SwarmCoordinator::warning(std::string_view reason, std::string_view message) {
  return {.reason = std::string(reason),
          .frame = envelope("sys:log", {{"level", "WARN"}, {"message", message}, {"timestamp", now()}, {"source", "GATEWAY"}})};
}

}  // namespace sb::swarm
