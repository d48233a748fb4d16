#include "apps/apps.h"

#include "apps/relay/pairing_session.h"
#include "apps/signal/signaling_room.h"

namespace sb {
namespace {

template <class T>
std::unique_ptr<App> make(Host& host, const Config& config) {
  return std::make_unique<T>(host, config);
}

const AppSpec kApps[] = {
    {"signal", "SignalingRoom", &signal::SignalingRoom::route, &make<signal::SignalingRoom>, signal::kLimits},
    {"relay", "RelaySession", &relay::PairingSession::route, &make<relay::PairingSession>, relay::kLimits},
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
