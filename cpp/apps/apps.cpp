#include "apps/apps.h"

#include "apps/demo/demo_page.h"
#include "apps/mpc/device_registry.h"
#include "apps/relay/pairing_session.h"
#include "apps/rooms/room.h"
#include "apps/rooms/room_token.h"
#include "apps/signal/signaling_room.h"
#include "apps/swarm/invite_registry.h"
#include "apps/swarm/swarm_coordinator.h"
#include "core/access.h"
#include "core/router.h"

namespace sb {
namespace {

template <class T>
std::unique_ptr<App> make(Host& host, const Config& config) {
  return std::make_unique<T>(host, config);
}

// The demo comes first: it claims a plain GET of /, which is signaling's otherwise.
const AppSpec kApps[] = {
    {"demo", "ASSETS", &demo::route, nullptr, nullptr, {}},
    {"signal", "SignalingRoom", &signal::SignalingRoom::route, nullptr, &make<signal::SignalingRoom>, signal::kLimits},
    {"mpc", "Devices", &mpc::DeviceRegistry::route, nullptr, &make<mpc::DeviceRegistry>, mpc::kLimits},
    {"relay", "RelaySession", &relay::PairingSession::route, nullptr, &make<relay::PairingSession>, relay::kLimits},
    // Before the SFU rooms app: a `/ws` with persistentId is the swarm's.
    {"swarm", "SwarmCoordinator", &swarm::SwarmCoordinator::route, &swarm::SwarmCoordinator::resume_route, &make<swarm::SwarmCoordinator>, swarm::kLimits},
    {"swarm-invites", "InviteRegistry", &swarm::InviteRegistry::route, nullptr, &make<swarm::InviteRegistry>, swarm::kRegistryLimits},
    {"rooms", "Rooms", &rooms::Room::route, &rooms::Room::resumeRoute, &make<rooms::Room>, rooms::kLimits},
};

}  // namespace

std::span<const AppSpec> all_apps() { return kApps; }

const AppSpec* find_app(std::string_view name) {
  for (const AppSpec& app : kApps) {
    if (app.name == name) return &app;
  }
  return nullptr;
}

Json secret_names() {
  return {kAdminToken, kAccessSecret, signal::kSignalToken, rooms::kJwtSecret, rooms::kCallsSecret, rooms::kTurnSecret};
}

}  // namespace sb
