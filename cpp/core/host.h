// The only way the core reaches the outside world. Two implementations:
// the JS shim (workerd, js-shim/host.js) and FakeHost (test/cpp/fake_host.h).
// The Worker's code (routes, their Effects' answers) gets a WorkerHost: time,
// random, HMAC and logs, so a storage or socket call there does not compile.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb {

using ConnId = std::uint32_t;
using Digest = std::array<std::uint8_t, 32>;

class WorkerHost {
 public:
  virtual ~WorkerHost() = default;

  virtual double now() = 0;  // epoch milliseconds
  virtual void random(std::span<std::uint8_t> out) = 0;
  // HMAC-SHA256 keyed by the bytes of `key`.
  virtual Digest hmac_sha256(std::string_view key, std::string_view data) = 0;
  // HMAC-SHA256 keyed by the secret named `secret` (an environment entry the
  // host reads itself): a secret's value never enters the core, so no trap
  // dump, log line or bug of the core can show one.
  virtual Digest hmac_secret(std::string_view secret, std::string_view data) = 0;
  // One structured line; never a payload, token or secret.
  virtual void log(std::string_view json_line) = 0;
};

// A Durable Object's host: the Worker's, plus its sockets, storage and alarm.
// (Outbound requests are Effects: returned from fetch, or started by perform.)
class Host : public WorkerHost {
 public:
  // One frame to many sockets: the text crosses the boundary once (fan-out is the hot path).
  virtual void send(std::span<const ConnId> to, std::string_view text) = 0;
  void send(ConnId to, std::string_view text) { send(std::span<const ConnId>(&to, 1), text); }
  // One frame made of `head` then `tail`. Where `head` is a part of the text
  // frame being handled, the shim sends that part from the string it
  // received, so it does not cross back (a publish with `clients` appended).
  virtual void send(std::span<const ConnId> to, std::string_view head, std::string_view tail) {
    if (tail.empty()) return send(to, head);
    joined_.assign(head).append(tail);
    send(to, joined_);
  }
  virtual void close(ConnId conn, int code, std::string_view reason) = 0;
  // serializeAttachment: survives hibernation with the socket.
  virtual void attach(ConnId conn, std::string_view state) = 0;

  // Durable Object storage (SQLite-backed, synchronous).
  virtual std::optional<std::string> kv_get(std::string_view key) = 0;
  virtual void kv_put(std::string_view key, std::string_view value) = 0;
  virtual void kv_delete(std::string_view key) = 0;
  virtual std::vector<std::pair<std::string, std::string>> kv_list(std::string_view prefix) = 0;
  // Epoch milliseconds; 0 cancels.
  virtual void set_alarm(double at_ms) = 0;

  // Starts an Effect (http.h) in the background: {"request", "context"}. Its
  // answer arrives later as App::resume(context, answer).
  virtual void perform(std::string_view effect) = 0;

 private:
  std::string joined_;  // send(to, head, tail)'s frame, reused
};

}  // namespace sb
