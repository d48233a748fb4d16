#include "apps/swarm/schema.h"

#include <algorithm>
#include <cmath>

#include "apps/swarm/js_number.h"

namespace sb::swarm {
namespace {

constexpr std::string_view kRunStates[] = {"IDLE", "RUNNING", "PAUSED", "STOPPED"};

bool absent(const Json* v) { return v == nullptr || v->is_null(); }

// Data that the original ignored: nothing, null or an object.
bool empty_payload(const Json* data) { return absent(data) || data->is_object(); }

std::optional<std::string> text_within(const Json* v, std::size_t units) {
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const auto& text = v->get_ref<const std::string&>();
  if (js_length(text) > units) return std::nullopt;
  return text;
}

}  // namespace

std::string_view clip(std::string_view text, std::size_t bytes) {
  if (text.size() <= bytes) return text;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return text.substr(0, bytes);
}

bool finite_number(const Json* v) { return v && v->is_number() && std::isfinite(v->get<double>()); }

bool integral(const Json* v) {
  if (v == nullptr) return false;
  if (v->is_number_integer()) return true;
  return finite_number(v) && v->get<double>() == std::trunc(v->get<double>());
}

bool truthy(const Json* v) {
  if (absent(v)) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number()) return v->get<double>() != 0 && !std::isnan(v->get<double>());
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  return true;
}

// Written around data's own text: a Json holding both would copy all of data first.
std::string envelope(std::string_view event, const Json& data) {
  return R"({"event":)" + to_text(std::string(event)) + R"(,"data":)" + to_text(data) + "}";
}

Handled check_event(std::string_view event, const Json* data) {
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

}  // namespace sb::swarm
