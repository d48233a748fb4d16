#include "echo_room.h"

namespace sb::example {
namespace {

// WS /echo and /echo/<shard>.
Outcome connect(const Request& request, const Config&, WorkerHost&) { return shard_route(request, "/echo/", "echo"); }

constexpr Route kRoutes[] = {{.path = "/echo", .handle = &connect}, {.path = "/echo/*", .handle = &connect}};

}  // namespace

const Manifest kManifest{.name = "echo", .binding = "EchoRoom", .object_class = "EchoRoom", .routes = kRoutes, .make = &make_object<EchoRoom>};

Outcome EchoRoom::fetch(const Request& request) {
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (echo)");
  return Accept{};
}

void EchoRoom::webSocketMessage(ConnId conn, std::string_view data, bool binary) {
  if (binary) return close(conn, 1003, "binary frames are not supported");
  send(conn, data);
}

}  // namespace sb::example
