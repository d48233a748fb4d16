#include "apps/signal/signaling_room.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "core/access.h"

namespace sb::signal {

// The frame as received, with `clients` added. The parser has just accepted it
// as one non-empty object (valid UTF-8; only whitespace or a BOM around it), so
// its text from the first `{` to the last `}` is that object; serialising the
// whole message again cost a third of a publish's instructions (BENCHMARKS.md),
// and the part is sent from the text as it came (Host::send).
// A frame that already has `clients` is rewritten, as the original overwrites it.
// Written into one buffer the room keeps: no allocation per publish. A text
// that is no object (only a gateway's peer could send one) gives nothing.
SignalingRoom::Outgoing SignalingRoom::with_clients(std::string_view frame, std::size_t clients, Json* message) {
  if (message != nullptr) {
    (*message)["clients"] = clients;
    outgoing_ = to_text(*message);
    return {.head = outgoing_};
  }
  // Found byte by byte, next to the ends (std::string_view::find is a call to libc's memchr).
  std::size_t open = 0, close = frame.size();
  while (open < frame.size() && frame[open] != '{') ++open;
  while (close > open && frame[close - 1] != '}') --close;
  if (close <= open) return {};
  --close;
  // The tail is built again only when the count changed (most publishes
  // reach as many subscribers as the last one).
  if (tail_clients_ != clients) {
    constexpr std::string_view kClients = R"(,"clients":)";
    char count[20];
    const std::size_t digits = std::to_chars(std::begin(count), std::end(count), clients).ptr - count;
    tail_.resize(kClients.size() + digits + 1);
    *std::copy_n(count, digits, std::copy_n(kClients.data(), kClients.size(), tail_.data())) = '}';
    tail_clients_ = clients;
  }
  return {.head = frame.substr(open, close - open), .tail = tail_};
}

namespace {

// What the room reads of a frame without building it: a publish's `data` is
// passed on as text. (Un)subscribe and a frame with `clients` build the message.
constexpr std::string_view kMembers[] = {"type", "topic", "clients"};
// Binary frames are read as UTF-8 text, as bin/server.js does.
constexpr FramePolicy kFrames{.limits = &kSocketLimits, .binary_as_text = true, .members = kMembers};
// y-webrtc clients cannot read an error frame: refusals are closes, or counted as invalid.
const Answer kInvalid{.reason = "invalid message", .invalid = true};

}  // namespace

SignalingRoom::SignalingRoom(Host& host, const Config& config) : App(host, config, kFrames) {}

Outcome SignalingRoom::fetch(const Request& request) {
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (y-webrtc signaling)");
  if (token_mode(config_, kAccess) && !access_of(request)) return Response::error(401, "invalid access token");
  if (auto space = room_for(request, peers_.size()); !space) return space.error();
  return Accept{};
}

std::optional<AutoResponse> SignalingRoom::auto_response() const {
  // lib0's keepalive frame, byte for byte: idle rooms answer it without waking.
  return AutoResponse{R"({"type":"ping"})", R"({"type":"pong"})"};
}

void SignalingRoom::opened(ConnId conn, const Request& request) {
  Peer& peer = peers_[conn];
  std::optional<Json> access = token_mode(config_, kAccess) ? access_of(request) : std::nullopt;
  const Json* topics = access ? field(*access, "topics") : nullptr;
  if (topics == nullptr || !topics->is_array()) return;
  peer.allowed.emplace();
  for (const Json& topic : *topics) {
    if (topic.is_string()) peer.allowed->push_back(topic.get<std::string>());
  }
  save(conn, peer);
}

bool SignalingRoom::allows(const Peer& peer, std::string_view topic) {
  if (!peer.allowed) return true;
  return std::any_of(peer.allowed->begin(), peer.allowed->end(), [&](std::string_view entry) {
    return entry.ends_with('*') ? topic.starts_with(entry.substr(0, entry.size() - 1)) : topic == entry;
  });
}

void SignalingRoom::webSocketMessage(ConnId conn, Frame& frame) {
  if (same(frame.type, "publish")) return publish(conn, frame);
  if (frame.type == "ping") return pong(conn);
  const Json* topics = field(frame.message(), "topics");
  if (frame.type == "subscribe" && topics && topics->is_array()) return subscribe(conn, *topics);
  if (frame.type == "unsubscribe" && topics && topics->is_array()) return unsubscribe(conn, *topics);
  reject(conn);
}

Answer SignalingRoom::answer(ConnId, Refusal why, std::string_view) {
  switch (why) {
    case Refusal::too_large: return {.reason = "message too big", .close = 1009};
    case Refusal::too_fast: return {.reason = "rate limit exceeded", .close = 1008};
    case Refusal::not_json:
    case Refusal::untyped: return kInvalid;
    case Refusal::binary: break;  // read as text
  }
  return kInvalid;
}

void SignalingRoom::subscribe(ConnId conn, const Json& topics) {
  Peer& peer = peers_[conn];
  bool changed = false;
  bool malformed = false;
  for (const Json& topic : topics) {
    if (!topic.is_string()) {
      malformed = true;
      continue;
    }
    const auto& name = topic.get_ref<const std::string&>();
    if (!allows(peer, name)) {
      malformed = true;  // outside the token's topics: refused, never half-served
      continue;
    }
    if (std::find(peer.topics.begin(), peer.topics.end(), name) != peer.topics.end()) continue;
    if (static_cast<std::int64_t>(peer.topics.size()) >= config_[kMaxTopicsPerConnection]) {
      close(conn, 1008, "too many topics");
      return;
    }
    peer.topics.push_back(name);
    topics_[name].push_back(conn);
    joined(conn, name);
    changed = true;
  }
  if (changed) save(conn, peer);
  if (malformed) reject(conn);
}

void SignalingRoom::unsubscribe(ConnId conn, const Json& topics) {
  Peer& peer = peers_[conn];
  bool changed = false;
  for (const Json& topic : topics) {
    if (!topic.is_string()) continue;
    const auto& name = topic.get_ref<const std::string&>();
    auto it = std::find(peer.topics.begin(), peer.topics.end(), name);
    if (it == peer.topics.end()) continue;
    peer.topics.erase(it);
    leave(conn, name);
    changed = true;
  }
  if (changed) save(conn, peer);
}

void SignalingRoom::publish(ConnId conn, Frame& frame) {
  std::optional<std::string_view> topic = frame.member("topic").string;
  if (!topic || topic->empty()) return reject(conn);
  // Found, not made: a socket the room has no entry for may publish anywhere.
  if (auto peer = peers_.find(conn); peer != peers_.end() && !allows(peer->second, *topic)) return reject(conn);
  fan_out(conn, *topic, frame);
}

void SignalingRoom::fan_out(ConnId, std::string_view topic, Frame& frame) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;  // nobody listens: dropped, as the original does
  const Outgoing out = with_clients(frame.text, it->second.size(), frame.member("clients").present ? &frame.message() : nullptr);
  send(it->second, out.head, out.tail);
}

void SignalingRoom::pong(ConnId conn) { send(conn, R"({"type":"pong"})"); }

void SignalingRoom::reject(ConnId conn) { refuse(conn, kInvalid); }

bool SignalingRoom::tolerated(ConnId conn) {
  Peer& peer = peers_[conn];
  if (++peer.invalid > config_[kMaxInvalidMessages]) return false;
  save(conn, peer);
  return true;
}

Json SignalingRoom::counts() const { return {{"topics", topics_.size()}}; }

void SignalingRoom::leave(ConnId conn, const std::string& topic) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  auto& subscribers = it->second;
  if (auto pos = std::find(subscribers.begin(), subscribers.end(), conn); pos != subscribers.end()) {
    *pos = subscribers.back();
    subscribers.pop_back();
  }
  if (subscribers.empty()) topics_.erase(it);
  left(conn, topic);
}

void SignalingRoom::save(ConnId conn, const Peer& peer) {
  Json state = {{"topics", peer.topics}, {"invalid", peer.invalid}};
  if (peer.allowed) state["allowed"] = *peer.allowed;
  annotate(conn, state);
  attach(conn, state);
}

void SignalingRoom::webSocketClose(ConnId conn, int, std::string_view) {
  auto it = peers_.find(conn);
  if (it == peers_.end()) return;
  for (const std::string& topic : it->second.topics) leave(conn, topic);
  peers_.erase(it);
}

void SignalingRoom::restored(ConnId conn, const Json& state) {
  Peer& peer = peers_[conn];
  if (const Json* invalid = field(state, "invalid"); invalid && invalid->is_number_integer()) {
    peer.invalid = invalid->get<std::int64_t>();
  }
  if (const Json* allowed = field(state, "allowed"); allowed && allowed->is_array()) {
    peer.allowed.emplace();
    for (const Json& topic : *allowed) {
      if (topic.is_string()) peer.allowed->push_back(topic.get<std::string>());
    }
  }
  const Json* topics = field(state, "topics");
  if (topics == nullptr || !topics->is_array()) return;
  for (const Json& topic : *topics) {
    if (!topic.is_string()) continue;
    const auto& name = topic.get_ref<const std::string&>();
    if (std::find(peer.topics.begin(), peer.topics.end(), name) != peer.topics.end()) continue;
    peer.topics.push_back(name);
    topics_[name].push_back(conn);
  }
}

}  // namespace sb::signal
