#include "apps/swarm/invite_registry.h"

#include <algorithm>
#include <array>

namespace sb::swarm {
namespace {

constexpr std::string_view kCodePrefix = "invite/";
constexpr std::string_view kPurgeKey = "purge-at";
constexpr double kPurgeEveryMs = 60'000;
constexpr std::size_t kCodeLength = 6;
constexpr int kAttempts = 16;

std::string code_key(std::string_view code) { return std::string(kCodePrefix) + std::string(code); }

std::optional<double> expiry(const Json& invite) {
  const Json* at = field(invite, "expiresAt");
  if (at == nullptr || !at->is_number()) return std::nullopt;
  return at->get<double>();
}

}  // namespace

bool is_invite_code(std::string_view code) {
  if (code.size() < 4 || code.size() > 16) return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
}

Outcome InviteRegistry::fetch(const Request& request) {
  constexpr std::string_view kInvites = "/invites";
  if (request.path == kInvites && request.method == "POST") return make(request);
  if (request.path.starts_with(std::string(kInvites) + "/") && request.method == "GET") {
    return lookup(std::string_view(request.path).substr(kInvites.size() + 1));
  }
  return Response::error(404, "not found");
}

Response InviteRegistry::make(const Request& request) {
  std::optional<Json> body = parse_json(request.body);
  std::optional<std::string_view> swarm = body ? string_field(*body, "swarm") : std::nullopt;
  if (!swarm || !is_instance_name(*swarm)) return Response::error(400, "expected {\"swarm\": <swarm name>}");
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  double now = host_.now();
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string code;
    while (code.size() < kCodeLength) {
      std::array<std::uint8_t, kCodeLength> bytes{};
      host_.random(bytes);
      for (std::uint8_t byte : bytes) {
        // 252 = 7 × 36: the bytes above would favour the first characters.
        if (byte < 252 && code.size() < kCodeLength) code += kAlphabet[byte % 36];
      }
    }
    // A live code is never handed out twice; an expired one may be reused.
    if (auto existing = host_.kv_get(code_key(code))) {
      std::optional<Json> invite = parse_json(*existing);
      if (auto at = invite ? expiry(*invite) : std::nullopt; at && *at > now) continue;
    }
    double expires_at = now + static_cast<double>(config_[kInviteTtlMs]);
    host_.kv_put(code_key(code), to_text({{"swarm", *swarm}, {"expiresAt", static_cast<std::int64_t>(expires_at)}}));
    schedule_purge(expires_at);
    return Response::json(200, {{"code", code}, {"expiresAt", static_cast<std::int64_t>(expires_at)}});
  }
  return Response::error(503, "no free invite code");
}

Response InviteRegistry::lookup(std::string_view code) {
  if (!is_invite_code(code)) return Response::error(404, "invalid invite code");
  std::optional<std::string> stored = host_.kv_get(code_key(code));
  std::optional<Json> invite = stored ? parse_json(*stored) : std::nullopt;
  std::optional<std::string_view> swarm = invite ? string_field(*invite, "swarm") : std::nullopt;
  std::optional<double> at = invite ? expiry(*invite) : std::nullopt;
  if (!swarm || !at || *at <= host_.now()) {
    if (stored) host_.kv_delete(code_key(code));
    return Response::error(404, "invalid invite code");
  }
  return Response::json(200, {{"swarm", *swarm}});
}

void InviteRegistry::alarm() {
  double now = host_.now();
  double next = 0;
  for (const auto& [key, value] : host_.kv_list(kCodePrefix)) {
    std::optional<Json> invite = parse_json(value);
    std::optional<double> at = invite ? expiry(*invite) : std::nullopt;
    if (!at || *at <= now) {
      host_.kv_delete(key);
    } else if (next == 0 || *at < next) {
      next = *at;
    }
  }
  host_.kv_delete(kPurgeKey);
  if (next != 0) schedule_purge(next);
}

void InviteRegistry::schedule_purge(double expires_at) {
  double at = std::max(expires_at, host_.now() + kPurgeEveryMs);
  std::optional<std::string> planned = host_.kv_get(kPurgeKey);
  std::optional<Json> when = planned ? parse_json(*planned) : std::nullopt;
  if (when && when->is_number() && when->get<double>() <= at) return;
  host_.kv_put(kPurgeKey, to_text(static_cast<std::int64_t>(at)));
  set_alarm(at);
}

}  // namespace sb::swarm
