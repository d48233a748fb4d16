#pragma once
#include <string_view>

namespace sb {
// Set by CMake from the project version (kept equal to package.json's; a test checks).
inline constexpr std::string_view kVersion = SB_VERSION;
}  // namespace sb
