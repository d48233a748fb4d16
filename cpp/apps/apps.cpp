#include "apps/apps.h"

#include "apps/rooms/room.h"
#include "apps/signal/signaling_room.h"

namespace sb {
namespace {

template <class T>
std::unique_ptr<App> make(Host& host, const Config& config) {
  return std::make_unique<T>(host, config);
}

const AppSpec kApps[] = {
    {"signal", "SignalingRoom", &signal::SignalingRoom::route, nullptr, &make<signal::SignalingRoom>, signal::kLimits},
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

}  // namespace sb
