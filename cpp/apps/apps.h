// The one place that lists every app.
#pragma once
#include <span>
#include <string_view>

#include "core/app.h"

namespace sb {

std::span<const AppSpec> all_apps();
const AppSpec* find_app(std::string_view name);
// The names of every secret the router and the apps use: the shim hands the
// core only whether each one is set, never its value (Host::hmac_secret).
Json secret_names();

}  // namespace sb
