#include "apps/demo/demo_page.h"

namespace sb::demo {
namespace {

// To the assets binding itself (no instance).
Outcome page(const Request&, const Config&, WorkerHost&) { return Forward{}; }

// Narrower than signaling's WS /: a plain GET or HEAD of / is the page.
constexpr std::string_view kGet = "GET HEAD";
constexpr Route kRoutes[] = {{.path = "/", .methods = kGet, .plain = true, .handle = &page},
                             {.path = "/index.html", .methods = kGet, .plain = true, .handle = &page},
                             {.path = "/demo.js", .methods = kGet, .plain = true, .handle = &page},
                             {.path = "/demo.css", .methods = kGet, .plain = true, .handle = &page},
                             {.path = "/favicon.svg", .methods = kGet, .plain = true, .handle = &page}};

}  // namespace

const Manifest kManifest{.name = "demo", .binding = "ASSETS", .routes = kRoutes};

}  // namespace sb::demo
