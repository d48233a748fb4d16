// js-shim/worker.js and wrangler.toml against the manifests: every Durable
// Object class exported with its app's name, bound and created by a migration;
// every other binding an app names declared; nothing that no app declares.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "apps/apps.h"
#include "core/router.h"
#include "example/echo_room.h"
#include "fake_host.h"

namespace {

std::string read(const char* path) {
  std::ifstream file(std::string(SB_SOURCE_DIR) + "/" + path);
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The quoted strings of one line.
std::vector<std::string> strings_in(std::string_view line) {
  std::vector<std::string> out;
  for (std::size_t open = line.find('"'); open != std::string_view::npos; open = line.find('"', open)) {
    std::size_t close = line.find('"', open + 1);
    if (close == std::string_view::npos) break;
    out.emplace_back(line.substr(open + 1, close - open - 1));
    open = close + 1;
  }
  return out;
}

// What wrangler.toml binds, read line by line (its arrays and tables are one line each).
struct Wrangler {
  std::map<std::string, std::string> objects;  // binding → class
  std::set<std::string> classes;               // created and not deleted by the migrations
  std::string assets;
  std::set<std::string> kv;

  explicit Wrangler(const std::string& text) {
    std::istringstream lines(text);
    std::string line, table, name;
    std::set<std::string> deleted;
    while (std::getline(lines, line)) {
      if (line.starts_with("[")) {
        table = line;
        continue;
      }
      std::vector<std::string> values = strings_in(line);
      if (values.empty()) continue;
      if (table == "[[durable_objects.bindings]]" && line.starts_with("name")) name = values[0];
      if (table == "[[durable_objects.bindings]]" && line.starts_with("class_name")) objects[name] = values[0];
      if (table == "[[migrations]]" && (line.starts_with("new_sqlite_classes") || line.starts_with("new_classes"))) classes.insert(values.begin(), values.end());
      if (table == "[[migrations]]" && line.starts_with("deleted_classes")) deleted.insert(values.begin(), values.end());
      if (table == "[assets]" && line.starts_with("binding")) assets = values[0];
      if (table == "[[kv_namespaces]]" && line.starts_with("binding")) kv.insert(values[0]);
    }
    for (const std::string& gone : deleted) classes.erase(gone);
  }
};

// The classes worker.js exports over SwitchboardObject, with the app each names.
std::map<std::string, std::string> worker_classes(const std::string& text) {
  std::map<std::string, std::string> out;
  constexpr std::string_view kExport = "export class ";
  for (std::size_t at = text.find(kExport); at != std::string::npos; at = text.find(kExport, at + 1)) {
    std::size_t name_end = text.find(' ', at + kExport.size());
    std::string name = text.substr(at + kExport.size(), name_end - at - kExport.size());
    std::size_t body_end = text.find('}', at);
    std::size_t app = text.find("static app = ", at);
    if (text.compare(name_end, 27, " extends SwitchboardObject ") != 0 || app > body_end) continue;
    out[name] = strings_in(std::string_view(text).substr(app, text.find('\n', app) - app)).at(0);
  }
  return out;
}

std::vector<std::string> wiring_problems(sb::Manifests apps, const std::string& worker_js, const std::string& wrangler_toml) {
  std::vector<std::string> problems;
  Wrangler wrangler(wrangler_toml);
  std::map<std::string, std::string> classes = worker_classes(worker_js);
  std::set<std::string> bindings, class_names, kv;
  for (const sb::Manifest* app : apps) {
    std::string name(app->name), binding(app->binding), object(app->object_class);
    for (std::string_view ns : app->kv_namespaces) {
      kv.insert(std::string(ns));
      if (!wrangler.kv.contains(std::string(ns))) problems.push_back("wrangler.toml: no [[kv_namespaces]] binding " + std::string(ns) + " (app " + name + ")");
    }
    if (object.empty()) {
      if (binding != wrangler.assets) problems.push_back("wrangler.toml: [assets] binding is not " + binding + " (app " + name + ")");
      continue;
    }
    bindings.insert(binding);
    class_names.insert(object);
    if (auto it = wrangler.objects.find(binding); it == wrangler.objects.end() || it->second != object) {
      problems.push_back("wrangler.toml: no [[durable_objects.bindings]] name = \"" + binding + "\", class_name = \"" + object + "\" (app " + name + ")");
    }
    if (!wrangler.classes.contains(object)) problems.push_back("wrangler.toml: no [[migrations]] creates " + object + " (app " + name + ")");
    if (auto it = classes.find(object); it == classes.end() || it->second != name) {
      problems.push_back("js-shim/worker.js: no `export class " + object + " extends SwitchboardObject { static app = \"" + name + "\" }`");
    }
  }
  for (const auto& [binding, object] : wrangler.objects) {
    if (!bindings.contains(binding)) problems.push_back("wrangler.toml: binding " + binding + " (class " + object + ") belongs to no app");
  }
  for (const std::string& object : wrangler.classes) {
    if (!class_names.contains(object)) problems.push_back("wrangler.toml: a migration creates " + object + ", which no app declares (delete it in a new migration)");
  }
  for (const auto& [object, app] : classes) {
    if (!class_names.contains(object)) problems.push_back("js-shim/worker.js: class " + object + " (app " + app + ") belongs to no app");
  }
  for (const std::string& ns : wrangler.kv) {
    if (!kv.contains(ns)) problems.push_back("wrangler.toml: kv namespace " + ns + " is used by no app");
  }
  return problems;
}

}  // namespace

TEST_CASE("js-shim/worker.js and wrangler.toml declare exactly the manifests' classes, bindings and migrations") {
  for (const std::string& problem : wiring_problems(sb::all_apps(), read("js-shim/worker.js"), read("wrangler.toml"))) FAIL_CHECK(problem);
}

TEST_CASE("the manifests' routes do not overlap; an overlap names both routes") {
  CHECK(sb::overlaps(sb::all_apps()) == "");
  constexpr sb::Route kGreedy[] = {{.path = "/mpc/:shard", .methods = "GET", .handle = nullptr}};
  const sb::Manifest greedy{.name = "greedy", .binding = "Greedy", .routes = kGreedy};
  std::vector<const sb::Manifest*> apps(sb::all_apps().begin(), sb::all_apps().end());
  apps.push_back(&greedy);
  CHECK(sb::overlaps(apps) == "mpc (any /mpc/*) overlaps greedy (GET /mpc/:shard)");
  constexpr sb::Route kHealth[] = {{.path = "/:anything", .handle = nullptr}};
  const sb::Manifest health{.name = "health", .binding = "Health", .routes = kHealth};
  const sb::Manifest* alone[] = {&health};
  CHECK(sb::overlaps(alone) == "health (any /:anything) overlaps the router (any /health)");
  // The same path with narrower conditions is no overlap: it takes those requests.
  constexpr sb::Route kPlain[] = {{.path = "/echo", .methods = "GET", .plain = true, .handle = nullptr}};
  const sb::Manifest page{.name = "page", .binding = "PAGE", .routes = kPlain};
  std::vector<const sb::Manifest*> narrowed = sb::example::with_echo();
  narrowed.push_back(&page);
  CHECK(sb::overlaps(narrowed) == "");
}

TEST_CASE("adding an app: one folder, one line in the list, its class, binding and one migration") {
  std::string worker_js = read("js-shim/worker.js");
  std::string wrangler_toml = read("wrangler.toml");
  std::vector<const sb::Manifest*> apps = sb::example::with_echo();

  // Listed, but not yet wired: each missing piece is named.
  std::vector<std::string> missing = wiring_problems(apps, worker_js, wrangler_toml);
  CHECK(missing == std::vector<std::string>{
                       "wrangler.toml: no [[durable_objects.bindings]] name = \"EchoRoom\", class_name = \"EchoRoom\" (app echo)",
                       "wrangler.toml: no [[migrations]] creates EchoRoom (app echo)",
                       "js-shim/worker.js: no `export class EchoRoom extends SwitchboardObject { static app = \"echo\" }`"});
  worker_js += "\nexport class EchoRoom extends SwitchboardObject {\n  static app = \"echo\";\n}\n";
  wrangler_toml += "\n[[durable_objects.bindings]]\nname = \"EchoRoom\"\nclass_name = \"EchoRoom\"\n\n[[migrations]]\ntag = \"v2\"\nnew_sqlite_classes = [\"EchoRoom\"]\n";
  for (const std::string& problem : wiring_problems(apps, worker_js, wrangler_toml)) FAIL_CHECK(problem);
  // Taken out of the list again, what it left in the files is named too.
  CHECK(wiring_problems(sb::all_apps(), worker_js, wrangler_toml) ==
        std::vector<std::string>{"wrangler.toml: binding EchoRoom (class EchoRoom) belongs to no app",
                                 "wrangler.toml: a migration creates EchoRoom, which no app declares (delete it in a new migration)",
                                 "js-shim/worker.js: class EchoRoom (app echo) belongs to no app"});

  // And it works: the router forwards to its binding, its object answers.
  CHECK(sb::overlaps(apps) == "");
  sb::test::FakeHost worker;
  sb::Request upgrade = sb::test::upgrade("/echo/room-1");
  auto forward = std::get<sb::Forward>(sb::route(upgrade, sb::Config(), apps, worker));
  CHECK(forward.binding == "EchoRoom");
  CHECK(forward.instance == "room-1");
  CHECK(std::get<sb::Response>(sb::route(sb::test::upgrade("/echo/a b"), sb::Config(), apps, worker)).status == 400);
  CHECK(std::get<sb::Response>(sb::route(sb::test::upgrade("/echo/room-1"), sb::Config(), sb::all_apps(), worker)).status == 404);
  sb::test::Object room(sb::example::kManifest, sb::Json::object(), "room-1");
  sb::ConnId conn = room.join(upgrade);
  room.message(conn, R"({"hello":1})");
  CHECK(room.take(conn) == std::vector<std::string>{R"({"hello":1})"});
  CHECK(room.stats()["app"] == "echo");
}
