// Access tokens: who may connect to an app, and as whom. One token format for
// every app that opts in: a compact HS256 JWT signed with ACCESS_TOKEN_SECRET
// whose claims name the app, the identity (`sub`), the instance it is valid
// for (`scope`) and its expiry (`exp`, `nbf`). The Worker checks it once, at
// the upgrade, and hands the verified claims to the object in kAccessHeader.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config.h"
#include "expected.h"
#include "host.h"
#include "http.h"

namespace sb {

// The secret access tokens are signed with, used by name (WorkerHost::hmac_secret);
// declared with the router's settings, as the Worker checks tokens.
inline constexpr Setting kAccessSecret{"ACCESS_TOKEN_SECRET", "",
                                       "signs and verifies access tokens (HS256); with an app's `*_ACCESS` on `token` and this unset, its upgrades answer 503",
                                       true};
// Set by the Worker on every upgrade it hands to an object of an app with an
// access switch: the verified claims (JSON) in token mode, removed otherwise,
// so a client's own copy never reaches the object.
inline constexpr std::string_view kAccessHeader = "x-switchboard-access";
// The longest `sub` and `scope` a token may carry.
inline constexpr std::size_t kMaxAccessClaimBytes = 256;

// The claims of a well-formed access token: verify_jwt's checks, then `app`,
// `sub` and `scope` non-empty strings (at most kMaxAccessClaimBytes) and
// `topics`, when present, an array of strings.
std::optional<Json> read_access_token(WorkerHost& host, std::string_view token, double now_ms);

// An app's switch (e.g. MPC_ACCESS, default "open"): "open" lets anyone
// connect as anyone; any other value requires a token (a typo never opens).
bool token_mode(const Config& config, const Setting& access);

// The Worker's check of an upgrade for `app`, in token mode: the verified
// claims of a token for `app`, or the refusal (401 no or bad token, 403 a
// token for another app, 503 without ACCESS_TOKEN_SECRET). The token comes as
// `Authorization: Bearer` or `?access_token=`. The caller checks `scope` and
// `sub` against the request (not_valid_here() when they differ).
Expected<Json> check_access(const Request& request, const Config& config, WorkerHost& host, std::string_view app);
// 403: a valid token, for another app, instance or identity.
Response not_valid_here();

// A route's answer for `app` under its switch `access` (e.g. MPC_ACCESS): a
// Forward carries the verified claims of a token whose scope is the instance
// and, when the route knows who the request says it is, whose `sub` is `sub`
// (token mode), or none (open mode); a refusal replaces it. Other answers pass.
Outcome admit(Outcome routed, const Request& request, const Config& config, WorkerHost& host, std::string_view app, const Setting& access,
              std::optional<std::string_view> sub = std::nullopt);

// admit() for a WebSocket route: without an upgrade, `upgrade_required`; in
// token mode only once the token passed (else its 401, 403 or 503). A browser
// cannot read a refused upgrade's status, so a client asks with a plain GET
// whether its token would pass.
Outcome admit_socket(Outcome target, const Request& request, const Config& config, WorkerHost& host, std::string_view app,
                     const Setting& access, const Response& upgrade_required, std::optional<std::string_view> sub = std::nullopt);

// `forward` carrying what the Worker verified: `claims`, or nothing (open mode).
Forward with_access(Forward forward, const std::optional<Json>& claims);

// Object side: the claims the Worker verified for this upgrade; nullopt when it verified none.
std::optional<Json> access_of(const Request& request);

}  // namespace sb
