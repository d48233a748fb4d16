// The swarm's scheduling arithmetic (docs/swarm.md, Scheduling), free of storage and
// sockets so that unit tests can pin every number.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/host.h"
#include "core/json.h"

namespace sb::swarm {

// What the scheduler knows about a Device: its share of the work and its slots.
struct Quota {
  double weight = 1;  // adjusted by completion latency; never used for shares (as the original)
  std::int64_t active_jobs = 0;
  std::int64_t max_concurrent = 10;

  Json to_json(std::string_view device) const;
  static Quota from_json(const Json& j);
};

// max(1, cores×10 + (gpu ? 50 : 0) + min(opsScore/1000, 100)).
double device_weight(std::int64_t cpu_cores, bool gpu, double ops_score);
// A fresh quota, as every (re-)registration and benchmark makes: no active jobs.
Quota fresh_quota(double weight, std::int64_t cpu_cores);
// max(1, floor(weight / max(1, Σweights) × 30)).
std::int64_t batch_share(double weight, double total_weight);
// A completed job's latency nudges the quota's weight: ×0.95 above 2 s, else ×1.02.
void complete_job(Quota& quota, double duration_ms);

// A job as clients receive it: {id, type, complexity, data}.
using Job = Json;
inline constexpr std::size_t kJobsPerRefill = 100;
inline constexpr std::size_t kRefillCeiling = 5000;

// Uniform in [0, 1) from the host's random bytes.
double unit_random(Host& host);
// One generated job: 30% MAT_MUL {size:1024}, else MATH_STRESS {iterations:100000},
// complexity 1–10, id `job-<ms>-<5 base-36>`.
Job generate_job(Host& host, std::int64_t now_ms);
// Tops an empty queue up with kJobsPerRefill jobs (never past kRefillCeiling).
void refill(std::deque<Job>& queue, Host& host, std::int64_t now_ms);
// Takes up to `count` jobs, each the first of `preferred` type, else the head.
std::vector<Job> take_jobs(std::deque<Job>& queue, std::size_t count, std::string_view preferred);

}  // namespace sb::swarm
