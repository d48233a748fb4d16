// y-webrtc signaling, wire-identical to y-webrtc's bin/server.js: topics are
// rooms; a publish goes to every subscriber (the sender too) with `clients`.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/access.h"
#include "core/manifest.h"

namespace sb::signal {

inline constexpr SocketLimits kSocketLimits{
    .max_message_bytes = {"SIGNAL_MAX_MESSAGE_BYTES", 256 * 1024, "largest frame; larger closes the socket with 1009"},
    .messages_per_second = {"SIGNAL_MESSAGES_PER_SECOND", 100, "frames per second one socket may send (bursts up to the same number); more closes it with 1008"},
    .max_connections = {"SIGNAL_MAX_CONNECTIONS", 10000, "sockets per shard (on a sharded `/`, per gateway: G times this in all); more are refused with 503"},
    .ip_connects_per_minute = {"SIGNAL_IP_CONNECTS_PER_MINUTE", 0, "upgrades per client IP per minute and shard (CF-Connecting-IP; on a sharded `/`, counted per gateway, so an IP gets up to G times this); more get 429; 0 = off"}};
inline constexpr Limit kMaxInvalidMessages{"SIGNAL_MAX_INVALID_MESSAGES", 100, "unparseable or unknown frames a socket may send before it is closed with 1008"};
inline constexpr Limit kMaxTopicsPerConnection{"SIGNAL_MAX_TOPICS_PER_CONNECTION", 256, "topics one socket may subscribe to; more closes it with 1008"};
inline constexpr Setting kToken{"SIGNAL_TOKEN", "", "upgrades must present it as `Authorization: Bearer <token>` or `?token=<token>` (else 401); unset: open", true};
// "token": every socket needs an access token whose `scope` is the shard; its
// optional `topics` claim limits what the socket may subscribe to and publish on.
inline constexpr Setting kAccess{"SIGNAL_ACCESS", "open", "`open` (anyone connects, as stock y-webrtc) or `token`: an access token for the shard, whose `topics` limit what it may use"};
inline constexpr const Setting* kSettings[] = {&kToken, &kAccess};

extern const Manifest kManifest;

// The single object of a shard, and (as its base) the gateway of a sharded
// space (space.h): the hooks below are where a gateway differs.
class SignalingRoom : public App {
 public:
  SignalingRoom(Host& host, const Config& config);

  Outcome fetch(const Request& request) override;
  std::optional<AutoResponse> auto_response() const override;

 protected:
  void opened(ConnId conn, const Request& request) override;
  void webSocketMessage(ConnId conn, Frame& frame) override;
  Answer answer(ConnId conn, Refusal why, std::string_view data) override;
  bool tolerated(ConnId conn) override;
  void webSocketClose(ConnId conn, int code, std::string_view reason) override;
  void restored(ConnId conn, const Json& state) override;
  Json counts() const override;

  struct Peer {
    std::vector<std::string> topics;
    // The token's `topics` claim (an entry ending in `*` is a prefix); none: every topic.
    std::optional<std::vector<std::string>> allowed;
    std::int64_t invalid = 0;
  };

  // A publish that passed the socket's checks: here, fanned out at once.
  virtual void fan_out(ConnId conn, std::string_view topic, Frame& frame);
  // The answer to a `ping` frame the platform did not answer itself.
  virtual void pong(ConnId conn);
  // After a socket joined a topic (it is in topics_ already), and after it left one.
  virtual void joined(ConnId, const std::string&) {}
  virtual void left(ConnId, const std::string&) {}
  // Fields of its own the subclass keeps in a socket's attachment.
  virtual void annotate(ConnId, Json&) const {}
  void save(ConnId conn, const Peer& peer);
  // A publish as every subscriber gets it, in two parts: the frame with
  // `clients` added (a part of the frame, then the room's tail), or (given the
  // whole message of a frame that has `clients`) overwritten. Both parts
  // empty for a text that is no object. Valid until the next call.
  struct Outgoing {
    std::string_view head, tail;
  };
  Outgoing with_clients(std::string_view frame, std::size_t clients, Json* message = nullptr);

  std::unordered_map<ConnId, Peer> peers_;
  // Found by a view of the topic: a publish copies no name to find its
  // subscribers, and compares it in place (std::equal_to<> calls memcmp).
  struct TopicHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view topic) const { return std::hash<std::string_view>{}(topic); }
  };
  struct SameTopic {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return same(a, b); }
  };
  std::unordered_map<std::string, std::vector<ConnId>, TopicHash, SameTopic> topics_;

 private:
  void subscribe(ConnId conn, const Json& topics);
  void unsubscribe(ConnId conn, const Json& topics);
  void publish(ConnId conn, Frame& frame);
  void reject(ConnId conn);
  static bool allows(const Peer& peer, std::string_view topic);
  void leave(ConnId conn, const std::string& topic);

  std::string outgoing_;  // with_clients()'s rewritten frame, reused by every publish
  std::string tail_;      // with_clients()'s tail, for tail_clients_ subscribers
  std::optional<std::size_t> tail_clients_;
};

}  // namespace sb::signal
