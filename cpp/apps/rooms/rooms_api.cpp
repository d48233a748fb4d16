// The Worker side of rooms: the rooms API over Workers KV (ROOM_METADATA),
// token checks before a socket reaches its room, and the Calls proxy.
#include <cmath>
#include <cstdio>
#include <variant>

#include "apps/rooms/calls_proxy.h"
#include "apps/rooms/room.h"
#include "apps/rooms/room_token.h"
#include "core/token.h"

namespace sb::rooms {
namespace {

constexpr std::string_view kRoomsPath = "/api/rooms";
constexpr std::string_view kMetadata = "ROOM_METADATA";
constexpr std::string_view kStun = "stun:stun.cloudflare.com:3478";

// Where the routes' Effects continue (their definitions below).
Outcome ice_servers_answered(const Json& context, const Json& answer, const Config& config, WorkerHost& host);
Outcome joined(const Json& context, const Json& answer, const Config& config, WorkerHost& host);
Outcome created(const Json& context, const Json& answer, const Config& config, WorkerHost& host);
Outcome found(const Json& context, const Json& answer, const Config& config, WorkerHost& host);
Outcome join_found(const Json& context, const Json& answer, const Config& config, WorkerHost& host);
Outcome admitted(const Json& context, const Json& answer, const Config& config, WorkerHost& host);
constexpr Step kIceServersAnswered{"ice-servers", &ice_servers_answered};
constexpr Step kJoined{"joined", &joined};
constexpr Step kCreated{"created", &created};
constexpr Step kFound{"found", &found};
constexpr Step kJoinFound{"join", &join_found};
constexpr Step kAdmitted{"admit", &admitted};

Expected<void> with_secret(const Config& config) {
  if (config.has(kJwtSecret)) return {};
  return Response::error(503, "JWT_SECRET is not configured (wrangler secret put JWT_SECRET)");
}

// JavaScript's Date.prototype.toISOString, as the original reports times.
std::string iso_time(double now_ms) {
  auto ms = static_cast<std::int64_t>(std::floor(now_ms));
  std::int64_t days = ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
  std::int64_t in_day = ms - days * 86'400'000;
  // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
  days += 719'468;
  std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  std::int64_t doe = days - era * 146'097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const auto part = [](std::int64_t value) { return static_cast<int>(value); };
  char text[96];
  std::snprintf(text, sizeof text, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<long long>(year), part(month), part(day),
                part(in_day / 3'600'000), part(in_day / 60'000 % 60), part(in_day / 1000 % 60), part(in_day % 1000));
  return text;
}

// A request's JSON object; an empty body counts as `{}`.
Expected<Json> body_object(const Request& request, const Config& config) {
  if (static_cast<std::int64_t>(request.body.size()) > config[kMaxBodyBytes]) return Response::error(413, "request body too large");
  if (request.body.empty()) return Json::object();
  std::optional<Json> body = parse_json(request.body, config[kMaxJsonDepth]);
  if (!body || !body->is_object()) return Response::error(400, "request body must be a JSON object");
  return std::move(*body);
}

// A name under either spelling the clients use (snake_case first, as the
// original reads `a || b`; `camel` may be ""): the first non-empty string, or nullopt.
Expected<std::optional<std::string>> name_field(const Json& body, std::string_view snake, std::string_view camel, const Config& config) {
  for (std::string_view key : {snake, camel}) {
    const Json* value = key.empty() ? nullptr : field(body, key);
    if (value == nullptr || value->is_null()) continue;
    if (!value->is_string()) return Response::error(400, std::string(key) + " must be a string");
    const auto& text = value->get_ref<const std::string&>();
    if (static_cast<std::int64_t>(text.size()) > config[kMaxNameBytes]) {
      return Response::error(400, std::string(key) + " is longer than " + std::to_string(config[kMaxNameBytes]) + " bytes");
    }
    if (!text.empty()) return std::optional<std::string>(text);
  }
  return std::optional<std::string>();
}

Expected<std::int64_t> max_participants_field(const Json& body, const Config& config) {
  const std::int64_t most = config[kMaxParticipants];
  for (std::string_view key : {"max_participants", "maxParticipants"}) {
    const Json* value = field(body, key);
    if (value == nullptr || value->is_null()) continue;
    if (!value->is_number_integer() || value->get<std::int64_t>() < 1 || value->get<std::int64_t>() > most) {
      return Response::error(400, std::string(key) + " must be an integer from 1 to " + std::to_string(most));
    }
    return value->get<std::int64_t>();
  }
  return std::min(config[kDefaultMaxParticipants], most);
}

Effect kv_get(const Step& step, std::string_view room_id, Json context = Json::object()) {
  return continue_at(step, {{"kv", {{"binding", kMetadata}, {"get", room_id}}}}, std::move(context));
}

Outcome create_room(const Request& request, const Config& config, WorkerHost& host) {
  auto body = body_object(request, config);
  if (!body) return body.error();
  const Json& fields = *body;
  auto name = name_field(fields, "name", "", config);
  if (!name) return name.error();
  auto creator = name_field(fields, "created_by", "createdBy", config);
  if (!creator) return creator.error();
  auto max = max_participants_field(fields, config);
  if (!max) return max.error();

  std::string room_id = random_uuid(host);
  std::string created_at = iso_time(host.now());
  Json metadata = {{"id", room_id}};
  if (const auto& given = *name) metadata["name"] = *given;
  metadata["createdBy"] = creator->value_or("unknown");
  metadata["createdAt"] = created_at;
  metadata["maxParticipants"] = *max;
  Json put = {{"binding", kMetadata}, {"put", room_id}, {"value", to_text(metadata)}, {"ttl", config[kMetadataTtlSeconds]}};
  return continue_at(kCreated, {{"kv", std::move(put)}}, {{"room_id", room_id}, {"created_at", created_at}});
}

Outcome join_room(std::string_view room_id, const Request& request, const Config& config) {
  auto body = body_object(request, config);
  if (!body) return body.error();
  auto name = name_field(*body, "participant_name", "participantName", config);
  if (!name) return name.error();
  return kv_get(kJoinFound, room_id, {{"room_id", room_id}, {"participant_name", name->value_or("Guest")}});
}

Json stun_only() { return Json::array({{{"urls", kStun}}}); }

// Cloudflare TURN (TURN_KEY_ID, secret TURN_KEY_API_TOKEN): short-lived
// credentials for this answer; nullopt when TURN is not configured.
std::optional<Json> turn_request(const Config& config) {
  std::string_view key = config[kTurnKeyId];
  if (key.empty() || !config.has(kTurnKeyApiToken)) return std::nullopt;
  std::string base(config[kTurnApiBase]);
  return Json{{"fetch",
               {{"url", base + "/turn/keys/" + std::string(key) + "/credentials/generate"},
                {"method", "POST"},
                {"headers", {{"content-type", "application/json"}}},
                {"secret_headers", bearer_secret(kTurnKeyApiToken)},
                {"body", to_text({{"ttl", config[kTurnTtlSeconds]}})}}}};
}

// The TURN API's answer as ICE servers (STUN first), or nullopt if it failed.
std::optional<Json> turn_servers(const Json& answer) {
  const Json* status = field(answer, "status");
  std::optional<std::string_view> body = string_field(answer, "body");
  if (status == nullptr || !status->is_number_integer() || *status < 200 || *status > 299 || !body) return std::nullopt;
  std::optional<Json> parsed = parse_json(*body);
  const Json* servers = parsed ? field(*parsed, "iceServers") : nullptr;
  if (servers == nullptr || !servers->is_object() || !field(*servers, "urls")) return std::nullopt;
  Json list = stun_only();
  list.push_back(*servers);
  return list;
}

// POST /api/rooms/:id/ice-servers: a valid token for that room (Bearer or ?token=) gets ICE servers.
Outcome ice_servers(std::string_view room_id, const Request& request, const Config& config, WorkerHost& host) {
  std::string_view token = request.credential("token");
  if (token.empty()) return Response::error(401, "Missing token");
  auto admitted = RoomToken::read(host, token, host.now());
  if (!admitted || admitted->room_id != room_id) return Response::error(401, "Invalid token");
  std::optional<Json> turn = turn_request(config);
  if (!turn) return Response::json(200, {{"ice_servers", stun_only()}});
  return continue_at(kIceServersAnswered, std::move(*turn));
}

// POST /api/rooms.
Outcome create(const Request& request, const Config& config, WorkerHost& host) {
  if (auto secret = with_secret(config); !secret) return secret.error();
  return create_room(request, config, host);
}

// The room of /api/rooms/<id>[/…], or the refusal every room route makes first.
Expected<std::string_view> room_of(const Request& request, const Config& config) {
  if (auto secret = with_secret(config); !secret) return secret.error();
  std::string_view rest = std::string_view(request.path).substr(kRoomsPath.size() + 1);
  std::string_view room_id = rest.substr(0, rest.find('/'));
  if (!is_instance_name(room_id)) return Response::error(404, "Room not found");
  return room_id;
}

// GET /api/rooms/<id>.
Outcome find(const Request& request, const Config& config, WorkerHost&) {
  auto room = room_of(request, config);
  if (!room) return room.error();
  return kv_get(kFound, *room);
}

// POST /api/rooms/<id>/join.
Outcome join(const Request& request, const Config& config, WorkerHost&) {
  auto room = room_of(request, config);
  if (!room) return room.error();
  return join_room(*room, request, config);
}

// POST /api/rooms/<id>/ice-servers.
Outcome ice(const Request& request, const Config& config, WorkerHost& host) {
  auto room = room_of(request, config);
  if (!room) return room.error();
  return ice_servers(*room, request, config, host);
}

// `/ws?token=`: only a verified token reaches its room's Durable Object. The
// token is judged before the upgrade, as the original's Worker does, so a
// browser (which cannot read a refused upgrade's status) can learn the verdict
// from a plain GET.
Outcome connect(const Request& request, const Config& config, WorkerHost& host) {
  if (auto secret = with_secret(config); !secret) return secret.error();
  std::string_view token = request.param("token").value_or("");
  if (token.empty()) return Response::error(401, "Missing token");
  auto admitted = RoomToken::read(host, token, host.now());
  if (!admitted) return Response::error(401, "Invalid token");
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (rooms: /ws?token=<jwt>)");
  return admitted->forward();
}

// The stored metadata's maxParticipants (rooms written by this code always have one).
std::int64_t stored_max(const Json& metadata, const Config& config) {
  const Json* max = field(metadata, "maxParticipants");
  if (max != nullptr && max->is_number_integer() && max->get<std::int64_t>() >= 1) return max->get<std::int64_t>();
  return config[kDefaultMaxParticipants];
}

Response storage_unavailable() { return Response::error(503, "room storage unavailable"); }

// The answers to the Effects above, one step each.

Outcome ice_servers_answered(const Json&, const Json& answer, const Config&, WorkerHost&) {
  std::optional<Json> servers = turn_servers(answer);
  if (!servers) return Response::error(502, "TURN API unreachable");
  return Response::json(200, {{"ice_servers", *servers}});
}

Outcome joined(const Json& context, const Json& answer, const Config&, WorkerHost&) {
  // TURN is a bonus at join: if it fails, STUN still lets most peers connect.
  const Json* joined = field(context, "reply");
  Json reply = joined != nullptr ? *joined : Json::object();
  reply["ice_servers"] = turn_servers(answer).value_or(stun_only());
  return Response::json(200, reply);
}

Outcome created(const Json& context, const Json& answer, const Config&, WorkerHost&) {
  if (field(answer, "error") != nullptr) return storage_unavailable();
  return Response::json(200, {{"room_id", string_field(context, "room_id").value_or("")}, {"created_at", string_field(context, "created_at").value_or("")}});
}

// A room's stored metadata (a Workers KV read): its text, or the refusal.
Expected<std::string_view> metadata_of(const Json& answer) {
  if (field(answer, "error") != nullptr) return storage_unavailable();
  const Json* value = field(answer, "value");
  if (value == nullptr || value->is_null()) return Response::error(404, "Room not found");
  if (!value->is_string()) return storage_unavailable();
  return std::string_view(value->get_ref<const std::string&>());
}

Outcome found(const Json&, const Json& answer, const Config&, WorkerHost&) {
  auto metadata = metadata_of(answer);
  if (!metadata) return metadata.error();
  return Response{.status = 200, .headers = {{"content-type", "application/json"}}, .body = std::string(*metadata)};
}

Outcome admitted(const Json& context, const Json& answer, const Config& config, WorkerHost& host) {
  if (field(answer, "error") != nullptr) return storage_unavailable();
  const Json* status = field(answer, "status");
  if (status != nullptr && *status == 409) return Response::error(409, "Room is full");
  if (status == nullptr || *status != 200) return Response::error(503, "room unavailable");
  RoomToken token{std::string(string_field(context, "room_id").value_or("")), random_uuid(host),
                  std::string(string_field(context, "participant_name").value_or("Guest"))};
  Json reply = {{"token", token.issue(host, host.now(), config[kTokenTtlSeconds])},
                {"participant_id", token.participant_id},
                {"ice_servers", stun_only()}};
  if (std::optional<Json> turn = turn_request(config)) return continue_at(kJoined, std::move(*turn), {{"reply", std::move(reply)}});
  return Response::json(200, reply);
}

Outcome join_found(const Json& context, const Json& answer, const Config& config, WorkerHost&) {
  auto metadata = metadata_of(answer);
  if (!metadata) return metadata.error();
  std::string_view room_id = string_field(context, "room_id").value_or("");
  // The room's object counts who is connected; it answers 409 when full.
  Json body = {{"maxParticipants", stored_max(parse_json(*metadata).value_or(Json::object()), config)}};
  Json call = {{"binding", kBinding}, {"instance", room_id}, {"method", "POST"}, {"path", "/capacity"},
               {"headers", {{"content-type", "application/json"}}}, {"body", to_text(body)}};
  return continue_at(kAdmitted, {{"object", std::move(call)}},
                     {{"room_id", room_id}, {"participant_name", string_field(context, "participant_name").value_or("Guest")}});
}

const Step kSteps[] = {kCallsAnswered, kIceServersAnswered, kJoined, kCreated, kFound, kJoinFound, kAdmitted};

// A /ws with persistentId is the swarm coordinator's.
constexpr Route kRoutes[] = {{.path = "/ws", .without_param = "persistentId", .handle = &connect},
                             {.path = "/cloudflare/*", .handle = &calls_route},
                             {.path = "/api/rooms", .methods = "POST", .handle = &create},
                             {.path = "/api/rooms/:room", .methods = "GET", .handle = &find},
                             {.path = "/api/rooms/:room/join", .methods = "POST", .handle = &join},
                             {.path = "/api/rooms/:room/ice-servers", .methods = "POST", .handle = &ice}};
constexpr std::string_view kNamespaces[] = {kMetadata};

}  // namespace

// The rooms app: its routes and Effects above are the Worker's side; Room (room.cpp) is the object.
const Manifest kManifest{.name = "rooms",
                         .binding = kBinding,
                         .object_class = kBinding,
                         .routes = kRoutes,
                         .steps = kSteps,
                         .make = &make_object<Room>,
                         .limits = kLimits,
                         .settings = kSettings,
                         .kv_namespaces = kNamespaces};

}  // namespace sb::rooms
