#include <doctest/doctest.h>

#include <cctype>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "apps/apps.h"
#include "core/router.h"

namespace {

std::string operations_page() {
  std::ifstream file(SB_SOURCE_DIR "/docs/operations.md");
  REQUIRE(file.good());
  std::stringstream page;
  page << file.rdbuf();
  return page.str();
}

// The row of docs/operations.md's table that starts with `name` and `value`
// in its first two cells, from there to the end of its line; empty if none.
std::string_view row(std::string_view page, std::string_view name, std::string_view value) {
  std::string head = "| `";
  head.append(name).append("` | ").append(value).append(" |");
  std::size_t at = page.find(head);
  return at == std::string_view::npos ? std::string_view() : page.substr(at, page.find('\n', at) - at);
}

}  // namespace

// The limits table of docs/operations.md is the operator's reference: it must
// list every limit of the core and of every app with the default the core really uses.
TEST_CASE("docs/operations.md lists every limit with its default, and its most where it has one") {
  std::string page = operations_page();
  std::set<std::string_view> names;
  auto listed = [&](const sb::Limit& limit) {
    CAPTURE(limit.name);
    CHECK(names.insert(limit.name).second);
    std::string_view text = row(page, limit.name, std::to_string(limit.fallback));
    REQUIRE(!text.empty());
    // "at most N" names the limit's most, in the rows of those that have one.
    constexpr std::string_view kAtMost = "at most ";
    std::size_t at = text.find(kAtMost);
    while (at != std::string_view::npos && !std::isdigit(static_cast<unsigned char>(text[at + kAtMost.size()]))) at = text.find(kAtMost, at + 1);
    std::string_view named = at == std::string_view::npos ? "" : text.substr(at + kAtMost.size());
    named = named.substr(0, named.find(' '));
    CHECK(named == (limit.most == std::numeric_limits<std::int64_t>::max() ? "" : std::to_string(limit.most)));
  };
  for (const sb::Limit* limit : sb::kCoreLimits) listed(*limit);
  for (const sb::Manifest* app : sb::all_apps()) {
    for (const sb::Limit* limit : app->limits) listed(*limit);
  }
  CHECK(names.size() > std::size(sb::kCoreLimits));
}

// Its settings table likewise: every setting, as a var or a secret, with its default.
TEST_CASE("docs/operations.md lists every setting, secrets as secrets, with its default") {
  std::string page = operations_page();
  std::set<std::string_view> names;
  auto listed = [&](const sb::Setting& setting) {
    CAPTURE(setting.name);
    CHECK(names.insert(setting.name).second);
    std::string_view text = row(page, setting.name, setting.secret ? "secret" : "var");
    REQUIRE(!text.empty());
    std::string fallback = "`";
    fallback.append(setting.fallback).push_back('`');
    if (!setting.fallback.empty()) CHECK(text.find(fallback) != std::string_view::npos);
  };
  for (const sb::Setting* setting : sb::kRouterSettings) listed(*setting);
  for (const sb::Manifest* app : sb::all_apps()) {
    for (const sb::Setting* setting : app->settings) listed(*setting);
  }
  CHECK(names.contains("JWT_SECRET"));
}

TEST_CASE("an override past a limit's most counts as the most") {
  CHECK(sb::configure({{"MAX_JSON_DEPTH", "1000000"}})[sb::kMaxJsonDepth] == sb::kMostJsonDepth);
  CHECK(sb::configure({{"MAX_JSON_DEPTH", "1000"}})[sb::kMaxJsonDepth] == 1000);
  CHECK(sb::configure({{"MAX_JSON_DEPTH", "8"}})[sb::kMaxJsonDepth] == 8);
}

TEST_CASE("settings are read once from the declared names only; empty means the default") {
  sb::Json vars = {{"SIGNAL_MAX_MESSAGE_BYTES", "42"}, {"MPC_SESSION_END", "all-participants"}, {"TURN_API_BASE", ""},
                   {"SIGNAL_MAX_CONNECTIONS", "-1"}, {"UNDECLARED", "x"}};
  sb::Config config = sb::configure(vars);
  CHECK(config[*sb::find_app("signal")->limits[0]] == 42);
  const sb::Manifest& rooms = *sb::find_app("rooms");
  for (const sb::Setting* setting : rooms.settings) {
    if (setting->name == "TURN_API_BASE") CHECK(config[*setting] == "https://rtc.live.cloudflare.com/v1");
  }
  for (const sb::Setting* setting : sb::find_app("mpc")->settings) {
    if (setting->name == "MPC_SESSION_END") CHECK(config[*setting] == "all-participants");
  }
  for (const sb::Limit* limit : sb::find_app("signal")->limits) {
    if (limit->name == "SIGNAL_MAX_CONNECTIONS") CHECK(config[*limit] == 10000);
  }
  sb::Json names = sb::declared_names();
  CHECK(std::find(names.begin(), names.end(), "UNDECLARED") == names.end());
  CHECK(std::find(names.begin(), names.end(), "JWT_SECRET") != names.end());
  CHECK(std::find(names.begin(), names.end(), "LOG_REFUSALS_INTERVAL_MS") != names.end());
  CHECK(std::find(names.begin(), names.end(), "SWARM_INVITE_TTL_MS") != names.end());
}
