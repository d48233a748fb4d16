// The Worker's front door: health, stats, CORS preflight, then the one route
// of the enabled apps' manifests that matches.
#pragma once
#include <string>

#include "access.h"
#include "manifest.h"

namespace sb {

inline constexpr Setting kEnabledApps{"APPS", "", "comma-separated app names to serve (see Routes); unset or empty: every app"};
inline constexpr Setting kAllowedOrigins{"ALLOWED_ORIGINS", "", "comma-separated `scheme://host[:port]`, matched exactly: a WebSocket upgrade from another `Origin` gets 403 `{\"error\":\"origin not allowed\"}`, and CORS names the request's origin only when it is listed; requests without `Origin` pass; unset: every origin, CORS `*`"};
inline constexpr Setting kCorsOrigin{"CORS_ORIGIN", "*", "the `Access-Control-Allow-Origin` of every answer when `ALLOWED_ORIGINS` is unset (the rooms API's original setting); unset: `*`"};
inline constexpr Setting kAdminToken{"ADMIN_TOKEN", "", "guards `/stats/…` as a Bearer token (see Watching it)", true};
inline constexpr const Setting* kRouterSettings[] = {&kEnabledApps, &kAllowedOrigins, &kCorsOrigin, &kAdminToken, &kAccessSecret};

Outcome route(const Request& request, const Config& config, Manifests apps, WorkerHost& host);

// The answer to an Effect that route() returned (its context names the app).
Outcome resume(const Json& context, const Json& answer, const Config& config, Manifests apps, WorkerHost& host);

// One app's answer to a request its routes match (its Forward addressed to its
// binding), nullopt when none does: the app on its own, without the router's
// health, CORS and logs.
std::optional<Outcome> route_app(const Manifest& app, const Request& request, const Config& config, WorkerHost& host);

// Two routes of different apps that can match one request, neither narrowing
// the other (or one that takes /health or /stats/): a sentence naming both;
// empty when there is none. The Worker refuses to start on one.
std::string overlaps(Manifests apps);

// APPS: comma-separated names; unset or empty means every app.
bool enabled(const Manifest& app, const Config& config);

}  // namespace sb
