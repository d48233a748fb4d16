#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "apps/apps.h"

// The limits table of docs/operations.md is the operator's reference: it must
// list every limit of the core and of every app with the default the core really uses.
TEST_CASE("docs/operations.md lists every limit with its default") {
  std::ifstream file(SB_SOURCE_DIR "/docs/operations.md");
  REQUIRE(file.good());
  std::stringstream page;
  page << file.rdbuf();
  std::set<std::string_view> names;
  auto listed = [&](const sb::Limit& limit) {
    CAPTURE(limit.name);
    CHECK(names.insert(limit.name).second);
    std::string row = "| `" + std::string(limit.name) + "` | " + std::to_string(limit.fallback) + " |";
    CHECK(page.str().find(row) != std::string::npos);
  };
  for (const sb::Limit& limit : sb::kCoreLimits) listed(limit);
  for (const sb::AppSpec& app : sb::all_apps()) {
    for (const sb::Limit& limit : app.limits) listed(limit);
  }
  CHECK(names.size() > std::size(sb::kCoreLimits));
}
