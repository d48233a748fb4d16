// The native Host for doctest and fuzzing: records what the core does, keeps
// storage in a map and a hand-set clock, and computes HMAC with OpenSSL.
#pragma once
#include <openssl/hmac.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/apps.h"
#include "core/router.h"
#include "core/host.h"

namespace sb::test {

class FakeHost final : public Host {
 public:
  struct Close {
    int code;
    std::string reason;
  };

  using Host::send;
  void send(std::span<const ConnId> to, std::string_view text) override {
    for (ConnId conn : to) received[conn].emplace_back(text);
  }
  void close(ConnId conn, int code, std::string_view reason) override {
    closes[conn] = Close{code, std::string(reason)};
  }
  void attach(ConnId conn, std::string_view state) override { attachments[conn] = std::string(state); }
  std::optional<std::string> kv_get(std::string_view key) override {
    auto it = storage.find(std::string(key));
    if (it == storage.end()) return std::nullopt;
    return it->second;
  }
  void kv_put(std::string_view key, std::string_view value) override {
    ++writes;
    storage[std::string(key)] = std::string(value);
  }
  void kv_delete(std::string_view key) override { storage.erase(std::string(key)); }
  std::vector<std::pair<std::string, std::string>> kv_list(std::string_view prefix) override {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = storage.lower_bound(std::string(prefix)); it != storage.end() && it->first.starts_with(prefix); ++it) {
      out.emplace_back(*it);
    }
    return out;
  }
  void set_alarm(double at_ms) override { alarm_at = at_ms; }
  double now() override { return clock; }
  void random(std::span<std::uint8_t> out) override {
    for (auto& byte : out) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      byte = static_cast<std::uint8_t>(seed >> 33);
    }
  }
  Digest hmac_sha256(std::string_view key, std::string_view data) override {
    Digest digest{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &len);
    return digest;
  }
  // As the shim does: the secret's value from the environment, "" when unset.
  Digest hmac_secret(std::string_view secret, std::string_view data) override {
    auto it = secrets.find(std::string(secret));
    return hmac_sha256(it == secrets.end() ? "" : it->second, data);
  }
  void perform(std::string_view effect) override { effects.push_back(Json::parse(effect)); }
  void log(std::string_view line) override { logs.emplace_back(line); }

  std::map<ConnId, std::vector<std::string>> received;
  std::map<ConnId, Close> closes;
  std::map<ConnId, std::string> attachments;
  std::map<std::string, std::string> storage;
  std::map<std::string, std::string> secrets;  // the environment's values, by name
  std::size_t writes = 0;  // kv_put calls: each one is a billed storage write
  std::vector<Json> effects;  // performed, awaiting an answer
  std::vector<std::string> logs;
  double clock = 1'767'225'600'000.0;  // 2026-01-01
  double alarm_at = 0;
  std::uint64_t seed = 42;
};

// A host whose environment holds `vars` (secrets are read from it by name).
inline FakeHost with_secrets(const Json& vars) {
  FakeHost host;
  for (const auto& [name, value] : vars.items()) {
    if (value.is_string()) host.secrets[name] = value.get<std::string>();
  }
  return host;
}

// Frames (or any JSON text) as the tests read them.
inline Json parsed(const std::string& text) { return Json::parse(text); }
inline Json parsed(const Json& text) { return parsed(text.get<std::string>()); }  // a JSON string holding JSON
inline std::vector<Json> parsed(const std::vector<std::string>& frames) {
  std::vector<Json> out;
  for (const auto& frame : frames) out.push_back(parsed(frame));
  return out;
}

inline Request upgrade(std::string path, Json headers = Json::object()) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.headers = std::move(headers);
  r.upgrade = true;
  return r;
}

// One Durable Object of an app, driven as the shim drives it, with the
// platform's side (which sockets are open, their attachments) kept here.
class Object {
 public:
  explicit Object(std::string_view app, Json vars = Json::object(), std::string instance = "")
      : Object(*find_app(app), std::move(vars), std::move(instance)) {}
  Object(const Manifest& app, const Json& vars, std::string instance = "")
      : host(with_secrets(vars)), spec_(app), config_(configure(vars)), instance_(std::move(instance)), app_(spec_.make(host, config_)) {
    identify();
  }

  // The route the Worker would take for `request` (one of this app's).
  Outcome route(const Request& request) { return *route_app(spec_, request, config_, host); }

  // An upgrade that reached the object: the socket's id, or the refusal. It
  // carries what the Worker's route verified (the Forward's headers); one the
  // Worker refused reaches the object as sent, which must refuse it too.
  std::variant<ConnId, Response> connect(Request request = upgrade("/")) {
    if (std::optional<Outcome> routed = route_app(spec_, request, config_, host)) {
      if (auto* forward = std::get_if<Forward>(&*routed)) {
        for (const auto& [name, value] : forward->headers.items()) {
          if (value.is_string()) {
            request.headers[name] = value;
          } else {
            request.headers.erase(name);
          }
        }
      }
    }
    Outcome outcome = fetch(request);
    if (auto* refused = std::get_if<Response>(&outcome)) return *refused;
    ConnId conn = next_++;
    open_.push_back(conn);
    app_->open(conn, request);
    forget_closed();  // an open may close another socket (a replaced one)
    return conn;
  }
  ConnId join(Request request = upgrade("/")) { return std::get<ConnId>(connect(std::move(request))); }

  void message(ConnId conn, std::string_view text, bool binary = false) {
    app_->message(conn, text, binary);
    forget_closed();
  }
  // The client closes.
  void disconnect(ConnId conn, int code = 1000) {
    app_->closed(conn, code, "");
    std::erase(open_, conn);
    host.attachments.erase(conn);
  }
  void alarm() {
    app_->alarm();
    forget_closed();
  }
  // The answer to an Effect (from fetch, or from host.effects).
  Outcome resume(const Json& context, const Json& answer) {
    Outcome outcome = app_->resume(context, answer);
    forget_closed();
    return outcome;
  }
  Outcome fetch(const Request& request) { return object_request(spec_, *app_, request); }
  Json stats() const { return app_->stats(spec_.limits, spec_.settings); }
  // Eviction: a new core, rebuilt from the open sockets' attachments and storage.
  void hibernate() {
    app_ = spec_.make(host, config_);
    identify();
    for (ConnId conn : open_) {
      auto it = host.attachments.find(conn);
      app_->wake(conn, it == host.attachments.end() ? "" : it->second);
    }
    app_->woke();
  }

  // A wake-up that comes without the object's name (an alarm after a
  // restart): the shim hands the core "" as the instance.
  void unnamed() { app_->identify(spec_.name, ""); }

  bool is_open(ConnId conn) const { return std::find(open_.begin(), open_.end(), conn) != open_.end(); }
  // Frames `conn` received since the last call.
  std::vector<std::string> take(ConnId conn) { return std::exchange(host.received[conn], {}); }

  FakeHost host;

 private:
  // As the shim does for a named object; an unnamed one stays anonymous.
  void identify() {
    if (!instance_.empty()) app_->identify(spec_.name, instance_);
  }

  void forget_closed() {
    for (const auto& [conn, close] : host.closes) {
      if (is_open(conn)) {
        std::erase(open_, conn);
        host.attachments.erase(conn);
      }
    }
  }

  const Manifest& spec_;
  Config config_;
  std::string instance_;
  std::unique_ptr<App> app_;
  std::vector<ConnId> open_;
  ConnId next_ = 1;
};

}  // namespace sb::test
