#include "apps/signal/signaling_room.h"
#include "core/access.h"

namespace sb::signal {
namespace {

// WS / and /signal/<shard>; with SIGNAL_TOKEN set, only for those who
// present it; with SIGNAL_ACCESS "token", only with an access token for the shard.
Outcome connect(const Request& request, const Config& config, WorkerHost& host) {
  Outcome routed = shard_route(request, "/signal/", "y-webrtc signaling");
  if (!std::holds_alternative<Forward>(routed)) return routed;
  if (config.has(kToken) && !presents_secret(request, host, kToken)) return Response::error(401, "unauthorized");
  return admit(std::move(routed), request, config, host, "signal", kAccess);
}

constexpr Route kRoutes[] = {{.path = "/", .handle = &connect}, {.path = "/signal/*", .handle = &connect}};

}  // namespace

const Manifest kManifest{.name = "signal",
                         .binding = "SignalingRoom",
                         .object_class = "SignalingRoom",
                         .routes = kRoutes,
                         .make = &make_object<SignalingRoom>,
                         .limits = kLimits,
                         .settings = kSettings};

}  // namespace sb::signal
