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

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace sb {

namespace {

// What one pass over a document's bytes finds, before the reader runs.
struct TextScan {
  bool utf8 = true;  // RFC 3629 throughout: no surrogates, no overlong forms
  // A backslash before a `u` (or an escaped backslash before one): a string
  // may hold a \u escape, which decodes to bytes that are not in the text.
  bool unicode_escape = false;
};

#ifdef __SSE2__
// One bit for each of the 16 bytes at `p` that needs a look.
std::uint32_t looks(const unsigned char* p) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'));
  return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(bytes, backslash)));
}
#endif

// ASCII is skipped 32 or 16 bytes at a time (SSE2, which Emscripten turns into
// WebAssembly SIMD) up to the next byte that needs a look: one that is not
// ASCII, or a backslash. That character is taken by RFC
// 3629's table. Stops at the first byte that is not UTF-8.
TextScan scan_text(std::string_view s) {
  TextScan found;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
#ifdef __SSE2__
    // 32 bytes a step while there are, then 16.
    std::uint32_t look = 0;
    for (; end - p >= 32 && (look = looks(p) | looks(p + 16) << 16) == 0; p += 32) {
    }
    for (; look == 0 && end - p >= 16 && (look = looks(p)) == 0; p += 16) {
    }
    if (look != 0) p += __builtin_ctz(look);
    if (p == end) break;
#endif
    if (*p < 0x80) {
      found.unicode_escape |= *p == '\\' && end - p > 1 && p[1] == 'u';
      ++p;
      continue;
    }
    // RFC 3629's table: the lead byte fixes the length and the second byte's range.
    unsigned char lead = *p, lo = 0x80, hi = 0xBF;
    std::size_t length;
    if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) length = 3, lo = lead == 0xE0 ? 0xA0 : 0x80, hi = lead == 0xED ? 0x9F : 0xBF;
    else if (lead >= 0xF0 && lead <= 0xF4) length = 4, lo = lead == 0xF0 ? 0x90 : 0x80, hi = lead == 0xF4 ? 0x8F : 0xBF;
    else return {.utf8 = false};
    if (static_cast<std::size_t>(end - p) < length || p[1] < lo || p[1] > hi) return {.utf8 = false};
    for (std::size_t i = 2; i < length; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return {.utf8 = false};
    }
    p += length;
  }
  return found;
}

}  // namespace

bool is_utf8(std::string_view s) { return scan_text(s).utf8; }

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

// The reader's handler, for both reads (one handler type keeps one instance
// of the reader in the module): parse_json's builds the same Json that
// nlohmann's own parser would; read_members' builds nothing and notes the
// top-level members it looks for. Both check what the grammar leaves: how
// deep arrays and objects nest, numbers nlohmann can hold, and (where a `\u`
// escape may decode to what is not) each string's UTF-8. RapidJSON reads a
// frame in ~13 instructions per byte where nlohmann's lexer takes ~75
// (BENCHMARKS.md), and nlohmann stays the one value type (its parser is not in
// the module at all). Numbers arrive as their text, so ints, unsigned, floats
// and overflow come out as nlohmann's.
class DocumentReader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DocumentReader> {
 public:
  // Builds into `root`. `stack` is empty, and left as the read ends.
  DocumentReader(std::vector<Json*>& stack, std::int64_t max_depth) : stack_(&stack), max_depth_(max_depth) {}
  // Builds nothing; `found` (all absent) gets the members `names`.
  DocumentReader(std::span<const std::string_view> names, std::span<MemberView> found, std::int64_t max_depth)
      : names_(names), found_(found), max_depth_(max_depth) {}

  // No string can decode to what is not UTF-8: scan_text found the text
  // UTF-8 and without `\u`.
  void decoded_utf8() { check_utf8_ = false; }
  // For a second read of the same document: nothing built or open.
  void restart() {
    root = Json();
    key_ = nullptr;
    member_ = nullptr;
    depth_ = 0;
  }

  Json root;

  bool Null() { return stack_ ? put(nullptr) : value(); }
  bool Bool(bool b) { return stack_ ? put(b) : value(); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    std::optional<Json> number = read_number(std::string_view(text, length));
    return number && (stack_ ? put(std::move(*number)) : value());
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    if (!utf8(s)) return false;
    if (member_ != nullptr) member_->string = s;
    return stack_ ? put(std::string(s)) : value();
  }
  bool StartObject() { return open(Json::value_t::object); }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    if (!utf8(s)) return false;
    if (stack_) {
      key_ = &(*stack_->back())[std::string(s)];
    } else if (depth_ == 1) {
      // A later duplicate replaces the member, as in nlohmann's tree.
      auto name = std::find_if(names_.begin(), names_.end(), [s](std::string_view n) { return same(n, s); });
      if (name != names_.end()) {
        member_ = &found_[name - names_.begin()];
        *member_ = {.present = true};
      }
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Json::value_t::array); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  bool utf8(std::string_view s) const { return !check_utf8_ || is_utf8(s); }
  Json* slot() {
    if (stack_->empty()) return &root;
    Json* top = stack_->back();
    if (top->is_array()) return &top->emplace_back();
    return key_;
  }
  bool put(Json value) {
    *slot() = std::move(value);
    return true;
  }
  // After a value that is not built: the member it was (if one looked for) is complete.
  bool value() {
    member_ = nullptr;
    return true;
  }
  // Refusing here stops the reader: nothing deeper than the limit is built
  // or read.
  bool open(Json::value_t container) {
    member_ = nullptr;
    if (depth_++ >= max_depth_) return false;
    if (stack_) {
      Json* s = slot();
      *s = Json(container);
      stack_->push_back(s);
    }
    return true;
  }
  bool close() {
    --depth_;
    if (stack_) stack_->pop_back();
    return true;
  }

  // Building: the open containers, outermost first. Only the innermost grows
  // while it is open, so pointers to it and its ancestors stay valid.
  std::vector<Json*>* stack_ = nullptr;
  Json* key_ = nullptr;
  // Not building: the members looked for, and the one whose value comes next.
  std::span<const std::string_view> names_;
  std::span<MemberView> found_;
  MemberView* member_ = nullptr;
  std::int64_t depth_ = 0;  // arrays and objects open
  std::int64_t max_depth_;
  bool check_utf8_ = true;
};

// The copy a document is decoded in, in situ: RapidJSON's own stream under a
// name of its own, so that the string scan below is the one its reader runs.
struct Copy : rapidjson::InsituStringStream {
  using rapidjson::InsituStringStream::GenericInsituStringStream;
  // Bytes the copy keeps after a document's end (a NUL, then any), so that
  // the scan may load 16 at a time from wherever a string starts.
  static constexpr std::size_t kPadding = 16;
};

}  // namespace
}  // namespace sb

template <>
struct rapidjson::StreamTraits<sb::Copy> {
  enum { copyOptimization = 1 };
};

#ifdef __SSE2__
namespace sb {
namespace {
// One bit for each of the 16 bytes at `p` that ends a string's plain run: a
// quote, a backslash or a control byte.
int string_stops(const char* p) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i below_space = _mm_set1_epi8(0x1F);
  return _mm_movemask_epi8(_mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))),
      _mm_cmpeq_epi8(_mm_max_epu8(bytes, below_space), below_space)));
}
}  // namespace
}  // namespace sb

// A string's plain run, 16 bytes at a time from its first (the copy's padding
// keeps every load inside it), moved back over the escapes decoded so far.
// RapidJSON's own scan goes byte by byte up to a 16-byte boundary, which for
// a key or a short string is all of it, and misses 0x1A..0x1F (it compares
// with 0x19).
template <>
template <>
inline void rapidjson::Reader::ScanCopyUnescapedString<sb::Copy, sb::Copy>(sb::Copy& is, sb::Copy&) {
  char* p = is.src_;
  int look;
  if (p == is.dst_) {  // no escape yet: nothing to move
    for (; (look = sb::string_stops(p)) == 0; p += 16) {
    }
    is.src_ = is.dst_ = p + __builtin_ctz(look);
    return;
  }
  char* q = is.dst_;
  for (; (look = sb::string_stops(p)) == 0; p += 16, q += 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  const int length = __builtin_ctz(look);
  std::memmove(q, p, length);
  is.src_ = p + length;
  is.dst_ = q + length;
}
#endif

namespace sb {
namespace {

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

// What every read reuses, so that a frame's read allocates only what it
// builds: the reader (its stack), the copies it decodes in situ, the open
// containers. Reads never nest. A copy longer than kKeptCopyBytes is let go.
struct Scratch {
  rapidjson::Reader reader;
  std::string copy;     // parse_json's
  std::string members;  // read_members', which its views show until the next one
  std::vector<Json*> open;
};
constexpr std::size_t kKeptCopyBytes = 64 * 1024;
thread_local Scratch scratch;

void keep_small(std::string& copy) {
  if (copy.capacity() > kKeptCopyBytes) std::string().swap(copy);
}

// One read of `document` by `handler`, decoded in situ in `copy`: why the
// reader refused it, or kParseErrorNone.
rapidjson::ParseErrorCode read_once(std::string_view document, std::string& copy, DocumentReader& handler) {
  // In situ: strings are decoded where they lie in this copy, not pushed
  // byte by byte onto the reader's stack (~40% fewer instructions).
  copy.resize(document.size() + Copy::kPadding);  // a no-op when the last frame was as long
  std::copy_n(document.data(), document.size(), copy.data());
  copy[document.size()] = '\0';
  Copy in(copy.data());
  if (!scratch.reader.Parse<kReadFlags>(in, handler)) return scratch.reader.GetParseErrorCode();
  // The reader takes a NUL byte for the end of the text (so does nlohmann):
  // a document must end where the text does.
  return in.Tell() == document.size() ? rapidjson::kParseErrorNone : rapidjson::kParseErrorDocumentRootNotSingular;
}

// The one way a text is read, built or not: a byte-order mark skipped, one
// scan of the bytes, then the reader, with `handler` (fresh). Every string of
// an accepted document is UTF-8 as it lies in the text (an escape decodes to
// whole characters), so a text that is not UTF-8 is refused here, before the
// reader; one without `\u` holds no string that decodes to what is not.
bool read(std::string_view text, std::string& copy, DocumentReader& handler) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  const bool marked = same(text.substr(0, kByteOrderMark.size()), kByteOrderMark);
  std::string_view document = marked ? text.substr(kByteOrderMark.size()) : text;
  TextScan scan = scan_text(document);
  if (!scan.utf8) return false;
  if (!scan.unicode_escape) handler.decoded_utf8();
  rapidjson::ParseErrorCode error = read_once(document, copy, handler);
  if (error == rapidjson::kParseErrorNumberTooBig) {
    std::string zeroed(document);
    if (!zero_large_exponents(zeroed)) return false;
    scratch.open.clear();  // the first read may have left containers open
    handler.restart();
    error = read_once(zeroed, copy, handler);
  }
  return error == rapidjson::kParseErrorNone;
}

}  // namespace

std::optional<Json> parse_json(std::string_view text, std::int64_t max_depth) {
  DocumentReader dom(scratch.open, max_depth);
  bool read_whole = read(text, scratch.copy, dom);
  scratch.open.clear();
  keep_small(scratch.copy);
  if (!read_whole) return std::nullopt;
  return std::move(dom.root);
}

// A second read (a large exponent zeroed) meets the same keys and strings in
// the same order, so it leaves `found` as a single read would.
bool read_members(std::string_view text, std::int64_t max_depth, std::span<const std::string_view> names,
                  std::span<MemberView> found) {
  keep_small(scratch.members);
  std::fill(found.begin(), found.end(), MemberView{});
  DocumentReader members(names, found, max_depth);
  return read(text, scratch.members, members);
}

}  // namespace sb
