// libFuzzer target: parse_json (RapidJSON's reader building nlohmann values)
// must accept exactly what nlohmann::json accepts, and build the same value,
// number types included (compared through dump(), which keeps them apart);
// except that nlohmann stops reading at a NUL byte, where parse_json refuses,
// and that parse_json refuses values nested deeper than its limit; is_utf8
// (whose character check parse_json's string scan shares) against nlohmann's
// serialiser.
// read_members gives the same verdict, and the members as the whole read has them.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"

namespace {

// Nesting of arrays and objects, without recursing (the fuzzer's input can be deep).
std::int64_t depth(const sb::Json& root) {
  std::int64_t deepest = 0;
  std::vector<std::pair<const sb::Json*, std::int64_t>> todo{{&root, 0}};
  while (!todo.empty()) {
    auto [value, level] = todo.back();
    todo.pop_back();
    if (!value->is_structured()) continue;
    deepest = std::max(deepest, level + 1);
    for (const sb::Json& child : *value) todo.emplace_back(&child, level + 1);
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<sb::Json> ours = sb::parse_json(text);
  sb::Json theirs = sb::Json::parse(text.begin(), text.end(), nullptr, false);
  if (text.find('\0') != std::string_view::npos) theirs = sb::Json(sb::Json::value_t::discarded);
  if (!theirs.is_discarded() && depth(theirs) > sb::kDefaultJsonDepth) theirs = sb::Json(sb::Json::value_t::discarded);
  bool agree = ours ? !theirs.is_discarded() && sb::to_text(*ours) == sb::to_text(theirs) : theirs.is_discarded();
  if (!agree) {
    std::fprintf(stderr, "parse_json disagrees with nlohmann: ours %s, nlohmann %s\n",
                 ours ? sb::to_text(*ours).c_str() : "refused",
                 theirs.is_discarded() ? "refused" : sb::to_text(theirs).c_str());
    std::abort();
  }
  // is_utf8 as nlohmann's serialiser sees text: replacing and dropping what is not UTF-8 differ only where there is some.
  sb::Json as_string = std::string(text);
  bool nlohmann_utf8 = sb::to_text(as_string) == as_string.dump(-1, ' ', false, sb::Json::error_handler_t::ignore);
  if (sb::is_utf8(text) != nlohmann_utf8) {
    std::fprintf(stderr, "is_utf8 disagrees with nlohmann: %d\n", nlohmann_utf8);
    std::abort();
  }
  // "a" is a member the seeds use; "type" and "topic" are what a frame's reader keeps.
  constexpr std::string_view kNames[] = {"type", "topic", "a"};
  std::vector<sb::MemberView> found;
  // From a copy, then in place as the module reads a frame, which must leave the text as it was.
  std::string window(text);
  window.resize(text.size() + sb::kReadPadding);
  for (std::string_view read : {text, std::string_view(window.data(), text.size())}) {
    sb::read_in_place_within(window);
    bool same = sb::read_members(read, sb::kDefaultJsonDepth, kNames, found) == ours.has_value();
    sb::read_in_place_within({});
    for (std::size_t i = 0; same && ours && i < std::size(kNames); ++i) {
      const sb::Json* whole = sb::field(*ours, kNames[i]);
      std::optional<std::string_view> string = sb::string_field(*ours, kNames[i]);
      same = found[i].present == (whole != nullptr) && found[i].string == string;
    }
    if (!same || read != text) {
      std::fprintf(stderr, "read_members disagrees with the whole read, %s\n", ours ? sb::to_text(*ours).c_str() : "refused");
      std::abort();
    }
  }
  return 0;
}
