// The demo page: static assets (public/, built from demo/) served for a plain
// browser GET; a WebSocket upgrade on / stays y-webrtc signaling.
#pragma once
#include "core/app.h"

namespace sb::demo {

std::optional<Outcome> route(const Request& request, const Config& config, Host&);

}  // namespace sb::demo
