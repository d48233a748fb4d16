// What an app promises beyond the harness's own checks (fuzz_app.cpp): a model
// of the app's rules that every event and every delivered frame is checked
// against, the vars that make its limits small enough to reach, and the
// instance its object is. Each app's lives in models/<app>.cpp and registers
// itself by the app's name; an app without one is fuzzed with the harness's
// checks alone, so a new app needs no edit here.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/host.h"
#include "core/json.h"

namespace sb::fuzz {

using Fail = void (*)(const char*, std::string_view);

class Model {
 public:
  virtual ~Model() = default;
  virtual void opened(ConnId, std::string_view path) {}
  virtual void sent(ConnId, std::string_view frame) {}
  virtual void closed(ConnId) {}  // socket ids are never reused; frames sent before the close are checked after it
  virtual void delivered(ConnId, const std::string& frame, Fail) {}
  // A request to another object (an Effect's "object"), as the object performed it.
  virtual void called(const Json& request, Fail) {}
  // After every socket closed and the object slept.
  virtual void finished(const std::map<std::string, std::string>& storage, Fail) {}
};

struct Invariants {
  std::string_view app;
  Json (*vars)() = [] { return Json::object(); };
  std::string_view instance = "";  // the object's name, for apps whose objects use it
  // A frame it delivers may be another object's, passed on whole (a topic
  // owner's publish, to a gateway's sockets): not required to be JSON here.
  bool frames_from_peers = false;
  std::unique_ptr<Model> (*make)() = [] { return std::make_unique<Model>(); };
};

// Registers an app's invariants; models/<app>.cpp calls it at start-up.
bool define(const Invariants& invariants);
// The app's invariants, or the harness's alone when it has none.
Invariants invariants_of(std::string_view app);

}  // namespace sb::fuzz
