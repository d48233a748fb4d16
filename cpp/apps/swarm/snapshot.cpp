// What every member sees: each device as DeviceInfo and the swarm's totals
// (docs/swarm.md, The wire), broadcast as `swarm:snapshot`.
#include <cmath>

#include "apps/swarm/js_number.h"
#include "apps/swarm/swarm_coordinator.h"

namespace sb::swarm {

// Built field by field: a braced list would build each pair as an array and copy it in again.
Json Device::to_json() const {
  Json capabilities = Json::object();
  capabilities.emplace("cpuCores", cpu_cores);
  capabilities.emplace("memoryGB", js_number(memory_gb));
  capabilities.emplace("gpuAvailable", gpu_available);
  if (gpu_name) capabilities.emplace("gpuName", *gpu_name);
  Json device = Json::object();
  device.emplace("id", id);
  device.emplace("name", name);
  device.emplace("type", type);
  device.emplace("status", status);
  device.emplace("capabilities", std::move(capabilities));
  device.emplace("opsScore", js_number(ops_score));
  device.emplace("totalJobsCompleted", total_jobs_completed);
  device.emplace("lastHeartbeat", last_heartbeat);
  device.emplace("lastUserInteraction", js_number(last_user_interaction));
  device.emplace("swarmId", swarm_id);
  return device;
}

Json SwarmCoordinator::snapshot() const {
  Json devices = Json::object();
  double ops = 0, memory = 0;
  std::int64_t cores = 0, gpus = 0, online = 0;
  for (const auto& [id, device] : devices_) {
    devices[id] = device.to_json();
    if (!device.counted()) continue;
    ops += device.ops_score;
    cores += device.cpu_cores;
    memory += device.memory_gb;
    if (device.gpu_available) ++gpus;
    ++online;
  }
  bool running = run_state_ == "RUNNING";
  auto pending = static_cast<std::int64_t>(queue_.size());
  Json stats = {{"totalJobs", completed_ + pending},
                {"activeJobs", running ? online : 0},
                {"pendingJobs", pending},
                {"completedJobs", completed_},
                {"globalVelocity", running ? js_number(std::round(ops * (throttle_ / 100))) : Json(0)},
                {"globalThrottle", js_number(throttle_)}};
  Json resources = {{"totalCores", cores}, {"totalMemory", js_number(memory)}, {"totalGPUs", gpus}, {"onlineCount", online}};
  return {{"runState", run_state_}, {"devices", std::move(devices)}, {"stats", std::move(stats)}, {"resources", std::move(resources)}};
}

Json SwarmCoordinator::counts() const {
  return {{"devices", devices_.size()}, {"pendingJobs", queue_.size()}, {"completedJobs", completed_}};
}

}  // namespace sb::swarm
