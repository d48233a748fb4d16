// libFuzzer target: parse_json (RapidJSON's reader building nlohmann values)
// must accept exactly what nlohmann::json accepts, and build the same value,
// number types included (compared through dump(), which keeps them apart);
// except that nlohmann stops reading at a NUL byte, where parse_json refuses.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<sb::Json> ours = sb::parse_json(text);
  sb::Json theirs = sb::Json::parse(text.begin(), text.end(), nullptr, false);
  if (text.find('\0') != std::string_view::npos) theirs = sb::Json(sb::Json::value_t::discarded);
  bool agree = ours ? !theirs.is_discarded() && sb::to_text(*ours) == sb::to_text(theirs) : theirs.is_discarded();
  if (!agree) {
    std::fprintf(stderr, "parse_json disagrees with nlohmann: ours %s, nlohmann %s\n",
                 ours ? sb::to_text(*ours).c_str() : "refused",
                 theirs.is_discarded() ? "refused" : sb::to_text(theirs).c_str());
    std::abort();
  }
  return 0;
}
