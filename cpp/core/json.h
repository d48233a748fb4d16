// The one JSON vocabulary of the core. Built without exceptions: every read is
// checked, parsing never throws, and serialising replaces invalid UTF-8.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace sb {

using Json = nlohmann::ordered_json;

// nullopt for anything that is not one JSON document (RFC 8259, UTF-8, an
// optional byte-order mark): what nlohmann::json accepts, but for the text
// after a NUL byte, which nlohmann ignores and this refuses.
std::optional<Json> parse_json(std::string_view text);

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
