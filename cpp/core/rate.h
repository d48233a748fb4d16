// Token bucket: `capacity` events per `window_ms` on average, in bursts of up to `capacity`.
#pragma once
#include <algorithm>
#include <cstdint>

namespace sb {

class TokenBucket {
 public:
  bool take(double now_ms, std::int64_t capacity, double window_ms) {
    const double full = static_cast<double>(capacity);
    tokens_ = started_ ? level(now_ms, full, window_ms) : full;
    started_ = true;
    last_ms_ = now_ms;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  // Full again: nothing worth remembering.
  bool idle(double now_ms, std::int64_t capacity, double window_ms) const {
    return level(now_ms, static_cast<double>(capacity), window_ms) >= static_cast<double>(capacity);
  }

 private:
  double level(double now_ms, double full, double window_ms) const {
    return std::min(full, tokens_ + (now_ms - last_ms_) * full / window_ms);
  }

  bool started_ = false;
  double tokens_ = 0;
  double last_ms_ = 0;
};

}  // namespace sb
