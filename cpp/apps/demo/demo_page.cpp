#include "apps/demo/demo_page.h"

#include <array>

namespace sb::demo {

std::optional<Outcome> route(const Request& request, const Config&, Host&) {
  constexpr std::array<std::string_view, 5> kFiles = {"/", "/index.html", "/demo.js", "/demo.css", "/favicon.svg"};
  if (request.upgrade || (request.method != "GET" && request.method != "HEAD")) return std::nullopt;
  for (std::string_view file : kFiles) {
    if (request.path == file) return Forward{"ASSETS", ""};
  }
  return std::nullopt;
}

}  // namespace sb::demo
