// What an app declares about itself, once, in its own folder: its name, its
// Durable Object binding and class, its routes on the Worker, its limits and
// settings. cpp/apps/apps.cpp lists the manifests; the router matches the
// paths; a test checks js-shim/worker.js and wrangler.toml against them.
#pragma once
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "app.h"
#include "config.h"
#include "host.h"
#include "http.h"

namespace sb {

// One route on the Worker. `path` is exact, with `:name` standing for one
// segment (any text without `/`, possibly empty), or ends in `*`: that prefix
// and anything after it. The conditions narrow it; where two apps' routes can
// both match a request, one must be the other's path with narrower conditions
// (it takes those requests), else the router refuses to start.
struct Route {
  std::string_view path;
  std::string_view methods = {};  // space-separated; empty: any
  bool plain = false;             // only requests that are not WebSocket upgrades
  std::string_view with_param = {};     // only when the query has this parameter
  std::string_view without_param = {};  // only when it does not
  // Worker side, over the Worker's host. A Forward with no binding goes to the app's.
  Outcome (*handle)(const Request& request, const Config& config, WorkerHost& host) = nullptr;
};

// Where the Worker continues when the answer to one of its Effects comes
// back: `name` marks the Effect's context (continue_at), which crosses the
// shim as JSON; the router resumes at the step it names (resume_step). An
// app with one step may leave it unnamed: a context without a step goes there.
struct Step {
  std::string_view name;
  Outcome (*resume)(const Json& context, const Json& answer, const Config& config, WorkerHost& host);
};

struct Manifest {
  std::string_view name;          // as in APPS and /stats/<name>
  std::string_view binding;       // the binding in wrangler.toml its routes forward to
  std::string_view object_class;  // the Durable Object class (js-shim/worker.js); empty when the binding is none
  std::span<const Route> routes;
  // Worker side: where its routes' Effects continue; none if they return none.
  std::span<const Step> steps = {};
  // Worker side: GET /stats/<name>/<instance> when the app answers it itself
  // (an instance spread over several objects); nullopt: the object's own counts.
  std::optional<Outcome> (*stats)(std::string_view instance, const Config& config, WorkerHost& host) = nullptr;
  // The Durable Object's core; null for an app that has none (the demo page).
  std::unique_ptr<App> (*make)(Host& host, const Config& config) = nullptr;
  Limits limits = {};
  Settings settings = {};
  std::span<const std::string_view> kv_namespaces = {};  // Workers KV bindings its routes use
};

using Manifests = std::span<const Manifest* const>;

// An Effect whose answer continues at `step` (its context marked with the step's name).
Effect continue_at(const Step& step, Json request, Json context = Json::object());
// The answer to an Effect of `app`'s, at the step its context names; 500 when it names none of them.
Outcome resume_step(const Manifest& app, const Json& context, const Json& answer, const Config& config, WorkerHost& host);

// A request that reached `object`, an object of `app`: GET /stats/… is the
// core's to answer (the router lets it through only when it may be read,
// ADMIN_TOKEN); anything else is the app's (App::request).
Outcome object_request(const Manifest& app, App& object, const Request& request);

template <class T>
std::unique_ptr<App> make_object(Host& host, const Config& config) {
  return std::make_unique<T>(host, config);
}

}  // namespace sb
