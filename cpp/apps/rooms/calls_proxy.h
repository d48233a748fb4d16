// The Cloudflare Calls proxy (Worker side): `/cloudflare/session…` becomes a
// fetch to CALLS_API_BASE/apps/<CLOUDFLARE_APP_ID>/sessions/… with the app's
// bearer secret, which never reaches a client.
#pragma once
#include <optional>

#include "core/manifest.h"

namespace sb::rooms {

// For a path under /cloudflare/: the upstream fetch, or the error to answer.
Outcome calls_route(const Request& request, const Config& config, WorkerHost&);
// Where the upstream's answer goes: its status and body, or 502 when it could not be reached.
extern const Step kCallsAnswered;

}  // namespace sb::rooms
