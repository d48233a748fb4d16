#include "apps/signal/signaling_room.h"
#include "apps/signal/space.h"
#include "core/access.h"

#include <algorithm>
#include <array>

namespace sb::signal {
namespace {

// WS / and /signal/<shard>; with SIGNAL_TOKEN set, only for those who
// present it; with SIGNAL_ACCESS "token", only with an access token for the shard.
Outcome connect(const Request& request, const Config& config, WorkerHost& host) {
  Outcome routed = shard_target(request, "/signal/");
  if (!std::holds_alternative<Forward>(routed)) return routed;
  const Response upgrade = upgrade_required("y-webrtc signaling");
  if (!request.upgrade && !token_mode(config, kAccess)) return upgrade;
  if (config.has(kToken) && !presents_secret(request, host, kToken)) return Response::error(401, "unauthorized");
  Outcome admitted = admit_socket(std::move(routed), request, config, host, "signal", kAccess, upgrade);
  // A sharded space: the socket goes to a gateway at random. y-webrtc keeps
  // nothing across reconnects, so any gateway serves it, and random spreads
  // the sockets without a directory.
  auto* forward = std::get_if<Forward>(&admitted);
  if (forward == nullptr || forward->instance != kSpaceShard || config[kTopicShards] <= 0) return admitted;
  std::array<std::uint8_t, 4> bytes{};
  host.random(bytes);
  std::uint32_t pick = static_cast<std::uint32_t>(bytes[0]) | bytes[1] << 8 | bytes[2] << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
  forward->binding = kGatewayBinding;
  forward->instance = gateway_name(pick % static_cast<std::uint32_t>(std::max<std::int64_t>(config[kGateways], 1)));
  return admitted;
}

std::int64_t number(const Json& report, std::string_view key) {
  const Json* value = field(report, key);
  return value && value->is_number_integer() ? value->get<std::int64_t>() : 0;
}

// GET /stats/signal/global of a sharded space: every gateway's and every
// owner's own counts (one call each, in turn), and their sums.
Outcome space_report(Json state, const Config& config) {
  std::int64_t gateways = std::max<std::int64_t>(config[kGateways], 1);
  for (std::int64_t i = 0; i < gateways + config[kTopicShards]; ++i) {
    bool gateway = i < gateways;
    std::string name = gateway ? gateway_name(static_cast<std::uint32_t>(i)) : owner_name(static_cast<std::uint32_t>(i - gateways));
    const char* kind = gateway ? "gateways" : "owners";
    if (state[kind].contains(name)) continue;
    std::string_view app = gateway ? kGatewayManifest.name : kTopicsManifest.name;
    Json request = {{"object",
                     {{"binding", gateway ? kGatewayBinding : kOwnerBinding},
                      {"instance", name},
                      {"method", "GET"},
                      {"path", "/stats/" + std::string(app) + "/" + name},
                      {"headers", Json::object()},
                      {"body", nullptr}}}};
    state["asking"] = {kind, name};
    return Effect{std::move(request), std::move(state)};
  }
  // Calls are counted by whoever makes them; publishes and subscription
  // changes at the gateways, where clients sent them.
  std::int64_t calls = 0, publishes = 0, changes = 0, connections = 0, topics = 0, frames_in = 0;
  for (const char* kind : {"gateways", "owners"}) {
    bool at_gateways = std::string_view(kind) == "gateways";
    for (const auto& entry : state[kind].items()) {
      const Json& report = entry.value();
      const Json* space = field(report, "space");
      const Json* billable = space ? field(*space, "billable") : nullptr;
      calls += billable ? number(*billable, "calls") : 0;
      if (at_gateways) {
        publishes += billable ? number(*billable, "publishes") : 0;
        changes += billable ? number(*billable, "subscribes") : 0;
        connections += number(report, "connections");
        frames_in += number(report, "messagesIn");
      } else {
        topics += number(report, "topics");
      }
    }
  }
  // Cloudflare bills a request per call between objects and one per 20
  // WebSocket messages a client sends (publishes and subscribes counted at the gateways).
  Json billable = {{"requests", calls}, {"webSocketMessagesIn", frames_in}, {"publishes", publishes}, {"subscriptionChanges", changes}};
  return Response::json(200, {{"app", "signal"},
                              {"instance", kSpaceShard},
                              {"sharded", true},
                              {"connections", connections},
                              {"topics", topics},
                              {"billable", billable},
                              {"gateways", state["gateways"]},
                              {"owners", state["owners"]}});
}

std::optional<Outcome> space_stats(std::string_view instance, const Config& config, WorkerHost&) {
  if (instance != kSpaceShard || config[kTopicShards] <= 0) return std::nullopt;
  return space_report({{"gateways", Json::object()}, {"owners", Json::object()}}, config);
}

Outcome reported(const Json& state, const Json& answer, const Config& config, WorkerHost&) {
  const Json* asking = field(state, "asking");
  if (asking == nullptr || !asking->is_array() || asking->size() != 2 || !(*asking)[0].is_string() || !(*asking)[1].is_string()) {
    return Response::error(500, "internal error");
  }
  Json next = state;
  std::optional<Json> report = parse_json(string_field(answer, "body").value_or(""));
  const Json* status = field(answer, "status");
  bool ok = report && status && status->is_number_integer() && status->get<int>() == 200;
  next[(*asking)[0].get<std::string>()][(*asking)[1].get<std::string>()] = ok ? *report : Json{{"error", "unreachable"}};
  return space_report(std::move(next), config);
}

constexpr Route kRoutes[] = {{.path = "/", .handle = &connect}, {.path = "/signal/*", .handle = &connect}};
// Its one continuation (the space's stats, gathered object by object): unnamed.
constexpr Step kSteps[] = {{.name = "", .resume = &reported}};

}  // namespace

const Manifest kManifest{.name = "signal",
                         .binding = "SignalingRoom",
                         .object_class = "SignalingRoom",
                         .routes = kRoutes,
                         .steps = kSteps,
                         .stats = &space_stats,
                         .make = &make_object<SignalingRoom>,
                         .limits = kLimits,
                         .settings = kSettings};

// Nothing public: a sharded `/` reaches its gateways through the route above,
// and its topic owners only through the gateways' calls.
const Manifest kGatewayManifest{.name = "signal-gateway",
                                .binding = kGatewayBinding,
                                .object_class = kGatewayBinding,
                                .make = &make_object<SignalGateway>};
const Manifest kTopicsManifest{.name = "signal-topics",
                               .binding = kOwnerBinding,
                               .object_class = kOwnerBinding,
                               .make = &make_object<SignalTopics>};

}  // namespace sb::signal
