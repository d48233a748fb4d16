// An app's Durable Object: one instance per object, reacting to its lifecycle
// events. The hooks keep the platform's names; the base class keeps the
// bookkeeping every app needs. (What the app is to the Worker: manifest.h.)
#pragma once
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config.h"
#include "expected.h"
#include "frame.h"
#include "host.h"
#include "http.h"
#include "rate.h"

namespace sb {

// How often one socket's refusals reach the log; /stats counts every one.
inline constexpr Limit kRefusalLogIntervalMs{"LOG_REFUSALS_INTERVAL_MS", 10'000,
                                              "at most one `refused` log line per socket per this many ms, with the count it stands for"};
// Limits of the core itself, in force for every app.
inline constexpr const Limit* kCoreLimits[] = {&kMaxJsonDepth, &kRefusalLogIntervalMs};

// A log line's severity: Workers Logs files it under the same level.
enum class Level { info, warn, error };
std::string_view level_name(Level level);

// A frame the platform answers without waking the object (setWebSocketAutoResponse).
struct AutoResponse {
  std::string request;
  std::string response;
};

class App {
 public:
  // `frames`: how the frame gate checks this app's frames (frame.h).
  App(Host& host, const Config& config, const FramePolicy& frames = {});
  virtual ~App() = default;
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // A request that reached this object: fetch()'s answer, with a refusal (4xx,
  // 5xx) counted and logged like any other.
  Outcome request(const Request& request);
  // A response, or Accept for a WebSocket that then opens with open().
  virtual Outcome fetch(const Request& request) = 0;
  virtual void alarm() {}
  // The answer to an Effect this object returned from fetch (the result is the
  // response; never Accept: a socket is accepted only straight from fetch) or
  // started with perform() (the result is ignored).
  virtual Outcome resume(const Json& context, const Json& answer) { return Response::error(500, "unexpected answer"); }
  virtual std::optional<AutoResponse> auto_response() const { return std::nullopt; }

  // Socket events as the shim delivers them. Events for a socket the core no
  // longer knows (it closed it already) are ignored.
  void open(ConnId conn, const Request& request);
  // The frame gate (gate.cpp): a frame that passes reaches webSocketMessage
  // parsed; one that does not gets the app's answer().
  void message(ConnId conn, std::string_view data, bool binary);
  void closed(ConnId conn, int code, std::string_view reason);
  // After a wake-up, once per socket still open, with its last attachment;
  // then woke() once.
  void wake(ConnId conn, std::string_view attachment);
  void woke();

  bool is_open(ConnId conn) const { return open_.contains(conn); }

  // Who this object is, for its logs and stats: the app's name and the
  // instance (shard, session, room…). An empty instance (the platform woke
  // the object without its name: an alarm after a restart) is read back
  // from storage, where the object kept it once it had sockets or an alarm.
  void identify(std::string_view app, std::string_view instance);
  // GET /stats/<app>/<instance>: counts since the object woke, the limits and
  // settings in force (a secret only as whether it is set); never an identifier.
  Json stats(Limits limits, Settings settings) const;

 protected:
  // The platform's hooks keep the platform's names; `opened` is a socket just
  // accepted (its upgrade answered 101), `restored` one that outlived the
  // object's hibernation, with the state its attachment kept.
  virtual void opened(ConnId conn, const Request& request) = 0;
  virtual void webSocketMessage(ConnId conn, Frame& frame) = 0;
  virtual void webSocketClose(ConnId conn, int code, std::string_view reason) = 0;
  virtual void restored(ConnId conn, const Json& state) = 0;
  // Before the gate, for every frame: false ignores the frame (a socket the
  // app no longer counts as its own). Where an app notes activity.
  virtual bool accepts(ConnId conn) { return true; }
  // The app's documented answer to a frame the gate turned down (`data` as
  // received). By default a binary frame is closed with 1003, anything else
  // with 1008.
  virtual Answer answer(ConnId conn, Refusal why, std::string_view data);
  // An invalid frame, counted against the socket: false when it is one too
  // many (the socket is then closed with 1008 "too many invalid messages").
  virtual bool tolerated(ConnId conn) { return true; }
  // After a wake-up, once every surviving socket was restored:
  // the moment to reconcile stored state with the sockets that are left.
  virtual void rebuilt() {}

  // The instance this object serves (its idFromName name); empty until identified.
  std::string_view instance() const { return instance_; }

  // The app's own counts for stats, e.g. {"topics": 3}.
  virtual Json counts() const { return Json::object(); }

  // Frames out, counted for stats.
  void send(std::span<const ConnId> to, std::string_view text);
  void send(ConnId to, std::string_view text) { send(std::span<const ConnId>(&to, 1), text); }
  // A publish's (SignalingRoom::fan_out): here, so it is compiled with its caller.
  void send(std::span<const ConnId> to, std::string_view head, std::string_view tail) {
    frames_out_ += static_cast<std::int64_t>(to.size());
    host_.send(to, head, tail);
  }
  // One structured log line (`wrangler tail` shows it): {"event", "level",
  // "app", "instance", …fields}. Never a payload, token or secret in `fields`.
  void event(std::string_view name, Json fields = Json::object(), Level level = Level::info);
  // Whether the socket limits let an upgrade open one more socket (`sockets`
  // are open): else 503 at max_connections, 429 past ip_connects_per_minute
  // upgrades per client address (CF-Connecting-IP) per minute (0: no limit).
  Expected<void> room_for(const Request& request, std::size_t sockets);
  // Refused input (the gate's, or the app's own after it): counted and logged
  // (refused()), then the answer's close or error frame.
  void refuse(ConnId conn, const Answer& answer);
  // Input a socket sent that the app turned down (an error frame or a policy
  // close): counted in stats every time, logged at most once per socket per
  // LOG_REFUSALS_INTERVAL_MS with the number of refusals the line stands for
  // (a flood must not flood the log); the rest are counted on the close line.
  void refused(ConnId conn, std::string_view reason);

  // Per-socket state that must survive hibernation.
  void attach(ConnId conn, const Json& state);
  // Epoch milliseconds; 0 cancels. The object's name is kept while an alarm
  // may wake it.
  void set_alarm(double at_ms);
  // Deletes everything this object stored, its name included (the open
  // sockets' attachments excepted): it is gone until an event needs it.
  void erase_storage();
  // An Effect that does not hold up an HTTP answer (e.g. started by a message).
  void perform(const Effect& effect) { host_.perform(to_text({{"request", effect.request}, {"context", effect.context}})); }
  // Close from the server side; the app sees its own webSocketClose at once.
  // Any code but 1000 counts as refused input.
  void close(ConnId conn, int code, std::string_view reason);

  Host& host_;
  const Config& config_;

 private:
  // The open sockets, each with its frame rate (not kept across hibernation:
  // an idle socket's bucket is full anyway).
  std::unordered_map<ConnId, TokenBucket> open_;
  std::unordered_set<ConnId> spilled_;  // attachments too large for the platform, kept in storage
  std::unordered_map<std::string, TokenBucket> upgrades_;  // by client address

  // The frame gate's policy, its limits read once.
  const FramePolicy frames_;
  const std::int64_t max_message_bytes_;
  const std::int64_t messages_per_second_;
  const std::int64_t max_json_depth_;
  std::vector<MemberView> members_;  // what the gate found of frames_.members in the frame at hand
  TokenBucket shared_rate_;
  // A frame the gate read, to webSocketMessage once its kind is known.
  void deliver(ConnId conn, Frame& frame, std::optional<std::string_view> type);
  // Stores the instance name once, for wake-ups that come without it.
  void keep_instance();

  struct RefusalLog {
    double logged_at = -1;  // when the socket's last `refused` line was written
    std::int64_t held = 0;  // refusals since then, not in any line yet
  };
  std::unordered_map<ConnId, RefusalLog> refusals_;
  std::string name_;
  std::string instance_;
  bool instance_kept_ = false;
  std::int64_t frames_in_ = 0;
  std::int64_t frames_out_ = 0;
  std::int64_t errors_ = 0;
  // When this core started (epoch ms): the object's wake-up, which its counts start from.
  const double since_;
};

}  // namespace sb
