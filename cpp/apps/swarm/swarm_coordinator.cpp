#include "apps/swarm/swarm_coordinator.h"

#include <algorithm>
#include <cmath>

#include "apps/swarm/invite_registry.h"
#include "apps/swarm/js_number.h"
#include "core/access.h"

namespace sb::swarm {
namespace {

constexpr std::string_view kRunStateKey = "swarm/state";
constexpr std::string_view kThrottleKey = "swarm/throttle";
constexpr std::string_view kCompletedKey = "swarm/completed";
constexpr std::string_view kQueueKey = "swarm/queue";
constexpr std::string_view kInvitesKey = "swarm/invites";
constexpr std::string_view kDevicePrefix = "device/";
constexpr std::string_view kQuotaPrefix = "quota/";
constexpr std::string_view kWeightPrefix = "weight/";

constexpr std::string_view kRunStates[] = {"IDLE", "RUNNING", "PAUSED", "STOPPED"};

std::string key(std::string_view prefix, std::string_view id) { return std::string(prefix) + std::string(id); }

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// At most `bytes` of `text`, never cutting a UTF-8 sequence.
std::string_view clip(std::string_view text, std::size_t bytes) {
  if (text.size() <= bytes) return text;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return text.substr(0, bytes);
}

bool finite_number(const Json* v) { return v && v->is_number() && std::isfinite(v->get<double>()); }
bool absent(const Json* v) { return v == nullptr || v->is_null(); }

bool integral(const Json* v) {
  if (v == nullptr) return false;
  if (v->is_number_integer()) return true;
  return finite_number(v) && v->get<double>() == std::trunc(v->get<double>());
}

// Data that the original ignored: nothing, null or an object.
bool empty_payload(const Json* data) { return absent(data) || data->is_object(); }

// JavaScript truthiness, as the original tested `payload.error`.
bool truthy(const Json* v) {
  if (absent(v)) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number()) return v->get<double>() != 0 && !std::isnan(v->get<double>());
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  return true;
}

std::optional<std::string> text_within(const Json* v, std::size_t units) {
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const auto& text = v->get_ref<const std::string&>();
  if (js_length(text) > units) return std::nullopt;
  return text;
}

std::optional<Json> stored(Host& host, std::string_view key) {
  std::optional<std::string> text = host.kv_get(key);
  return text ? parse_json(*text) : std::nullopt;
}

// {"event", "data"} written around data's own text: a Json holding both would copy all of data first.
std::string envelope(std::string_view event, const Json& data) {
  return R"({"event":)" + to_text(std::string(event)) + R"(,"data":)" + to_text(data) + "}";
}

// Frames are {"event", "data"}.
constexpr FramePolicy kFrames{.limits = &kSocketLimits, .type_field = "event"};

// The schema of each client event (docs/swarm.md, Errors): fine, or the
// reason a payload is refused.
Handled check(std::string_view event, const Json* data) {
  if (event == "connect") return {};  // the client's own on-open emit, ignored
  if (event == "job:request_batch" || event == "auth:generate_token") {
    if (!empty_payload(data)) return "data must be an object";
    return {};
  }
  if (event == "heartbeat") {
    if (!empty_payload(data)) return "data must be an object";
    const Json* at = data ? field(*data, "lastInteraction") : nullptr;
    if (!absent(at) && !(finite_number(at) && at->get<double>() >= 0)) return "lastInteraction must be a number >= 0";
    return {};
  }
  if (event == "device:register") {
    if (data == nullptr || !data->is_object()) return "data must be an object";
    if (!text_within(field(*data, "name"), 100)) return "name must be a string of at most 100 characters";
    const Json* caps = field(*data, "capabilities");
    if (caps == nullptr || !caps->is_object()) return "capabilities must be an object";
    const Json* cores = field(*caps, "cpuCores");
    if (!integral(cores) || cores->get<double>() < 1 || cores->get<double>() > 1024) return "cpuCores must be an integer from 1 to 1024";
    const Json* memory = field(*caps, "memoryGB");
    if (!finite_number(memory) || memory->get<double>() < 0 || memory->get<double>() > 65536) return "memoryGB must be a number from 0 to 65536";
    const Json* gpu = field(*caps, "gpuAvailable");
    if (gpu == nullptr || !gpu->is_boolean()) return "gpuAvailable must be a boolean";
    const Json* gpu_name = field(*caps, "gpuName");
    if (!absent(gpu_name) && !text_within(gpu_name, 200)) return "gpuName must be a string of at most 200 characters";
    return {};
  }
  if (event == "job:complete") {
    if (data == nullptr || !data->is_object()) return "data must be an object";
    if (!text_within(field(*data, "chunkId"), 128)) return "chunkId must be a string of at most 128 characters";
    const Json* worker = field(*data, "workerId");
    if (!absent(worker) && !text_within(worker, 128)) return "workerId must be a string of at most 128 characters";
    const Json* duration = field(*data, "durationMs");
    if (!absent(duration) && !(finite_number(duration) && duration->get<double>() >= 0)) return "durationMs must be a number >= 0";
    return {};
  }
  if (event == "cmd:set_run_state") {
    std::optional<std::string> state = text_within(data, 16);
    if (!state || std::find(std::begin(kRunStates), std::end(kRunStates), *state) == std::end(kRunStates)) {
      return "data must be one of IDLE, RUNNING, PAUSED, STOPPED";
    }
    return {};
  }
  if (event == "cmd:set_throttle") {
    if (!finite_number(data) || data->get<double>() < 0 || data->get<double>() > 100) return "data must be a number from 0 to 100";
    return {};
  }
  if (event == "benchmark:result") {
    const Json* score = data ? field(*data, "score") : nullptr;
    if (!finite_number(score) || score->get<double>() < 0) return "score must be a finite number >= 0";
    return {};
  }
  if (event == "cmd:toggle_device") {
    if (data == nullptr || !data->is_object()) return "data must be an object";
    if (!text_within(field(*data, "id"), 128)) return "id must be a string of at most 128 characters";
    const Json* enabled = field(*data, "enabled");
    if (enabled == nullptr || !enabled->is_boolean()) return "enabled must be a boolean";
    return {};
  }
  return "unknown event";
}

}  // namespace

// --- Device ---------------------------------------------------------------

// Built field by field: a braced list would build each pair as an array and copy it in again.
Json Device::to_json() const {
  Json capabilities = Json::object();
  capabilities.emplace("cpuCores", cpuCores);
  capabilities.emplace("memoryGB", js_number(memoryGB));
  capabilities.emplace("gpuAvailable", gpuAvailable);
  if (gpuName) capabilities.emplace("gpuName", *gpuName);
  Json device = Json::object();
  device.emplace("id", id);
  device.emplace("name", name);
  device.emplace("type", type);
  device.emplace("status", status);
  device.emplace("capabilities", std::move(capabilities));
  device.emplace("opsScore", js_number(opsScore));
  device.emplace("totalJobsCompleted", totalJobsCompleted);
  device.emplace("lastHeartbeat", lastHeartbeat);
  device.emplace("lastUserInteraction", js_number(lastUserInteraction));
  device.emplace("swarmId", swarmId);
  return device;
}

std::optional<Device> Device::from_json(const Json& j) {
  Device d;
  auto id = string_field(j, "id");
  auto name = string_field(j, "name");
  auto type = string_field(j, "type");
  auto status = string_field(j, "status");
  const Json* caps = field(j, "capabilities");
  if (!id || !name || !type || !status || caps == nullptr) return std::nullopt;
  d.id = *id;
  d.name = *name;
  d.type = *type;
  d.status = *status;
  d.swarmId = string_field(j, "swarmId").value_or("");
  if (const Json* v = field(*caps, "cpuCores"); integral(v)) d.cpuCores = static_cast<std::int64_t>(v->get<double>());
  if (const Json* v = field(*caps, "memoryGB"); finite_number(v)) d.memoryGB = v->get<double>();
  if (const Json* v = field(*caps, "gpuAvailable"); v && v->is_boolean()) d.gpuAvailable = v->get<bool>();
  if (auto v = string_field(*caps, "gpuName")) d.gpuName = std::string(*v);
  if (const Json* v = field(j, "opsScore"); finite_number(v)) d.opsScore = v->get<double>();
  if (const Json* v = field(j, "totalJobsCompleted"); integral(v)) d.totalJobsCompleted = static_cast<std::int64_t>(v->get<double>());
  if (const Json* v = field(j, "lastHeartbeat"); integral(v)) d.lastHeartbeat = static_cast<std::int64_t>(v->get<double>());
  if (const Json* v = field(j, "lastUserInteraction"); finite_number(v)) d.lastUserInteraction = v->get<double>();
  return d;
}

// --- The object ------------------------------------------------------------

SwarmCoordinator::SwarmCoordinator(Host& host, const Config& config) : App(host, config, kFrames) {
  if (auto state = host_.kv_get(kRunStateKey)) run_state_ = *state;
  if (auto throttle = stored(host_, kThrottleKey); finite_number(throttle ? &*throttle : nullptr)) throttle_ = throttle->get<double>();
  if (auto completed = stored(host_, kCompletedKey); completed && completed->is_number_integer()) completed_ = completed->get<std::int64_t>();
  if (auto queue = stored(host_, kQueueKey); queue && queue->is_array()) queue_.assign(queue->begin(), queue->end());
  if (auto invites = stored(host_, kInvitesKey); invites && invites->is_array()) {
    for (const Json& at : *invites) {
      if (at.is_number()) invites_.push_back(at.get<double>());
    }
  }
  for (const auto& [k, value] : host_.kv_list(kDevicePrefix)) {
    std::optional<Json> j = parse_json(value);
    if (auto device = j ? Device::from_json(*j) : std::nullopt) {
      stored_heartbeats_[device->id] = device->lastHeartbeat;
      devices_.emplace(device->id, std::move(*device));
    }
  }
  for (const auto& [k, value] : host_.kv_list(kQuotaPrefix)) {
    if (auto j = parse_json(value)) quotas_[k.substr(kQuotaPrefix.size())] = Quota::from_json(*j);
  }
  for (const auto& [k, value] : host_.kv_list(kWeightPrefix)) {
    if (auto j = parse_json(value); j && j->is_number()) weights_[k.substr(kWeightPrefix.size())] = j->get<double>();
  }
}

Outcome SwarmCoordinator::fetch(const Request& request) {
  std::string_view device = request.param("persistentId").value_or("");
  if (device.empty()) return Response::error(400, "Missing persistentId");
  if (!request.upgrade) return Response::error(426, "expected a WebSocket upgrade (swarm coordinator)");
  if (!is_instance_name(device)) return Response::error(400, "invalid persistentId");
  if (token_mode(config_, kAccess) && string_field(access_of(request).value_or(Json()), "sub") != device) {
    return Response::error(401, "invalid access token");
  }
  if (auto space = room_for(request, sockets_.size()); !space) return space.error();
  return Accept{};
}

void SwarmCoordinator::webSocketOpen(ConnId conn, const Request& request) {
  std::string device(request.param("persistentId").value_or(""));
  bool first = sockets_.empty();
  sockets_[conn] = device;
  device_sockets_[device].insert(conn);
  attach_device(conn, device);
  emit(conn, "connect", {{"status", "connected"}});
  if (first) {
    // The alarm stopped with the last socket: catch up on what it would have swept.
    sweep();
    set_alarm(host_.now() + static_cast<double>(config_[kTickMs]));
  }
  snapshot_due_ = false;
  flush();
}

void SwarmCoordinator::webSocketWake(ConnId conn, const Json& state) {
  std::optional<std::string_view> device = string_field(state, "device");
  if (!device) return close(conn, 1011, "lost connection state");
  sockets_[conn] = std::string(*device);
  device_sockets_[std::string(*device)].insert(conn);
  // While a device has sockets, their attachments hold its liveness, newer than storage's.
  const Json* seen = field(state, "lastHeartbeat");
  const Json* interaction = field(state, "lastUserInteraction");
  auto it = devices_.find(std::string(*device));
  if (it == devices_.end() || !integral(seen) || !finite_number(interaction)) return;
  it->second.lastHeartbeat = static_cast<std::int64_t>(seen->get<double>());
  it->second.lastUserInteraction = interaction->get<double>();
}

Answer SwarmCoordinator::answer(ConnId conn, Refusal why, std::string_view data) {
  switch (why) {
    case Refusal::too_large:
      return warning("frame too large", "Rejected frame: larger than " + std::to_string(config_[kSocketLimits.max_message_bytes]) + " bytes");
    case Refusal::too_fast:
      return warning("rate limit exceeded", "Rejected frame: more than " + std::to_string(config_[kSocketLimits.messages_per_second]) + " per second");
    case Refusal::not_json: return warning("not JSON", "Rejected frame: not JSON");
    case Refusal::untyped: return warning("not an event", "Rejected frame: expected {\"event\": <name>, \"data\": <payload>}");
    case Refusal::binary: break;
  }
  return App::answer(conn, why, data);
}

void SwarmCoordinator::webSocketMessage(ConnId conn, Frame& frame) {
  std::string_view event = frame.type;
  const Json* payload = field(frame.message, "data");
  std::string device = sockets_[conn];
  auto known = devices_.find(device);
  std::optional<std::pair<std::int64_t, double>> seen;
  if (known != devices_.end()) seen = std::pair{known->second.lastHeartbeat, known->second.lastUserInteraction};
  Handled handled = check(event, payload);
  if (handled) handled = dispatch(conn, device, event, payload);
  if (auto it = devices_.find(device); it != devices_.end() && seen != std::pair{it->second.lastHeartbeat, it->second.lastUserInteraction}) {
    for (ConnId socket : device_sockets_[device]) attach_device(socket, device);
  }
  if (!handled) refuse(conn, warning("invalid event", "Rejected " + std::string(clip(event, 64)) + ": " + handled.error()));
  if (snapshot_due_) broadcast("swarm:snapshot", snapshot());
  snapshot_due_ = false;
  flush();
}

void SwarmCoordinator::webSocketClose(ConnId conn, int, std::string_view) {
  auto socket = sockets_.find(conn);
  if (socket == sockets_.end()) return;
  std::string id = socket->second;
  sockets_.erase(socket);
  auto owned = device_sockets_.find(id);
  if (owned != device_sockets_.end()) owned->second.erase(conn);
  auto device = devices_.find(id);
  // A device with another socket still open has not left.
  if (owned == device_sockets_.end() || owned->second.empty()) {
    if (owned != device_sockets_.end()) device_sockets_.erase(owned);
    log("NET", "Node offline: " + id.substr(0, 8), "GATEWAY");
    event("device_offline", {{"device", id}});
    if (device != devices_.end() && device->second.status != "DISABLED") {
      device->second.status = "OFFLINE";
      save_device(id);
      broadcast("swarm:snapshot", snapshot());
    }
  }
  if (sockets_.empty()) set_alarm(0);
  flush();
}

void SwarmCoordinator::alarm() {
  sweep();
  // Liveness is kept in memory and attachments; storage gets it at most once
  // per half of SWARM_OFFLINE_AFTER_MS per device, for a restart that loses
  // the sockets (and their attachments).
  for (const auto& [id, device] : devices_) {
    if (device.lastHeartbeat - stored_heartbeats_[id] >= config_[kOfflineAfterMs] / 2) save_device(id);
  }
  if (!sockets_.empty()) {
    broadcast("swarm:snapshot", snapshot());
    set_alarm(host_.now() + static_cast<double>(config_[kTickMs]));
  }
  snapshot_due_ = false;
  flush();
}

Handled SwarmCoordinator::dispatch(ConnId conn, const std::string& device, std::string_view event, const Json* data) {
  // Refusals that depend on the swarm's state; like schema errors, they change nothing.
  if (event == "device:register" && !devices_.contains(device) && static_cast<std::int64_t>(devices_.size()) >= config_[kMaxDevices]) {
    return "the swarm is full (" + std::to_string(config_[kMaxDevices]) + " devices)";
  }
  if (event == "cmd:toggle_device") {
    std::string_view id = string_field(*data, "id").value_or("");
    if (!devices_.contains(std::string(id))) return "unknown device " + std::string(clip(id, 64));
  }
  alive(device);
  if (event == "device:register") return register_device(device, data);
  if (event == "heartbeat") return heartbeat(device, data);
  if (event == "job:request_batch") return request_batch(conn, device, data);
  if (event == "job:complete") return complete_job(device, data);
  if (event == "cmd:set_run_state") return set_run_state(data);
  if (event == "cmd:set_throttle") return set_throttle(data);
  if (event == "benchmark:result") return benchmark(device, data);
  if (event == "cmd:toggle_device") return toggle_device(data);
  if (event == "auth:generate_token") return generate_invite(conn, device, data);
  return {};  // connect
}

void SwarmCoordinator::attach_device(ConnId conn, const std::string& id) {
  Json state = {{"device", id}};
  if (auto it = devices_.find(id); it != devices_.end()) {
    state["lastHeartbeat"] = it->second.lastHeartbeat;
    state["lastUserInteraction"] = js_number(it->second.lastUserInteraction);
  }
  attach(conn, state);
}

void SwarmCoordinator::alive(const std::string& id) {
  auto it = devices_.find(id);
  if (it == devices_.end()) return;
  Device& device = it->second;
  device.lastHeartbeat = now();
  if (device.status == "OFFLINE" || device.status == "REGISTERED") {
    device.status = "ONLINE";
    snapshot_due_ = true;
    save_device(id);
  }
}

Handled SwarmCoordinator::register_device(const std::string& id, const Json* data) {
  auto existing = devices_.find(id);
  const Json& caps = *field(*data, "capabilities");
  Device device;
  device.id = id;
  device.name = string_field(*data, "name").value_or("");
  device.cpuCores = static_cast<std::int64_t>(field(caps, "cpuCores")->get<double>());
  device.memoryGB = field(caps, "memoryGB")->get<double>();
  device.gpuAvailable = field(caps, "gpuAvailable")->get<bool>();
  if (auto gpu_name = string_field(caps, "gpuName")) device.gpuName = std::string(*gpu_name);
  std::string name = lower(device.name);
  if (name.find("mobile") != std::string::npos) {
    device.type = "MOBILE";
  } else if (name.find("colab") != std::string::npos) {
    device.type = "COLAB";
  } else if (device.gpuAvailable && device.memoryGB > 16) {
    device.type = "SERVER";
  } else {
    device.type = "DESKTOP";
  }
  device.status = "ONLINE";
  if (existing != devices_.end()) {
    device.opsScore = existing->second.opsScore;
    device.totalJobsCompleted = existing->second.totalJobsCompleted;
  }
  device.lastHeartbeat = now();
  device.lastUserInteraction = static_cast<double>(device.lastHeartbeat);
  device.swarmId = instance();
  devices_[id] = device;
  save_device(id);
  schedule(device);
  log("SYS", "Node Registered: " + device.name, "AUTH");
  event("device_registered", {{"device", id}});
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::heartbeat(const std::string& id, const Json* data) {
  auto it = devices_.find(id);
  if (it == devices_.end()) return {};
  const Json* at = data ? field(*data, "lastInteraction") : nullptr;
  if (truthy(at)) it->second.lastUserInteraction = at->get<double>();
  return {};
}

Handled SwarmCoordinator::request_batch(ConnId conn, const std::string& id, const Json*) {
  if (run_state_ != "RUNNING") return {};
  auto it = devices_.find(id);
  if (it == devices_.end() || it->second.status == "OFFLINE") return {};
  const Device& device = it->second;
  if (!quotas_.contains(id)) schedule(device);
  Quota& quota = quotas_[id];
  std::int64_t free = quota.maxConcurrent - quota.activeJobs;
  if (free <= 0) return {};
  if (queue_.empty()) refill(queue_, host_, now());
  double total = 0;
  for (const auto& [device_id, weight] : weights_) total += weight;
  auto weight = weights_.find(id);
  std::int64_t share = batch_share(weight == weights_.end() ? 1 : weight->second, total);
  auto size = static_cast<std::size_t>(std::min<std::int64_t>({share, free, static_cast<std::int64_t>(queue_.size())}));
  std::vector<Job> batch = take_jobs(queue_, size, device.gpuAvailable ? "MAT_MUL" : "MATH_STRESS");
  quota.activeJobs += static_cast<std::int64_t>(batch.size());
  save_quota(id);
  host_.kv_put(kQueueKey, to_text(Json(queue_)));
  if (!batch.empty()) emit(conn, "job:batch", Json(batch));
  return {};
}

Handled SwarmCoordinator::complete_job(const std::string& id, const Json* data) {
  if (auto quota = quotas_.find(id); quota != quotas_.end() && quota->second.activeJobs > 0) {
    const Json* duration = field(*data, "durationMs");
    swarm::complete_job(quota->second, finite_number(duration) ? duration->get<double>() : 0);
    save_quota(id);
  }
  if (!truthy(field(*data, "error"))) {
    ++completed_;
    host_.kv_put(kCompletedKey, std::to_string(completed_));
    if (auto device = devices_.find(id); device != devices_.end()) {
      ++device->second.totalJobsCompleted;
      save_device(id);
    }
  } else {
    log("ERR", "Job " + std::string(string_field(*data, "chunkId").value_or("")) + " failed on " + id, "COMPUTE");
  }
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::set_run_state(const Json* data) {
  run_state_ = data->get<std::string>();
  host_.kv_put(kRunStateKey, run_state_);
  log("SYS", "Swarm state changed to " + run_state_, "MASTER");
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::set_throttle(const Json* data) {
  throttle_ = data->get<double>();
  host_.kv_put(kThrottleKey, to_text(js_number(throttle_)));
  broadcast("swarm:throttle_sync", js_number(throttle_));
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::benchmark(const std::string& id, const Json* data) {
  double score = field(*data, "score")->get<double>();
  if (auto device = devices_.find(id); device != devices_.end()) {
    device->second.opsScore = score;
    save_device(id);
    schedule(device->second);
  }
  log("CPU", "Benchmark: " + locale_string(score) + " OPS", id);
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::toggle_device(const Json* data) {
  std::string id(string_field(*data, "id").value_or(""));
  bool enabled = field(*data, "enabled")->get<bool>();
  auto device = devices_.find(id);
  if (device == devices_.end()) return {};
  device->second.status = enabled ? "ONLINE" : "DISABLED";
  save_device(id);
  log(enabled ? "SYS" : "WARN", "Node " + id.substr(0, 8) + " was " + (enabled ? "enabled" : "disabled") + " by Master", "ORCHESTRATOR");
  snapshot_due_ = true;
  return {};
}

Handled SwarmCoordinator::generate_invite(ConnId conn, const std::string& id, const Json*) {
  if (instance().empty()) {
    // An object that does not know its name cannot tell joiners where to go.
    emit(conn, "auth:token", "");
    return "this swarm has no name";
  }
  double now_ms = host_.now();
  auto window = static_cast<double>(config_[kInviteWindowMs]);
  std::erase_if(invites_, [&](double at) { return at <= now_ms - window; });
  std::int64_t limit = config_[kInvitesPerWindow];
  if (static_cast<std::int64_t>(invites_.size()) >= limit) {
    std::string rate = window == 60'000 ? std::to_string(limit) + "/min" : std::to_string(limit) + " per " + locale_string(window / 1000) + " s";
    log("WARN", "Invite code generation rate limited (" + rate + ")", "AUTH");
    refuse(conn, {.reason = "invite rate limited", .frame = envelope("auth:token", "")});
    return {};
  }
  invites_.push_back(now_ms);
  host_.kv_put(kInvitesKey, to_text(Json(invites_)));
  Json request = {{"object",
                   {{"binding", kRegistryBinding},
                    {"instance", kRegistryInstance},
                    {"method", "POST"},
                    {"path", "/invites"},
                    {"headers", {{"content-type", "application/json"}}},
                    {"body", to_text({{"swarm", instance()}})}}}};
  perform(Effect{request, {{"invite", conn}, {"device", id}}});
  return {};
}

Outcome SwarmCoordinator::resume(const Json& context, const Json& answer) {
  const Json* conn_field = field(context, "invite");
  std::string device(string_field(context, "device").value_or(""));
  if (conn_field == nullptr || !conn_field->is_number_unsigned()) return Response::error(500, "unexpected answer");
  auto conn = conn_field->get<ConnId>();
  auto socket = sockets_.find(conn);
  bool requester_here = socket != sockets_.end() && socket->second == device;
  const Json* status = field(answer, "status");
  std::optional<Json> body = parse_json(string_field(answer, "body").value_or(""));
  std::optional<std::string_view> code = body ? string_field(*body, "code") : std::nullopt;
  if (status && status->is_number_integer() && status->get<int>() == 200 && code && is_invite_code(*code)) {
    log("SYS", "Generated new invite code: " + std::string(*code), "AUTH");
    event("invite_issued");  // the code itself is a credential: never logged
    if (requester_here) emit(conn, "auth:token", *code);
  } else if (requester_here) {
    emit(conn, "sys:log", {{"level", "ERR"}, {"message", "Invite code generation failed"}, {"timestamp", now()}, {"source", "AUTH"}});
    emit(conn, "auth:token", "");
  }
  return Response{200, Json::object(), ""};
}

void SwarmCoordinator::sweep() {
  std::int64_t now_ms = now();
  std::vector<std::string> gone;
  for (auto& [id, device] : devices_) {
    std::int64_t silent = now_ms - device.lastHeartbeat;
    bool connected = device_sockets_.contains(id);
    // A connected device is never forgotten: its socket may speak again.
    if (!connected && silent > config_[kRemoveAfterMs]) {
      gone.push_back(id);
    } else if (device.status != "DISABLED" && device.status != "OFFLINE" && (!connected || silent > config_[kOfflineAfterMs])) {
      device.status = "OFFLINE";
      save_device(id);
    }
  }
  for (const std::string& id : gone) remove(id);
}

void SwarmCoordinator::remove(const std::string& id) {
  devices_.erase(id);
  quotas_.erase(id);
  weights_.erase(id);
  dirty_devices_.erase(id);
  dirty_quotas_.erase(id);
  stored_heartbeats_.erase(id);
  host_.kv_delete(key(kDevicePrefix, id));
  host_.kv_delete(key(kQuotaPrefix, id));
  host_.kv_delete(key(kWeightPrefix, id));
}

void SwarmCoordinator::schedule(const Device& device) {
  double weight = device_weight(device.cpuCores, device.gpuAvailable, device.opsScore);
  quotas_[device.id] = fresh_quota(weight, device.cpuCores);
  weights_[device.id] = weight;
  save_quota(device.id);
  host_.kv_put(key(kWeightPrefix, device.id), to_text(weight));
}

Json SwarmCoordinator::snapshot() const {
  Json devices = Json::object();
  double ops = 0, memory = 0;
  std::int64_t cores = 0, gpus = 0, online = 0;
  for (const auto& [id, device] : devices_) {
    devices[id] = device.to_json();
    if (!device.counted()) continue;
    ops += device.opsScore;
    cores += device.cpuCores;
    memory += device.memoryGB;
    if (device.gpuAvailable) ++gpus;
    ++online;
  }
  bool running = run_state_ == "RUNNING";
  auto pending = static_cast<std::int64_t>(queue_.size());
  Json stats = {{"totalJobs", completed_ + pending},
                {"activeJobs", running ? online : 0},
                {"pendingJobs", pending},
                {"completedJobs", completed_},
                {"globalVelocity", running ? js_number(std::round(ops * (throttle_ / 100))) : Json(0)},
                {"globalThrottle", js_number(throttle_)}};
  Json resources = {{"totalCores", cores}, {"totalMemory", js_number(memory)}, {"totalGPUs", gpus}, {"onlineCount", online}};
  return {{"runState", run_state_}, {"devices", std::move(devices)}, {"stats", std::move(stats)}, {"resources", std::move(resources)}};
}

void SwarmCoordinator::emit(ConnId conn, std::string_view event, const Json& data) { send(conn, envelope(event, data)); }

void SwarmCoordinator::broadcast(std::string_view event, const Json& data) {
  if (sockets_.empty()) return;
  std::vector<ConnId> everyone;
  everyone.reserve(sockets_.size());
  for (const auto& [conn, device] : sockets_) everyone.push_back(conn);
  send(everyone, envelope(event, data));
}

void SwarmCoordinator::log(std::string_view level, std::string_view message, std::string_view source) {
  broadcast("sys:log", {{"level", level}, {"message", message}, {"timestamp", now()}, {"source", source}});
}

Answer SwarmCoordinator::warning(std::string_view reason, std::string_view message) {
  return {.reason = std::string(reason),
          .frame = envelope("sys:log", {{"level", "WARN"}, {"message", message}, {"timestamp", now()}, {"source", "GATEWAY"}})};
}

Json SwarmCoordinator::counts() const {
  return {{"devices", devices_.size()}, {"pendingJobs", queue_.size()}, {"completedJobs", completed_}};
}

void SwarmCoordinator::flush() {
  for (const std::string& id : dirty_devices_) {
    if (auto it = devices_.find(id); it != devices_.end()) {
      host_.kv_put(key(kDevicePrefix, id), to_text(it->second.to_json()));
      stored_heartbeats_[id] = it->second.lastHeartbeat;
    }
  }
  for (const std::string& id : dirty_quotas_) {
    if (auto it = quotas_.find(id); it != quotas_.end()) host_.kv_put(key(kQuotaPrefix, id), to_text(it->second.to_json(id)));
  }
  dirty_devices_.clear();
  dirty_quotas_.clear();
}

}  // namespace sb::swarm
