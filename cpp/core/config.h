// Limits and settings. Every limit is a named constant with a default that a
// `[vars]` entry of the same name overrides; all of them are listed in docs/operations.md.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "json.h"

namespace sb {

struct Limit {
  std::string_view name;
  std::int64_t fallback;
  std::string_view meaning;
};

class Config {
 public:
  Config() = default;
  // `vars`: the Worker's string-valued environment entries (vars and secrets).
  explicit Config(Json vars) : vars_(std::move(vars)) {}

  // The override when it is a whole number >= 0, else the default.
  std::int64_t operator[](const Limit& limit) const {
    auto text = string_field(vars_, limit.name);
    if (!text || text->empty() || text->size() > 18) return limit.fallback;
    std::int64_t value = 0;
    for (char c : *text) {
      if (c < '0' || c > '9') return limit.fallback;
      value = value * 10 + (c - '0');
    }
    return value;
  }

  std::string_view text(std::string_view name, std::string_view fallback = {}) const {
    return string_field(vars_, name).value_or(fallback);
  }

  // Whether the secret `name` is set. The shim hands the core `true` for a set
  // secret, never its value: a secret is used by name (Host::hmac_secret).
  bool has_secret(std::string_view name) const {
    const Json* value = field(vars_, name);
    return value != nullptr && ((value->is_boolean() && value->get<bool>()) || (value->is_string() && !value->get_ref<const std::string&>().empty()));
  }

 private:
  Json vars_ = Json::object();
};

}  // namespace sb
