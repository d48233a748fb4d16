// libFuzzer target for one app (SB_FUZZ_APP): the input is a script of
// platform events, one per line, run through the native core with FakeHost:
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
// a frame, a log line or an HTTP answer; the app's own invariant
// (invariants.h) holds; after every socket closed and the object slept, no
// per-socket record is left in storage.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <cstdio>
#include <deque>
#include <map>
#include <set>

#include "core/router.h"
#include "fake_host.h"
#include "invariants.h"

using namespace sb;

namespace {

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view script(reinterpret_cast<const char*>(data), size);
  test::Object object(SB_FUZZ_APP, fuzz::vars());
  const Config config = configure(fuzz::vars());
  fuzz::Model model;
  std::vector<ConnId> conns;
  Json headers = Json::object();
  std::deque<Json> pending;  // Effects awaiting an answer (object's and router's)
  std::map<ConnId, std::size_t> seen;  // frames already checked per socket
  std::set<ConnId> reachable;           // open when the current event began, or opened by it

  std::vector<std::string> secrets;
  const Json vars = fuzz::vars();
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
        if (!parse_json(frames[i])) fail("frame is not JSON", frames[i]);
        keep_secrets("a secret in a frame", frames[i]);
        model.delivered(conn, frames[i], fail);
      }
      seen[conn] = frames.size();
    }
    for (std::size_t i = 0; i < object.host.effects.size(); ++i) pending.push_back(object.host.effects[i]);
    object.host.effects.clear();
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
        model.opened(*conn, arg);
      }
    } else if ((op == 'm' || op == 'b') && !conns.empty() && !arg.empty()) {
      ConnId conn = pick(arg[0]);
      model.sent(conn, arg.substr(1));
      object.message(conn, arg.substr(1), op == 'b');
    } else if (op == 'c' && !conns.empty() && !arg.empty()) {
      ConnId conn = pick(arg[0]);
      object.disconnect(conn);
      model.closed(conn);
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
      answered(route(http(arg, headers), config, all_apps(), object.host), true);
    } else if (op == 'e' && !pending.empty()) {
      Json effect = pending.front();
      pending.pop_front();
      Json answer = parse_json(arg).value_or(Json{{"error", "unreachable"}});
      bool from_router = effect.value("router", false);
      answered(from_router ? resume(effect["context"], answer, config, all_apps(), object.host) : object.resume(effect["context"], answer), from_router);
    }
    check();
  }

  reachable = std::set<ConnId>(conns.begin(), conns.end());
  for (ConnId conn : std::vector<ConnId>(conns)) {
    object.disconnect(conn);
    model.closed(conn);
  }
  object.hibernate();
  check();
  for (const auto& [key, value] : object.host.storage) {
    if (key.starts_with("conn/")) fail("per-socket record left after every socket closed", key);
  }
  model.finished(object.host.storage, fail);
  return 0;
}
