#include "config.h"

#include <algorithm>

namespace sb {
namespace {

std::optional<std::int64_t> whole_number(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

void Config::declare(const Json& vars, Limits limits, Settings settings) {
  for (const Limit* limit : limits) {
    auto text = string_field(vars, limit->name);
    if (auto value = text ? whole_number(*text) : std::nullopt) limits_[limit] = std::min(*value, limit->most);
  }
  for (const Setting* setting : settings) {
    const Json* value = field(vars, setting->name);
    // The shim hands a set secret as `true`; a value given here (the native tests) is not kept either.
    bool set = value != nullptr && ((value->is_boolean() && value->get<bool>()) || (value->is_string() && !value->get_ref<const std::string&>().empty()));
    if (!set) continue;
    set_.insert(setting);
    if (!setting->secret && value->is_string()) settings_[setting] = value->get<std::string>();
  }
}

}  // namespace sb
