#include "json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <rapidjson/reader.h>

namespace sb {

// RapidJSON's own UTF-8 check costs ~35 instructions a byte; this one, on
// the decoded text, a few. It also refuses what a lone `\uDC00`-style escape
// decodes to (a surrogate's encoding), as nlohmann does.
bool is_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    std::uint64_t word;
    if (end - p >= 8 && (std::memcpy(&word, p, 8), (word & 0x8080808080808080u) == 0)) {
      p += 8;  // eight ASCII bytes
      continue;
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    // RFC 3629's table: the lead byte fixes the length and the second byte's range.
    unsigned char lead = *p, lo = 0x80, hi = 0xBF;
    std::size_t length;
    if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) length = 3, lo = lead == 0xE0 ? 0xA0 : 0x80, hi = lead == 0xED ? 0x9F : 0xBF;
    else if (lead >= 0xF0 && lead <= 0xF4) length = 4, lo = lead == 0xF0 ? 0x90 : 0x80, hi = lead == 0xF4 ? 0x8F : 0xBF;
    else return false;
    if (static_cast<std::size_t>(end - p) < length || p[1] < lo || p[1] > hi) return false;
    for (std::size_t i = 2; i < length; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    p += length;
  }
  return true;
}

namespace {

// A number as nlohmann's lexer reads one: a whole number that fits 64 bits
// is unsigned, or signed when negative; anything else is a double (strtod, as
// nlohmann), refused when it is not finite.
std::optional<Json> read_number(std::string_view text) {
  const char* end = text.data() + text.size();
  if (text.find_first_of(".eE") == std::string_view::npos) {
    if (text.front() == '-') {
      std::int64_t value;
      if (auto [at, error] = std::from_chars(text.data(), end, value); error == std::errc() && at == end) return Json(value);
    } else {
      std::uint64_t value;
      if (auto [at, error] = std::from_chars(text.data(), end, value); error == std::errc() && at == end) return Json(value);
    }
  }
  // The reader checked the grammar; what follows the number (`,` `]` `}`,
  // white space, the copy's NUL) cannot extend it.
  char* stop = nullptr;
  double value = std::strtod(text.data(), &stop);
  if (stop != end || !std::isfinite(value)) return std::nullopt;
  return Json(value);
}

// Builds the same Json that nlohmann's own parser would, from RapidJSON's
// reader: RapidJSON reads a frame in ~13 instructions per byte where
// nlohmann's lexer takes ~75 (BENCHMARKS.md), and nlohmann stays the one
// value type (its parser is not in the module at all). Numbers arrive as
// their text, so ints, unsigned, floats and overflow come out as nlohmann's.
class DomBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DomBuilder> {
 public:
  DomBuilder(std::int64_t max_depth, std::span<const std::string_view> members) : max_depth_(max_depth), members_(members) {}

  Json root;

  bool Null() { return skipped() || put(nullptr); }
  bool Bool(bool b) { return skipped() || put(b); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    std::optional<Json> number = read_number(std::string_view(text, length));
    return number && (skipped() || put(std::move(*number)));
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    return is_utf8(s) && (skipped() || put(std::string(s)));
  }
  bool StartObject() { return open(Json::value_t::object); }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    if (!is_utf8(s)) return false;
    if (skipped_ > 0) return true;
    if (!members_.empty() && stack_.size() == 1 && std::find(members_.begin(), members_.end(), s) == members_.end()) {
      skip_next_ = true;
      return true;
    }
    key_ = &(*stack_.back())[std::string(s)];
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Json::value_t::array); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  Json* slot() {
    if (stack_.empty()) return &root;
    Json* top = stack_.back();
    if (top->is_array()) return &top->emplace_back();
    return key_;
  }
  bool put(Json value) {
    *slot() = std::move(value);
    return true;
  }
  // True when the value now read is not built (a member left out, or inside one).
  bool skipped() {
    if (skipped_ > 0) return true;
    return std::exchange(skip_next_, false);
  }
  // Refusing here stops the reader: nothing deeper than the limit is built
  // (or, left out, read).
  bool open(Json::value_t container) {
    if (static_cast<std::int64_t>(stack_.size() + skipped_) >= max_depth_) return false;
    if (skipped()) {
      ++skipped_;
      return true;
    }
    Json* s = slot();
    *s = Json(container);
    stack_.push_back(s);
    return true;
  }
  bool close() {
    if (skipped_ > 0) --skipped_;
    else stack_.pop_back();
    return true;
  }

  // The open containers, outermost first. Only the innermost grows while it
  // is open, so pointers to it and its ancestors stay valid.
  std::vector<Json*> stack_;
  Json* key_ = nullptr;
  std::int64_t max_depth_;
  std::span<const std::string_view> members_;  // empty: all
  bool skip_next_ = false;   // the value after a left-out member's key
  std::size_t skipped_ = 0;  // open arrays and objects inside a left-out member
};

constexpr unsigned kReadFlags =
    rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

bool digit(char c) { return c >= '0' && c <= '9'; }

// The reader refuses an exponent past 308 even where the value fits a
// double, which only a zero does ("0e999", "-0.0E+400": nlohmann reads 0.0).
// Zeroing the exponent digits of every such zero, outside strings, keeps the
// value and lets the reader decide the rest. False when there was none.
bool zero_large_exponents(std::string& text) {
  bool changed = false;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !digit(c)) continue;
    std::size_t j = i + (c == '-');
    bool zero = j < text.size() && digit(text[j]);
    for (; j < text.size() && (digit(text[j]) || text[j] == '.'); ++j) zero = zero && (text[j] == '0' || text[j] == '.');
    if (zero && j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
      j += j + 1 < text.size() && (text[j + 1] == '+' || text[j + 1] == '-') ? 2 : 1;
      for (; j < text.size() && digit(text[j]); ++j) text[j] = '0', changed = true;
    }
    i = j - 1;
  }
  return changed;
}

// One read of `document` into a Json: nullopt where the reader refuses it.
std::optional<Json> read(std::string document, std::int64_t max_depth, std::span<const std::string_view> members,
                         rapidjson::ParseErrorCode& error) {
  // In situ: strings are decoded where they lie in this copy, not pushed
  // byte by byte onto the reader's stack (~40% fewer instructions).
  std::size_t size = document.size();
  rapidjson::InsituStringStream in(document.data());
  DomBuilder dom(max_depth, members);
  rapidjson::Reader reader;
  bool read = reader.Parse<kReadFlags>(in, dom);
  error = reader.GetParseErrorCode();
  // The reader takes a NUL byte for the end of the text (so does nlohmann):
  // a document must end where the text does.
  if (!read || in.Tell() != size) return std::nullopt;
  return std::move(dom.root);
}

#ifdef RAPIDJSON_SSE2
// RapidJSON 1.1.0's 16-byte string scan looks for control characters with
// 0x19 where it means 0x1F, so raw 0x1A..0x1F inside a string pass it. No JSON
// text holds those bytes raw anywhere; this branch-free loop (vectorised)
// refuses them before the reader runs.
bool holds_unscanned_control(std::string_view text) {
  bool seen = false;
  for (unsigned char c : text) seen |= static_cast<unsigned char>(c - 0x1A) < 6;
  return seen;
}
#endif

}  // namespace

std::optional<Json> parse_json(std::string_view text, std::int64_t max_depth, std::span<const std::string_view> members) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  std::string_view document = text.starts_with(kByteOrderMark) ? text.substr(kByteOrderMark.size()) : text;
#ifdef RAPIDJSON_SSE2
  if (holds_unscanned_control(document)) return std::nullopt;
#endif
  rapidjson::ParseErrorCode error;
  std::optional<Json> j = read(std::string(document), max_depth, members, error);
  if (j || error != rapidjson::kParseErrorNumberTooBig) return j;
  std::string zeroed(document);
  if (!zero_large_exponents(zeroed)) return std::nullopt;
  return read(std::move(zeroed), max_depth, members, error);
}

}  // namespace sb
