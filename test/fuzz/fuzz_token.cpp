// libFuzzer target: the access-token verifier (read_access_token, over the
// HS256 verify_jwt the rooms app shares). The first byte picks the input's
// reading: a token as a client sends it, or claims that are signed properly
// first (so the claim checks after the signature are reached). Whatever it
// accepts must be a token for the right key with well-formed claims, and the
// same text must fail under another key.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/access.h"
#include "core/token.h"
#include "fake_host.h"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "access token invariant broken: %s\n", what);
  std::abort();
}

bool claim(const sb::Json& claims, std::string_view name) {
  auto value = sb::string_field(claims, name);
  return value && !value->empty() && value->size() <= sb::kMaxAccessClaimBytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static sb::test::FakeHost host = [] {
    sb::test::FakeHost h;
    h.secrets[std::string(sb::kAccessSecret.name)] = "fuzz-access-secret";
    h.secrets["OTHER"] = "another-secret";
    return h;
  }();
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string token(input);
  if (data[0] & 1) {
    std::optional<sb::Json> claims = sb::parse_json(input);
    if (!claims) return 0;
    token = sb::sign_jwt(host, sb::kAccessSecret, *claims);
  }
  std::optional<sb::Json> read = sb::read_access_token(host, token, host.now());
  if (!read) return 0;
  require(read->is_object() && claim(*read, "app") && claim(*read, "sub") && claim(*read, "scope"), "app, sub and scope");
  const sb::Json* exp = sb::field(*read, "exp");
  require(exp != nullptr && exp->is_number() && exp->get<double>() * 1000 > host.now() - 1000, "exp ahead");
  if (const sb::Json* topics = sb::field(*read, "topics")) require(topics->is_array(), "topics an array");
  constexpr sb::Setting kOther{"OTHER", "", "", true};
  require(!sb::verify_jwt(host, kOther, token, host.now()), "another key refuses it");
  return 0;
}
