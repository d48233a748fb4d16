// The sharded signaling space: what a client sends a gateway (signal-gateway)
// and what a gateway sends a topic owner (signal-topics). Neither object
// takes an address from what it is sent: a gateway calls the owner its
// topic hashes to, an owner calls only gateways by their instance names; the
// counts they pass on are never below what they name, and neither keeps an
// empty record.
#include "apps/signal/space.h"
#include "model.h"

namespace sb::fuzz {
namespace {

constexpr std::int64_t kShards = 4;

// Small limits so the fuzzer reaches them: a short queue per owner, small batches.
Json space_vars() {
  return {{"SIGNAL_TOPIC_SHARDS", std::to_string(kShards)}, {"SIGNAL_GATEWAYS", "2"},           {"SIGNAL_SPACE_QUEUE_BYTES", "2000"},
          {"SIGNAL_SPACE_BATCH_BYTES", "500"},              {"SIGNAL_MAX_TOPICS_PER_CONNECTION", "4"}, {"SIGNAL_MAX_MESSAGE_BYTES", "300"},
          {"SIGNAL_MAX_INVALID_MESSAGES", "3"}};
}

// The fields of a call to another object (its body up to the frames), parsed;
// the frames its heads name fill the rest of the body exactly.
Json body_of(const Json& call, Fail fail) {
  std::string_view text = string_field(call, "body").value_or("");
  std::size_t end = text.find(signal::kFramesFollow);
  std::optional<Json> body = end == std::string_view::npos ? std::nullopt : parse_json(text.substr(0, end));
  if (!body) fail("a call's body is not JSON", to_text(call));
  std::size_t frames = 0;
  for (const char* list : {"ops", "deliveries"}) {
    if (const Json* heads = field(*body, list); heads && heads->is_array()) {
      for (const Json& head : *heads) {
        if (const Json* bytes = field(head, "bytes"); bytes && bytes->is_number_unsigned()) frames += bytes->get<std::size_t>();
      }
    }
  }
  if (frames != text.size() - end - 1) fail("a call's frames do not fill its body", to_text(call));
  return *body;
}

class Gateway final : public Model {
 public:
  void called(const Json& call, Fail fail) override {
    std::string_view owner = string_field(call, "instance").value_or("");
    if (string_field(call, "binding") != signal::kOwnerBinding || string_field(call, "path") != "/space/ops") fail("a gateway called something other than a topic owner", to_text(call));
    Json body = body_of(call, fail);
    if (string_field(body, "gateway") != "g0") fail("a gateway named another than itself", to_text(call));
    const Json* ops = field(body, "ops");
    if (ops == nullptr || !ops->is_array() || ops->empty()) fail("a call without operations", to_text(call));
    for (const Json& op : *ops) {
      std::optional<std::string_view> topic;
      for (const char* kind : {"sub", "unsub", "set", "pub"}) {
        if (!topic) topic = string_field(op, kind);
      }
      if (!topic) fail("an operation without a topic", to_text(op));
      if (signal::owner_of(*topic, kShards) != owner) fail("an operation sent to an owner its topic does not hash to", to_text(op));
    }
  }
  void finished(const std::map<std::string, std::string>& storage, Fail fail) override {
    for (const auto& [key, value] : storage) {
      if (key.starts_with("space/topic/")) fail("a topic registered after every socket closed", key);
    }
  }
};

class Owner final : public Model {
 public:
  void called(const Json& call, Fail fail) override {
    if (string_field(call, "binding") != signal::kGatewayBinding || string_field(call, "path") != "/space/deliver") fail("an owner called something other than a gateway", to_text(call));
    if (!is_instance_name(string_field(call, "instance").value_or(""))) fail("an owner called a gateway by an invalid name", to_text(call));
    Json body = body_of(call, fail);
    const Json* deliveries = field(body, "deliveries");
    if (deliveries == nullptr || !deliveries->is_array() || deliveries->empty()) fail("a call without deliveries", to_text(call));
    for (const Json& delivery : *deliveries) {
      const Json* clients = field(delivery, "clients");
      const Json* sids = field(delivery, "sids");
      if (sids == nullptr || !sids->is_array() || sids->empty()) fail("a delivery to no socket", to_text(delivery));
      if (clients == nullptr || !clients->is_number_unsigned() || clients->get<std::size_t>() < sids->size()) fail("a delivery counts fewer clients than it names", to_text(delivery));
    }
  }
  void finished(const std::map<std::string, std::string>& storage, Fail fail) override {
    for (const auto& [key, value] : storage) {
      std::optional<Json> sids = parse_json(value);
      if (key.starts_with("m") && (!sids || !sids->is_array() || sids->empty())) fail("an owner keeps a topic nobody listens to", key);
    }
  }
};

const bool gateway = define({.app = "signal-gateway",
                             .vars = &space_vars,
                             .instance = "g0",
                             .frames_from_peers = true,
                             .make = []() -> std::unique_ptr<Model> { return std::make_unique<Gateway>(); }});
const bool owner = define({.app = "signal-topics", .vars = &space_vars, .instance = "t0", .make = []() -> std::unique_ptr<Model> { return std::make_unique<Owner>(); }});

}  // namespace
}  // namespace sb::fuzz
