#include "apps/signal/space.h"

#include <algorithm>
#include <array>
#include <utility>

namespace sb::signal {
namespace {

// Object-to-object calls; a client request never reaches them: the Worker
// forwards only WebSocket upgrades (and GET /stats, answered before the app)
// to these classes.
constexpr std::string_view kOpsPath = "/space/ops";
constexpr std::string_view kDeliverPath = "/space/deliver";
// A gateway's topics with subscribers here, with the owner it told, kept so
// that a gateway that restarted (its sockets gone) can tell that owner, even
// one that `SIGNAL_TOPIC_SHARDS` no longer names.
constexpr std::string_view kRegisteredPrefix = "space/topic/";
// An owner's listeners: kMemberPrefix + the topic as a JSON string + the gateway.
constexpr std::string_view kMemberPrefix = "m";
constexpr int kAttempts = 3;

bool internal(const Request& request, std::string_view path) {
  return !request.upgrade && request.method == "POST" && request.path == path;
}

// A call's body (kFramesFollow in space.h): no object of the space escapes,
// parses or copies a frame into a JSON value on its way; the owner only
// slices it, and a gateway parses it only to rewrite `clients`.
std::string batch_body(Json fields, const char* list, std::span<const Parcel> parcels) {
  Json& heads = fields[list] = Json::array();
  std::size_t frames = 0;
  for (const Parcel& parcel : parcels) {
    heads.push_back(parcel.head);
    frames += parcel.frame.size();
  }
  std::string body = to_text(fields);
  body.reserve(body.size() + 1 + frames);
  body.push_back(kFramesFollow);
  for (const Parcel& parcel : parcels) body.append(parcel.frame);
  return body;
}

// A batch as read: its fields, and the frames not yet taken by next_frame().
struct Batch {
  Json fields;
  std::string_view frames;
};

std::optional<Batch> read_batch(std::string_view body) {
  std::size_t end = body.find(kFramesFollow);
  if (end == std::string_view::npos) return std::nullopt;
  std::optional<Json> fields = parse_json(body.substr(0, end));
  if (!fields || !fields->is_object()) return std::nullopt;
  return Batch{std::move(*fields), body.substr(end + 1)};
}

// The frame of the head read next (in the batch's order), if it names one the
// batch holds. Only UTF-8 goes on: the Effect that carries a frame further
// would replace anything else, and the next object would slice its batch wrong.
std::optional<std::string_view> next_frame(const Json& head, Batch& batch) {
  const Json* bytes = field(head, "bytes");
  if (bytes == nullptr || !bytes->is_number_unsigned() || bytes->get<std::uint64_t>() > batch.frames.size()) return std::nullopt;
  std::string_view frame = batch.frames.substr(0, bytes->get<std::size_t>());
  batch.frames.remove_prefix(frame.size());
  if (!is_utf8(frame)) return std::nullopt;
  return frame;
}

Json call(std::string_view binding, const std::string& instance, std::string_view path, std::string body) {
  return {{"object",
           {{"binding", binding},
            {"instance", instance},
            {"method", "POST"},
            {"path", path},
            {"headers", {{"content-type", "text/plain; charset=utf-8"}}},
            {"body", std::move(body)}}}};
}

bool succeeded(const Json& answer) {
  const Json* status = field(answer, "status");
  return status && status->is_number_integer() && status->get<int>() == 200;
}

std::string random_id(Host& host) {
  std::array<std::uint8_t, 8> bytes{};
  host.random(bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (std::uint8_t byte : bytes) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 15]);
  }
  return id;
}

// Appended, not `"g" + …`: GCC 12 warns falsely about that insert (-Wrestrict, GCC bug 105329).
std::string instance_name(char kind, std::uint32_t index) {
  std::string name(1, kind);
  name += std::to_string(index);
  return name;
}

}  // namespace

std::string gateway_name(std::uint32_t index) { return instance_name('g', index); }
std::string owner_name(std::uint32_t index) { return instance_name('t', index); }

std::string owner_of(std::string_view topic, std::int64_t shards) {
  // FNV-1a: stable across builds and platforms, unlike std::hash.
  std::uint32_t hash = 2166136261u;
  for (char c : topic) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 16777619u;
  }
  return owner_name(hash % static_cast<std::uint32_t>(std::max<std::int64_t>(shards, 1)));
}

bool Outbox::push(const std::string& to, Parcel parcel) {
  Line& line = lines_[to];
  line.bytes += parcel.bytes;
  line.queued.push_back(std::move(parcel));
  return !line.busy;
}

std::span<const Parcel> Outbox::take(const std::string& to, std::size_t max_bytes) {
  Line& line = lines_[to];
  if (line.busy) return {};
  std::size_t bytes = 0;
  std::size_t taken = 0;
  for (; taken < line.queued.size() && (taken == 0 || bytes + line.queued[taken].bytes <= max_bytes); ++taken) {
    bytes += line.queued[taken].bytes;
    line.in_flight.push_back(std::move(line.queued[taken]));
  }
  line.bytes -= bytes;
  line.queued.erase(line.queued.begin(), line.queued.begin() + static_cast<std::ptrdiff_t>(taken));
  line.busy = !line.in_flight.empty();
  ++line.call;
  return line.in_flight;
}

std::vector<Parcel> Outbox::done(const std::string& to, const Json& context) {
  const Json* number = field(context, "call");
  std::uint64_t call = number && number->is_number_unsigned() ? number->get<std::uint64_t>() : 0;
  auto it = lines_.find(to);
  if (it == lines_.end() || !it->second.busy || it->second.call != call) return {};
  it->second.busy = false;
  return std::exchange(it->second.in_flight, {});
}

std::uint64_t Outbox::call(const std::string& to) const {
  auto it = lines_.find(to);
  return it == lines_.end() ? 0 : it->second.call;
}

void Outbox::retry(const std::string& to, std::vector<Parcel> parcels) {
  Line& line = lines_[to];
  for (const Parcel& parcel : parcels) line.bytes += parcel.bytes;
  line.queued.insert(line.queued.begin(), std::make_move_iterator(parcels.begin()), std::make_move_iterator(parcels.end()));
}

std::vector<std::string> Outbox::ready() const {
  std::vector<std::string> out;
  for (const auto& [to, line] : lines_) {
    if (!line.busy && !line.queued.empty()) out.push_back(to);
  }
  return out;
}

std::size_t Outbox::queued_bytes(const std::string& to) const {
  auto it = lines_.find(to);
  return it == lines_.end() ? 0 : it->second.bytes;
}

Json Billing::json() const {
  return {{"calls", calls}, {"received", received}, {"publishes", publishes}, {"subscribes", subscribes}};
}

// ---- gateway ----

Outcome SignalGateway::fetch(const Request& request) {
  if (internal(request, kDeliverPath)) return deliver(request);
  return SignalingRoom::fetch(request);
}

void SignalGateway::opened(ConnId conn, const Request& request) {
  SignalingRoom::opened(conn, request);
  std::string sid = random_id(host_);
  by_sid_[sid] = conn;
  sids_[conn] = std::move(sid);
  save(conn, peers_[conn]);
}

void SignalGateway::restored(ConnId conn, const Json& state) {
  // The sid first: the base's wake-up does not announce topics (their owners know them).
  std::string sid(string_field(state, "sid").value_or(""));
  if (sid.empty()) sid = random_id(host_);
  by_sid_[sid] = conn;
  sids_[conn] = std::move(sid);
  SignalingRoom::restored(conn, state);
}

void SignalGateway::annotate(ConnId conn, Json& state) const {
  if (auto it = sids_.find(conn); it != sids_.end()) state["sid"] = it->second;
}

void SignalGateway::webSocketClose(ConnId conn, int code, std::string_view reason) {
  SignalingRoom::webSocketClose(conn, code, reason);  // leaves its topics: left() tells their owners
  if (auto it = sids_.find(conn); it != sids_.end()) {
    by_sid_.erase(it->second);
    sids_.erase(it);
  }
}

void SignalGateway::rebuilt() {
  // Topics this gateway registered whose sockets are gone (it restarted):
  // their owners must stop counting them.
  for (const auto& [key, value] : host_.kv_list(kRegisteredPrefix)) {
    std::string topic = key.substr(kRegisteredPrefix.size());
    if (topics_.contains(topic)) continue;
    host_.kv_delete(key);
    Json none = {{"set", topic}, {"sids", Json::array()}};
    // The deploy that restarted it may have changed SIGNAL_TOPIC_SHARDS: the
    // owner it told then forgets these sockets too, not only today's owner.
    std::string owner = owner_of(topic, shards_);
    if (value != owner && is_instance_name(value) && value.starts_with('t')) change(value, topic, none);
    change(owner, topic, std::move(none));
  }
}

void SignalGateway::joined(ConnId conn, const std::string& topic) {
  std::string owner = owner_of(topic, shards_);
  if (topics_[topic].size() == 1) host_.kv_put(std::string(kRegisteredPrefix) + topic, owner);
  change(owner, topic, {{"sub", topic}, {"sid", sids_[conn]}});
}

void SignalGateway::left(ConnId conn, const std::string& topic) {
  if (!topics_.contains(topic)) host_.kv_delete(std::string(kRegisteredPrefix) + topic);
  change(owner_of(topic, shards_), topic, {{"unsub", topic}, {"sid", sids_[conn]}});
}

void SignalGateway::change(const std::string& owner, const std::string& topic, Json op) {
  ++billing_.subscribes;
  tell(owner, Parcel{.head = std::move(op), .bytes = topic.size() + 48, .resend = true});
}

void SignalGateway::fan_out(ConnId conn, std::string_view topic, Frame& frame) {
  std::string owner = owner_of(topic, shards_);
  if (static_cast<std::int64_t>(outbox_.queued_bytes(owner) + frame.text.size()) > config_[kQueueBytes]) {
    refused(conn, "signaling space busy");
    return;
  }
  ++billing_.publishes;
  Json op = {{"pub", topic}, {"bytes", frame.text.size()}};
  if (frame.member("clients").present) op["rewrite"] = true;
  tell(owner, Parcel{.head = std::move(op), .frame = std::string(frame.text), .bytes = frame.text.size() + topic.size() + 32});
}

void SignalGateway::pong(ConnId conn) {
  // As on one object: every subscribe, unsubscribe, close and publish this
  // gateway received before the ping is applied when the pong leaves.
  if (unapplied_.empty()) {
    SignalingRoom::pong(conn);
  } else {
    held_pongs_.emplace_back(sent_, conn);
  }
}

void SignalGateway::applied(std::uint64_t number) {
  std::erase(unapplied_, number);
  std::uint64_t oldest = unapplied_.empty() ? sent_ + 1 : unapplied_.front();
  std::size_t due = 0;
  while (due < held_pongs_.size() && held_pongs_[due].first < oldest) ++due;
  std::vector<std::pair<std::uint64_t, ConnId>> pongs(held_pongs_.begin(), held_pongs_.begin() + static_cast<std::ptrdiff_t>(due));
  held_pongs_.erase(held_pongs_.begin(), held_pongs_.begin() + static_cast<std::ptrdiff_t>(due));
  for (const auto& [before, conn] : pongs) {
    if (is_open(conn)) SignalingRoom::pong(conn);
  }
}

void SignalGateway::tell(const std::string& owner, Parcel parcel) {
  parcel.number = ++sent_;
  unapplied_.push_back(parcel.number);
  outbox_.push(owner, std::move(parcel));
  send_next(owner);
}

void SignalGateway::send_next(const std::string& owner) {
  std::span<const Parcel> ops = outbox_.take(owner, static_cast<std::size_t>(config_[kBatchBytes]));
  if (ops.empty()) return;
  ++billing_.calls;
  perform(Effect{call(kOwnerBinding, owner, kOpsPath, batch_body({{"gateway", instance()}}, "ops", ops)),
                 {{"owner", owner}, {"call", outbox_.call(owner)}}});
}

Outcome SignalGateway::resume(const Json& context, const Json& answer) {
  std::string owner(string_field(context, "owner").value_or(""));
  std::vector<Parcel> parcels = outbox_.done(owner, context);
  std::vector<Parcel> again;
  if (!succeeded(answer)) {
    // Subscription changes go again (applying one twice changes nothing);
    // publishes do not (one may have been delivered): at most once, as a frame
    // to a socket that is closing.
    std::int64_t dropped = 0;
    for (Parcel& parcel : parcels) {
      if (parcel.resend && ++parcel.attempts < kAttempts) {
        again.push_back(std::move(parcel));
      } else {
        ++dropped;
        applied(parcel.number);
      }
    }
    event("space_call_failed", {{"to", owner}, {"sentAgain", again.size()}, {"dropped", dropped}}, Level::error);
    outbox_.retry(owner, std::move(again));
  } else {
    for (const Parcel& parcel : parcels) applied(parcel.number);
  }
  send_next(owner);
  return Response{.status = 200};
}

Response SignalGateway::deliver(const Request& request) {
  ++billing_.received;
  std::optional<Batch> batch = read_batch(request.body);
  const Json* deliveries = batch ? field(batch->fields, "deliveries") : nullptr;
  if (deliveries == nullptr || !deliveries->is_array()) return Response::error(400, "bad delivery");
  Json gone = Json::array();
  std::vector<ConnId> to;
  for (const Json& delivery : *deliveries) {
    std::optional<std::string_view> frame = next_frame(delivery, *batch);
    std::optional<std::string_view> topic = string_field(delivery, "topic");
    const Json* clients = field(delivery, "clients");
    const Json* sids = field(delivery, "sids");
    if (!topic || !frame || clients == nullptr || !clients->is_number_unsigned() || sids == nullptr || !sids->is_array()) continue;
    to.clear();
    Json missing = Json::array();
    for (const Json& sid : *sids) {
      if (!sid.is_string()) continue;
      auto it = by_sid_.find(sid.get_ref<const std::string&>());
      if (it == by_sid_.end()) {
        missing.push_back(sid);
      } else {
        to.push_back(it->second);
      }
    }
    // with_clients() splices into the object the gateway that took the frame validated.
    bool rewrite = field(delivery, "rewrite") != nullptr;
    std::optional<Json> message = rewrite && !to.empty() ? parse_json(*frame, config_[kMaxJsonDepth]) : std::nullopt;
    if (!to.empty() && (!rewrite || message)) {
      const Outgoing out = with_clients(*frame, clients->get<std::size_t>(), message ? &*message : nullptr);
      if (!out.head.empty()) send(to, out.head, out.tail);
    }
    if (!missing.empty()) gone.push_back({{"topic", *topic}, {"sids", std::move(missing)}});
  }
  return Response::json(200, {{"gone", std::move(gone)}});
}

Json SignalGateway::counts() const {
  return {{"topics", topics_.size()}, {"space", {{"role", "gateway"}, {"billable", billing_.json()}}}};
}

// ---- topic owner ----

Outcome SignalTopics::fetch(const Request& request) {
  if (!internal(request, kOpsPath)) return Response::error(404, "not found");
  ++billing_.received;
  std::optional<Batch> batch = read_batch(request.body);
  std::optional<std::string_view> gateway = batch ? string_field(batch->fields, "gateway") : std::nullopt;
  const Json* ops = batch ? field(batch->fields, "ops") : nullptr;
  if (!gateway || !is_instance_name(*gateway) || ops == nullptr || !ops->is_array()) return Response::error(400, "bad operations");
  std::string from(*gateway);
  for (const Json& op : *ops) apply(from, op, next_frame(op, *batch));
  // Every gateway this batch gave work to: one call each, with all of it.
  for (const std::string& name : outbox_.ready()) send_next(name);
  return Response::json(200, Json::object());
}

SignalTopics::Listeners& SignalTopics::listeners(const std::string& topic) {
  auto it = topics_.find(topic);
  if (it != topics_.end()) return it->second;
  Listeners& loaded = topics_[topic];
  std::string prefix = std::string(kMemberPrefix) + to_text(Json(topic));
  for (const auto& [key, value] : host_.kv_list(prefix)) {
    std::optional<Json> sids = parse_json(value);
    if (!sids || !sids->is_array()) continue;
    std::vector<std::string>& list = loaded[key.substr(prefix.size())];
    for (const Json& sid : *sids) {
      if (sid.is_string()) list.push_back(sid.get<std::string>());
    }
  }
  return loaded;
}

void SignalTopics::store(const std::string& topic, const std::string& gateway) {
  std::string key = std::string(kMemberPrefix) + to_text(Json(topic)) + gateway;
  Listeners& listening = listeners(topic);
  auto it = listening.find(gateway);
  if (it != listening.end() && !it->second.empty()) {
    host_.kv_put(key, to_text(Json(it->second)));
    return;
  }
  host_.kv_delete(key);
  if (it != listening.end()) listening.erase(it);
  if (listening.empty()) topics_.erase(topic);
}

void SignalTopics::apply(const std::string& gateway, const Json& op, std::optional<std::string_view> frame) {
  if (auto topic = string_field(op, "pub")) {
    if (frame) publish(std::string(*topic), op, *frame);
    return;
  }
  std::optional<std::string_view> sid = string_field(op, "sid");
  if (auto topic = string_field(op, "sub"); topic && sid) {
    ++billing_.subscribes;
    std::vector<std::string>& sids = listeners(std::string(*topic))[gateway];
    if (std::find(sids.begin(), sids.end(), *sid) != sids.end()) return;
    sids.emplace_back(*sid);
    store(std::string(*topic), gateway);
  } else if (auto topic = string_field(op, "unsub"); topic && sid) {
    ++billing_.subscribes;
    std::vector<std::string>& sids = listeners(std::string(*topic))[gateway];
    std::erase(sids, *sid);
    store(std::string(*topic), gateway);
  } else if (auto topic = string_field(op, "set")) {
    std::vector<std::string>& sids = listeners(std::string(*topic))[gateway];
    sids.clear();
    if (const Json* list = field(op, "sids"); list && list->is_array()) {
      for (const Json& one : *list) {
        if (one.is_string()) sids.push_back(one.get<std::string>());
      }
    }
    store(std::string(*topic), gateway);
  }
}

void SignalTopics::publish(const std::string& topic, const Json& op, std::string_view frame) {
  Listeners& listening = listeners(topic);
  std::size_t clients = 0;
  for (const auto& [gateway, sids] : listening) clients += sids.size();
  if (clients == 0) {
    topics_.erase(topic);
    return;  // nobody listens: dropped, as the original does
  }
  ++billing_.publishes;
  for (const auto& [gateway, sids] : listening) {
    if (sids.empty()) continue;
    Json delivery = {{"topic", topic}, {"clients", clients}, {"sids", sids}, {"bytes", frame.size()}};
    if (field(op, "rewrite") != nullptr) delivery["rewrite"] = true;
    std::size_t bytes = frame.size() + topic.size() + sids.size() * 20 + 48;
    outbox_.push(gateway, Parcel{.head = std::move(delivery), .frame = std::string(frame), .bytes = bytes});
  }
}

void SignalTopics::send_next(const std::string& gateway) {
  std::span<const Parcel> deliveries = outbox_.take(gateway, static_cast<std::size_t>(config_[kBatchBytes]));
  if (deliveries.empty()) return;
  ++billing_.calls;
  perform(Effect{call(kGatewayBinding, gateway, kDeliverPath, batch_body(Json::object(), "deliveries", deliveries)),
                 {{"gateway", gateway}, {"call", outbox_.call(gateway)}}});
}

Outcome SignalTopics::resume(const Json& context, const Json& answer) {
  std::string gateway(string_field(context, "gateway").value_or(""));
  std::vector<Parcel> parcels = outbox_.done(gateway, context);
  if (!succeeded(answer)) {
    event("space_call_failed", {{"to", gateway}, {"dropped", parcels.size()}}, Level::error);
  } else if (std::optional<Json> body = parse_json(string_field(answer, "body").value_or(""))) {
    // Sockets the gateway no longer has (it restarted, or their close is on its way).
    if (const Json* gone = field(*body, "gone"); gone && gone->is_array()) {
      for (const Json& entry : *gone) {
        std::optional<std::string_view> topic = string_field(entry, "topic");
        const Json* sids = field(entry, "sids");
        if (!topic || sids == nullptr || !sids->is_array()) continue;
        std::vector<std::string>& listening = listeners(std::string(*topic))[gateway];
        for (const Json& sid : *sids) {
          if (sid.is_string()) std::erase(listening, sid.get_ref<const std::string&>());
        }
        store(std::string(*topic), gateway);
      }
    }
  }
  send_next(gateway);
  return Response{.status = 200};
}

Json SignalTopics::counts() const {
  // Topics with listeners, in storage: each key is kMemberPrefix, a JSON string, a gateway.
  std::size_t topics = 0;
  std::string last;
  for (const auto& [key, value] : host_.kv_list(kMemberPrefix)) {
    std::size_t end = 2;
    while (end < key.size() && key[end] != '"') end += key[end] == '\\' ? 2 : 1;
    std::string topic = key.substr(0, end + 1);
    if (topic != last) ++topics;
    last = std::move(topic);
  }
  return {{"topics", topics}, {"space", {{"role", "owner"}, {"billable", billing_.json()}}}};
}

}  // namespace sb::signal
