// The one JSON vocabulary of the core. Built without exceptions: every read is
// checked, parsing never throws, and serialising replaces invalid UTF-8.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sb {

using Json = nlohmann::ordered_json;

// The default of MAX_JSON_DEPTH (config.h): how many arrays and objects a
// value may nest. Copying, comparing and serialising a value recurse once per
// level, so no value deeper than the limit may ever exist in the core.
inline constexpr std::int64_t kDefaultJsonDepth = 64;

// nullopt for anything that is not one JSON document (RFC 8259, UTF-8, an
// optional byte-order mark) nesting at most `max_depth` arrays and objects:
// what nlohmann::json accepts, but for the text after a NUL byte, which
// nlohmann ignores and this refuses. Client data (and what the core stored
// of it) is read with the configured MAX_JSON_DEPTH; text the core made
// itself may use the default.
//
// `members`, when not empty, names the top-level members of an object that
// are built; the others are checked as fully (same verdict) but left out, so
// a reader that needs a frame's kind does not copy its payload.
std::optional<Json> parse_json(std::string_view text, std::int64_t max_depth = kDefaultJsonDepth,
                               std::span<const std::string_view> members = {});

// Whether `text` is UTF-8 (RFC 3629: no surrogates, no overlong forms): what
// to_text() writes unchanged, where it replaces anything else.
bool is_utf8(std::string_view text);

inline std::string to_text(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Field access that never throws: null when `obj` is not an object or lacks `key`.
inline const Json* field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

inline std::optional<std::string_view> string_field(const Json& obj, std::string_view key) {
  const Json* v = field(obj, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_ref<const std::string&>());
}

}  // namespace sb
