#include <doctest/doctest.h>

#include <random>

#include "apps/rooms/room.h"
#include "apps/rooms/room_token.h"
#include "core/token.h"
#include "fake_host.h"

using sb::Json;
using sb::Request;
using sb::Response;
using sb::rooms::RoomToken;
using sb::test::FakeHost;
using sb::test::Object;
using sb::test::parsed;
using sb::test::upgrade;

namespace {

constexpr std::string_view kSecret = "room-secret";
const Json kVars = {{"JWT_SECRET", kSecret}, {"CLOUDFLARE_APP_ID", "app-1"}, {"CLOUDFLARE_APP_SECRET", "calls-secret"}};


std::string token_for(FakeHost& host, std::string participant, std::string name = "", std::string room = "room-1") {
  return RoomToken{std::move(room), std::move(participant), std::move(name)}.issue(host, host.now(), 86400);
}

Request socket_request(std::string token) {
  Request r = upgrade("/ws");
  r.query = {{"token", std::move(token)}};
  return r;
}

// A participant's socket in `room` (the token is signed with the room's host).
sb::ConnId enter(Object& room, std::string participant, std::string name = "") {
  return room.join(socket_request(token_for(room.host, std::move(participant), std::move(name))));
}

Request http(std::string method, std::string path, std::string body = "") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

// The Worker's side: route, then each Effect answered by `answers` in turn.
struct Worker {
  explicit Worker(const Json& vars = kVars) : config(sb::configure(vars)), host(sb::test::with_secrets(vars)) {}

  std::optional<sb::Outcome> route(const Request& r) { return sb::route_app(spec, r, config, host); }
  sb::Outcome resume(const sb::Effect& effect, const Json& answer) { return sb::resume_step(spec, effect.context, answer, config, host); }

  const sb::Manifest& spec = *sb::find_app("rooms");
  sb::Config config;
  FakeHost host;
};

Response response(const std::optional<sb::Outcome>& outcome) {
  REQUIRE(outcome);
  REQUIRE(std::holds_alternative<Response>(*outcome));
  return std::get<Response>(*outcome);
}
Response response(const sb::Outcome& outcome) { return response(std::optional<sb::Outcome>(outcome)); }

sb::Effect effect(const std::optional<sb::Outcome>& outcome) {
  REQUIRE(outcome);
  REQUIRE(std::holds_alternative<sb::Effect>(*outcome));
  return std::get<sb::Effect>(*outcome);
}
sb::Effect effect(const sb::Outcome& outcome) { return effect(std::optional<sb::Outcome>(outcome)); }

void check_error(const Response& r, int status, const std::string& error) {
  CHECK(r.status == status);
  CHECK(parsed(r.body) == Json{{"error", error}});
}

}  // namespace

TEST_CASE("base64url: RFC 4648 vectors, unpadded, strict alphabet") {
  CHECK(sb::base64url_encode("") == "");
  CHECK(sb::base64url_encode("f") == "Zg");
  CHECK(sb::base64url_encode("fo") == "Zm8");
  CHECK(sb::base64url_encode("foo") == "Zm9v");
  CHECK(sb::base64url_encode("foob") == "Zm9vYg");
  CHECK(sb::base64url_encode("\xfb\xff") == "-_8");
  CHECK(sb::base64url_decode("Zm9vYmFy") == "foobar");
  CHECK(sb::base64url_decode("-_8") == "\xfb\xff");
  CHECK_FALSE(sb::base64url_decode("Zg=="));
  CHECK_FALSE(sb::base64url_decode("Zm9v+"));
  CHECK_FALSE(sb::base64url_decode("Z"));
}

TEST_CASE("JWT HS256: the well-known jwt.io token, byte for byte") {
  FakeHost host;
  constexpr sb::Setting kJwtIo{"JWT_IO_SECRET", "", "", true};
  host.secrets["JWT_IO_SECRET"] = "your-256-bit-secret";
  std::string token = sb::sign_jwt(host, kJwtIo, {{"sub", "1234567890"}, {"name", "John Doe"}, {"iat", 1516239022}});
  CHECK(token ==
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
}

TEST_CASE("JWT verification refuses alg none, other algs, wrong keys, tampering, expiry and malformed tokens") {
  FakeHost host = sb::test::with_secrets(kVars);
  const double now = host.now();
  const auto seconds = static_cast<std::int64_t>(now / 1000);
  Json claims = {{"room_id", "r"}, {"exp", seconds + 60}};
  std::string good = sb::sign_jwt(host, sb::rooms::kJwtSecret, claims);
  REQUIRE(sb::verify_jwt(host, sb::rooms::kJwtSecret, good, now) == claims);

  auto part = [](const std::string& token, int i) {
    std::size_t a = 0;
    for (int k = 0; k < i; ++k) a = token.find('.', a) + 1;
    return token.substr(a, token.find('.', a) - a);
  };
  // A token with any header, signed properly with the right key.
  auto with_header = [&](const std::string& header) {
    std::string input = sb::base64url_encode(header) + "." + part(good, 1);
    auto digest = host.hmac_sha256(kSecret, input);
    return input + "." + sb::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  };
  CHECK(sb::verify_jwt(host, sb::rooms::kJwtSecret, with_header(R"({"typ":"JWT","alg":"HS256"})"), now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, with_header(R"({"alg":"none","typ":"JWT"})"), now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, sb::base64url_encode(R"({"alg":"none"})") + "." + part(good, 1) + ".", now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, with_header(R"({"alg":"HS512","typ":"JWT"})"), now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, with_header(R"({"typ":"JWT"})"), now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, with_header(R"({"alg":"HS256","crit":["b64"],"b64":false})"), now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, with_header("not json"), now));

  constexpr sb::Setting kOther{"OTHER_SECRET", "", "", true};
  host.secrets["OTHER_SECRET"] = "another-secret";
  CHECK_FALSE(sb::verify_jwt(host, kOther, good, now));
  std::string tampered = part(good, 0) + "." + sb::base64url_encode(sb::to_text(Json{{"room_id", "other"}, {"exp", seconds + 60}})) + "." + part(good, 2);
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, tampered, now));
  std::string bad_signature = good;
  bad_signature.back() = bad_signature.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, bad_signature, now));

  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, good, now + 60'000));  // exp reached
  CHECK(sb::verify_jwt(host, sb::rooms::kJwtSecret, good, now + 59'999));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"room_id", "r"}}), now));  // no exp
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"exp", std::to_string(seconds + 60)}}), now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"exp", seconds + 60}, {"nbf", seconds + 10}}), now));
  CHECK(sb::verify_jwt(host, sb::rooms::kJwtSecret, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"exp", seconds + 60}, {"nbf", seconds}}), now));
  CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, sb::sign_jwt(host, sb::rooms::kJwtSecret, Json::array({1, 2})), now));

  for (std::string malformed : {std::string(""), std::string("a.b"), std::string("a.b.c.d"), good + ".", "." + good, part(good, 0) + ".!!." + part(good, 2)}) {
    CAPTURE(malformed);
    CHECK_FALSE(sb::verify_jwt(host, sb::rooms::kJwtSecret, malformed, now));
  }
}

TEST_CASE("room tokens carry the original's claims and exp = iat + ttl") {
  FakeHost host = sb::test::with_secrets(kVars);
  std::string token = RoomToken{"room-1", "p-1", "Alice"}.issue(host, host.now(), 86400);
  std::size_t dot = token.find('.');
  Json claims = parsed(*sb::base64url_decode(token.substr(dot + 1, token.rfind('.') - dot - 1)));
  auto iat = static_cast<std::int64_t>(host.now() / 1000);
  CHECK(claims == Json{{"room_id", "room-1"}, {"participant_id", "p-1"}, {"participant_name", "Alice"}, {"exp", iat + 86400}, {"iat", iat}});
  auto read = RoomToken::read(host, token, host.now());
  REQUIRE(read);
  CHECK(read->participant_name == "Alice");
  // Claims that cannot name a room or a participant are refused.
  auto exp = iat + 60;
  CHECK_FALSE(RoomToken::read(host, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"participant_id", "p"}, {"exp", exp}}), host.now()));
  CHECK_FALSE(RoomToken::read(host, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"room_id", "a/b"}, {"participant_id", "p"}, {"exp", exp}}), host.now()));
  CHECK_FALSE(RoomToken::read(host, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"room_id", "r"}, {"participant_id", ""}, {"exp", exp}}), host.now()));
  CHECK_FALSE(RoomToken::read(host, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"room_id", "r"}, {"participant_id", "p"}, {"participant_name", 5}, {"exp", exp}}), host.now()));
  auto guest = RoomToken::read(host, sb::sign_jwt(host, sb::rooms::kJwtSecret, {{"room_id", "r"}, {"participant_id", "p"}, {"exp", exp}}), host.now());
  REQUIRE(guest);
  CHECK(guest->participant_name == "Guest");
}

TEST_CASE("/ws: the swarm's with persistentId; else 503, 401s, 426 for a good token without an upgrade, or on to the token's room") {
  Worker worker;
  Request swarm = upgrade("/ws");
  swarm.query = {{"persistentId", "node-1"}, {"token", "x"}};
  CHECK_FALSE(worker.route(swarm));
  auto plain = [](Request request) {
    request.upgrade = false;
    return request;
  };
  check_error(response(worker.route(plain(socket_request("")))), 401, "Missing token");
  check_error(response(worker.route(plain(socket_request("x")))), 401, "Invalid token");
  CHECK(response(worker.route(plain(socket_request(token_for(worker.host, "p-1"))))).status == 426);
  check_error(response(worker.route(upgrade("/ws"))), 401, "Missing token");
  check_error(response(worker.route(socket_request(""))), 401, "Missing token");
  check_error(response(worker.route(socket_request("abc.def.ghi"))), 401, "Invalid token");
  auto forward = worker.route(socket_request(token_for(worker.host, "p-1", "Al", "room-9")));
  REQUIRE(forward);
  auto& to = std::get<sb::Forward>(*forward);
  CHECK(to.binding == "Rooms");
  CHECK(to.instance == "room-9");
  Worker unconfigured(Json::object());
  CHECK(response(unconfigured.route(socket_request(token_for(worker.host, "p-1")))).status == 503);
}

TEST_CASE("POST /api/rooms writes the metadata to KV with the TTL and answers 200 {room_id, created_at}") {
  Worker worker;
  auto put = effect(worker.route(http("POST", "/api/rooms", R"({"name":"Episode 12","created_by":"host@example","max_participants":4})")));
  const Json& kv = put.request["kv"];
  CHECK(kv["binding"] == "ROOM_METADATA");
  CHECK(kv["ttl"] == 7200);
  std::string room_id = kv["put"];
  CHECK(room_id.size() == 36);
  CHECK(room_id[14] == '4');
  CHECK(parsed(kv["value"]) == Json{{"id", room_id}, {"name", "Episode 12"}, {"createdBy", "host@example"}, {"createdAt", "2026-01-01T00:00:00.000Z"}, {"maxParticipants", 4}});
  auto created = response(worker.resume(put, Json::object()));
  CHECK(created.status == 200);
  CHECK(parsed(created.body) == Json{{"room_id", room_id}, {"created_at", "2026-01-01T00:00:00.000Z"}});
  check_error(response(worker.resume(put, {{"error", "KV down"}})), 503, "room storage unavailable");

  // Defaults, camelCase spellings, an empty body.
  worker.host.clock += 86'400'000.0 * 59 + 3'723'004;  // 2026-03-01T01:02:03.004Z
  auto defaults = effect(worker.route(http("POST", "/api/rooms")));
  CHECK(parsed(defaults.request["kv"]["value"]) ==
        Json{{"id", defaults.request["kv"]["put"]}, {"createdBy", "unknown"}, {"createdAt", "2026-03-01T01:02:03.004Z"}, {"maxParticipants", 10}});
  auto camel = effect(worker.route(http("POST", "/api/rooms", R"({"createdBy":"c","maxParticipants":2,"name":null})")));
  CHECK(parsed(camel.request["kv"]["value"])["createdBy"] == "c");
  CHECK(parsed(camel.request["kv"]["value"])["maxParticipants"] == 2);
  CHECK_FALSE(parsed(camel.request["kv"]["value"]).contains("name"));
}

TEST_CASE("rooms API bad input: 400, 413, 404, 503 as JSON") {
  Worker worker(Json{{"JWT_SECRET", kSecret}, {"ROOMS_MAX_BODY_BYTES", "100"}});
  check_error(response(worker.route(http("POST", "/api/rooms", "{not json"))), 400, "request body must be a JSON object");
  check_error(response(worker.route(http("POST", "/api/rooms", "[1]"))), 400, "request body must be a JSON object");
  check_error(response(worker.route(http("POST", "/api/rooms", R"({"name":5})"))), 400, "name must be a string");
  check_error(response(worker.route(http("POST", "/api/rooms", R"({"name":")" + std::string(257, 'n') + R"("})"))), 413, "request body too large");
  for (const char* bad : {R"({"max_participants":0})", R"({"max_participants":"4"})", R"({"maxParticipants":101})", R"({"max_participants":2.5})"}) {
    CAPTURE(bad);
    CHECK(response(worker.route(http("POST", "/api/rooms", bad))).status == 400);
  }
  check_error(response(worker.route(http("POST", "/api/rooms/abc/join", "nope"))), 400, "request body must be a JSON object");
  check_error(response(worker.route(http("POST", "/api/rooms/abc/join", R"({"participant_name":["x"]})"))), 400, "participant_name must be a string");
  check_error(response(worker.route(http("GET", "/api/rooms/a%20b"))), 404, "Room not found");
  check_error(response(worker.route(http("POST", "/api/rooms", std::string(101, ' ')))), 413, "request body too large");
  CHECK_FALSE(worker.route(http("GET", "/api/rooms")));
  CHECK_FALSE(worker.route(http("DELETE", "/api/rooms/abc")));
  CHECK_FALSE(worker.route(http("POST", "/api/rooms/abc/leave")));
  CHECK_FALSE(worker.route(http("GET", "/api/roomsX")));

  Worker small(Json{{"JWT_SECRET", kSecret}, {"ROOMS_MAX_NAME_BYTES", "3"}});
  check_error(response(small.route(http("POST", "/api/rooms", R"({"name":"abcd"})"))), 400, "name is longer than 3 bytes");

  Worker unconfigured(Json::object());
  for (auto r : {http("POST", "/api/rooms", "{}"), http("GET", "/api/rooms/abc"), http("POST", "/api/rooms/abc/join", "{}")}) {
    check_error(response(unconfigured.route(r)), 503, "JWT_SECRET is not configured (wrangler secret put JWT_SECRET)");
  }
}

TEST_CASE("GET /api/rooms/:id answers the stored metadata verbatim, or 404") {
  Worker worker;
  auto get = effect(worker.route(http("GET", "/api/rooms/abc-123")));
  CHECK(get.request == Json{{"kv", {{"binding", "ROOM_METADATA"}, {"get", "abc-123"}}}});
  const std::string stored = R"({"id":"abc-123","createdBy":"unknown","createdAt":"x","maxParticipants":10})";
  auto found = response(worker.resume(get, {{"value", stored}}));
  CHECK(found.status == 200);
  CHECK(found.body == stored);
  CHECK(found.headers["content-type"] == "application/json");
  check_error(response(worker.resume(get, {{"value", nullptr}})), 404, "Room not found");
  check_error(response(worker.resume(get, {{"error", "down"}})), 503, "room storage unavailable");
}

TEST_CASE("join: KV, then the room object's count, then a token for a fresh participant") {
  Worker worker;
  auto lookup = effect(worker.route(http("POST", "/api/rooms/abc-123/join", R"({"participantName":"Bob"})")));
  CHECK(lookup.request == Json{{"kv", {{"binding", "ROOM_METADATA"}, {"get", "abc-123"}}}});
  check_error(response(worker.resume(lookup, {{"value", nullptr}})), 404, "Room not found");

  auto count = effect(worker.resume(lookup, {{"value", R"({"id":"abc-123","maxParticipants":3})"}}));
  const Json& call = count.request["object"];
  CHECK(call["binding"] == "Rooms");
  CHECK(call["instance"] == "abc-123");
  CHECK(call["method"] == "POST");
  CHECK(call["path"] == "/capacity");
  CHECK(parsed(call["body"]) == Json{{"maxParticipants", 3}});

  check_error(response(worker.resume(count, {{"status", 409}, {"body", R"({"error":"Room is full"})"}})), 409, "Room is full");
  check_error(response(worker.resume(count, {{"error", "object gone"}})), 503, "room storage unavailable");
  check_error(response(worker.resume(count, {{"status", 500}, {"body", ""}})), 503, "room unavailable");

  auto joined = response(worker.resume(count, {{"status", 200}, {"body", R"({"participants":0})"}}));
  CHECK(joined.status == 200);
  Json body = parsed(joined.body);
  CHECK(body["ice_servers"] == Json::parse(R"([{"urls":"stun:stun.cloudflare.com:3478"}])"));
  auto token = RoomToken::read(worker.host, body["token"].get<std::string>(), worker.host.now());
  REQUIRE(token);
  CHECK(token->room_id == "abc-123");
  CHECK(token->participant_id == body["participant_id"]);
  CHECK(token->participant_name == "Bob");

  // Without a name: Guest. Metadata without maxParticipants: the default.
  auto guest = effect(worker.route(http("POST", "/api/rooms/abc-123/join", "")));
  auto guest_count = effect(worker.resume(guest, {{"value", R"({"id":"abc-123"})"}}));
  CHECK(parsed(guest_count.request["object"]["body"]) == Json{{"maxParticipants", 10}});
  auto guest_joined = parsed(response(worker.resume(guest_count, {{"status", 200}})).body);
  CHECK(RoomToken::read(worker.host, guest_joined["token"].get<std::string>(), worker.host.now())->participant_name == "Guest");
}

TEST_CASE("Calls proxy: the three endpoints become authorised fetches to CALLS_API_BASE") {
  Worker worker;
  auto session = effect(worker.route(http("POST", "/cloudflare/session")));
  CHECK(session.request == Json{{"fetch", {{"method", "POST"}, {"headers", Json::object()}, {"secret_headers", {{"authorization", {{"prefix", "Bearer "}, {"secret", "CLOUDFLARE_APP_SECRET"}}}}}, {"url", "https://rtc.live.cloudflare.com/v1/apps/app-1/sessions/new"}}}});

  const std::string tracks = R"({"tracks":[{"location":"local","trackName":"t","mid":"0"}]})";
  auto push = effect(worker.route(http("POST", "/cloudflare/session/abc123/tracks/new", tracks)));
  CHECK(push.request["fetch"]["url"] == "https://rtc.live.cloudflare.com/v1/apps/app-1/sessions/abc123/tracks/new");
  CHECK(push.request["fetch"]["method"] == "POST");
  CHECK(push.request["fetch"]["headers"] == Json{{"content-type", "application/json"}});
  CHECK(push.request["fetch"]["secret_headers"] == sb::bearer_secret(sb::rooms::kCloudflareAppSecret));
  CHECK(push.request["fetch"]["body"] == tracks);

  Json vars = kVars;
  vars["CALLS_API_BASE"] = "http://127.0.0.1:9999/v1/";
  Worker local(vars);
  auto renegotiate = effect(local.route(http("PUT", "/cloudflare/session/abc123/renegotiate", R"({"sessionDescription":{"type":"answer","sdp":"v=0"}})")));
  CHECK(renegotiate.request["fetch"]["url"] == "http://127.0.0.1:9999/v1/apps/app-1/sessions/abc123/renegotiate");
  CHECK(renegotiate.request["fetch"]["method"] == "PUT");

  // The upstream answer passes through; the context never holds the secret.
  CHECK(session.context.dump().find("calls-secret") == std::string::npos);
  auto created = response(worker.resume(session, {{"status", 201}, {"headers", Json::object()}, {"body", R"({"sessionId":"s1"})"}}));
  CHECK(created.status == 201);
  CHECK(created.body == R"({"sessionId":"s1"})");
  CHECK(created.headers["content-type"] == "application/json");
  auto refused = response(worker.resume(push, {{"status", 400}, {"body", R"({"errorCode":"bad"})"}}));
  CHECK(refused.status == 400);
  CHECK(refused.body == R"({"errorCode":"bad"})");
  check_error(response(worker.resume(push, {{"error", "connect ECONNREFUSED"}})), 502, "Calls API unreachable");
}

TEST_CASE("Calls proxy bad input: unknown endpoints 404, bad ids and bodies 400, no app 503") {
  Worker worker(Json{{"JWT_SECRET", kSecret}, {"CLOUDFLARE_APP_ID", "a"}, {"CLOUDFLARE_APP_SECRET", "s"}, {"ROOMS_MAX_BODY_BYTES", "50"}});
  for (auto r : {http("GET", "/cloudflare/session"), http("POST", "/cloudflare/sessions/new"), http("POST", "/cloudflare/"), http("POST", "/cloudflare/session/abc"),
                 http("PUT", "/cloudflare/session/abc/tracks/new", "{}"), http("POST", "/cloudflare/session/abc/renegotiate", "{}"),
                 http("PUT", "/cloudflare/session/abc/tracks/close", "{}"), http("POST", "/cloudflare/sessionX")}) {
    CAPTURE(r.path);
    check_error(response(worker.route(r)), 404, "Unknown Cloudflare endpoint");
  }
  check_error(response(worker.route(http("POST", "/cloudflare/session/a.b/tracks/new", "{}"))), 400, "invalid session id");
  check_error(response(worker.route(http("POST", "/cloudflare/session/abc/tracks/new", "sdp"))), 400, "request body must be a JSON object");
  check_error(response(worker.route(http("POST", "/cloudflare/session/abc/tracks/new", ""))), 400, "request body must be a JSON object");
  check_error(response(worker.route(http("POST", "/cloudflare/session/abc/tracks/new", R"({"x":")" + std::string(60, 'x') + "\"}"))), 413, "request body too large");
  CHECK_FALSE(worker.route(http("POST", "/cloudflare")));
  Worker unconfigured(Json{{"JWT_SECRET", kSecret}});
  CHECK(response(unconfigured.route(http("POST", "/cloudflare/session"))).status == 503);
}

TEST_CASE("connect: existing sessions to the newcomer first, then join to the others") {
  Object room("rooms", kVars);
  auto alice = enter(room, "p-alice", "Alice");
  CHECK(room.take(alice).empty());  // no welcome frame
  const std::string announce = R"({"type":"cloudflare-session","roomId":"room-1","participantId":"p-alice","participantName":"Alice","sessionId":"sess-a","tracks":[{"trackName":"a-audio","kind":"audio"}]})";
  room.message(alice, announce);

  auto carol = enter(room, "p-carol", "Carol");  // connected, no session yet
  CHECK(parsed(room.take(alice).at(0)) == Json{{"type", "join"}, {"from", "p-carol"}, {"to", "all"}, {"data", {{"participant_id", "p-carol"}, {"participant_name", "Carol"}}}});
  CHECK(parsed(room.take(carol).at(0))["participantId"] == "p-alice");

  auto bob = enter(room, "p-bob", "Bob");
  auto frames = room.take(bob);
  REQUIRE(frames.size() == 1);
  CHECK(parsed(frames[0]) == Json{{"type", "cloudflare-session"}, {"roomId", "room-1"}, {"participantId", "p-alice"}, {"participantName", "Alice"}, {"sessionId", "sess-a"}, {"tracks", {{{"trackName", "a-audio"}, {"kind", "audio"}}}}});
  Json join = {{"type", "join"}, {"from", "p-bob"}, {"to", "all"}, {"data", {{"participant_id", "p-bob"}, {"participant_name", "Bob"}}}};
  CHECK(room.take(alice) == std::vector<std::string>{join.dump()});
  CHECK(room.take(carol) == std::vector<std::string>{join.dump()});
}

TEST_CASE("frames: cloudflare-session verbatim, track-state stamped, directed and to:all, leave on close") {
  Object room("rooms", kVars);
  auto a = enter(room, "p-a", "A"), b = enter(room, "p-b", "B"), c = enter(room, "p-c", "C");
  for (auto conn : {a, b, c}) room.take(conn);

  // Verbatim, spacing and client-chosen ids included, to everyone but the sender.
  const std::string session = R"({ "type":"cloudflare-session", "participantId":"whatever", "sessionId":"s-b", "tracks":[] })";
  room.message(b, session);
  CHECK(room.take(a) == std::vector<std::string>{session});
  CHECK(room.take(c) == std::vector<std::string>{session});
  CHECK(room.take(b).empty());

  // The real client's mute toggle has no sender: it gets one, and a forged one is overwritten.
  room.message(a, R"({"type":"track-state","kind":"audio","enabled":false,"participantId":"p-b"})");
  Json stamped = {{"type", "track-state"}, {"kind", "audio"}, {"enabled", false}, {"participantId", "p-a"}, {"from", "p-a"}};
  CHECK(parsed(room.take(b).at(0)) == stamped);
  CHECK(parsed(room.take(c).at(0)) == stamped);
  CHECK(room.take(a).empty());

  room.message(a, R"({"type":"offer","to":"p-c","data":{"sdp":"v=0"}})");
  CHECK(parsed(room.take(c).at(0)) == Json{{"type", "offer"}, {"to", "p-c"}, {"data", {{"sdp", "v=0"}}}, {"from", "p-a"}});
  CHECK(room.take(b).empty());
  room.message(c, R"({"type":"ice","from":"p-b","to":"all","data":1})");
  CHECK(parsed(room.take(a).at(0))["from"] == "p-c");
  CHECK(parsed(room.take(b).at(0))["from"] == "p-c");
  CHECK(room.take(c).empty());
  room.message(a, R"({"type":"answer","to":"p-nobody"})");
  CHECK(parsed(room.take(a).at(0)) == Json{{"type", "error"}, {"error", "unknown participant: p-nobody"}});

  room.disconnect(b);
  Json leave = {{"type", "leave"}, {"from", "p-b"}, {"to", "all"}, {"data", {{"participant_id", "p-b"}}}};
  CHECK(room.take(a) == std::vector<std::string>{leave.dump()});
  CHECK(room.take(c) == std::vector<std::string>{leave.dump()});
  // b's session went with it: a newcomer hears only of those still here.
  room.message(c, R"({"type":"cloudflare-session","sessionId":"s-c","tracks":[{"trackName":"c"}]})");
  auto d = enter(room, "p-d");
  auto seen = room.take(d);
  REQUIRE(seen.size() == 1);
  CHECK(parsed(seen[0])["participantId"] == "p-c");
  CHECK(parsed(seen[0])["participantName"] == "C");
}

TEST_CASE("a reconnecting participant replaces its old socket, whose close announces nothing") {
  Object room("rooms", kVars);
  auto a = enter(room, "p-a", "A"), b = enter(room, "p-b", "B");
  room.message(b, R"({"type":"cloudflare-session","sessionId":"s-b","tracks":[]})");
  room.take(a);
  auto b2 = enter(room, "p-b", "B");
  CHECK_FALSE(room.is_open(b));
  CHECK(room.host.closes.at(b).code == 1000);
  auto frames = room.take(a);
  REQUIRE(frames.size() == 1);
  CHECK(parsed(frames[0])["type"] == "join");
  room.message(a, R"({"type":"offer","to":"p-b"})");
  CHECK(room.take(b2).size() == 1);
  room.disconnect(b2);
  CHECK(parsed(room.take(a).at(0))["type"] == "leave");
}

TEST_CASE("capacity: the join route records maxParticipants; a join or connect past it gets 409") {
  Object room("rooms", kVars);
  auto capacity = [&](int max) {
    Request r = http("POST", "/capacity", Json{{"maxParticipants", max}}.dump());
    return response(room.fetch(r));
  };
  CHECK(parsed(capacity(2).body) == Json{{"participants", 0}, {"maxParticipants", 2}});
  CHECK(room.host.storage.at("maxParticipants") == "2");
  auto a = enter(room, "p-a");
  enter(room, "p-b");
  check_error(capacity(2), 409, "Room is full");
  auto refused = room.connect(socket_request(token_for(room.host, "p-c")));
  check_error(std::get<Response>(refused), 409, "Room is full");
  // A participant already here may reconnect; someone leaving makes room.
  CHECK(std::holds_alternative<sb::ConnId>(room.connect(socket_request(token_for(room.host, "p-b")))));
  room.disconnect(a);
  CHECK(capacity(2).status == 200);
  room.hibernate();
  enter(room, "p-c");
  CHECK(std::get<Response>(room.connect(socket_request(token_for(room.host, "p-d")))).status == 409);
  check_error(response(room.fetch(http("POST", "/capacity", "{}"))), 400, "maxParticipants required");

  // Tokens signed elsewhere for a room the join route never told: the default.
  Object fresh("rooms", Json{{"JWT_SECRET", kSecret}, {"ROOMS_DEFAULT_MAX_PARTICIPANTS", "1"}});
  enter(fresh, "p-a");
  CHECK(std::get<Response>(fresh.connect(socket_request(token_for(fresh.host, "p-b")))).status == 409);
}

TEST_CASE("the object checks the token itself: identity only from it") {
  Object room("rooms", kVars);
  check_error(std::get<Response>(room.connect(upgrade("/ws"))), 401, "Missing token");
  check_error(std::get<Response>(room.connect(socket_request("x.y.z"))), 401, "Invalid token");
  room.host.clock -= 86'400'000.0 * 2;
  std::string old = token_for(room.host, "p-old");
  room.host.clock += 86'400'000.0 * 2;
  check_error(std::get<Response>(room.connect(socket_request(old))), 401, "Invalid token");
  CHECK(response(room.fetch(http("GET", "/elsewhere"))).status == 404);
  Object unconfigured("rooms");
  CHECK(std::get<Response>(unconfigured.connect(socket_request(token_for(room.host, "p")))).status == 503);
}

TEST_CASE("bad frames: an error frame each, 1008 past the limit, 1003 for binary, 1009 when too big") {
  Json vars = kVars;
  vars["ROOMS_MAX_INVALID_MESSAGES"] = "4";
  vars["ROOMS_MAX_MESSAGE_BYTES"] = "200";
  Object room("rooms", vars);
  auto a = enter(room, "p-a"), b = enter(room, "p-b");
  room.take(a);
  for (const char* bad : {"not json", "[1]", R"({"type":"offer"})", R"({"type":"cloudflare-session","sessionId":"s"})"}) {
    room.message(a, bad);
    auto frames = room.take(a);
    REQUIRE(frames.size() == 1);
    CHECK(parsed(frames[0])["type"] == "error");
  }
  CHECK(room.take(b).empty());
  room.message(a, R"({"type":7})");
  CHECK(room.host.closes.at(a).code == 1008);
  CHECK(parsed(room.take(b).at(0))["type"] == "leave");

  auto c = enter(room, "p-c");
  room.message(c, R"({"type":"offer","to":"all"})", true);
  CHECK(room.host.closes.at(c).code == 1003);
  auto d = enter(room, "p-d");
  room.message(d, R"({"type":"offer","to":"all","data":")" + std::string(200, 'x') + "\"}");
  CHECK(room.host.closes.at(d).code == 1009);
}

TEST_CASE("large track lists spill out of the attachment and survive hibernation") {
  Object room("rooms", kVars);
  auto a = enter(room, "p-a", "A");
  Json tracks = Json::array();
  for (int i = 0; i < 60; ++i) tracks.push_back({{"trackName", "track-with-a-long-name-" + std::to_string(i)}, {"kind", "video"}});
  room.message(a, Json{{"type", "cloudflare-session"}, {"sessionId", "s-a"}, {"tracks", tracks}}.dump());
  CHECK(room.host.attachments.at(a).size() < 2048);
  room.hibernate();
  auto b = enter(room, "p-b");
  CHECK(parsed(room.take(b).at(0))["tracks"] == tracks);
}

// The contract of hibernation: a core rebuilt from attachments mid-sequence
// answers exactly as one that never slept.
TEST_CASE("a rebuilt room behaves exactly like one that never slept") {
  const char* people[] = {"p-1", "p-2", "p-3", "p-4"};
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    Json vars = kVars;
    vars["ROOMS_MAX_INVALID_MESSAGES"] = "2";
    Object awake("rooms", vars), sleepy("rooms", vars);
    std::vector<sb::ConnId> conns;
    for (int step = 0; step < 60; ++step) {
      int action = static_cast<int>(rng() % 10);
      if (conns.empty() || action == 0) {
        const char* who = people[rng() % 4];
        Request r = socket_request(token_for(awake.host, who, std::string("name-") + who));
        auto one = awake.connect(r);
        auto two = sleepy.connect(r);
        REQUIRE(one.index() == two.index());
        if (auto* conn = std::get_if<sb::ConnId>(&one)) {
          CHECK(*conn == std::get<sb::ConnId>(two));
          conns.push_back(*conn);
        }
        std::erase_if(conns, [&](sb::ConnId c) { return !awake.is_open(c); });
        continue;
      }
      if (action == 1) {
        int max = 1 + static_cast<int>(rng() % 4);
        Request r = http("POST", "/capacity", Json{{"maxParticipants", max}}.dump());
        CHECK(response(awake.fetch(r)).status == response(sleepy.fetch(r)).status);
        continue;
      }
      if (action == 2) {
        sleepy.hibernate();
        continue;
      }
      sb::ConnId conn = conns[rng() % conns.size()];
      if (action == 3) {
        awake.disconnect(conn);
        sleepy.disconnect(conn);
        std::erase(conns, conn);
        continue;
      }
      std::string frame;
      switch (action) {
        case 4: frame = Json{{"type", "cloudflare-session"}, {"sessionId", "s" + std::to_string(step)}, {"tracks", {{{"trackName", "t"}}}}}.dump(); break;
        case 5: frame = Json{{"type", "track-state"}, {"kind", "audio"}, {"enabled", step % 2 == 0}}.dump(); break;
        case 6: frame = Json{{"type", "offer"}, {"to", people[rng() % 4]}, {"data", step}}.dump(); break;
        case 7: frame = Json{{"type", "ice"}, {"to", "all"}, {"data", step}}.dump(); break;
        default: frame = "garbage"; break;
      }
      awake.message(conn, frame);
      sleepy.message(conn, frame);
      std::erase_if(conns, [&](sb::ConnId c) { return !awake.is_open(c); });
    }
    CHECK(awake.host.received == sleepy.host.received);
    CHECK(awake.host.closes.size() == sleepy.host.closes.size());
  }
}

TEST_CASE("flood limits: ROOMS_MESSAGES_PER_SECOND answers an error frame; ROOMS_IP_CONNECTS_PER_MINUTE answers 429") {
  Json vars = kVars;
  vars["ROOMS_MESSAGES_PER_SECOND"] = "3";
  vars["ROOMS_IP_CONNECTS_PER_MINUTE"] = "2";
  Object room("rooms", vars);
  auto alice = enter(room, "alice"), bob = enter(room, "bob");
  room.take(alice);
  room.take(bob);
  for (int i = 0; i < 4; ++i) room.message(alice, R"({"type":"track-state","kind":"audio","enabled":false})");
  CHECK(room.take(bob).size() == 3);
  CHECK(room.take(alice) == std::vector<std::string>{R"({"type":"error","error":"rate limit exceeded"})"});
  room.host.clock += 1000;
  room.message(alice, R"({"type":"track-state","kind":"audio","enabled":true})");
  CHECK(room.take(bob).size() == 1);

  auto from = [&](const char* ip, const char* who) {
    Request r = socket_request(token_for(room.host, who));
    r.headers["cf-connecting-ip"] = ip;
    return room.connect(r);
  };
  CHECK(std::holds_alternative<sb::ConnId>(from("198.51.100.1", "carol")));
  CHECK(std::holds_alternative<sb::ConnId>(from("198.51.100.1", "dave")));
  auto refused = from("198.51.100.1", "erin");
  CHECK(std::get<Response>(refused).status == 429);
  CHECK(std::holds_alternative<sb::ConnId>(from("198.51.100.2", "erin")));
}
