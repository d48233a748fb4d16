// The client events: each changes the swarm as docs/swarm.md says, once
// check_event has vouched for its data; refusals that depend on the swarm's
// state are dispatch's.
#include <algorithm>

#include "apps/swarm/invite_registry.h"
#include "apps/swarm/js_number.h"
#include "apps/swarm/schema.h"
#include "apps/swarm/swarm_coordinator.h"

namespace sb::swarm {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

Handled SwarmCoordinator::dispatch(ConnId conn, const std::string& device, std::string_view event, const Json* data) {
  // Refusals that depend on the swarm's state; like schema errors, they change nothing.
  if (event == "device:register" && !devices_.contains(device) && static_cast<std::int64_t>(devices_.size()) >= config_[kMaxDevices]) {
    return "the swarm is full (" + std::to_string(config_[kMaxDevices]) + " devices)";
  }
  if (event == "cmd:toggle_device") {
    std::string_view id = string_field(*data, "id").value_or("");
    if (!devices_.contains(std::string(id))) return "unknown device " + std::string(clip(id, 64));
  }
  alive(device);
  if (event == "device:register") return register_device(device, data);
  if (event == "heartbeat") return heartbeat(device, data);
  if (event == "job:request_batch") return request_batch(conn, device, data);
  if (event == "job:complete") return complete_job(device, data);
  if (event == "cmd:set_run_state") return set_run_state(data);
  if (event == "cmd:set_throttle") return set_throttle(data);
  if (event == "benchmark:result") return benchmark(device, data);
  if (event == "cmd:toggle_device") return toggle_device(data);
  if (event == "auth:generate_token") return generate_invite(conn, device, data);
  return {};  // connect
}

void SwarmCoordinator::alive(const std::string& id) {
  auto it = devices_.find(id);
  if (it == devices_.end()) return;
  Device& device = it->second;
  device.last_heartbeat = now();
  if (device.status == "OFFLINE" || device.status == "REGISTERED") {
    device.status = "ONLINE";
    snapshot_due_ = true;
    save_device(id);
  }
}

Handled SwarmCoordinator::register_device(const std::string& id, const Json* data) {
  auto existing = devices_.find(id);
  const Json& caps = *field(*data, "capabilities");
  Device device;
  device.id = id;
  device.name = string_field(*data, "name").value_or("");
  device.cpu_cores = static_cast<std::int64_t>(field(caps, "cpuCores")->get<double>());
  device.memory_gb = field(caps, "memoryGB")->get<double>();
  device.gpu_available = field(caps, "gpuAvailable")->get<bool>();
  if (auto gpu_name = string_field(caps, "gpuName")) device.gpu_name = std::string(*gpu_name);
  std::string name = lower(device.name);
  if (name.find("mobile") != std::string::npos) {
    device.type = "MOBILE";
  } else if (name.find("colab") != std::string::npos) {
    device.type = "COLAB";
  } else if (device.gpu_available && device.memory_gb > 16) {
    device.type = "SERVER";
  } else {
    device.type = "DESKTOP";
  }
  device.status = "ONLINE";
  if (existing != devices_.end()) {
    device.ops_score = existing->second.ops_score;
    device.total_jobs_completed = existing->second.total_jobs_completed;
  }
  device.last_heartbeat = now();
  device.last_user_interaction = static_cast<double>(device.last_heartbeat);
  device.swarm_id = instance();
  devices_[id] = device;
  save_device(id);
  schedule(device);
  log("SYS", "Node Registered: " + device.name, "AUTH");
  event("device_registered", {{"device", id}});
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::heartbeat(const std::string& id, const Json* data) {
  auto it = devices_.find(id);
  if (it == devices_.end()) return {};
  const Json* at = data ? field(*data, "lastInteraction") : nullptr;
  if (truthy(at)) it->second.last_user_interaction = at->get<double>();
  return {};
}

Handled SwarmCoordinator::request_batch(ConnId conn, const std::string& id, const Json*) {
  if (run_state_ != "RUNNING") return {};
  auto it = devices_.find(id);
  if (it == devices_.end() || it->second.status == "OFFLINE") return {};
  const Device& device = it->second;
  if (!quotas_.contains(id)) schedule(device);
  Quota& quota = quotas_[id];
  std::int64_t free = quota.max_concurrent - quota.active_jobs;
  if (free <= 0) return {};
  if (queue_.empty()) refill(queue_, host_, now());
  double total = 0;
  for (const auto& [device_id, weight] : weights_) total += weight;
  auto weight = weights_.find(id);
  std::int64_t share = batch_share(weight == weights_.end() ? 1 : weight->second, total);
  auto size = static_cast<std::size_t>(std::min<std::int64_t>({share, free, static_cast<std::int64_t>(queue_.size())}));
  std::vector<Job> batch = take_jobs(queue_, size, device.gpu_available ? "MAT_MUL" : "MATH_STRESS");
  quota.active_jobs += static_cast<std::int64_t>(batch.size());
  save_quota(id);
  store_queue();
  if (!batch.empty()) emit(conn, "job:batch", Json(batch));
  return {};
}

Handled SwarmCoordinator::complete_job(const std::string& id, const Json* data) {
  if (auto quota = quotas_.find(id); quota != quotas_.end() && quota->second.active_jobs > 0) {
    const Json* duration = field(*data, "durationMs");
    swarm::complete_job(quota->second, finite_number(duration) ? duration->get<double>() : 0);
    save_quota(id);
  }
  if (!truthy(field(*data, "error"))) {
    ++completed_;
    store_completed();
    if (auto device = devices_.find(id); device != devices_.end()) {
      ++device->second.total_jobs_completed;
      save_device(id);
    }
  } else {
    log("ERR", "Job " + std::string(string_field(*data, "chunkId").value_or("")) + " failed on " + id, "COMPUTE");
  }
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::set_run_state(const Json* data) {
  run_state_ = data->get<std::string>();
  store_run_state();
  log("SYS", "Swarm state changed to " + run_state_, "MASTER");
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::set_throttle(const Json* data) {
  throttle_ = data->get<double>();
  store_throttle();
  broadcast("swarm:throttle_sync", js_number(throttle_));
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::benchmark(const std::string& id, const Json* data) {
  double score = field(*data, "score")->get<double>();
  if (auto device = devices_.find(id); device != devices_.end()) {
    device->second.ops_score = score;
    save_device(id);
    schedule(device->second);
  }
  log("CPU", "Benchmark: " + locale_string(score) + " OPS", id);
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::toggle_device(const Json* data) {
  std::string id(string_field(*data, "id").value_or(""));
  bool enabled = field(*data, "enabled")->get<bool>();
  auto device = devices_.find(id);
  if (device == devices_.end()) return {};
  device->second.status = enabled ? "ONLINE" : "DISABLED";
  save_device(id);
  log(enabled ? "SYS" : "WARN", "Node " + id.substr(0, 8) + " was " + (enabled ? "enabled" : "disabled") + " by Master", "ORCHESTRATOR");
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::generate_invite(ConnId conn, const std::string& id, const Json*) {
  if (instance().empty()) {
    // An object that does not know its name cannot tell joiners where to go.
    emit(conn, "auth:token", "");
    return "this swarm has no name";
  }
  double now_ms = host_.now();
  auto window = static_cast<double>(config_[kInviteWindowMs]);
  std::erase_if(invites_, [&](double at) { return at <= now_ms - window; });
  std::int64_t limit = config_[kInvitesPerWindow];
  if (static_cast<std::int64_t>(invites_.size()) >= limit) {
    std::string rate = window == 60'000 ? std::to_string(limit) + "/min" : std::to_string(limit) + " per " + locale_string(window / 1000) + " s";
    log("WARN", "Invite code generation rate limited (" + rate + ")", "AUTH");
    refuse(conn, {.reason = "invite rate limited", .frame = envelope("auth:token", "")});
    return {};
  }
  invites_.push_back(now_ms);
  store_invites();
  Json request = {{"object",
                   {{"binding", kRegistryBinding},
                    {"instance", kRegistryInstance},
                    {"method", "POST"},
                    {"path", "/invites"},
                    {"headers", {{"content-type", "application/json"}}},
                    {"body", to_text({{"swarm", instance()}})}}}};
  perform(Effect{request, {{"invite", conn}, {"device", id}}});
  return {};
}

Outcome SwarmCoordinator::resume(const Json& context, const Json& answer) {
  const Json* conn_field = field(context, "invite");
  std::string device(string_field(context, "device").value_or(""));
  if (conn_field == nullptr || !conn_field->is_number_unsigned()) return Response::error(500, "unexpected answer");
  auto conn = conn_field->get<ConnId>();
  auto socket = sockets_.find(conn);
  bool requester_here = socket != sockets_.end() && socket->second == device;
  const Json* status = field(answer, "status");
  std::optional<Json> body = parse_json(string_field(answer, "body").value_or(""));
  std::optional<std::string_view> code = body ? string_field(*body, "code") : std::nullopt;
  if (status && status->is_number_integer() && status->get<int>() == 200 && code && is_invite_code(*code)) {
    log("SYS", "Generated new invite code: " + std::string(*code), "AUTH");
    event("invite_issued");  // the code itself is a credential: never logged
    if (requester_here) emit(conn, "auth:token", *code);
  } else if (requester_here) {
    emit(conn, "sys:log", {{"level", "ERR"}, {"message", "Invite code generation failed"}, {"timestamp", now()}, {"source", "AUTH"}});
    emit(conn, "auth:token", "");
  }
  return Response{.status = 200};
}


void SwarmCoordinator::schedule(const Device& device) {
  double weight = device_weight(device.cpu_cores, device.gpu_available, device.ops_score);
  quotas_[device.id] = fresh_quota(weight, device.cpu_cores);
  weights_[device.id] = weight;
  save_quota(device.id);
  store_weight(device.id);
}

}  // namespace sb::swarm
