#include "apps/mpc/device_registry.h"

namespace sb::mpc {
namespace {

// WS /mpc and /mpc/<shard>; with MPC_ACCESS "token", only with an access token for the shard.
Outcome connect(const Request& request, const Config& config, WorkerHost& host) {
  return admit_socket(shard_target(request, "/mpc/"), request, config, host, "mpc", kAccess, upgrade_required("MPC device signaling"));
}

constexpr Route kRoutes[] = {{.path = "/mpc", .handle = &connect}, {.path = "/mpc/*", .handle = &connect}};

}  // namespace

const Manifest kManifest{.name = "mpc",
                         .binding = "Devices",
                         .object_class = "Devices",
                         .routes = kRoutes,
                         .make = &make_object<DeviceRegistry>,
                         .limits = kLimits,
                         .settings = kSettings};

}  // namespace sb::mpc
