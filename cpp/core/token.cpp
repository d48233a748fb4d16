#include "token.h"

#include <cmath>

namespace sb {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string_view digest_bytes(const Digest& digest) {
  return std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// RFC 7519 NumericDate: seconds, possibly fractional.
std::optional<double> numeric_date(const Json& claims, std::string_view name) {
  const Json* value = field(claims, name);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  double seconds = value->get<double>();
  if (!std::isfinite(seconds)) return std::nullopt;
  return seconds;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (bytes.size() - i == 1) {
    std::uint32_t n = at(i) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    std::uint32_t n = at(i) << 16 | at(i + 1) << 8;
    for (int shift : {18, 12, 6}) out += kAlphabet[(n >> shift) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = sextet(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string random_uuid(WorkerHost& host) {
  std::array<std::uint8_t, 16> bytes{};
  host.random(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string sign_jwt(WorkerHost& host, const Setting& secret, const Json& claims) {
  std::string input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(to_text(claims));
  std::string signature = base64url_encode(digest_bytes(host.hmac_secret(secret.name, input)));
  return input + "." + signature;
}

std::optional<Json> verify_jwt(WorkerHost& host, const Setting& secret, std::string_view token, double now_ms) {
  std::size_t first = token.find('.');
  std::size_t last = token.rfind('.');
  if (first == std::string_view::npos || first == last || token.find('.', first + 1) != last) return std::nullopt;
  std::string_view signing_input = token.substr(0, last);
  std::optional<std::string> header_text = base64url_decode(token.substr(0, first));
  std::optional<std::string> payload_text = base64url_decode(token.substr(first + 1, last - first - 1));
  if (!header_text || !payload_text) return std::nullopt;

  // The algorithm is fixed, never taken from the token: `none` and others are refused.
  std::optional<Json> header = parse_json(*header_text);
  if (!header || string_field(*header, "alg") != "HS256" || field(*header, "crit") != nullptr) return std::nullopt;

  std::string expected = base64url_encode(digest_bytes(host.hmac_secret(secret.name, signing_input)));
  if (!constant_time_equal(expected, token.substr(last + 1))) return std::nullopt;

  std::optional<Json> claims = parse_json(*payload_text);
  if (!claims || !claims->is_object()) return std::nullopt;
  double now = std::floor(now_ms / 1000.0);
  std::optional<double> exp = numeric_date(*claims, "exp");
  if (!exp || *exp <= now) return std::nullopt;
  if (field(*claims, "nbf") != nullptr) {
    std::optional<double> nbf = numeric_date(*claims, "nbf");
    if (!nbf || *nbf > now) return std::nullopt;
  }
  return claims;
}

bool is_secret(WorkerHost& host, const Setting& secret, std::string_view presented) {
  constexpr std::string_view kProbe = "switchboard secret check";
  if (presented.empty()) return false;
  return constant_time_equal(digest_bytes(host.hmac_secret(secret.name, kProbe)), digest_bytes(host.hmac_sha256(presented, kProbe)));
}

}  // namespace sb
