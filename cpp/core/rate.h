// Token bucket: `per_minute` events per minute on average, bursts up to the same number.
#pragma once
#include <algorithm>
#include <cstdint>

namespace sb {

class TokenBucket {
 public:
  bool take(double now_ms, std::int64_t per_minute) {
    const double capacity = static_cast<double>(per_minute);
    if (!started_) {
      tokens_ = capacity;
      last_ms_ = now_ms;
      started_ = true;
    }
    tokens_ = std::min(capacity, tokens_ + (now_ms - last_ms_) * capacity / 60000.0);
    last_ms_ = now_ms;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  // Full again: nothing to remember.
  bool idle(double now_ms, std::int64_t per_minute) const {
    return tokens_ + (now_ms - last_ms_) * static_cast<double>(per_minute) / 60000.0 >= static_cast<double>(per_minute);
  }

 private:
  bool started_ = false;
  double tokens_ = 0;
  double last_ms_ = 0;
};

}  // namespace sb
