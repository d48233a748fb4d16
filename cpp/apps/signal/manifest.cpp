#include "apps/signal/signaling_room.h"
#include "apps/signal/space.h"
#include "core/access.h"

#include <algorithm>
#include <array>

namespace sb::signal {
namespace {

// WS / and /signal/<shard>; with SIGNAL_TOKEN set, only for those who
// present it; with SIGNAL_ACCESS "token", only with an access token for the shard.
Outcome connect(const Request& request, const Config& config, WorkerHost& host) {
  Outcome routed = shard_route(request, "/signal/", "y-webrtc signaling");
  if (!std::holds_alternative<Forward>(routed)) return routed;
  if (config.has(kToken) && !presents_secret(request, host, kToken)) return Response::error(401, "unauthorized");
  Outcome admitted = admit(std::move(routed), request, config, host, "signal", kAccess);
  // A sharded space: the socket goes to a gateway at random. y-webrtc keeps
  // nothing across reconnects, so any gateway serves it, and random spreads
  // the sockets without a directory.
  auto* forward = std::get_if<Forward>(&admitted);
  if (forward == nullptr || forward->instance != kSpaceShard || config[kTopicShards] <= 0) return admitted;
  std::array<std::uint8_t, 4> bytes{};
  host.random(bytes);
  std::uint32_t pick = static_cast<std::uint32_t>(bytes[0]) | bytes[1] << 8 | bytes[2] << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
  forward->binding = kGatewayBinding;
  forward->instance = gateway_name(pick % static_cast<std::uint32_t>(std::max<std::int64_t>(config[kGateways], 1)));
  return admitted;
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

// Nothing public: a sharded `/` reaches its gateways through the route above,
// and its topic owners only through the gateways' calls.
const Manifest kGatewayManifest{.name = "signal-gateway",
                                .binding = kGatewayBinding,
                                .object_class = kGatewayBinding,
                                .make = &make_object<SignalGateway>};
const Manifest kTopicsManifest{.name = "signal-topics",
                               .binding = kOwnerBinding,
                               .object_class = kOwnerBinding,
                               .make = &make_object<SignalTopics>};

}  // namespace sb::signal
