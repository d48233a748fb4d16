#include <doctest/doctest.h>

#include <array>
#include <string>

#include "core/json.h"

using sb::Json;
using sb::parse_json;

namespace {
bool accepted(std::string_view text) { return parse_json(text).has_value(); }
}  // namespace

TEST_CASE("parse_json accepts JSON and nothing else") {
  CHECK(accepted(R"({"type":"publish","topic":"t","data":{"a":[1,2.5,true,null]}})"));
  CHECK(accepted(" \t\r\n[] \n"));
  CHECK(accepted("\"caf\xC3\xA9 \xF0\x9F\x98\x80\""));
  CHECK(accepted("\xEF\xBB\xBF{}"));  // a leading byte-order mark, as nlohmann allows
  for (std::string_view bad : {"", " ", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "NaN", "[Infinity]", "'a'",
                               "{a:1}", "// c\n{}", "{} {}", "\"\x1F\"", "\"\\x41\""}) {
    CAPTURE(bad);
    CHECK_FALSE(accepted(bad));
  }
}

TEST_CASE("parse_json refuses a NUL byte anywhere, even after a complete document") {
  CHECK_FALSE(accepted(std::string_view("{}\0", 3)));
  CHECK_FALSE(accepted(std::string_view("{} \0 x", 6)));
  CHECK_FALSE(accepted(std::string_view("\"a\0b\"", 5)));
  CHECK(parse_json(R"("a\u0000b")")->get_ref<const std::string&>() == std::string("a\0b", 3));
}

TEST_CASE("parse_json refuses text that is not UTF-8, and escapes of lone surrogates") {
  for (std::string_view bad : {"\"\xC0\xAF\"", "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xFF\"",
                               "\"\xC3\"", "{\"\xE2\x82\":1}", R"("\udc00")", R"("\ud800")", R"("\ud800x")",
                               R"({"\udfff":1})"}) {
    CAPTURE(bad);
    CHECK_FALSE(accepted(bad));
  }
  CHECK(parse_json(R"("\ud83d\ude00\u00e9\/")")->get_ref<const std::string&>() == "\xF0\x9F\x98\x80\xC3\xA9/");
}

TEST_CASE("parse_json checks text 16 and 64 bytes at a time as it checks it byte by byte") {
  // A character at every offset of the wide steps (the first 16 bytes, then
  // steps of 64) and of the bytes after them.
  for (std::size_t at = 0; at < 300; ++at) {
    CAPTURE(at);
    // Appended, not `"\"" + …`: GCC 12 warns falsely about that insert (-Wrestrict, GCC bug 105329).
    std::string before(1, '"'), after(299 - at, 'x');
    before.append(at, 'x');
    after += '"';
    auto string_with = [&](std::string_view piece) { return before + std::string(piece) + after; };
    for (std::string_view good : {"\xC3\xA9", "\xF0\x9F\x98\x80", "\\n", "\\\"", "\\\\u", "\\u00e9", "\\ud83d\\ude00"}) {
      CAPTURE(good);
      CHECK(accepted(string_with(good)));
      CHECK(sb::is_utf8(string_with(good)));
    }
    for (std::string_view bad : {"\xC3", "\xFF", "\xED\xA0\x80", "\x19", "\x1A", "\x1F", "\\udc00", "\\x"}) {
      CAPTURE(bad);
      CHECK_FALSE(accepted(string_with(bad)));
    }
    CHECK_FALSE(sb::is_utf8(string_with("\xC3")));
    CHECK_FALSE(sb::is_utf8(string_with("\xED\xA0\x80")));
  }
  CHECK(parse_json("\"" + std::string(40, 'x') + "\\u00e9\"")->get_ref<const std::string&>() == std::string(40, 'x') + "\xC3\xA9");
}

TEST_CASE("parse_json decodes what follows an escape as it decodes what comes before one") {
  // After an escape, a string's bytes move back over it as they are scanned:
  // a character at every offset of that copy's wide steps and after them.
  for (std::size_t at = 0; at < 70; ++at) {
    CAPTURE(at);
    const std::string before(at, 'x'), after(69 - at, 'y');
    for (const auto& piece :
         {std::pair<std::string_view, std::string_view>{"\xC3\xA9", "\xC3\xA9"}, {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"}, {"\\u00e9", "\xC3\xA9"},
          {"\\\\u", "\\u"}, {"\\uD83D\\uDE00", "\xF0\x9F\x98\x80"}, {"\\t", "\t"}}) {
      CAPTURE(piece.first);
      std::optional<Json> j = parse_json("\"\\n" + before + std::string(piece.first) + after + "\"");
      REQUIRE(j);
      CHECK(j->get_ref<const std::string&>() == "\n" + before + std::string(piece.second) + after);
    }
    for (std::string_view bad : {"\xC3", "\xFF", "\xED\xA0\x80", "\x1A", "\\udc00", "\\uDFFF", "\\uDBFF"}) {
      CAPTURE(bad);
      CHECK_FALSE(accepted("\"\\n" + before + std::string(bad) + after + "\""));
    }
  }
}

TEST_CASE("parse_json decodes every one-character escape, one after another and between runs") {
  const std::string escapes = R"(\"\\\/\b\f\n\r\t)", decoded = "\"\\/\b\f\n\r\t";
  for (std::size_t at = 0; at < 300; ++at) {
    CAPTURE(at);
    const std::string run(at, 'x');
    std::optional<Json> j = parse_json("\"" + run + escapes + run + escapes + "\"");
    REQUIRE(j);
    CHECK(j->get_ref<const std::string&>() == run + decoded + run + decoded);
  }
  for (std::string_view bad : {R"("\a")", R"("\x41")", R"("\'")", R"("\U0041")", R"("\)", R"("x\)", R"(["\"])"}) {
    CAPTURE(bad);
    CHECK_FALSE(accepted(bad));
  }
}

TEST_CASE("parse_json keeps numbers as nlohmann reads them") {
  std::optional<Json> j = parse_json("[0,-0,-1,18446744073709551615,18446744073709551616,-9223372036854775808,2.5,1e2]");
  REQUIRE(j);
  CHECK((*j)[0].is_number_unsigned());
  CHECK((*j)[1].is_number_integer());
  CHECK((*j)[2] == -1);
  CHECK((*j)[3].get<std::uint64_t>() == 18446744073709551615u);
  CHECK((*j)[4].is_number_float());
  CHECK((*j)[5].get<std::int64_t>() == INT64_MIN);
  CHECK((*j)[6] == 2.5);
  CHECK((*j)[7].is_number_float());
  // A large exponent is fine if the value fits a double; one that does not is refused.
  REQUIRE(accepted("[0e999]"));
  CHECK(parse_json("[0e999]")->at(0) == 0.0);
  CHECK_FALSE(accepted("[1e400]"));
  CHECK_FALSE(accepted(std::string_view("[0e999]\0", 8)));
  // Every such zero, wherever it stands; a string that looks like one is kept as it is.
  std::optional<Json> zeros = parse_json(R"({"0e999":[-0.0E+400,"1 0e999",0e-999],"b":0E999})");
  REQUIRE(zeros);
  CHECK(sb::to_text(*zeros) == R"({"0e999":[-0.0,"1 0e999",0.0],"b":0.0})");
  CHECK_FALSE(accepted("[0e999,1e999]"));
  CHECK_FALSE(accepted("[0e999,01]"));
}

TEST_CASE("parse_json: duplicate keys keep the first position and the last value") {
  CHECK(sb::to_text(*parse_json(R"({"a":1,"b":2,"a":{"c":[3]}})")) == R"({"a":{"c":[3]},"b":2})");
}

std::string nested(std::size_t depth, std::string_view inner = "") {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) text += i % 2 ? "[" : "{\"k\":";
  text += inner.empty() ? "0" : inner;
  for (std::size_t i = depth; i-- > 0;) text += i % 2 ? "]" : "}";
  return text;
}

TEST_CASE("parse_json refuses nesting past its limit, which counts up to kMostJsonDepth") {
  CHECK(sb::kDefaultJsonDepth == 64);
  CHECK(accepted(nested(64)));
  CHECK_FALSE(accepted(nested(65)));
  CHECK(parse_json(nested(3), 3));
  CHECK_FALSE(parse_json(nested(4), 3));
  CHECK(parse_json("7", 0));
  CHECK_FALSE(parse_json("[]", 0));
  // The frame of an attack: far past the limit, refused at the limit's depth.
  std::string attack = R"({"type":"relay","to":"tgt","data":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK_FALSE(accepted(attack));
  // The reader recurses once per level, so no limit counts past
  // kMostJsonDepth, whatever the caller asks: that deep is read, deeper is not.
  CHECK(parse_json(nested(sb::kMostJsonDepth), sb::kMostJsonDepth));
  CHECK_FALSE(parse_json(nested(sb::kMostJsonDepth + 1), 100000));
  std::vector<sb::MemberView> found;
  const std::string_view names[] = {"k"};
  CHECK(sb::read_members(nested(sb::kMostJsonDepth), sb::kMostJsonDepth, names, found));
  CHECK(found[0].present);
  CHECK_FALSE(sb::read_members(nested(sb::kMostJsonDepth + 1), 100000, names, found));
  CHECK_FALSE(parse_json(std::string(100000, '[') + std::string(100000, ']'), 100000));
}

TEST_CASE("parse_json: the exponent fallback (nlohmann's reader) keeps the same depth limit") {
  CHECK(accepted(nested(64, "0e999")));
  CHECK_FALSE(accepted(nested(65, "0e999")));
  CHECK_FALSE(accepted("[0e999," + nested(65) + "]"));
  CHECK(accepted("[0e999," + nested(63) + "]"));
  CHECK_FALSE(parse_json("[0e999]", 0));
}

TEST_CASE("read_members finds top-level members without a tree, with parse_json's verdict") {
  constexpr std::string_view kNames[] = {"type", "topic", "clients"};
  std::vector<sb::MemberView> found;
  // From a copy, or in place as the module reads a frame: the same findings,
  // and not a byte of the text changed.
  bool in_place = false;
  SUBCASE("from a copy") {}
  SUBCASE("in place") { in_place = true; }
  // Exactly as long as the text and its padding: the sanitizers see a load past it.
  std::vector<char> window;
  auto members = [&](std::string_view text, std::int64_t depth = sb::kDefaultJsonDepth) {
    if (!in_place) return sb::read_members(text, depth, kNames, found);
    window = std::vector<char>(text.size() + sb::kReadPadding, '#');
    std::copy(text.begin(), text.end(), window.begin());
    sb::read_in_place_within(window);
    const bool verdict = sb::read_members(std::string_view(window.data(), text.size()), depth, kNames, found);
    CHECK(std::string_view(window.data(), text.size()) == text);
    return verdict;
  };
  // In place, a string without escapes is viewed where it lies.
  REQUIRE(members(R"({"type":"publish","topic":"t"})"));
  CHECK(found[1].string == "t");
  if (in_place) CHECK(found[1].string->data() == window.data() + 27);
  REQUIRE(members(R"({"type":"publish","data":{"sdp":["x",1.5,null]},"topic":"t\u00e9","type":"p2"})"));
  // The last of duplicate keys, as nlohmann keeps; escapes decoded.
  CHECK(found[0].present);
  CHECK(found[0].string == "p2");
  CHECK(found[1].string == "t\xC3\xA9");
  CHECK_FALSE(found[2].present);
  // Present but not a string; members at other depths and in arrays are not the object's.
  REQUIRE(members(R"({"data":{"type":"x"},"topic":{"a":[2]},"clients":3})"));
  CHECK_FALSE(found[0].present);
  CHECK(found[1].present);
  CHECK_FALSE(found[1].string);
  CHECK(found[2].present);
  REQUIRE(members(R"({"type":"a","type":7})"));
  CHECK(found[0].present);
  CHECK_FALSE(found[0].string);
  REQUIRE(members(R"([{"type":"a"}])"));
  CHECK_FALSE(found[0].present);
  REQUIRE(members("\xEF\xBB\xBF {\"topic\":\"t\"} "));
  CHECK(found[1].string == "t");
  // What is not read is checked as fully: grammar, UTF-8, numbers, depth.
  for (std::string_view refused : {R"({"type":"a","data":[1,]})", "{\"type\":\"a\",\"data\":\"\xC3\"}", "{\"data\":{\"\xFF\":1}}",
                                   R"({"type":"a","data":1e999})", R"({"data":[0e999,01]})", R"({"data":"a"} x)", R"({"data":"\ud800"})",
                                   "{\"data\":\"\x1F\"}"}) {
    CHECK_FALSE(accepted(refused));
    CHECK_FALSE(members(refused));
  }
  // Numbers: refused where parse_json refuses them (a double past the largest), told apart without their value.
  for (const std::string& number : std::vector<std::string>{"1e308", "1.7976931348623157e308", "1.7976931348623159e308", "10e307", "10e308", "-1e309",
                             "0.0001e-99999999999999999999", "1e99999999999999999999", "1E+308", "1e+309", "0.5e309",
                             "1764777600123.4568", "-0.0", std::string(309, '9'), std::string("1").append(308, '0'), std::string("1").append(309, '0')}) {
    CAPTURE(number);
    const std::string frame = R"({"type":"a","data":)" + number + "}";
    CHECK(members(frame) == accepted(frame));
  }
  CHECK(accepted(R"([1.7976931348623157e308])"));
  CHECK_FALSE(accepted(R"([1.7976931348623159e308])"));
  REQUIRE(members(R"({"data":[0e999],"type":"t","topic":0E999})"));
  CHECK(found[0].string == "t");
  CHECK(members(nested(64)));
  CHECK_FALSE(members(nested(65)));
  CHECK(members(R"({"data":[[1]]})", 3));
  CHECK_FALSE(members(R"({"data":[[[1]]]})", 3));
  // A string of every length across the scan's wide steps, and a byte it stops at in every place.
  for (std::size_t at = 0; at < 300; ++at) {
    CAPTURE(at);
    auto frame = [&](std::string_view piece) {
      std::string text = R"({"type":"publish","topic":"t","data":")";
      text.append(at, 'x').append(piece).append(299 - at, 'x').append(R"("})");
      return text;
    };
    REQUIRE(members(frame("")));
    CHECK(found[1].string == "t");
    CHECK_FALSE(members(frame("\x19")));
    CHECK(members(frame("\\n")));
  }
  // The views outlive a parse_json in between (Frame::message builds one).
  REQUIRE(members(R"({"type":"subscribe","topic":"kept"})"));
  CHECK(parse_json(R"({"type":"other","topic":"x"})"));
  CHECK(found[1].string == "kept");
  sb::read_in_place_within({});
}

TEST_CASE("same compares strings of every length a word at a time as == does byte by byte") {
  const std::string text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string a = text.substr(0, n);
    CHECK(sb::same(a, std::string(a)));
    CHECK_FALSE(sb::same(a, text.substr(0, n + 1)));
    for (std::size_t at = 0; at < n; ++at) {
      std::string b = a;
      b[at] ^= 0x20;
      CAPTURE(n);
      CAPTURE(at);
      CHECK_FALSE(sb::same(a, b));
    }
  }
}
