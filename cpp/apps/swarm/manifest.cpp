#include "apps/swarm/invite_registry.h"
#include "apps/swarm/swarm_coordinator.h"

namespace sb::swarm {
namespace {

// `token` as the original read it: empty, "null" or "undefined" mean host mode.
std::optional<std::string> invite_code(const Request& request) {
  std::string_view token = request.param("token").value_or("");
  if (token.empty() || token == "null" || token == "undefined") return std::nullopt;
  std::string code(token);
  for (char& c : code) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');  // manual entry is upper-cased by the client too
  }
  return code;
}

Outcome joined(const Json& context, const Json& answer, const Config&, WorkerHost&);
constexpr Step kJoined{"joined", &joined};

// WS /swarm/ws and /ws?persistentId=: to the host's swarm, or with an invite
// code to the swarm it names. With SWARM_ACCESS "token", an access token whose
// `sub` is the persistentId; without a code it joins the token's `scope`.
Outcome join(const Request& request, const Config& config, WorkerHost& host) {
  std::string_view device = request.param("persistentId").value_or("");
  if (device.empty()) return Response::error(400, "Missing persistentId");
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (swarm coordinator)");
  if (!is_instance_name(device)) return Response::error(400, "invalid persistentId");
  std::optional<Json> claims;
  std::string swarm(device);  // open mode, no invite code: the device hosts its own swarm
  if (token_mode(config, kAccess)) {
    auto checked = check_access(request, config, host, "swarm");
    if (!checked) return checked.error();
    claims = std::move(*checked);
    std::string_view scope = string_field(*claims, "scope").value_or("");
    if (string_field(*claims, "sub") != device || !is_instance_name(scope)) return not_valid_here();
    swarm = scope;
  }
  std::optional<std::string> code = invite_code(request);
  if (!code) return with_access(Forward{"", swarm}, claims);
  if (!is_invite_code(*code)) return Response::error(403, "invalid invite code");
  Json lookup = {{"object", {{"binding", kRegistryBinding}, {"instance", kRegistryInstance}, {"method", "GET"}, {"path", "/invites/" + *code}}}};
  return continue_at(kJoined, lookup, {{"code", *code}, {"access", claims ? *claims : Json()}});
}

// The invite registry's answer to a joiner's code; in token mode the token's
// `sub` already matched the persistentId, and its claims go along.
Outcome joined(const Json& context, const Json& answer, const Config&, WorkerHost&) {
  const Json* status = field(answer, "status");
  if (status && status->is_number_integer() && status->get<int>() == 404) return Response::error(403, "invalid invite code");
  std::optional<Json> body = parse_json(string_field(answer, "body").value_or(""));
  std::optional<std::string_view> swarm = body ? string_field(*body, "swarm") : std::nullopt;
  if (!status || !status->is_number_integer() || status->get<int>() != 200 || !swarm || !is_instance_name(*swarm)) {
    return Response::error(503, "invite registry unavailable");
  }
  const Json* access = field(context, "access");
  return with_access(Forward{"", std::string(*swarm)}, access && access->is_object() ? std::optional<Json>(*access) : std::nullopt);
}

constexpr Step kSteps[] = {kJoined};

// `/ws` without persistentId is the SFU rooms app's.
constexpr Route kRoutes[] = {{.path = "/swarm/ws", .handle = &join}, {.path = "/ws", .with_param = "persistentId", .handle = &join}};

}  // namespace

const Manifest kManifest{.name = "swarm",
                         .binding = "SwarmCoordinator",
                         .object_class = "SwarmCoordinator",
                         .routes = kRoutes,
                         .steps = kSteps,
                         .make = &make_object<SwarmCoordinator>,
                         .limits = kLimits,
                         .settings = kSettings};

// Nothing public: the registry is reached only by the swarm's Effects.
const Manifest kRegistryManifest{.name = "swarm-invites",
                                 .binding = kRegistryBinding,
                                 .object_class = kRegistryBinding,
                                 .make = &make_object<InviteRegistry>,
                                 .limits = kRegistryLimits};

}  // namespace sb::swarm
