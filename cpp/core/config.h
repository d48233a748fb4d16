// Limits and settings, each declared once: a name, a default and what it does.
// A `[vars]` entry (or secret) of the same name overrides the default;
// docs/operations.md lists them all (test/cpp/limits_test.cpp checks it).
// Values are read from the environment once, when the core starts: a lookup
// is a hash of the declaration's address, never a search of the environment
// or a parse.
#pragma once
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "json.h"

namespace sb {

struct Limit {
  std::string_view name;
  std::int64_t fallback;
  std::string_view meaning;
  // The largest value an override may set (a larger one counts as this):
  // where past it the limit would no longer protect what it is for.
  std::int64_t most = std::numeric_limits<std::int64_t>::max();
};

// A text setting. A secret's value never enters the core: the shim tells it
// only whether the secret is set (Config::has), and whoever uses one names the
// declaration (an HMAC keyed by its name, a header the shim fills in).
struct Setting {
  std::string_view name;
  std::string_view fallback;
  std::string_view meaning;
  bool secret = false;
};

using Limits = std::span<const Limit* const>;
using Settings = std::span<const Setting* const>;

// A limit of the core itself (kCoreLimits, app.h).
inline constexpr Limit kMaxJsonDepth{"MAX_JSON_DEPTH", kDefaultJsonDepth,
                                     "arrays and objects a JSON frame may nest; deeper is the app's invalid JSON", kMostJsonDepth};

class Config {
 public:
  // Every default.
  Config() = default;
  // `vars`: the environment's string entries (a set secret as `true`). A
  // limit's override counts when it is a whole number >= 0 (at most the
  // limit's `most`); a setting's when it is not empty.
  void declare(const Json& vars, Limits limits, Settings settings);

  std::int64_t operator[](const Limit& limit) const {
    auto it = limits_.find(&limit);
    return it == limits_.end() ? limit.fallback : it->second;
  }
  // A secret's value is not known here: always its fallback.
  std::string_view operator[](const Setting& setting) const {
    auto it = settings_.find(&setting);
    return it == settings_.end() ? setting.fallback : std::string_view(it->second);
  }
  // Whether a secret is set (or a setting overridden).
  bool has(const Setting& setting) const { return set_.contains(&setting); }

 private:
  std::unordered_map<const Limit*, std::int64_t> limits_;
  std::unordered_map<const Setting*, std::string> settings_;
  std::unordered_set<const Setting*> set_;
};

}  // namespace sb
