#include "app.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "manifest.h"

namespace sb {
namespace {

// workerd caps a serialized attachment at 2,048 bytes; the shim adds the socket id.
constexpr std::size_t kAttachmentBytes = 1900;
constexpr std::string_view kSpillPrefix = "conn/";
constexpr std::string_view kSpillMark = "@spilled";
constexpr std::string_view kInstanceKey = "app/instance";

std::string spill_key(ConnId conn) { return std::string(kSpillPrefix) + std::to_string(conn); }

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::info: break;
  }
  return "info";
}

App::App(Host& host, const Config& config, const FramePolicy& frames)
    : host_(host),
      config_(config),
      frames_(frames),
      max_message_bytes_(frames.limits ? config[frames.limits->max_message_bytes] : INT64_MAX),
      messages_per_second_(frames.limits ? config[frames.limits->messages_per_second] : 0),
      max_json_depth_(config[kMaxJsonDepth]),
      members_(frames.members.size()),
      since_(host.now()) {}

Outcome App::request(const Request& request) {
  Outcome outcome = fetch(request);
  if (const auto* response = std::get_if<Response>(&outcome)) {
    // One line per refused request: there is no socket to summarise over.
    if (auto reason = response->refusal()) {
      ++errors_;
      event("refused", {{"reason", *reason}, {"count", 1}}, Level::warn);
    }
  }
  return outcome;
}

Outcome object_request(const Manifest& app, App& object, const Request& request) {
  if (request.method == "GET" && request.path.starts_with("/stats/")) return Response::json(200, object.stats(app.limits, app.settings));
  return object.request(request);
}

void App::open(ConnId conn, const Request& request) {
  keep_instance();
  open_.try_emplace(conn);
  event("open", {{"connections", open_.size()}});
  opened(conn, request);
}

void App::closed(ConnId conn, int code, std::string_view reason) {
  if (open_.erase(conn) == 0) return;
  Json fields = {{"code", code}, {"reason", reason}, {"connections", open_.size()}};
  if (auto held = refusals_.find(conn); held != refusals_.end()) {
    if (held->second.held > 0) fields["refused"] = held->second.held;
    refusals_.erase(held);
  }
  event("close", std::move(fields));
  webSocketClose(conn, code, reason);
  if (spilled_.erase(conn) != 0) host_.kv_delete(spill_key(conn));
}

void App::close(ConnId conn, int code, std::string_view reason) {
  if (!open_.contains(conn)) return;
  if (code != 1000) refused(conn, reason);
  host_.close(conn, code, reason);
  closed(conn, code, reason);
}

void App::send(std::span<const ConnId> to, std::string_view text) {
  frames_out_ += static_cast<std::int64_t>(to.size());
  host_.send(to, text);
}

void App::identify(std::string_view app, std::string_view instance) {
  name_ = app;
  instance_ = instance;
  if (instance_.empty()) {
    instance_ = host_.kv_get(kInstanceKey).value_or("");
    instance_kept_ = !instance_.empty();
  }
}

void App::keep_instance() {
  if (instance_kept_ || instance_.empty()) return;
  instance_kept_ = true;
  if (host_.kv_get(kInstanceKey) != instance_) host_.kv_put(kInstanceKey, instance_);
}

void App::set_alarm(double at_ms) {
  if (at_ms > 0) keep_instance();
  host_.set_alarm(at_ms);
}

void App::erase_storage() {
  for (const auto& entry : host_.kv_list("")) {
    const std::string& key = entry.first;
    bool open_spill = std::any_of(spilled_.begin(), spilled_.end(), [&](ConnId conn) { return key == spill_key(conn); });
    if (!open_spill) host_.kv_delete(key);
  }
  instance_kept_ = false;
}

void App::event(std::string_view name, Json fields, Level level) {
  Json line = {{"event", name}, {"level", level_name(level)}, {"app", name_}, {"instance", instance_}};
  for (auto& [key, value] : fields.items()) line[key] = std::move(value);
  host_.log(to_text(line));
}

Expected<void> App::room_for(const Request& request, std::size_t sockets) {
  if (frames_.limits == nullptr) return {};
  const SocketLimits& limits = *frames_.limits;
  if (!limits.max_connections.name.empty() && static_cast<std::int64_t>(sockets) >= config_[limits.max_connections]) {
    return Response::error(503, "too many connections");
  }
  std::int64_t per_minute = config_[limits.ip_connects_per_minute];
  if (per_minute <= 0) return {};
  double now = host_.now();
  std::erase_if(upgrades_, [&](const auto& entry) { return entry.second.idle(now, per_minute, 60'000); });
  if (upgrades_[std::string(request.header("cf-connecting-ip"))].take(now, per_minute, 60'000)) return {};
  return Response::error(429, "too many connections from this address");
}

Answer App::answer(ConnId, Refusal why, std::string_view) {
  if (why == Refusal::binary) return {.reason = "binary frames are not supported", .close = 1003};
  return {.reason = "invalid message", .close = 1008};
}

void App::refuse(ConnId conn, const Answer& answer) {
  if (answer.invalid && !tolerated(conn)) return close(conn, 1008, "too many invalid messages");
  if (answer.close != 0) return close(conn, answer.close, answer.reason);
  refused(conn, answer.reason);
  if (!answer.frame.empty()) send(conn, answer.frame);
}

void App::refused(ConnId conn, std::string_view reason) {
  ++errors_;
  RefusalLog& log = refusals_[conn];
  ++log.held;
  double now = host_.now();
  if (log.logged_at >= 0 && now - log.logged_at < static_cast<double>(config_[kRefusalLogIntervalMs])) return;
  event("refused", {{"reason", reason}, {"count", log.held}}, Level::warn);
  log = {now, 0};
}

Json App::stats(Limits limits, Settings settings) const {
  Json in_force = Json::object();
  for (const Limit* limit : limits) in_force[std::string(limit->name)] = config_[*limit];
  for (const Limit* limit : kCoreLimits) in_force[std::string(limit->name)] = config_[*limit];
  Json set = Json::object();
  for (const Setting* setting : settings) {
    set[std::string(setting->name)] = setting->secret ? Json(config_.has(*setting)) : Json(config_[*setting]);
  }
  Json report = {{"app", name_}, {"connections", open_.size()}};
  Json own = counts();
  for (auto& [key, value] : own.items()) report[key] = std::move(value);
  report["messagesIn"] = frames_in_;
  report["messagesOut"] = frames_out_;
  report["errors"] = errors_;
  report["since"] = static_cast<std::int64_t>(since_);
  report["limits"] = in_force;
  report["settings"] = set;
  return report;
}

void App::attach(ConnId conn, const Json& state) {
  std::string text = to_text(state);
  if (text.size() <= kAttachmentBytes) {
    host_.attach(conn, text);
    if (spilled_.erase(conn) != 0) host_.kv_delete(spill_key(conn));
    return;
  }
  host_.kv_put(spill_key(conn), text);
  spilled_.insert(conn);
  host_.attach(conn, kSpillMark);
}

void App::wake(ConnId conn, std::string_view attachment) {
  open_.try_emplace(conn);
  std::optional<Json> state;
  if (attachment == kSpillMark) {
    spilled_.insert(conn);
    if (auto text = host_.kv_get(spill_key(conn))) state = parse_json(*text, config_[kMaxJsonDepth]);
  } else {
    state = parse_json(attachment, config_[kMaxJsonDepth]);
  }
  restored(conn, state.value_or(Json::object()));
}

void App::woke() {
  // Spilled attachments of sockets that closed while the object was gone.
  for (const auto& [key, value] : host_.kv_list(kSpillPrefix)) {
    std::string_view id = std::string_view(key).substr(kSpillPrefix.size());
    ConnId conn = 0;
    for (char c : id) conn = conn * 10 + static_cast<ConnId>(c - '0');
    if (!spilled_.contains(conn)) host_.kv_delete(key);
  }
  rebuilt();
}

}  // namespace sb
