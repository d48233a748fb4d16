// The one place that lists every app.
#pragma once
#include <span>
#include <string_view>

#include "core/app.h"

namespace sb {

std::span<const AppSpec> all_apps();
const AppSpec* find_app(std::string_view name);

}  // namespace sb
