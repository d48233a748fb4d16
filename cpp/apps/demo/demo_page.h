// The demo page: static assets (public/, built from demo/) served for a plain
// browser GET; a WebSocket upgrade on / stays y-webrtc signaling.
#pragma once
#include "core/manifest.h"

namespace sb::demo {

extern const Manifest kManifest;

}  // namespace sb::demo
