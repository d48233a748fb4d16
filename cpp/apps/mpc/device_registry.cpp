#include "apps/mpc/device_registry.h"

#include <algorithm>

#include "core/access.h"

namespace sb::mpc {
namespace {

constexpr std::string_view kDeviceList = "device_list";
constexpr std::string_view kSessionPrefix = "session:";
constexpr std::string_view kIndexPrefix = "device_sessions:";
// The sender of participant_update relays; no device may take this name.
constexpr std::string_view kServer = "server";

std::string session_key(std::string_view id) { return std::string(kSessionPrefix) + std::string(id); }
std::string index_key(std::string_view device) { return std::string(kIndexPrefix) + std::string(device); }

template <class List, class Item>
bool contains(const List& list, const Item& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> strings(const Json* array) {
  std::vector<std::string> out;
  if (array == nullptr || !array->is_array()) return out;
  for (const Json& item : *array) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<Session> parse_session(std::string_view text, std::int64_t max_depth) {
  std::optional<Json> record = parse_json(text, max_depth);
  if (!record || !record->is_object()) return std::nullopt;
  const Json* info = field(*record, "session_info");
  if (info == nullptr) return std::nullopt;
  return Session{*info, strings(field(*record, "active_participants")), std::string(string_field(*record, "creator").value_or(""))};
}

constexpr FramePolicy kFrames{.limits = &kSocketLimits};

// The error frame: {"type":"error","error":<text>}.
Answer error_answer(std::string_view text) {
  return {.reason = std::string(text), .frame = to_text({{"type", "error"}, {"error", text}})};
}

}  // namespace

DeviceRegistry::DeviceRegistry(Host& host, const Config& config)
    : App(host, config, kFrames), creator_bound_(config[kSessionEnd] != "all-participants"), token_mode_(token_mode(config, kAccess)) {
  if (auto stored = host_.kv_get(kDeviceList)) {
    if (auto list = parse_json(*stored)) device_list_ = strings(&*list);
  }
}

Outcome DeviceRegistry::fetch(const Request& request) {
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (MPC device signaling)");
  if (token_mode_ && !string_field(access_of(request).value_or(Json()), "sub")) return Response::error(401, "invalid access token");
  if (auto space = room_for(request, sockets_.size()); !space) return space.error();
  return Accept{};
}

void DeviceRegistry::opened(ConnId conn, const Request& request) {
  sockets_.insert(conn);
  if (!token_mode_) return;
  std::string sub(string_field(access_of(request).value_or(Json()), "sub").value_or(""));
  attach(conn, {{"sub", sub}});
  subs_[conn] = std::move(sub);
}

Answer DeviceRegistry::answer(ConnId conn, Refusal why, std::string_view data) {
  switch (why) {
    case Refusal::too_large: return error_answer("message too large");
    case Refusal::too_fast: return error_answer("rate limit exceeded");
    // What serde would refuse (unknown tag, missing or mistyped field) is "invalid message".
    case Refusal::not_json:
    case Refusal::untyped: return error_answer("invalid message");
    case Refusal::binary: break;
  }
  return App::answer(conn, why, data);
}

void DeviceRegistry::webSocketMessage(ConnId conn, Frame& frame) {
  const Json* info = field(frame.message(), "session_info");
  if (frame.type == "register") {
    auto device = string_field(frame.message(), "device_id");
    if (!device) return error(conn, "invalid message");
    register_device(conn, std::string(*device));
  } else if (frame.type == "list_devices") {
    reply(conn, {{"type", "devices"}, {"devices", device_list_}});
  } else if (frame.type == "relay") {
    auto to = string_field(frame.message(), "to");
    const Json* payload = field(frame.message(), "data");
    if (!to || payload == nullptr) return error(conn, "invalid message");
    relay(conn, std::string(*to), *payload);
  } else if (frame.type == "announce_session" && info != nullptr) {
    announce_session(conn, *info);
  } else if (frame.type == "request_active_sessions") {
    request_active_sessions(conn);
  } else if (frame.type == "query_my_active_sessions") {
    query_my_active_sessions(conn);
  } else if (frame.type == "session_status_update" && info != nullptr) {
    session_status_update(conn, *info);
  } else {
    error(conn, "invalid message");
  }
}

void DeviceRegistry::register_device(ConnId conn, const std::string& device) {
  if (device.empty() || device == kServer || static_cast<std::int64_t>(device.size()) > config_[kMaxIdBytes]) {
    return error(conn, "invalid device_id");
  }
  // Token mode: a socket registers only as the device its token names, so only that device's holder can replace its socket.
  if (auto sub = subs_.find(conn); token_mode_ && (sub == subs_.end() || sub->second != device)) return error(conn, "device_id not allowed");
  if (const std::string* current = device_of(conn); current != nullptr && *current != device) {
    // The same socket under a new name: the old name leaves.
    std::string old = *current;
    devices_.erase(conn);
    if (auto registration = conns_.find(old); registration != conns_.end() && registration->second == conn) {
      conns_.erase(registration);
      leave(old);
    }
  }
  if (auto it = conns_.find(device); it != conns_.end() && it->second != conn) {
    // Replaced, not gone: unmapped first, so its close is not the device leaving.
    ConnId stale = it->second;
    devices_.erase(stale);
    conns_.erase(it);
    attach(stale, Json::object());  // should it ever be woken again, it is nobody
    close(stale, 1000, "replaced");
  }
  conns_[device] = conn;
  devices_[conn] = device;
  attach(conn, {{"device", device}});
  event("device_registered", {{"device", device}});
  if (!contains(device_list_, device)) {
    device_list_.push_back(device);
    store_device_list();
  }
  send(registered(), to_text({{"type", "devices"}, {"devices", device_list_}}));
}

void DeviceRegistry::relay(ConnId conn, const std::string& to, const Json& data) {
  record_session_update(conn, data);
  auto target = conns_.find(to);
  if (target == conns_.end()) return error(conn, "unknown device: " + to);
  const std::string* from = device_of(conn);
  reply(target->second, {{"type", "relay"}, {"from", from ? *from : ""}, {"data", data}});
}

// The original's side effect of relaying a `SessionUpdate`: the stored session
// takes the payload as its session_info and its connected participants as active.
void DeviceRegistry::record_session_update(ConnId conn, const Json& data) {
  if (string_field(data, "type") != "SessionUpdate") return;
  auto code = string_field(data, "session_code");
  const Json* participants = field(data, "participants");
  if (!code || participants == nullptr || !participants->is_array()) return;
  std::string id(*code);
  std::optional<Session> session = load_session(id);
  if (!session) return;
  if (static_cast<std::int64_t>(to_text(data).size()) > config_[kMaxSessionInfoBytes]) return error(conn, "session_info too large");
  Session before = *session;
  session->info = data;
  session->active.clear();
  for (const std::string& device : strings(participants)) {
    if (connected(device) && !contains(session->active, device)) session->active.push_back(device);
  }
  reindex(id, before, *session);
  if (!creator_bound_ && session->active.empty()) return remove_session(id, *session, "All participants disconnected");
  store_session(id, *session);
}

void DeviceRegistry::announce_session(ConnId conn, const Json& info) {
  const std::string* me = device_of(conn);
  if (me == nullptr) return;  // silence for unregistered callers, as the original
  auto key = string_field(info, "session_id");
  if (!key) key = string_field(info, "session_code");
  if (!key || key->empty()) return error(conn, "AnnounceSession missing session_id");
  if (static_cast<std::int64_t>(key->size()) > config_[kMaxIdBytes]) return error(conn, "invalid session_id");
  if (static_cast<std::int64_t>(to_text(info).size()) > config_[kMaxSessionInfoBytes]) return error(conn, "session_info too large");
  std::string id(*key);
  std::optional<Session> previous = load_session(id);
  if (!previous && static_cast<std::int64_t>(session_count()) >= config_[kMaxSessions]) return error(conn, "too many sessions");
  // A new announcement of the same id replaces the record, as the original.
  Session session{info, {*me}, *me};
  reindex(id, previous.value_or(Session{}), session);
  store_session(id, session);
  if (!previous) ++*session_count_;
  event("session_created", {{"session", id}});
  send(registered(conn), to_text({{"type", "session_available"}, {"session_info", info}}));
}

void DeviceRegistry::request_active_sessions(ConnId conn) {
  for (const auto& [key, value] : host_.kv_list(kSessionPrefix)) {
    std::optional<Session> session = parse_session(value, config_[kMaxJsonDepth]);
    // Records whose session_info no longer names them (a SessionUpdate replaced it) are not replayed.
    if (!session || string_field(session->info, "session_id") != std::string_view(key).substr(kSessionPrefix.size())) continue;
    reply(conn, {{"type", "session_available"}, {"session_info", session->info}});
  }
  if (const std::string* me = device_of(conn)) {
    send(registered(conn), to_text({{"type", "session_list_request"}, {"from", *me}}));
  }
}

void DeviceRegistry::query_my_active_sessions(ConnId conn) {
  const std::string* found = device_of(conn);
  if (found == nullptr) return;  // silence for unregistered callers, as the original
  const std::string me = *found;
  Json sessions = Json::array();
  std::vector<std::string> mine;  // rebuilds this device's index from the records
  for (const auto& [key, value] : host_.kv_list(kSessionPrefix)) {
    std::string id = key.substr(kSessionPrefix.size());
    std::optional<Session> session = parse_session(value, config_[kMaxJsonDepth]);
    if (!session) continue;
    const Json* participants = field(session->info, "participants");
    if (participants != nullptr && participants->is_array() && contains(*participants, Json(me))) {
      if (!contains(session->active, me)) {
        session->active.push_back(me);
        store_session(id, *session);
      }
      sessions.push_back(session->info);
    }
    if (holds(*session, me)) mine.push_back(id);
  }
  store_index(me, mine);
  reply(conn, {{"type", "sessions_for_device"}, {"sessions", sessions}});
}

void DeviceRegistry::session_status_update(ConnId conn, const Json& info) {
  auto key = string_field(info, "session_id");
  if (!key || key->empty()) return error(conn, "SessionStatusUpdate missing session_id");
  std::string id(*key);
  std::optional<Session> session = load_session(id);
  if (!session) return error(conn, "unknown session: " + id);
  if (auto joined = string_field(info, "participant_joined")) {
    std::string joiner(*joined);
    if (joiner.empty() || joiner == kServer || static_cast<std::int64_t>(joiner.size()) > config_[kMaxIdBytes]) {
      return error(conn, "invalid device_id");
    }
    Session before = *session;
    if (!session->info.is_object()) return error(conn, "invalid message");
    Json& participants = session->info["participants"];
    if (!participants.is_array()) participants = Json::array();
    if (!contains(participants, Json(joiner))) participants.push_back(joiner);
    // Only a connected device becomes active: one that never comes would keep the session forever.
    if (connected(joiner) && !contains(session->active, joiner)) session->active.push_back(joiner);
    if (static_cast<std::int64_t>(to_text(session->info).size()) > config_[kMaxSessionInfoBytes]) {
      return error(conn, "session_info too large");
    }
    reindex(id, before, *session);
    store_session(id, *session);
  }
  std::vector<ConnId> to;
  for (const std::string& device : strings(field(session->info, "participants"))) {
    auto it = conns_.find(device);
    if (it != conns_.end() && !contains(to, it->second)) to.push_back(it->second);
  }
  Json update = {{"type", "participant_update"}, {"session_id", id}, {"session_info", session->info}};
  send(to, to_text({{"type", "relay"}, {"from", kServer}, {"data", update}}));
}

void DeviceRegistry::webSocketClose(ConnId conn, int, std::string_view) {
  sockets_.erase(conn);
  subs_.erase(conn);
  auto it = devices_.find(conn);
  if (it == devices_.end()) return;
  std::string device = it->second;
  devices_.erase(it);
  // Only the socket the device is registered on takes the device with it.
  auto registration = conns_.find(device);
  if (registration == conns_.end() || registration->second != conn) return;
  conns_.erase(registration);
  leave(device);
}

void DeviceRegistry::leave(const std::string& device) {
  event("device_disconnected", {{"device", device}});
  for (const std::string& id : load_index(device)) {
    std::optional<Session> session = load_session(id);
    if (!session) continue;
    if (creator_bound_ && session->creator == device) {
      remove_session(id, *session, "Session creator disconnected");
      continue;
    }
    std::erase(session->active, device);
    if (!creator_bound_ && session->active.empty()) {
      remove_session(id, *session, "All participants disconnected");
    } else {
      store_session(id, *session);
    }
  }
  host_.kv_delete(index_key(device));
  std::erase(device_list_, device);
  store_device_list();
  std::vector<ConnId> others = registered();
  if (!others.empty()) send(others, to_text({{"type", "devices"}, {"devices", device_list_}}));
}

void DeviceRegistry::remove_session(const std::string& id, const Session& session, std::string_view reason) {
  host_.kv_delete(session_key(id));
  event("session_removed", {{"session", id}, {"reason", reason}});
  if (session_count_) --*session_count_;
  reindex(id, session, Session{});
  std::vector<ConnId> everyone = registered();
  if (!everyone.empty()) send(everyone, to_text({{"type", "session_removed"}, {"session_id", id}, {"reason", reason}}));
}

void DeviceRegistry::restored(ConnId conn, const Json& state) {
  sockets_.insert(conn);
  if (auto device = string_field(state, "device")) {
    conns_[std::string(*device)] = conn;
    devices_[conn] = std::string(*device);
  }
  // A registered socket's device is its token's `sub` (register allows no other).
  if (token_mode_) subs_[conn] = std::string(string_field(state, "sub").value_or(string_field(state, "device").value_or("")));
}

// Devices in `device_list` whose socket did not survive went away without a
// close event. If other sockets survived (a wake-up), they left. If none did,
// the server restarted: they leave the device list, but their sessions stay
// for stateless rejoin (register, then query_my_active_sessions).
void DeviceRegistry::rebuilt() {
  std::vector<std::string> ghosts;
  for (const std::string& device : device_list_) {
    if (!connected(device)) ghosts.push_back(device);
  }
  std::vector<std::string> unlisted;
  for (const auto& [device, conn] : conns_) {
    if (!contains(device_list_, device)) unlisted.push_back(device);
  }
  std::sort(unlisted.begin(), unlisted.end());
  device_list_.insert(device_list_.end(), unlisted.begin(), unlisted.end());
  if (sockets_.empty()) {
    for (const std::string& ghost : ghosts) std::erase(device_list_, ghost);
  } else {
    for (const std::string& ghost : ghosts) leave(ghost);
  }
  if (!ghosts.empty() || !unlisted.empty()) store_device_list();
}

bool DeviceRegistry::holds(const Session& session, const std::string& device) const {
  if (device.empty()) return false;
  return contains(session.active, device) || (creator_bound_ && session.creator == device);
}

void DeviceRegistry::reindex(const std::string& id, const Session& before, const Session& after) {
  auto holders = [&](const Session& session) {
    std::vector<std::string> out = session.active;
    if (!session.creator.empty()) out.push_back(session.creator);
    return out;
  };
  for (const std::string& device : holders(before)) {
    if (holds(before, device) && !holds(after, device)) index_remove(device, id);
  }
  for (const std::string& device : holders(after)) {
    if (holds(after, device) && !holds(before, device)) index_add(device, id);
  }
}

std::optional<Session> DeviceRegistry::load_session(const std::string& id) {
  std::optional<std::string> text = host_.kv_get(session_key(id));
  return text ? parse_session(*text, config_[kMaxJsonDepth]) : std::nullopt;
}

void DeviceRegistry::store_session(const std::string& id, const Session& session) {
  Json record = {{"session_info", session.info}, {"active_participants", session.active}, {"creator", session.creator}};
  host_.kv_put(session_key(id), to_text(record));
}

std::vector<std::string> DeviceRegistry::load_index(const std::string& device) {
  std::optional<std::string> text = host_.kv_get(index_key(device));
  if (!text) return {};
  std::optional<Json> ids = parse_json(*text);
  return ids ? strings(&*ids) : std::vector<std::string>{};
}

void DeviceRegistry::store_index(const std::string& device, const std::vector<std::string>& ids) {
  if (ids.empty()) {
    host_.kv_delete(index_key(device));
  } else {
    host_.kv_put(index_key(device), to_text(Json(ids)));
  }
}

void DeviceRegistry::index_add(const std::string& device, const std::string& id) {
  std::vector<std::string> ids = load_index(device);
  if (contains(ids, id)) return;
  ids.push_back(id);
  store_index(device, ids);
}

void DeviceRegistry::index_remove(const std::string& device, const std::string& id) {
  std::vector<std::string> ids = load_index(device);
  if (std::erase(ids, id) != 0) store_index(device, ids);
}

void DeviceRegistry::store_device_list() {
  if (device_list_.empty()) {
    host_.kv_delete(kDeviceList);
  } else {
    host_.kv_put(kDeviceList, to_text(Json(device_list_)));
  }
}

std::size_t DeviceRegistry::session_count() const {
  if (!session_count_) session_count_ = host_.kv_list(kSessionPrefix).size();
  return *session_count_;
}

const std::string* DeviceRegistry::device_of(ConnId conn) const {
  auto it = devices_.find(conn);
  return it == devices_.end() ? nullptr : &it->second;
}

std::vector<ConnId> DeviceRegistry::registered(std::optional<ConnId> except) const {
  std::vector<ConnId> out;
  for (const std::string& device : device_list_) {
    auto it = conns_.find(device);
    if (it != conns_.end() && it->second != except) out.push_back(it->second);
  }
  return out;
}

Json DeviceRegistry::counts() const { return {{"devices", conns_.size()}, {"sessions", session_count()}}; }

void DeviceRegistry::reply(ConnId conn, const Json& message) { send(conn, to_text(message)); }

void DeviceRegistry::error(ConnId conn, std::string_view text) { refuse(conn, error_answer(text)); }

}  // namespace sb::mpc
