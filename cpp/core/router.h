// The Worker's front door: health, CORS preflight, then each enabled app's route.
#pragma once
#include <span>

#include "app.h"

namespace sb {

// Guards /stats (a secret: used by name, its value never enters the core).
inline constexpr std::string_view kAdminToken = "ADMIN_TOKEN";

// `host` is the Worker's own (time, random, HMAC); apps' routes get it too.
Outcome route(const Request& request, const Config& config, std::span<const AppSpec> apps, Host& host);

// The answer to an Effect that route() returned (its context names the app).
Outcome resume(const Json& context, const Json& answer, const Config& config, std::span<const AppSpec> apps, Host& host);

// APPS: comma-separated names; unset or empty means every app.
bool enabled(const AppSpec& app, const Config& config);

}  // namespace sb
