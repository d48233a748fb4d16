#include "json.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <rapidjson/reader.h>

namespace sb {
namespace {

// Builds the same Json that nlohmann's own parser would, from RapidJSON's
// reader: RapidJSON reads a frame in ~13 instructions per byte where
// nlohmann's lexer takes ~75 (BENCHMARKS.md), and nlohmann stays the one
// value type. Numbers arrive as their text and are read by nlohmann, so ints,
// unsigned, floats and overflow come out exactly as before.
class DomBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DomBuilder> {
 public:
  explicit DomBuilder(std::int64_t max_depth) : max_depth_(max_depth) {}

  Json root;

  bool Null() { return put(nullptr); }
  bool Bool(bool b) { return put(b); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    Json number = Json::parse(text, text + length, nullptr, false);
    return !number.is_discarded() && put(std::move(number));
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    return utf8(s) && put(std::string(s));
  }
  bool StartObject() { return open(Json::object()); }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    if (!utf8(s)) return false;
    key_ = &(*stack_.back())[std::string(s)];
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Json::array()); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  // RapidJSON's own UTF-8 check costs ~35 instructions a byte; this one,
  // on the decoded text, a few. It also refuses what a lone `\uDC00`-style
  // escape decodes to (a surrogate's encoding), as nlohmann does.
  static bool utf8(std::string_view s) {
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
  // Refusing here stops the reader: nothing deeper than the limit is built.
  bool open(Json container) {
    if (static_cast<std::int64_t>(stack_.size()) >= max_depth_) return false;
    Json* s = slot();
    *s = std::move(container);
    stack_.push_back(s);
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  // The open containers, outermost first. Only the innermost grows while it
  // is open, so pointers to it and its ancestors stay valid.
  std::vector<Json*> stack_;
  Json* key_ = nullptr;
  std::int64_t max_depth_;
};

constexpr unsigned kReadFlags =
    rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

}  // namespace

std::optional<Json> parse_json(std::string_view text, std::int64_t max_depth) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  std::string_view document = text.starts_with(kByteOrderMark) ? text.substr(kByteOrderMark.size()) : text;
  // In situ: strings are decoded where they lie in this copy, not pushed
  // byte by byte onto the reader's stack (~40% fewer instructions).
  std::string copy(document);
  rapidjson::InsituStringStream in(copy.data());
  DomBuilder dom(max_depth);
  rapidjson::Reader reader;
  // The reader takes a NUL byte for the end of the text (so does nlohmann):
  // a document must end where the text does.
  if (reader.Parse<kReadFlags>(in, dom)) {
    if (in.Tell() != document.size()) return std::nullopt;
    return std::move(dom.root);
  }
  // The reader refuses an exponent past a double's range even where the value
  // fits ("0e999"); nlohmann decides those, under the same depth limit (its
  // reader is iterative; a container past the limit is dropped, not built).
  if (reader.GetParseErrorCode() != rapidjson::kParseErrorNumberTooBig || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  bool too_deep = false;
  auto limit = [&](int depth, Json::parse_event_t event, Json&) {
    bool opens = event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
    if (opens && depth >= max_depth) too_deep = true;
    return !too_deep;
  };
  Json j = Json::parse(text.begin(), text.end(), limit, false);
  if (j.is_discarded() || too_deep) return std::nullopt;
  return j;
}

}  // namespace sb
