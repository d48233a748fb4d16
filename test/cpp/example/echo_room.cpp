#include "echo_room.h"

namespace sb::example {
namespace {

// WS /echo and /echo/<shard>.
Outcome connect(const Request& request, const Config&, WorkerHost&) { return shard_route(request, "/echo/", "echo"); }

// Any JSON, typed or not; binary frames and anything else get the gate's default close.
constexpr FramePolicy kFrames{.typed = false};

constexpr Route kRoutes[] = {{.path = "/echo", .handle = &connect}, {.path = "/echo/*", .handle = &connect}};

}  // namespace

const Manifest kManifest{.name = "echo", .binding = "EchoRoom", .object_class = "EchoRoom", .routes = kRoutes, .make = &make_object<EchoRoom>};

EchoRoom::EchoRoom(Host& host, const Config& config) : App(host, config, kFrames) {}

Outcome EchoRoom::fetch(const Request& request) {
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (echo)");
  return Accept{};
}

void EchoRoom::webSocketMessage(ConnId conn, Frame& frame) { send(conn, frame.text); }

}  // namespace sb::example
