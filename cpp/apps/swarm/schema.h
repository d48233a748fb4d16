// The swarm's wire (docs/swarm.md, The wire): frames both ways are
// {"event", "data"}, and each client event's data has a schema, checked
// before any handler runs, so a handler reads only what the check vouched for.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.h"
#include "core/json.h"

namespace sb::swarm {

// A client event done, or the reason its data is refused.
using Handled = Expected<void, std::string>;

// Fine, or the reason `data` is refused for `event` (also "unknown event").
Handled check_event(std::string_view event, const Json* data);

// A server event: {"event", "data"} written around data's own text.
std::string envelope(std::string_view event, const Json& data);

// At most `bytes` of `text`, never cutting a UTF-8 sequence: client text quoted in a refusal.
std::string_view clip(std::string_view text, std::size_t bytes);

// Value tests the check and the handlers share.
bool finite_number(const Json* v);
bool integral(const Json* v);
// JavaScript truthiness, as the original tested `payload.error`.
bool truthy(const Json* v);

}  // namespace sb::swarm
