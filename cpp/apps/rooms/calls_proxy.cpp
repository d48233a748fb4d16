#include "apps/rooms/calls_proxy.h"

#include "apps/rooms/room.h"

namespace sb::rooms {
namespace {

// Calls session ids are hex; never let one add path segments upstream.
bool is_session_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Response unknown_endpoint() { return Response::error(404, "Unknown Cloudflare endpoint"); }

}  // namespace

Outcome calls_route(const Request& request, const Config& config, WorkerHost&) {
  constexpr std::string_view kSession = "/cloudflare/session";
  std::string_view path = request.path;
  if (!path.starts_with(kSession)) return unknown_endpoint();
  std::string_view rest = path.substr(kSession.size());

  std::string upstream;
  bool with_body = true;
  if (rest.empty()) {
    if (request.method != "POST") return unknown_endpoint();
    upstream = "/sessions/new";
    with_body = false;
  } else {
    if (!rest.starts_with("/")) return unknown_endpoint();
    rest.remove_prefix(1);
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return unknown_endpoint();
    std::string_view session = rest.substr(0, slash);
    std::string_view action = rest.substr(slash);
    bool tracks = action == "/tracks/new" && request.method == "POST";
    bool renegotiate = action == "/renegotiate" && request.method == "PUT";
    if (!tracks && !renegotiate) return unknown_endpoint();
    if (!is_session_id(session)) return Response::error(400, "invalid session id");
    upstream = "/sessions/" + std::string(session) + std::string(action);
  }

  std::string_view app_id = config[kCloudflareAppId];
  if (app_id.empty() || !config.has(kCloudflareAppSecret)) {
    return Response::error(503, "Cloudflare Calls is not configured (CLOUDFLARE_APP_ID, CLOUDFLARE_APP_SECRET)");
  }

  Json fetch = {{"method", request.method}, {"headers", Json::object()}, {"secret_headers", bearer_secret(kCloudflareAppSecret)}};
  if (with_body) {
    if (static_cast<std::int64_t>(request.body.size()) > config[kMaxBodyBytes]) return Response::error(413, "request body too large");
    std::optional<Json> body = parse_json(request.body, config[kMaxJsonDepth]);
    if (!body || !body->is_object()) return Response::error(400, "request body must be a JSON object");
    fetch["headers"]["content-type"] = "application/json";
    fetch["body"] = request.body;  // as the client sent it
  }
  std::string base(config[kCallsApiBase]);
  while (base.ends_with('/')) base.pop_back();
  fetch["url"] = base + "/apps/" + std::string(app_id) + upstream;
  return continue_at(kCallsAnswered, {{"fetch", std::move(fetch)}});
}

namespace {

Outcome calls_answer(const Json&, const Json& answer, const Config&, WorkerHost&) {
  const Json* status = field(answer, "status");
  if (status == nullptr || !status->is_number_integer()) return Response::error(502, "Calls API unreachable");
  int code = status->get<int>();
  if (code < 200 || code > 599) return Response::error(502, "Calls API unreachable");
  // Status and body pass through untouched; the client reads Calls' own JSON,
  // and a refusal is logged with the error Calls gave.
  Response response{.status = code, .headers = {{"content-type", "application/json"}}, .body = std::string(string_field(answer, "body").value_or(""))};
  if (code >= 400) {
    std::optional<Json> upstream = parse_json(response.body);
    response.reason = upstream ? string_field(*upstream, "error").value_or("") : "";
  }
  return response;
}

}  // namespace

const Step kCallsAnswered{"calls", &calls_answer};

}  // namespace sb::rooms
