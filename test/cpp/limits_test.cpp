#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "apps/apps.h"
#include "core/router.h"

namespace {

std::string readme() {
  std::ifstream file(SB_SOURCE_DIR "/README.md");
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// `| `NAME` | default | secret: …` as the README's settings table writes it.
std::string setting_row(const sb::Setting& setting) {
  std::string fallback = setting.fallback.empty() ? "–" : "`" + std::string(setting.fallback) + "`";
  return "| `" + std::string(setting.name) + "` | " + fallback + " | " + (setting.secret ? "secret: " : "");
}

}  // namespace

// The README's limits table is the operator's reference: it must list every
// limit of every app with the default the core really uses.
TEST_CASE("the README lists every limit with its default") {
  std::string text = readme();
  std::set<std::string_view> names;
  for (const sb::Manifest* app : sb::all_apps()) {
    for (const sb::Limit* limit : app->limits) {
      CAPTURE(limit->name);
      CHECK(names.insert(limit->name).second);
      std::string row = "| `" + std::string(limit->name) + "` | " + std::to_string(limit->fallback) + " |";
      CHECK(text.find(row) != std::string::npos);
    }
  }
  CHECK(!names.empty());
}

TEST_CASE("the README lists every setting with its default, secrets marked") {
  std::string text = readme();
  std::set<std::string_view> names;
  auto listed = [&](const sb::Setting& setting) {
    CAPTURE(setting.name);
    CHECK(names.insert(setting.name).second);
    CHECK(text.find(setting_row(setting)) != std::string::npos);
  };
  for (const sb::Setting* setting : sb::kRouterSettings) listed(*setting);
  for (const sb::Manifest* app : sb::all_apps()) {
    for (const sb::Setting* setting : app->settings) listed(*setting);
  }
  CHECK(names.contains("JWT_SECRET"));
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
  for (const sb::Setting* setting : sb::find_app("mpc")->settings) CHECK(config[*setting] == "all-participants");
  for (const sb::Limit* limit : sb::find_app("signal")->limits) {
    if (limit->name == "SIGNAL_MAX_CONNECTIONS") CHECK(config[*limit] == 10000);
  }
  sb::Json names = sb::declared_names();
  CHECK(std::find(names.begin(), names.end(), "UNDECLARED") == names.end());
  CHECK(std::find(names.begin(), names.end(), "JWT_SECRET") != names.end());
  CHECK(std::find(names.begin(), names.end(), "SWARM_INVITE_TTL_MS") != names.end());
}
