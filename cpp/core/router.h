// The Worker's front door: health, CORS preflight, then each enabled app's route.
#pragma once
#include <span>

#include "app.h"

namespace sb {

Outcome route(const Request& request, const Config& config, std::span<const AppSpec> apps, double now_ms);

// The answer to an Effect that route() returned (its context names the app).
Outcome resume(const Json& context, const Json& answer, const Config& config, std::span<const AppSpec> apps);

// APPS: comma-separated names; unset or empty means every app.
bool enabled(const AppSpec& app, const Config& config);

}  // namespace sb
