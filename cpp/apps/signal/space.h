// One signaling space (the shard `global`, on `/`) across many Durable
// Objects. Gateways hold the sockets; each topic has an owner, chosen by a
// hash of its name, that knows which sockets of which gateway listen to it.
// A gateway tells a topic's owner every subscribe, unsubscribe and publish;
// the owner applies them in the order each gateway sent them, counts
// `clients` and hands every gateway with subscribers the publish and the
// sockets to give it to. docs/signal.md explains the design and its windows.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "apps/signal/signaling_room.h"

namespace sb::signal {

inline constexpr Limit kGateways{"SIGNAL_GATEWAYS", 1, "objects that hold the sockets of `/` when `SIGNAL_TOPIC_SHARDS` > 0 (a new socket goes to one at random)"};
inline constexpr Limit kTopicShards{"SIGNAL_TOPIC_SHARDS", 0,
                                    "objects that own the topics of `/` (a topic's owner is a hash of its name); 0: `/` is one object, like `/signal/<shard>`"};
inline constexpr Limit kBatchBytes{"SIGNAL_SPACE_BATCH_BYTES", 1024 * 1024,
                                   "largest batch one object of a sharded `/` sends another in one call (one message always goes)"};
inline constexpr Limit kQueueBytes{"SIGNAL_SPACE_QUEUE_BYTES", 16 * 1024 * 1024,
                                   "publishes one gateway may have waiting for one topic owner; past it a publish is dropped and counted as refused"};

inline constexpr const Limit* kLimits[] = {&kSocketLimits.max_message_bytes, &kMaxInvalidMessages, &kMaxTopicsPerConnection,
                                          &kSocketLimits.messages_per_second, &kSocketLimits.max_connections, &kSocketLimits.ip_connects_per_minute,
                                          &kGateways, &kTopicShards, &kBatchBytes, &kQueueBytes};

inline constexpr std::string_view kGatewayBinding = "SignalGateway";
inline constexpr std::string_view kOwnerBinding = "SignalTopics";

// The shard the sharded space serves: `/` (and `/signal/global`).
inline constexpr std::string_view kSpaceShard = "global";

// Gateway `index`, topic owner `index` and the owner of `topic`, as instance names of their bindings.
std::string gateway_name(std::uint32_t index);
std::string owner_name(std::uint32_t index);
std::string owner_of(std::string_view topic, std::int64_t shards);

// A call between objects of the space carries its fields (each message's
// head in a list) as one JSON text, then this separator, then the frames of
// the messages that carry one, verbatim and in order, each as long as its
// head's `bytes`.
inline constexpr char kFramesFollow = '\x1e';  // the record separator: never raw in JSON text

// One message for another object of the space.
struct Parcel {
  Json head;  // the operation (to an owner) or the delivery (to a gateway); a publish's names its frame's `bytes`
  // A publish's text as its socket sent it, carried verbatim (never escaped
  // or parsed on the way); empty for a message without one.
  std::string frame;
  std::size_t bytes = 0;
  std::uint64_t number = 0;  // a gateway's messages are numbered in the order its sockets sent them
  bool resend = false;       // a subscription change: sent again if the call fails
  int attempts = 0;
};

// Messages to other objects: at most one call in flight per receiver, and
// what is queued meanwhile leaves as one batch when it returns. Calls from one
// object to another are thus applied in the order sent, whatever order the
// platform would deliver concurrent calls in.
class Outbox {
 public:
  // Queues a parcel; true when no call to `to` is in flight (start one with take()).
  bool push(const std::string& to, Parcel parcel);
  // The next batch for `to` (at least one parcel, else up to `max_bytes`),
  // now in flight; empty when nothing waits or a call is in flight already.
  std::span<const Parcel> take(const std::string& to, std::size_t max_bytes);
  // The number of the last call to `to` that take() started (its answer names it).
  std::uint64_t call(const std::string& to) const;
  // The call named in `context` (as call() numbered it) to `to` returned: the
  // parcels it carried, no longer in flight (none for an answer to a call this
  // outbox did not start: one made before a trap).
  std::vector<Parcel> done(const std::string& to, const Json& context);
  // Parcels that go again, ahead of anything queued since.
  void retry(const std::string& to, std::vector<Parcel> parcels);
  std::size_t queued_bytes(const std::string& to) const;
  // Receivers with parcels waiting and no call in flight.
  std::vector<std::string> ready() const;

 private:
  struct Line {
    std::vector<Parcel> queued;
    std::vector<Parcel> in_flight;
    bool busy = false;
    std::size_t bytes = 0;
    std::uint64_t call = 0;
  };
  std::unordered_map<std::string, Line> lines_;
};

// Billable units an object of the space caused, for /stats.
struct Billing {
  std::int64_t calls = 0;       // requests it made to other objects
  std::int64_t received = 0;    // requests other objects made to it
  std::int64_t publishes = 0;   // publishes it handled (a gateway: from its sockets; an owner: applied)
  std::int64_t subscribes = 0;  // subscription changes it handled
  Json json() const;
};

// Holds the sockets of `/` when the space is sharded: every socket rule of
// SignalingRoom holds here per socket; topics go to their owners.
class SignalGateway final : public SignalingRoom {
 public:
  using SignalingRoom::SignalingRoom;

  Outcome fetch(const Request& request) override;
  Outcome resume(const Json& context, const Json& answer) override;

 protected:
  void opened(ConnId conn, const Request& request) override;
  void webSocketClose(ConnId conn, int code, std::string_view reason) override;
  void restored(ConnId conn, const Json& state) override;
  void rebuilt() override;
  void fan_out(ConnId conn, std::string_view topic, Frame& frame) override;
  void pong(ConnId conn) override;
  void joined(ConnId conn, const std::string& topic) override;
  void left(ConnId conn, const std::string& topic) override;
  void annotate(ConnId conn, Json& state) const override;
  Json counts() const override;

 private:
  Response deliver(const Request& request);
  void tell(const std::string& owner, Parcel parcel);
  void send_next(const std::string& owner);
  void change(const std::string& owner, const std::string& topic, Json op);
  void applied(std::uint64_t number);

  const std::int64_t shards_ = config_[kTopicShards];
  Outbox outbox_;
  std::unordered_map<ConnId, std::string> sids_;  // a socket's id in the space, unique across restarts
  std::unordered_map<std::string, ConnId> by_sid_;
  // Messages for owners (numbered in the order sockets sent them) that their
  // owners have not applied yet, and pongs held until everything this gateway
  // received before their ping is applied: a pong promises what it does on
  // one object, that what came before it is in force.
  std::uint64_t sent_ = 0;
  std::vector<std::uint64_t> unapplied_;  // ascending
  std::vector<std::pair<std::uint64_t, ConnId>> held_pongs_;  // (messages numbered before the ping, socket), ascending
  Billing billing_;
};

// Owns topics of `/` when the space is sharded: per topic, the sockets of
// each gateway that listen (in storage: they outlive eviction and restarts).
class SignalTopics final : public App {
 public:
  using App::App;

  Outcome fetch(const Request& request) override;
  Outcome resume(const Json& context, const Json& answer) override;

 protected:
  void opened(ConnId, const Request&) override {}
  void webSocketMessage(ConnId, Frame&) override {}
  void webSocketClose(ConnId, int, std::string_view) override {}
  void restored(ConnId, const Json&) override {}
  Json counts() const override;

 private:
  // gateway → its sockets that listen
  using Listeners = std::map<std::string, std::vector<std::string>>;

  Listeners& listeners(const std::string& topic);
  void store(const std::string& topic, const std::string& gateway);
  void apply(const std::string& gateway, const Json& op, std::optional<std::string_view> frame);
  void publish(const std::string& topic, const Json& op, std::string_view frame);
  void send_next(const std::string& gateway);

  std::unordered_map<std::string, Listeners> topics_;  // those read from storage since the object woke
  Outbox outbox_;
  Billing billing_;
};

extern const Manifest kGatewayManifest;
extern const Manifest kTopicsManifest;

}  // namespace sb::signal
