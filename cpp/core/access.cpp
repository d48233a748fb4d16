#include "access.h"

#include "token.h"

namespace sb {
namespace {

bool claim_text(const Json& claims, std::string_view name) {
  auto value = string_field(claims, name);
  return value && !value->empty() && value->size() <= kMaxAccessClaimBytes;
}

}  // namespace

std::optional<Json> read_access_token(WorkerHost& host, std::string_view token, double now_ms) {
  std::optional<Json> claims = verify_jwt(host, kAccessSecret, token, now_ms);
  if (!claims || !claim_text(*claims, "app") || !claim_text(*claims, "sub") || !claim_text(*claims, "scope")) return std::nullopt;
  if (const Json* topics = field(*claims, "topics")) {
    if (!topics->is_array()) return std::nullopt;
    for (const Json& topic : *topics) {
      if (!topic.is_string()) return std::nullopt;
    }
  }
  return claims;
}

bool token_mode(const Config& config, const Setting& access) { return config[access] != "open"; }

Response not_valid_here() { return Response::error(403, "access token not valid here"); }

Expected<Json> check_access(const Request& request, const Config& config, WorkerHost& host, std::string_view app) {
  if (!config.has(kAccessSecret)) {
    return Response::error(503, "ACCESS_TOKEN_SECRET is not configured (wrangler secret put ACCESS_TOKEN_SECRET)");
  }
  std::optional<Json> claims = read_access_token(host, request.credential("access_token"), host.now());
  if (!claims) return Response::error(401, "invalid access token");
  if (string_field(*claims, "app") != app) return not_valid_here();
  return std::move(*claims);
}

Outcome admit(Outcome routed, const Request& request, const Config& config, WorkerHost& host, std::string_view app, const Setting& access,
              std::optional<std::string_view> sub) {
  auto* forward = std::get_if<Forward>(&routed);
  if (forward == nullptr) return routed;
  if (!token_mode(config, access)) return with_access(std::move(*forward), std::nullopt);
  auto checked = check_access(request, config, host, app);
  if (!checked) return checked.error();
  const Json& claims = *checked;
  if (string_field(claims, "scope") != forward->instance || (sub && string_field(claims, "sub") != *sub)) return not_valid_here();
  return with_access(std::move(*forward), claims);
}

Outcome admit_socket(Outcome target, const Request& request, const Config& config, WorkerHost& host, std::string_view app,
                     const Setting& access, const Response& upgrade_required, std::optional<std::string_view> sub) {
  bool plain = !request.upgrade && std::holds_alternative<Forward>(target);
  if (plain && !token_mode(config, access)) return upgrade_required;
  Outcome admitted = admit(std::move(target), request, config, host, app, access, sub);
  if (plain && std::holds_alternative<Forward>(admitted)) return upgrade_required;
  return admitted;
}

Forward with_access(Forward forward, const std::optional<Json>& claims) {
  forward.headers[std::string(kAccessHeader)] = claims ? Json(to_text(*claims)) : Json();
  return forward;
}

std::optional<Json> access_of(const Request& request) {
  std::string_view header = request.header(kAccessHeader);
  if (header.empty()) return std::nullopt;
  return parse_json(header);
}

}  // namespace sb
