#include "apps/apps.h"

#include "apps/demo/demo_page.h"
#include "apps/mpc/device_registry.h"
#include "apps/relay/pairing_session.h"
#include "apps/rooms/room.h"
#include "apps/rooms/room_token.h"
#include "apps/signal/signaling_room.h"
#include "apps/signal/space.h"
#include "apps/swarm/invite_registry.h"
#include "apps/swarm/swarm_coordinator.h"
#include "core/router.h"

namespace sb {
namespace {

// Every app, by its manifest. The order is the one /health lists them in; the
// router matches routes by their paths and conditions, never by this order.
const Manifest* const kApps[] = {
    &demo::kManifest, &signal::kManifest, &signal::kGatewayManifest, &signal::kTopicsManifest, &mpc::kManifest, &relay::kManifest, &swarm::kManifest, &swarm::kRegistryManifest, &rooms::kManifest,
};

}  // namespace

Manifests all_apps() { return kApps; }

const Manifest* find_app(std::string_view name) {
  for (const Manifest* app : kApps) {
    if (app->name == name) return app;
  }
  return nullptr;
}

Config configure(const Json& vars) {
  Config config;
  config.declare(vars, kCoreLimits, kRouterSettings);
  for (const Manifest* app : kApps) config.declare(vars, app->limits, app->settings);
  return config;
}

Json declared_names() {
  Json names = Json::array();
  for (const Limit* limit : kCoreLimits) names.push_back(limit->name);
  for (const Setting* setting : kRouterSettings) names.push_back(setting->name);
  for (const Manifest* app : kApps) {
    for (const Limit* limit : app->limits) names.push_back(limit->name);
    for (const Setting* setting : app->settings) names.push_back(setting->name);
  }
  return names;
}

Json secret_names() {
  Json names = Json::array();
  auto add = [&](Settings settings) {
    for (const Setting* setting : settings) {
      if (setting->secret && !names.contains(Json(setting->name))) names.push_back(setting->name);
    }
  };
  add(kRouterSettings);
  for (const Manifest* app : kApps) add(app->settings);
  return names;
}

}  // namespace sb
