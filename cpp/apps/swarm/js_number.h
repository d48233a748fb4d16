// Numbers as the original's JavaScript put them on the wire: the swarm's
// clients were written against a Worker that serialised JS Numbers.
#pragma once
#include <string>

#include "core/json.h"

namespace sb::swarm {

// JSON.stringify of a Number: integral values without a fraction (8, not 8.0).
Json js_number(double value);

// Number.prototype.toLocaleString() in en-US for a finite value: thousands
// separators, at most three fraction digits, ties rounded away from zero on
// the shortest decimal that reads back as the same double (as V8 and ICU do).
std::string locale_string(double value);

// String.prototype.length: UTF-16 code units of a UTF-8 string.
std::size_t js_length(std::string_view text);

}  // namespace sb::swarm
