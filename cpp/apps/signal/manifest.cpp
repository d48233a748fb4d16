#include "apps/signal/signaling_room.h"

namespace sb::signal {
namespace {

// WS / and /signal/<shard>; with SIGNAL_TOKEN set, only for those who present it.
Outcome connect(const Request& request, const Config& config, WorkerHost&) {
  Outcome routed = shard_route(request, "/signal/", "y-webrtc signaling");
  if (!std::holds_alternative<Forward>(routed)) return routed;
  std::string_view token = config[kToken];
  if (!token.empty() && !presents_secret(request, token)) return Response::error(401, "unauthorized");
  return routed;
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
