// The swarm in storage, and back: a device and a quota per key, marked by
// the event that changes them and written once at its end (flush); the
// swarm-wide values and each share weight written at once where they change.
#include "apps/swarm/js_number.h"
#include "apps/swarm/schema.h"
#include "apps/swarm/swarm_coordinator.h"

namespace sb::swarm {
namespace {

constexpr std::string_view kRunStateKey = "swarm/state";
constexpr std::string_view kThrottleKey = "swarm/throttle";
constexpr std::string_view kCompletedKey = "swarm/completed";
constexpr std::string_view kQueueKey = "swarm/queue";
constexpr std::string_view kInvitesKey = "swarm/invites";
constexpr std::string_view kDevicePrefix = "device/";
constexpr std::string_view kQuotaPrefix = "quota/";
constexpr std::string_view kWeightPrefix = "weight/";

std::string key(std::string_view prefix, std::string_view id) { return std::string(prefix) + std::string(id); }

std::optional<Json> stored(Host& host, std::string_view key) {
  std::optional<std::string> text = host.kv_get(key);
  return text ? parse_json(*text) : std::nullopt;
}

}  // namespace

std::optional<Device> Device::from_json(const Json& j) {
  Device d;
  auto id = string_field(j, "id");
  auto name = string_field(j, "name");
  auto type = string_field(j, "type");
  auto status = string_field(j, "status");
  const Json* caps = field(j, "capabilities");
  if (!id || !name || !type || !status || caps == nullptr) return std::nullopt;
  d.id = *id;
  d.name = *name;
  d.type = *type;
  d.status = *status;
  d.swarm_id = string_field(j, "swarmId").value_or("");
  if (const Json* v = field(*caps, "cpuCores"); integral(v)) d.cpu_cores = static_cast<std::int64_t>(v->get<double>());
  if (const Json* v = field(*caps, "memoryGB"); finite_number(v)) d.memory_gb = v->get<double>();
  if (const Json* v = field(*caps, "gpuAvailable"); v && v->is_boolean()) d.gpu_available = v->get<bool>();
  if (auto v = string_field(*caps, "gpuName")) d.gpu_name = std::string(*v);
  if (const Json* v = field(j, "opsScore"); finite_number(v)) d.ops_score = v->get<double>();
  if (const Json* v = field(j, "totalJobsCompleted"); integral(v)) d.total_jobs_completed = static_cast<std::int64_t>(v->get<double>());
  if (const Json* v = field(j, "lastHeartbeat"); integral(v)) d.last_heartbeat = static_cast<std::int64_t>(v->get<double>());
  if (const Json* v = field(j, "lastUserInteraction"); finite_number(v)) d.last_user_interaction = v->get<double>();
  return d;
}

void SwarmCoordinator::load() {
  if (auto state = host_.kv_get(kRunStateKey)) run_state_ = *state;
  if (auto throttle = stored(host_, kThrottleKey); finite_number(throttle ? &*throttle : nullptr)) throttle_ = throttle->get<double>();
  if (auto completed = stored(host_, kCompletedKey); completed && completed->is_number_integer()) completed_ = completed->get<std::int64_t>();
  if (auto queue = stored(host_, kQueueKey); queue && queue->is_array()) queue_.assign(queue->begin(), queue->end());
  if (auto invites = stored(host_, kInvitesKey); invites && invites->is_array()) {
    for (const Json& at : *invites) {
      if (at.is_number()) invites_.push_back(at.get<double>());
    }
  }
  for (const auto& [k, value] : host_.kv_list(kDevicePrefix)) {
    std::optional<Json> j = parse_json(value);
    if (auto device = j ? Device::from_json(*j) : std::nullopt) {
      stored_heartbeats_[device->id] = device->last_heartbeat;
      devices_.emplace(device->id, std::move(*device));
    }
  }
  for (const auto& [k, value] : host_.kv_list(kQuotaPrefix)) {
    if (auto j = parse_json(value)) quotas_[k.substr(kQuotaPrefix.size())] = Quota::from_json(*j);
  }
  for (const auto& [k, value] : host_.kv_list(kWeightPrefix)) {
    if (auto j = parse_json(value); j && j->is_number()) weights_[k.substr(kWeightPrefix.size())] = j->get<double>();
  }
}

void SwarmCoordinator::flush() {
  for (const std::string& id : dirty_devices_) {
    if (auto it = devices_.find(id); it != devices_.end()) {
      host_.kv_put(key(kDevicePrefix, id), to_text(it->second.to_json()));
      stored_heartbeats_[id] = it->second.last_heartbeat;
    }
  }
  for (const std::string& id : dirty_quotas_) {
    if (auto it = quotas_.find(id); it != quotas_.end()) host_.kv_put(key(kQuotaPrefix, id), to_text(it->second.to_json(id)));
  }
  dirty_devices_.clear();
  dirty_quotas_.clear();
}

void SwarmCoordinator::remove(const std::string& id) {
  devices_.erase(id);
  quotas_.erase(id);
  weights_.erase(id);
  dirty_devices_.erase(id);
  dirty_quotas_.erase(id);
  stored_heartbeats_.erase(id);
  host_.kv_delete(key(kDevicePrefix, id));
  host_.kv_delete(key(kQuotaPrefix, id));
  host_.kv_delete(key(kWeightPrefix, id));
}

void SwarmCoordinator::store_run_state() { host_.kv_put(kRunStateKey, run_state_); }
void SwarmCoordinator::store_throttle() { host_.kv_put(kThrottleKey, to_text(js_number(throttle_))); }
void SwarmCoordinator::store_completed() { host_.kv_put(kCompletedKey, std::to_string(completed_)); }
void SwarmCoordinator::store_queue() { host_.kv_put(kQueueKey, to_text(Json(queue_))); }
void SwarmCoordinator::store_invites() { host_.kv_put(kInvitesKey, to_text(Json(invites_))); }
void SwarmCoordinator::store_weight(const std::string& id) { host_.kv_put(key(kWeightPrefix, id), to_text(weights_[id])); }

}  // namespace sb::swarm
