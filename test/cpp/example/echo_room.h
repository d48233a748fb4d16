// An app that exists only in the tests: what adding an app takes. Its folder
// holds its manifest and its object; the test adds it to the list of manifests
// and its class, binding and migration to (copies of) js-shim/worker.js and
// wrangler.toml; the fuzz harness fuzzes it as it does every app.
#pragma once
#include <vector>

#include "apps/apps.h"
#include "core/manifest.h"

namespace sb::example {

extern const Manifest kManifest;

// Every app's manifest and this one: the list as adding this app makes it.
inline std::vector<const Manifest*> with_echo() {
  std::vector<const Manifest*> apps(all_apps().begin(), all_apps().end());
  apps.push_back(&kManifest);
  return apps;
}

// Sends every JSON text frame back to its sender.
class EchoRoom final : public App {
 public:
  EchoRoom(Host& host, const Config& config);
  Outcome fetch(const Request& request) override;

 protected:
  void opened(ConnId, const Request&) override {}
  void webSocketMessage(ConnId conn, Frame& frame) override;
  void webSocketClose(ConnId, int, std::string_view) override {}
  void restored(ConnId, const Json&) override {}
};

}  // namespace sb::example
