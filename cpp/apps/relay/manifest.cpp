#include "apps/relay/pairing_session.h"

namespace sb::relay {
namespace {

// The original's order (docs/relay.md): (/health, answered by the router) → 426 without an upgrade → 400 for a bad path.
Outcome connect(const Request& request, const Config&, WorkerHost&) {
  if (!request.upgrade) return Response::error(426, kUpgradeRequired);
  std::optional<Pairing> pairing = Pairing::from_path(request.path);
  if (!pairing) return Response::error(400, kInvalidPath);
  return Forward{"", pairing->session_id};
}

constexpr Route kRoutes[] = {{.path = "/desktop", .handle = &connect},
                             {.path = "/desktop/*", .handle = &connect},
                             {.path = "/mobile", .handle = &connect},
                             {.path = "/mobile/*", .handle = &connect}};

}  // namespace

const Manifest kManifest{.name = "relay",
                         .binding = "RelaySession",
                         .object_class = "RelaySession",
                         .routes = kRoutes,
                         .make = &make_object<PairingSession>,
                         .limits = kLimits};

}  // namespace sb::relay
