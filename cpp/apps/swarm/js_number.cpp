#include "apps/swarm/js_number.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sb::swarm {

Json js_number(double value) {
  constexpr double kSafe = 9007199254740992.0;  // 2^53: every integer below is exact
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < kSafe) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

namespace {

// The shortest decimal digits that read back as `value` (> 0), and the power
// of ten of the first one: value ≈ 0.d1d2d3… × 10^(exponent + 1).
std::pair<std::string, int> shortest_digits(double value) {
  char text[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*e", precision - 1, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  std::string digits;
  char* cursor = text;
  for (; *cursor != 'e'; ++cursor) {
    if (*cursor >= '0' && *cursor <= '9') digits += *cursor;
  }
  int exponent = std::atoi(cursor + 1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return {digits, exponent};
}

}  // namespace

std::string locale_string(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "∞" : "-∞");
  std::string sign = value < 0 ? "-" : "";
  value = std::fabs(value);
  if (value == 0) return "0";
  auto [digits, exponent] = shortest_digits(value);
  // Split at the decimal point.
  std::string whole, fraction;
  int point = exponent + 1;
  if (point <= 0) {
    whole = "0";
    fraction = std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    whole = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    whole = digits.substr(0, static_cast<std::size_t>(point));
    fraction = digits.substr(static_cast<std::size_t>(point));
  }
  // At most three fraction digits; a dropped part of half or more rounds up.
  if (fraction.size() > 3) {
    bool up = fraction[3] >= '5';
    fraction.resize(3);
    if (up) {
      std::string number = whole + fraction;
      int i = static_cast<int>(number.size()) - 1;
      for (; i >= 0 && number[static_cast<std::size_t>(i)] == '9'; --i) number[static_cast<std::size_t>(i)] = '0';
      if (i < 0) {
        number.insert(number.begin(), '1');
      } else {
        ++number[static_cast<std::size_t>(i)];
      }
      whole = number.substr(0, number.size() - 3);
      fraction = number.substr(number.size() - 3);
    }
  }
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  if (grouped == "0" && fraction.empty()) return "0";
  return sign + grouped + (fraction.empty() ? "" : "." + fraction);
}

std::size_t js_length(std::string_view text) {
  std::size_t units = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += c >= 0xF0 ? 2 : 1;       // outside the BMP: a surrogate pair
  }
  return units;
}

}  // namespace sb::swarm
