// libFuzzer target for every app: one binary, linked as fuzz_<app> once per
// app that has a Durable Object (the build lists them with SB_FUZZ_LIST=1);
// the name it runs under picks the app. The input is a script of platform
// events, one per line, run through the native core with FakeHost:
//   o<path>[?k=v&…]   open a WebSocket (upgrade request to the object)
//   m<i><text>        text frame from socket i (mod open sockets)
//   b<i><bytes>       binary frame from socket i
//   c<i>              socket i closes
//   a                 the alarm fires          h   the object hibernates
//   t<ms>             the clock moves on       H<name>:<value>  header for later requests
//   f<METHOD> <path> <body>   HTTP request to the object
//   r<METHOD> <path> <body>   HTTP request to the Worker's router
//   e<json>           the oldest pending Effect is answered with <json>
// Invariants, checked after every event: every frame sent is valid JSON and
// goes to an open socket; no secret (a var named *SECRET or *TOKEN) appears in
// a frame, a log line or an HTTP answer; no count the object reports is
// negative; the app's own model (model.h, models/) holds; after every socket
// closed and the object slept, no per-socket record is left in storage.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <cstdio>
#include <deque>
#include <map>
#include <set>

#include "core/router.h"
#include "example/echo_room.h"
#include "fake_host.h"
#include "model.h"

using namespace sb;

namespace sb::fuzz {

namespace {

std::map<std::string_view, Invariants>& registry() {
  static std::map<std::string_view, Invariants> invariants;
  return invariants;
}

}  // namespace

bool define(const Invariants& invariants) { return registry().emplace(invariants.app, invariants).second; }

Invariants invariants_of(std::string_view app) {
  auto it = registry().find(app);
  return it == registry().end() ? Invariants{.app = app} : it->second;
}

}  // namespace sb::fuzz

namespace {

// What is fuzzed: every app with an object, the tests' own included.
const std::vector<const Manifest*> kApps = example::with_echo();
const Manifest* target = nullptr;
fuzz::Invariants invariants;
Json vars;
Config config;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

Request request(std::string method, std::string_view target, std::string body, const Json& headers, bool upgrade) {
  Request r;
  r.method = std::move(method);
  std::size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      std::size_t eq = pair.find('=');
      r.query[std::string(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  r.headers = headers;
  r.body = std::move(body);
  r.upgrade = upgrade;
  return r;
}

// "METHOD target body" → a request.
Request http(std::string_view line, const Json& headers) {
  std::size_t sp1 = line.find(' ');
  std::string method(line.substr(0, sp1));
  std::string_view rest = sp1 == std::string_view::npos ? "/" : line.substr(sp1 + 1);
  std::size_t sp2 = rest.find(' ');
  std::string body = sp2 == std::string_view::npos ? "" : std::string(rest.substr(sp2 + 1));
  return request(method, rest.substr(0, sp2), body, headers, false);
}

// A count below zero anywhere in the object's report (its limits and settings aside).
void never_negative(const Json& value, const Json& report) {
  if (value.is_number_integer() && value.get<std::int64_t>() < 0) fail("a negative count", to_text(report));
  if (value.is_number_float() && value.get<double>() < 0) fail("a negative count", to_text(report));
  if (!value.is_structured()) return;
  for (const auto& [key, inner] : value.items()) {
    if (key != "limits" && key != "settings") never_negative(inner, report);
  }
}

}  // namespace

// SB_FUZZ_LIST=1: the names of the apps to fuzz, one a line. Otherwise the
// app is the one this binary's name (fuzz_<app>) names.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (std::getenv("SB_FUZZ_LIST") != nullptr) {
    for (const Manifest* app : kApps) {
      if (app->make != nullptr) std::printf("%.*s\n", static_cast<int>(app->name.size()), app->name.data());
    }
    std::exit(0);
  }
  std::string_view self = (*argv)[0];
  self.remove_prefix(self.rfind('/') == std::string_view::npos ? 0 : self.rfind('/') + 1);
  if (self.starts_with("fuzz_")) self.remove_prefix(5);
  for (const Manifest* app : kApps) {
    if (app->name == self && app->make != nullptr) target = app;
  }
  if (target == nullptr) {
    std::fprintf(stderr, "fuzz_app: run as fuzz_<app>, for an app with an object (SB_FUZZ_LIST=1 lists them); not %.*s\n", static_cast<int>(self.size()), self.data());
    std::exit(2);
  }
  invariants = fuzz::invariants_of(target->name);
  vars = invariants.vars();
  config = configure(vars);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view script(reinterpret_cast<const char*>(data), size);
  test::Object object(*target, vars, std::string(invariants.instance));
  std::unique_ptr<fuzz::Model> model = invariants.make();
  std::vector<ConnId> conns;
  Json headers = Json::object();
  std::deque<Json> pending;  // Effects awaiting an answer (object's and router's)
  std::map<ConnId, std::size_t> seen;  // frames already checked per socket
  std::set<ConnId> reachable;           // open when the current event began, or opened by it

  std::vector<std::string> secrets;
  for (const auto& [name, value] : vars.items()) {
    // A secret the input itself carries may come back (as a name, say); any other may not.
    bool secret = name.ends_with("SECRET") || name.ends_with("TOKEN");
    if (secret && script.find(value.get<std::string>()) == std::string_view::npos) secrets.push_back(value.get<std::string>());
  }
  auto keep_secrets = [&](std::string_view where, std::string_view text) {
    for (const std::string& secret : secrets) {
      if (text.find(secret) != std::string_view::npos) fail(where.data(), text);
    }
  };
  auto answered = [&](const Outcome& outcome, bool from_router) {
    if (const auto* response = std::get_if<Response>(&outcome)) keep_secrets("a secret in an HTTP answer", response->body);
    if (const auto* effect = std::get_if<Effect>(&outcome)) {
      keep_secrets("a secret in an effect's context", to_text(effect->context));
      pending.push_back({{"context", effect->context}, {"router", from_router}});
    }
  };
  std::size_t logs_seen = 0;

  auto check = [&] {
    for (; logs_seen < object.host.logs.size(); ++logs_seen) keep_secrets("a secret in a log line", object.host.logs[logs_seen]);
    for (const auto& [conn, frames] : object.host.received) {
      for (std::size_t i = seen[conn]; i < frames.size(); ++i) {
        if (!reachable.contains(conn)) fail("frame to a socket that is not open", frames[i]);
        if (!invariants.frames_from_peers && !parse_json(frames[i])) fail("frame is not JSON", frames[i]);
        keep_secrets("a secret in a frame", frames[i]);
        model->delivered(conn, frames[i], fail);
      }
      seen[conn] = frames.size();
    }
    for (const Json& effect : object.host.effects) {
      const Json* request = field(effect, "request");
      const Json* call = request ? field(*request, "object") : nullptr;
      if (call != nullptr) model->called(*call, fail);
      pending.push_back(effect);
    }
    object.host.effects.clear();
    const Json report = object.stats();
    never_negative(report, report);
    std::erase_if(conns, [&](ConnId c) { return !object.is_open(c); });
  };
  auto pick = [&](char digit) { return conns[static_cast<std::size_t>(digit) % conns.size()]; };

  while (!script.empty()) {
    std::size_t nl = script.find('\n');
    std::string_view line = script.substr(0, nl);
    script.remove_prefix(nl == std::string_view::npos ? script.size() : nl + 1);
    if (line.empty()) continue;
    reachable = std::set<ConnId>(conns.begin(), conns.end());
    char op = line[0];
    std::string_view arg = line.substr(1);
    if (op == 'o') {
      auto opened = object.connect(request("GET", arg.empty() ? "/" : arg, "", headers, true));
      if (auto* conn = std::get_if<ConnId>(&opened)) {
        conns.push_back(*conn);
        reachable.insert(*conn);
        model->opened(*conn, arg);
      }
    } else if ((op == 'm' || op == 'b') && !conns.empty() && !arg.empty()) {
      ConnId conn = pick(arg[0]);
      model->sent(conn, arg.substr(1));
      object.message(conn, arg.substr(1), op == 'b');
    } else if (op == 'c' && !conns.empty() && !arg.empty()) {
      ConnId conn = pick(arg[0]);
      object.disconnect(conn);
      model->closed(conn);
    } else if (op == 'a') {
      object.alarm();
    } else if (op == 'h') {
      object.hibernate();
    } else if (op == 't') {
      // Date.now() moves forward by sane amounts: up to a day per step.
      double step = std::atof(std::string(arg).c_str());
      object.host.clock += step > 0 && step < 86'400'000 ? step : 1000;
    } else if (op == 'H') {
      std::size_t colon = arg.find(':');
      if (colon != std::string_view::npos) headers[std::string(arg.substr(0, colon))] = std::string(arg.substr(colon + 1));
    } else if (op == 'f') {
      answered(object.fetch(http(arg, headers)), false);
    } else if (op == 'r') {
      answered(route(http(arg, headers), config, kApps, object.host), true);
    } else if (op == 'e' && !pending.empty()) {
      Json effect = pending.front();
      pending.pop_front();
      Json answer = parse_json(arg).value_or(Json{{"error", "unreachable"}});
      bool from_router = effect.value("router", false);
      answered(from_router ? resume(effect["context"], answer, config, kApps, object.host) : object.resume(effect["context"], answer), from_router);
    }
    check();
  }

  reachable = std::set<ConnId>(conns.begin(), conns.end());
  for (ConnId conn : std::vector<ConnId>(conns)) {
    object.disconnect(conn);
    model->closed(conn);
  }
  object.hibernate();
  check();
  for (const auto& [key, value] : object.host.storage) {
    if (key.starts_with("conn/")) fail("per-socket record left after every socket closed", key);
  }
  model->finished(object.host.storage, fail);
  return 0;
}
