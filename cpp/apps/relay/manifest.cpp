#include "apps/relay/pairing_session.h"

namespace sb::relay {
namespace {

// The original's order (docs/relay.md): (/health, answered by the router) → 426 without an upgrade → 400 for a bad path;
// then, with RELAY_ACCESS "token", an access token for the session and the path's side (judged before the 426 then).
Outcome connect(const Request& request, const Config& config, WorkerHost& host) {
  const Response upgrade = Response::error(426, kUpgradeRequired);
  if (!request.upgrade && !token_mode(config, kAccess)) return upgrade;
  std::optional<Pairing> pairing = Pairing::from_path(request.path);
  if (!pairing) return Response::error(400, kInvalidPath);
  return admit_socket(Forward{"", pairing->session_id}, request, config, host, "relay", kAccess, upgrade, pairing->side_name());
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
                         .limits = kLimits,
                         .settings = kSettings};

}  // namespace sb::relay
