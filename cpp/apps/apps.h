// The one place that lists every app.
#pragma once
#include <span>
#include <string_view>

#include "core/manifest.h"

namespace sb {

Manifests all_apps();
const Manifest* find_app(std::string_view name);

// The environment as the core reads it: every limit and setting declared by
// the router and the apps, resolved from `vars` once.
Config configure(const Json& vars);
// The names of those declarations: the only entries of the environment the core is given.
Json declared_names();
// The names of the secrets among them: the shim hands the core only whether
// each one is set, never its value (WorkerHost::hmac_secret).
Json secret_names();

}  // namespace sb
