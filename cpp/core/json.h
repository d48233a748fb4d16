// The one JSON vocabulary of the core. Built without exceptions: every read is
// checked, parsing never throws, and serialising replaces invalid UTF-8.
#pragma once
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sb {

using Json = nlohmann::ordered_json;

// The default of MAX_JSON_DEPTH (config.h): how many arrays and objects a
// value may nest. Copying, comparing and serialising a value recurse once per
// level, so no value deeper than the limit may ever exist in the core.
inline constexpr std::int64_t kDefaultJsonDepth = 64;
// The most MAX_JSON_DEPTH may be set to, and the deepest any read goes.
// Reading and serialising recurse on the engine's stack: in workerd the
// relay, MPC and rooms apps, writing out a value they read, overflowed it
// between 5,000 and 7,000 levels (a trap, which costs the object its core).
// test/worker/depth.test.mjs sends each app a value this deep.
inline constexpr std::int64_t kMostJsonDepth = 1000;

// nullopt for anything that is not one JSON document (RFC 8259, UTF-8, an
// optional byte-order mark) nesting at most `max_depth` arrays and objects
// (never more than kMostJsonDepth, however large `max_depth` is):
// what nlohmann::json accepts, but for the text after a NUL byte, which
// nlohmann ignores and this refuses. Client data (and what the core stored
// of it) is read with the configured MAX_JSON_DEPTH; text the core made
// itself may use the default.
std::optional<Json> parse_json(std::string_view text, std::int64_t max_depth = kDefaultJsonDepth);

// A top-level member of an object, as read_members finds it.
struct MemberView {
  bool present = false;
  std::optional<std::string_view> string;  // its value, when that is a string
};

// parse_json's verdict on `text` (the same for every text) without building
// anything: where it is true, found[i] is the top-level member names[i] of the
// document (not present when the document is not an object; the last of
// duplicate keys, as nlohmann keeps). A reader of a frame's kind and address
// so neither copies nor allocates for its payload. The strings view the text
// itself (read in place: read_in_place_within) or a copy of it that lives
// until the next read_members. `found` is sized to `names` (a no-op for the
// gate's, which keeps it): a span of it, passed by value, is a copy in memory
// that the gate's Frame then read back wider than it was written, which the
// CPU cannot forward from its stores.
bool read_members(std::string_view text, std::int64_t max_depth, std::span<const std::string_view> names,
                  std::vector<MemberView>& found);

// Bytes kept after a text that is read in situ, in place or in a copy: its
// closing NUL, then room for the string scan's loads, 64 at a time from
// wherever a string starts.
inline constexpr std::size_t kReadPadding = 64;
// The buffer whose text read_members reads where it lies, not from a copy:
// one that starts at the buffer and leaves kReadPadding bytes of it after
// itself (the WebAssembly boundary's input, which the shim writes each frame
// into). The read writes the byte after the text and nothing of the text:
// a text that needs decoding (an escape) or marking (a byte that is not
// UTF-8), or a number's exponent zeroed, is read from a copy after all.
void read_in_place_within(std::span<char> buffer);

// Whether `text` is UTF-8 (RFC 3629: no surrogates, no overlong forms): what
// to_text() writes unchanged, where it replaces anything else.
bool is_utf8(std::string_view text);

inline std::string to_text(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Whether two short strings (member names, message kinds, a publish's tail)
// are equal, compared in place a word at a time: the first and the last
// word, overlapping below two words. In the module, std::string_view's == is
// a call to libc's memcmp, a byte loop of its own, which took a tenth of a
// publish's WebAssembly.
inline bool same(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const auto words_at = [&]<typename Word>(Word, std::size_t at) {
    Word x, y;
    std::memcpy(&x, a.data() + at, sizeof x);
    std::memcpy(&y, b.data() + at, sizeof y);
    return x == y;
  };
  const auto ends = [&]<typename Word>(Word word) { return words_at(word, 0) && words_at(word, n - sizeof(Word)); };
  if (n >= 8) {
    for (std::size_t at = 8; at < n - 8; at += 8) {
      if (!words_at(std::uint64_t{}, at)) return false;
    }
    return ends(std::uint64_t{});
  }
  if (n >= 4) return ends(std::uint32_t{});
  if (n >= 2) return ends(std::uint16_t{});
  return n == 0 || a[0] == b[0];
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
