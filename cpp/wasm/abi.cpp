// The WebAssembly boundary: exports the shim calls with each platform event,
// and the Host implemented by imports (host_imports.js hands each one to the
// shim's js-shim/host.js). Strings cross as (pointer, length) of UTF-8.
#include <emscripten/emscripten.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

#include "apps/apps.h"
#include "core/router.h"

extern "C" {
void host_send(const sb::ConnId* conns, std::uint32_t count, const char* text, std::uint32_t len);
// The text frame being handled from offset `start` to `end` (all ASCII: its
// bytes are its string's units), then the bytes at `tail`; `fresh` when those
// differ from the last host_send_spliced's.
void host_send_spliced(const sb::ConnId* conns, std::uint32_t count, std::uint32_t start, std::uint32_t end,
                       const char* tail, std::uint32_t tail_len, int fresh);
void host_close(sb::ConnId conn, int code, const char* reason, std::uint32_t len);
void host_attach(sb::ConnId conn, const char* state, std::uint32_t len);
// Values come back in a buffer from sb_alloc that the core frees; null when absent.
char* host_kv_get(const char* key, std::uint32_t len, std::uint32_t* out_len);
void host_kv_put(const char* key, std::uint32_t key_len, const char* value, std::uint32_t value_len);
void host_kv_delete(const char* key, std::uint32_t len);
// A JSON array of [key, value] pairs in key order.
char* host_kv_list(const char* prefix, std::uint32_t len, std::uint32_t* out_len);
void host_set_alarm(double at_ms);
double host_now();
void host_random(std::uint8_t* out, std::uint32_t len);
void host_hmac_sha256(const char* key, std::uint32_t key_len, const char* data, std::uint32_t data_len, std::uint8_t* out);
// Keyed by the environment entry the name names: the shim reads its value; the core never sees it.
void host_hmac_secret(const char* name, std::uint32_t name_len, const char* data, std::uint32_t data_len, std::uint8_t* out);
void host_perform(const char* effect, std::uint32_t len);
void host_log(const char* line, std::uint32_t len);
// The answer of sb_init, sb_route, sb_fetch and sb_resume.
void host_respond(const char* json, std::uint32_t len);
}

namespace sb {
namespace {

std::string take(char* buffer, std::uint32_t len) {
  std::string value(buffer, len);
  std::free(buffer);
  return value;
}

class WasmHost final : public Host {
 public:
  using Host::send;
  void send(std::span<const ConnId> to, std::string_view text) override {
    host_send(to.data(), to.size(), text.data(), text.size());
  }
  void send(std::span<const ConnId> to, std::string_view head, std::string_view tail) override {
    const auto message = reinterpret_cast<std::uintptr_t>(ascii_message_.data());
    const auto start = reinterpret_cast<std::uintptr_t>(head.data()) - message;
    if (head.empty() || start > ascii_message_.size() || head.size() > ascii_message_.size() - start) {
      return Host::send(to, head, tail);
    }
    const bool fresh = !same(tail, tail_);
    if (fresh) tail_.assign(tail);
    host_send_spliced(to.data(), to.size(), start, start + head.size(), tail.data(), tail.size(), fresh);
  }
  void close(ConnId conn, int code, std::string_view reason) override {
    host_close(conn, code, reason.data(), reason.size());
  }
  void attach(ConnId conn, std::string_view state) override { host_attach(conn, state.data(), state.size()); }
  std::optional<std::string> kv_get(std::string_view key) override {
    std::uint32_t len = 0;
    char* value = host_kv_get(key.data(), key.size(), &len);
    if (value == nullptr) return std::nullopt;
    return take(value, len);
  }
  void kv_put(std::string_view key, std::string_view value) override {
    host_kv_put(key.data(), key.size(), value.data(), value.size());
  }
  void kv_delete(std::string_view key) override { host_kv_delete(key.data(), key.size()); }
  std::vector<std::pair<std::string, std::string>> kv_list(std::string_view prefix) override {
    std::uint32_t len = 0;
    char* text = host_kv_list(prefix.data(), prefix.size(), &len);
    std::vector<std::pair<std::string, std::string>> entries;
    if (text == nullptr) return entries;
    std::optional<Json> pairs = parse_json(take(text, len));
    if (!pairs || !pairs->is_array()) return entries;
    for (const Json& pair : *pairs) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
        entries.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
      }
    }
    return entries;
  }
  void set_alarm(double at_ms) override { host_set_alarm(at_ms); }
  // A frame's event brings the clock with it: no import call per read on the
  // publish path (deployed, Workers' clock advances only with I/O, so it
  // stands still within an event anyway).
  double now() override { return std::isnan(event_now_) ? host_now() : event_now_; }
  void random(std::span<std::uint8_t> out) override { host_random(out.data(), out.size()); }
  Digest hmac_sha256(std::string_view key, std::string_view data) override {
    Digest digest{};
    host_hmac_sha256(key.data(), key.size(), data.data(), data.size(), digest.data());
    return digest;
  }
  Digest hmac_secret(std::string_view secret, std::string_view data) override {
    Digest digest{};
    host_hmac_secret(secret.data(), secret.size(), data.data(), data.size(), digest.data());
    return digest;
  }
  void perform(std::string_view effect) override { host_perform(effect.data(), effect.size()); }
  void log(std::string_view line) override { host_log(line.data(), line.size()); }

  // The clock of the event under way, NaN between events, and the text of a
  // frame that is all ASCII, empty between its events.
  class Event {
   public:
    Event(WasmHost& host, double now, std::string_view ascii_message = {}) : host_(host) {
      host_.event_now_ = now;
      host_.ascii_message_ = ascii_message;
    }
    ~Event() {
      host_.event_now_ = NAN;
      host_.ascii_message_ = {};
    }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

   private:
    WasmHost& host_;
  };

 private:
  double event_now_ = NAN;
  std::string_view ascii_message_;
  std::string tail_;  // the last spliced send's
};

WasmHost host;
Config config;
std::unique_ptr<App> app;    // null in the Worker's instance, which only routes
std::string input;           // the shim writes each event's text here
std::optional<Request> pending;  // the request an Accept answered, until the socket opens
const Manifest* app_spec = nullptr;

#ifdef SB_TEST_HOOKS
// Test builds only: recurses until the engine's own stack runs out (workerd
// throws RangeError, not a trap). Scalars only, so the module's stack in
// linear memory stays untouched.
volatile int test_depth = 0;
[[gnu::noinline]] int overflow(int depth) {
  test_depth = depth;
  if (test_depth < 0) return 0;
  int below = overflow(depth + 1);
  test_depth = below;
  return below + 1;
}
#endif

#ifdef SB_TEST_HOOKS
constexpr std::string_view kTestRestart = "/__switchboard_test_restart__/";
#endif

void respond(const Json& answer) {
  std::string text = to_text(answer);
  host_respond(text.data(), text.size());
}

std::string_view text(std::uint32_t len) { return std::string_view(input.data(), len); }

// What sb_message's frame is (js-shim/wasm.js names them too).
enum FrameKind { kText = 0, kBinary = 1, kAsciiText = 2 };

std::optional<Request> request(std::uint32_t len) {
  std::optional<Json> j = parse_json(text(len));
  return j ? Request::from_json(*j) : std::nullopt;
}

}  // namespace
}  // namespace sb

using namespace sb;

extern "C" {

EMSCRIPTEN_KEEPALIVE void* sb_alloc(std::uint32_t len) { return std::malloc(len); }

// Where the shim writes the next event's text (at least `len` bytes). The
// bytes after them let a frame be read where it lies (read_in_place_within).
EMSCRIPTEN_KEEPALIVE char* sb_input(std::uint32_t len) {
  if (input.size() < len + kReadPadding) {
    input.resize(len + kReadPadding);
    read_in_place_within(input);
  }
  return input.data();
}

// The names of every limit and setting: the shim hands sb_init these entries of the environment and no others.
EMSCRIPTEN_KEEPALIVE void sb_declared(std::uint32_t) { respond(declared_names()); }
// The names of the secrets: the shim hands sb_init `true` for each one that is set, never its value.
EMSCRIPTEN_KEEPALIVE void sb_secrets(std::uint32_t) { respond(secret_names()); }

// {"app": name or "" for the Worker, "instance", "vars": {...}} → {"autoResponse": {...}?} or {"error"}.
EMSCRIPTEN_KEEPALIVE void sb_init(std::uint32_t len) {
  std::optional<Json> setup = parse_json(text(len));
  const Json* vars = setup ? field(*setup, "vars") : nullptr;
  config = configure(vars && vars->is_object() ? *vars : Json::object());
  std::string_view name = setup ? string_field(*setup, "app").value_or("") : "";
  Json answer = Json::object();
  if (name.empty()) {
    // The Worker will not route with two apps claiming the same requests.
    if (std::string overlap = overlaps(all_apps()); !overlap.empty()) return respond({{"error", overlap}});
  } else {
    const Manifest* spec = find_app(name);
    if (spec == nullptr || spec->make == nullptr) return respond({{"error", "unknown app"}});
    app = spec->make(host, config);
    app_spec = spec;
    app->identify(name, setup ? string_field(*setup, "instance").value_or("") : "");
    if (auto auto_response = app->auto_response()) {
      answer["autoResponse"] = {{"request", auto_response->request}, {"response", auto_response->response}};
    }
  }
  respond(answer);
}

EMSCRIPTEN_KEEPALIVE void sb_route(std::uint32_t len) {
  std::optional<Request> r = request(len);
  if (!r) return respond(to_json(Response::error(400, "bad request")));
#ifdef SB_TEST_HOOKS
  if (r->path == "/__switchboard_test_overflow__") overflow(0);
  // /__switchboard_test_restart__/<binding>/<instance>: that object restarts.
  if (std::string_view path = r->path; path.starts_with(kTestRestart)) {
    path.remove_prefix(kTestRestart.size());
    std::size_t slash = path.find('/');
    if (slash != std::string_view::npos) return respond(to_json(Forward{std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))}));
  }
#endif
  respond(to_json(route(*r, config, all_apps(), host)));
}

EMSCRIPTEN_KEEPALIVE void sb_fetch(std::uint32_t len) {
  pending = request(len);
  if (!pending) return respond(to_json(Response::error(400, "bad request")));
#ifdef SB_TEST_HOOKS
  // As the platform may at any time (a deploy, a crash): the object starts
  // again from storage, its sockets gone.
  if (pending->path.starts_with(kTestRestart)) {
    pending.reset();
    host.perform(R"({"request":{"restart":true},"context":null})");
    return respond(to_json(Response::json(200, Json::object())));
  }
#endif
  Outcome outcome = object_request(*app_spec, *app, *pending);
  if (!std::holds_alternative<Accept>(outcome)) pending.reset();
  respond(to_json(outcome));
}

// {"context", "answer"} of an Effect → the next Outcome (the Worker's, or this object's).
EMSCRIPTEN_KEEPALIVE void sb_resume(std::uint32_t len) {
  std::optional<Json> j = parse_json(text(len));
  const Json* context = j ? field(*j, "context") : nullptr;
  const Json* answer = j ? field(*j, "answer") : nullptr;
  if (context == nullptr || answer == nullptr) return respond(to_json(Response::error(500, "internal error")));
  respond(to_json(app ? app->resume(*context, *answer) : resume(*context, *answer, config, all_apps(), host)));
}

EMSCRIPTEN_KEEPALIVE void sb_open(ConnId conn) {
  if (!pending) return;
  Request r = std::move(*pending);
  pending.reset();
  app->open(conn, r);
}

// `now`: the clock as the event began (epoch ms), read by the shim with the frame.
EMSCRIPTEN_KEEPALIVE void sb_message(ConnId conn, std::uint32_t len, int kind, double now) {
  WasmHost::Event event(host, now, kind == kAsciiText ? text(len) : std::string_view{});
#ifdef SB_TEST_HOOKS
  // Test builds only (never deployed): lets the Worker tests prove that the
  // shim survives a trap, and any other error out of the module.
  if (text(len) == "__switchboard_test_trap__") __builtin_trap();
  if (text(len) == "__switchboard_test_overflow__") overflow(0);
#endif
  app->message(conn, text(len), kind == kBinary);
}

EMSCRIPTEN_KEEPALIVE void sb_close(ConnId conn, int code, std::uint32_t len) { app->closed(conn, code, text(len)); }

EMSCRIPTEN_KEEPALIVE void sb_alarm() { app->alarm(); }

EMSCRIPTEN_KEEPALIVE void sb_wake(ConnId conn, std::uint32_t len) { app->wake(conn, text(len)); }

EMSCRIPTEN_KEEPALIVE void sb_woke() { app->woke(); }

}  // extern "C"
