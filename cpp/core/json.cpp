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

// The length of the UTF-8 character at `p`, or 0 where none starts (RFC
// 3629's table: the lead byte fixes the length and the second byte's range,
// so no surrogates and no overlong forms). Reads no byte past the first that
// does not fit, nor past `end`.
std::size_t utf8_length(const unsigned char* p, const unsigned char* end) {
  unsigned char lead = *p, lo = 0x80, hi = 0xBF;
  std::size_t length;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, lo = lead == 0xE0 ? 0xA0 : 0x80, hi = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, lo = lead == 0xF0 ? 0x90 : 0x80, hi = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (static_cast<std::size_t>(end - p) < length || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  }
  return length;
}

}  // namespace

// ASCII is skipped 16 bytes at a time (SSE2, which Emscripten turns into
// WebAssembly SIMD); the rest character by character.
bool is_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
#ifdef __SSE2__
    for (; end - p >= 16 && _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))) == 0; p += 16) {
    }
    if (p == end) break;
#endif
    const std::size_t length = utf8_length(p, end);
    if (length == 0) return false;
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

// read_number's verdict without its value: it refuses only a double past
// the largest, which a number below 10^308 cannot be. strtod decides the
// rest: in the module it computes in software long doubles, ~10,000
// instructions for the glare token of a y-webrtc signal (Date.now() +
// Math.random(), in every one). Out of line, as the building values below.
[[gnu::noinline]] bool finite_number(std::string_view text) {
  const std::size_t exponent_at = text.find_first_of("eE");
  std::string_view mantissa = text.substr(0, exponent_at);
  if (mantissa.front() == '-') mantissa.remove_prefix(1);
  // A power of ten the number is below: its digits before the point ("0.…" is below 1).
  std::int64_t magnitude = mantissa.front() == '0' ? 0 : static_cast<std::int64_t>(std::min(mantissa.find('.'), mantissa.size()));
  if (exponent_at != std::string_view::npos) {
    std::string_view exponent = text.substr(exponent_at + 1);
    if (exponent.front() == '+') exponent.remove_prefix(1);
    std::int64_t power = 0;
    auto [at, error] = std::from_chars(exponent.data(), exponent.data() + exponent.size(), power);
    if (error != std::errc() || at != exponent.data() + exponent.size()) return read_number(text).has_value();
    magnitude += power;
  }
  return magnitude <= 308 || read_number(text).has_value();
}

// The reader's handler, for both reads (one handler type keeps one instance
// of the reader in the module): parse_json's builds the same Json that
// nlohmann's own parser would; read_members' builds nothing and notes the
// top-level members it looks for. Both check what the grammar leaves: how
// deep arrays and objects nest, and numbers nlohmann can hold (the scan below
// checks strings' UTF-8). RapidJSON reads a
// frame in ~13 instructions per byte where nlohmann's lexer takes ~75
// (BENCHMARKS.md), and nlohmann stays the one value type (its parser is not in
// the module at all). Numbers arrive as their text, so ints, unsigned, floats
// and overflow come out as nlohmann's.
class DocumentReader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DocumentReader> {
 public:
  // Builds into `root`. `stack` is empty, and left as the read ends.
  DocumentReader(std::vector<Json*>& stack, std::int64_t max_depth) : stack_(&stack), max_depth_(bounded(max_depth)) {}
  // Builds nothing; `found` (all absent) gets the members `names`.
  DocumentReader(std::span<const std::string_view> names, std::span<MemberView> found, std::int64_t max_depth)
      : names_(names), found_(found), max_depth_(bounded(max_depth)) {}

  // For a second read of the same document: nothing built or open.
  void restart() {
    root = Json();
    key_ = nullptr;
    member_ = nullptr;
    depth_ = 0;
  }

  Json root;

  bool Null() { return stack_ ? put_null() : value(); }
  bool Bool(bool b) { return stack_ ? put_bool(b) : value(); }
  // `end`: where the number ends (StreamTraits<Copy>, below).
  bool RawNumber(const char* end, rapidjson::SizeType length, bool) {
    const std::string_view text(end - length, length);
    return stack_ ? put_number(text) : finite_number(text) && value();
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    if (member_ != nullptr) member_->string = s;
    return stack_ ? put_string(s) : value();
  }
  bool StartObject() { return open(Json::value_t::object); }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    std::string_view s(text, length);
    if (stack_) {
      key_ = member_slot(s);
    } else if (depth_ == 1) {
      // A later duplicate replaces the member, as in nlohmann's tree.
      auto name = std::find_if(names_.begin(), names_.end(), [&](std::string_view n) { return same(n, s); });
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
  // The building read's values, out of line: inlined, their temporaries gave
  // the reader a frame on the module's stack for every string and value
  // (and nesting level), built or not.
  [[gnu::noinline]] bool put_null() { return put(nullptr); }
  [[gnu::noinline]] bool put_bool(bool b) { return put(b); }
  [[gnu::noinline]] bool put_number(std::string_view text) {
    std::optional<Json> number = read_number(text);
    return number && put(std::move(*number));
  }
  [[gnu::noinline]] bool put_string(std::string_view s) { return put(std::string(s)); }
  [[gnu::noinline]] Json* member_slot(std::string_view name) { return &(*stack_->back())[std::string(name)]; }
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
  // The depth the reader's recursion is bounded by (kReadFlags), whatever a caller asks.
  static std::int64_t bounded(std::int64_t max_depth) { return std::min(max_depth, kMostJsonDepth); }

  std::int64_t depth_ = 0;  // arrays and objects open
  std::int64_t max_depth_;
};

#ifdef __SSE2__
// What the scan compares with, one vector each, made once per document
// (Copy::stop). Read through a volatile pointer, so that they are values: as
// constants, LLVM puts each back into the loop as a v128.const, which
// workerd's V8 builds anew with three x64 instructions at every use.
// A byte xored with `flip` is at most `below` exactly when it is a quote
// (0xA0), a control byte (0x80..0x9F) or not ASCII (0x00..0x7F): one test,
// so that 64 bytes can be tested at once on their unsigned minimum.
struct Stops {
  __m128i backslash, flip, below;
};
constexpr char kStopBytes[] = {'\\', '\x82', '\xA0'};
Stops stop_vectors() {
  const volatile char* bytes = kStopBytes;
  return {_mm_set1_epi8(bytes[0]), _mm_set1_epi8(bytes[1]), _mm_set1_epi8(bytes[2])};
}
#else
struct Stops {};
Stops stop_vectors() { return {}; }
#endif

// The copy a document is decoded in, in situ: RapidJSON's own stream under a
// name of its own, so that the string scan below is the one its reader runs.
// Read in place (read_in_place_within), it writes nothing: the scan gives up
// where a copy would be written (`needs_copy`), and a string's end is left
// as it is (the reader passes lengths).
struct Copy : rapidjson::InsituStringStream {
  using rapidjson::InsituStringStream::GenericInsituStringStream;
  // What the scan writes over a string's first byte that is not UTF-8: a
  // control byte, which the reader refuses where it stands.
  static constexpr char kRefused = '\x01';
  // In place, the reader's only Put: a string's end.
  void Put(char c) {
    if (!in_place) *dst_ = c;
    ++dst_;
  }
  // Stops the read in place: the reader next meets the document's closing
  // NUL inside a string, which it refuses.
  void give_up() {
    needs_copy = true;
    src_ = end;
  }
  Stops stop = stop_vectors();
  bool in_place = false;
  bool needs_copy = false;
  char* end = nullptr;  // the document's closing NUL
};

#ifdef __SSE2__
__m128i load(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
// Each of `bytes` at most `below` once flipped: all ones, else zero.
__m128i at_most(__m128i bytes, __m128i below) { return _mm_cmpeq_epi8(_mm_min_epu8(bytes, below), bytes); }
// A byte of all ones for each of the 16 bytes at `p` that ends a plain run: a
// quote, a backslash, a control byte or one that is not ASCII.
__m128i stops_at(const char* p, const Stops& stop) {
  const __m128i bytes = load(p);
  return _mm_or_si128(at_most(_mm_xor_si128(bytes, stop.flip), stop.below), _mm_cmpeq_epi8(bytes, stop.backslash));
}
int string_stops(const char* p, const Stops& stop) { return _mm_movemask_epi8(stops_at(p, stop)); }
// Whether any of the 64 bytes at `p` ends a plain run: stops_at's test on
// their least flipped byte, six vector operations fewer than four stops_at.
bool any_stop_in_64(const char* p, const Stops& stop) {
  const __m128i a = load(p), b = load(p + 16), c = load(p + 32), d = load(p + 48);
  const auto flipped = [&](__m128i bytes) { return _mm_xor_si128(bytes, stop.flip); };
  const auto backslash = [&](__m128i bytes) { return _mm_cmpeq_epi8(bytes, stop.backslash); };
  const __m128i least = _mm_min_epu8(_mm_min_epu8(flipped(a), flipped(b)), _mm_min_epu8(flipped(c), flipped(d)));
  const __m128i backslashes = _mm_or_si128(_mm_or_si128(backslash(a), backslash(b)), _mm_or_si128(backslash(c), backslash(d)));
  return _mm_movemask_epi8(_mm_or_si128(at_most(least, stop.below), backslashes)) != 0;
}
// One bit for each of 32 bytes, as stops_at found them 16 at a time.
std::uint32_t stop_bits(__m128i low, __m128i high) {
  return static_cast<std::uint32_t>(_mm_movemask_epi8(low)) | static_cast<std::uint32_t>(_mm_movemask_epi8(high)) << 16;
}

// Moves the `n` < 16 bytes at `from` back to `to`, every byte loaded before
// any is stored: two overlapping words, where a call to memmove costs more
// than the copy (a y-webrtc offer's SDP has a `\r\n` escape every ~20 bytes).
void move_short(const char* from, char* to, std::size_t n) {
  const auto words = [&]<typename Word>(Word) {
    Word head, tail;
    std::memcpy(&head, from, sizeof head);
    std::memcpy(&tail, from + n - sizeof tail, sizeof tail);
    std::memcpy(to, &head, sizeof head);
    std::memcpy(to + n - sizeof tail, &tail, sizeof tail);
  };
  if (n >= 8) words(std::uint64_t{});
  else if (n >= 4) words(std::uint32_t{});
  else if (n >= 2) words(std::uint16_t{});
  else if (n == 1) *to = *from;
}
#endif

// The length of the plain run at `from`, copied to `to` (before it, over
// escapes decoded so far) unless that is `from`. With SSE2 (WebAssembly SIMD
// in the module), 16 bytes or more a step from the run's first, where RapidJSON's own
// scan goes byte by byte up to a 16-byte boundary (for a key or a short
// string, all of it) and misses 0x1A..0x1F (it compares with 0x19).
#ifdef __SSE2__
std::size_t plain_run(const char* from, char* to, const Stops& stop) {
  const char* p = from;
  int stops;
  if (to == from) {
    if ((stops = string_stops(p, stop)) != 0) return __builtin_ctz(stops);
    // Past 16 bytes, 64 a step: a 4 KB string's scan is most of its read.
    for (p += 16;; p += 64) {
      if (any_stop_in_64(p, stop)) {
        const std::uint64_t low = stop_bits(stops_at(p, stop), stops_at(p + 16, stop));
        const std::uint64_t high = stop_bits(stops_at(p + 32, stop), stops_at(p + 48, stop));
        return p - from + __builtin_ctzll(low | high << 32);
      }
    }
  }
  for (; (stops = string_stops(p, stop)) == 0; p += 16, to += 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to), load(p));
  }
  const int tail = __builtin_ctz(stops);
  move_short(p, to, tail);
  return p - from + tail;
}
#else
std::size_t plain_run(const char* from, char* to, const Stops&) {
  const char* p = from;
  for (auto c = static_cast<unsigned char>(*p); c != '"' && c != '\\' && c >= 0x20 && c < 0x80;
       c = static_cast<unsigned char>(*++p)) {
  }
  if (to != from) std::memmove(to, from, p - from);
  return p - from;
}
#endif

// What a one-character escape (`\n`, `\"`, …) decodes to, or 0 for `\u` and
// what is no escape: those go back to the reader.
char short_escape(char e) {
  switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

// `\uDC00`..`\uDFFF` where the scan stops: a low surrogate with no high one
// before it (the reader reads a pair's second half itself), which decodes to
// no character. Where the two digits after `D` are not hex, the reader
// refuses the escape anyway.
bool lone_low_surrogate(const char* p) {
  const char third = static_cast<char>(p[3] | 0x20);
  return p[0] == '\\' && p[1] == 'u' && (p[2] | 0x20) == 'd' && third >= 'c' && third <= 'f';
}

}  // namespace
}  // namespace sb

// The reader works on the stream itself, not on a copy of it per string or
// number: in the module, each copy in and back was a wide load of fields just
// stored one by one, which the CPU cannot forward from its stores (a stall at
// every string). In situ, RawNumber is then handed the end of the number
// (DocumentReader::RawNumber).
template <>
struct rapidjson::StreamTraits<sb::Copy> {
  enum { copyOptimization = 0 };
};

// A string's bytes up to its next quote, `\u` escape or control byte, each
// character that is not ASCII checked on the way, so that every string the
// reader accepts is UTF-8 and the text needs no pass of its own. What is not
// (raw bytes, or an escaped lone low surrogate) is marked kRefused. One-character
// escapes are decoded here, where the scan goes on: back in the reader, each
// cost a y-webrtc offer (a `\r\n` every ~20 bytes of SDP) a return and a new scan.
template <>
template <>
inline void rapidjson::Reader::ScanCopyUnescapedString<sb::Copy, sb::Copy>(sb::Copy& is, sb::Copy&) {
  const sb::Stops stop = is.stop;
  char* p = is.src_;
  char* q = is.dst_;
  for (;;) {
    const std::size_t plain = sb::plain_run(p, q, stop);
    p += plain;
    q += plain;
    const auto* c = reinterpret_cast<const unsigned char*>(p);
    if (*c == '\\') {
      if (is.in_place) return is.give_up();
      const char decoded = sb::short_escape(p[1]);
      if (decoded == 0) break;
      *q++ = decoded;
      p += 2;
      continue;
    }
    if (*c < 0x80) break;
    // The copy's NUL ends a character that runs past the document.
    const std::size_t length = sb::utf8_length(c, c + 4);
    if (length == 0) {
      if (is.in_place) return is.give_up();
      *p = sb::Copy::kRefused;
      break;
    }
    if (q != p) std::memmove(q, p, length);
    q += length;
    p += length;
  }
  if (sb::lone_low_surrogate(p)) *p = sb::Copy::kRefused;
  is.src_ = p;
  is.dst_ = q;
}

namespace sb {
namespace {

// The reader recurses once per array or object, and DocumentReader refuses
// to open one past its limit, so it descends at most kMostJsonDepth + 1
// levels, each a frame on the engine's stack and none on the module's (the
// handler's building values are out of line): test/worker/depth.test.mjs
// reads that deep in workerd. Its iterative form cost ~380 instructions more
// per publish, and ten times that on a y-webrtc offer (BENCHMARKS.md).
constexpr unsigned kReadFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;

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

// `text` without a leading byte-order mark.
std::string_view without_mark(std::string_view text) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  return same(text.substr(0, kByteOrderMark.size()), kByteOrderMark) ? text.substr(kByteOrderMark.size()) : text;
}

// One read of the `size` bytes `in` starts at (kReadPadding bytes after
// them, for its closing NUL and the scan's loads) by `handler`: why the
// reader refused them, or kParseErrorNone.
rapidjson::ParseErrorCode read_at(Copy& in, std::size_t size, DocumentReader& handler) {
  in.end = in.src_ + size;
  *in.end = '\0';
  if (!scratch.reader.Parse<kReadFlags>(in, handler)) return scratch.reader.GetParseErrorCode();
  // The reader takes a NUL byte for the end of the text (so does nlohmann):
  // a document must end where the text does.
  return in.Tell() == size ? rapidjson::kParseErrorNone : rapidjson::kParseErrorDocumentRootNotSingular;
}

// One read of `document` by `handler`, decoded in situ in `copy`: why the
// reader refused it, or kParseErrorNone.
rapidjson::ParseErrorCode read_once(std::string_view document, std::string& copy, DocumentReader& handler) {
  // In situ: strings are decoded where they lie in this copy, not pushed
  // byte by byte onto the reader's stack (~40% fewer instructions).
  copy.resize(document.size() + kReadPadding);  // a no-op when the last frame was as long
  std::copy_n(document.data(), document.size(), copy.data());
  Copy in(copy.data());
  return read_at(in, document.size(), handler);
}

// read_in_place_within's buffer.
thread_local std::span<char> in_place_window;

// read_members' verdict on a text in the in-place window, read where it
// lies; none for a text elsewhere, or one the read in place gave up on, or
// one whose exponent the copy must zero: those are read from a copy.
std::optional<bool> read_in_place(std::string_view text, DocumentReader& handler) {
  if (text.data() != in_place_window.data() || text.size() + kReadPadding > in_place_window.size()) return std::nullopt;
  const std::string_view document = without_mark(text);
  Copy in(in_place_window.data() + (document.data() - text.data()));
  in.in_place = true;
  const rapidjson::ParseErrorCode error = read_at(in, document.size(), handler);
  if (in.needs_copy || error == rapidjson::kParseErrorNumberTooBig) return std::nullopt;
  return error == rapidjson::kParseErrorNone;
}

// The one way a text is read, built or not: a byte-order mark skipped, then
// the reader, with `handler` (fresh). Outside strings, the grammar admits
// ASCII alone, and the string scan checks the rest: a text that is not UTF-8,
// or a string that decodes to what is not, is refused.
bool read(std::string_view text, std::string& copy, DocumentReader& handler) {
  const std::string_view document = without_mark(text);
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
                  std::vector<MemberView>& found) {
  keep_small(scratch.members);
  found.resize(names.size());
  std::fill(found.begin(), found.end(), MemberView{});
  DocumentReader members(names, found, max_depth);
  if (std::optional<bool> verdict = read_in_place(text, members)) return *verdict;
  std::fill(found.begin(), found.end(), MemberView{});
  members.restart();
  return read(text, scratch.members, members);
}

void read_in_place_within(std::span<char> buffer) { in_place_window = buffer; }

}  // namespace sb
