// Bearer credentials: unpadded base64url (RFC 4648 §5), constant-time
// comparison, random identifiers and HS256 JSON Web Tokens (RFC 7519) whose
// HMAC comes from the host (no hand-written crypto).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config.h"
#include "host.h"
#include "json.h"

namespace sb {

std::string base64url_encode(std::string_view bytes);
// nullopt unless `text` is unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

// Constant time in the content (a length mismatch returns at once).
bool constant_time_equal(std::string_view a, std::string_view b);

// A random (version 4) UUID in its lower-case text form.
std::string random_uuid(WorkerHost& host);

// `{"alg":"HS256","typ":"JWT"}.claims.signature`, keyed by the secret `secret` (by its name).
std::string sign_jwt(WorkerHost& host, const Setting& secret, const Json& claims);

// The claims of a token signed with the secret `secret` (by its name), nullopt unless:
// three base64url parts, a header whose `alg` is HS256 (no `crit`), a matching
// signature, an object payload with a numeric `exp` still ahead of `now_ms`
// (and `nbf`, if present, reached).
std::optional<Json> verify_jwt(WorkerHost& host, const Setting& secret, std::string_view token, double now_ms);

// Whether `presented` is the value of the secret `secret` (by its name), without the
// core ever holding that value: HMAC_secret(x) == HMAC_presented(x) (compared
// in constant time) only when the keys are the same.
bool is_secret(WorkerHost& host, const Setting& secret, std::string_view presented);

}  // namespace sb
