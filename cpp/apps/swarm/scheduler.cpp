#include "apps/swarm/scheduler.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace sb::swarm {

Json Quota::to_json(std::string_view device) const {
  return {{"deviceId", device}, {"weight", weight}, {"activeJobs", active_jobs}, {"maxConcurrent", max_concurrent}};
}

Quota Quota::from_json(const Json& j) {
  Quota quota;
  if (const Json* v = field(j, "weight"); v && v->is_number()) quota.weight = v->get<double>();
  if (const Json* v = field(j, "activeJobs"); v && v->is_number_integer()) quota.active_jobs = v->get<std::int64_t>();
  if (const Json* v = field(j, "maxConcurrent"); v && v->is_number_integer()) quota.max_concurrent = v->get<std::int64_t>();
  return quota;
}

double device_weight(std::int64_t cpu_cores, bool gpu, double ops_score) {
  double cpu = static_cast<double>(cpu_cores) * 10;
  double accelerator = gpu ? 50 : 0;
  double score = std::min(ops_score / 1000, 100.0);
  return std::max(1.0, cpu + accelerator + score);
}

Quota fresh_quota(double weight, std::int64_t cpu_cores) {
  return Quota{weight, 0, std::max<std::int64_t>(10, cpu_cores * 4)};
}

std::int64_t batch_share(double weight, double total_weight) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(weight / std::max(1.0, total_weight) * 30)));
}

void complete_job(Quota& quota, double duration_ms) {
  if (quota.active_jobs <= 0) return;
  --quota.active_jobs;
  if (duration_ms > 0) quota.weight *= duration_ms > 2000 ? 0.95 : 1.02;
}

double unit_random(Host& host) {
  std::array<std::uint8_t, 8> bytes{};
  host.random(bytes);
  std::uint64_t bits = 0;
  for (std::uint8_t byte : bytes) bits = bits << 8 | byte;
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

Job generate_job(Host& host, std::int64_t now_ms) {
  constexpr std::string_view kBase36 = "0123456789abcdefghijklmnopqrstuvwxyz";
  bool gpu_task = unit_random(host) > 0.7;
  std::string id = "job-" + std::to_string(now_ms) + "-";
  for (int i = 0; i < 5; ++i) id += kBase36[static_cast<std::size_t>(unit_random(host) * 36)];
  auto complexity = static_cast<std::int64_t>(std::floor(unit_random(host) * 10)) + 1;
  Json data = gpu_task ? Json{{"size", 1024}} : Json{{"iterations", 100000}};
  return Json{{"id", id}, {"type", gpu_task ? "MAT_MUL" : "MATH_STRESS"}, {"complexity", complexity}, {"data", data}};
}

void refill(std::deque<Job>& queue, Host& host, std::int64_t now_ms) {
  if (queue.size() > kRefillCeiling) return;
  for (std::size_t i = 0; i < kJobsPerRefill; ++i) queue.push_back(generate_job(host, now_ms));
}

std::vector<Job> take_jobs(std::deque<Job>& queue, std::size_t count, std::string_view preferred) {
  std::vector<Job> batch;
  while (batch.size() < count && !queue.empty()) {
    auto it = std::find_if(queue.begin(), queue.end(), [&](const Job& job) { return string_field(job, "type") == preferred; });
    if (it == queue.end()) it = queue.begin();
    batch.push_back(std::move(*it));
    queue.erase(it);
  }
  return batch;
}

}  // namespace sb::swarm
