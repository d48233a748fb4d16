// The Worker's front door: health, CORS preflight, then each enabled app's route.
#pragma once
#include <span>

#include "app.h"

namespace sb {

inline constexpr Setting kEnabledApps{"APPS", "", "comma-separated app names to serve (see Routes); unset or empty: every app"};
inline constexpr Setting kAllowedOrigins{"ALLOWED_ORIGINS", "", "comma-separated `scheme://host[:port]`, matched exactly: a WebSocket upgrade from another `Origin` gets 403 `{\"error\":\"origin not allowed\"}`, and CORS names the request's origin only when it is listed; requests without `Origin` pass; unset: every origin, CORS `*`"};
inline constexpr Setting kCorsOrigin{"CORS_ORIGIN", "*", "the `Access-Control-Allow-Origin` of every answer when `ALLOWED_ORIGINS` is unset (the rooms API's original setting); unset: `*`"};
inline constexpr Setting kAdminToken{"ADMIN_TOKEN", "", "guards `/stats/…` as a Bearer token (see Watching it)", true};
inline constexpr const Setting* kRouterSettings[] = {&kEnabledApps, &kAllowedOrigins, &kCorsOrigin, &kAdminToken};

// `host` is the Worker's own (time, random, HMAC); apps' routes get it too.
Outcome route(const Request& request, const Config& config, std::span<const AppSpec> apps, Host& host);

// The answer to an Effect that route() returned (its context names the app).
Outcome resume(const Json& context, const Json& answer, const Config& config, std::span<const AppSpec> apps, Host& host);

// APPS: comma-separated names; unset or empty means every app.
bool enabled(const AppSpec& app, const Config& config);

}  // namespace sb
