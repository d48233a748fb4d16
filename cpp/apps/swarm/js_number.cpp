#include "apps/swarm/js_number.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <fast_float/fast_float.h>

namespace sb::swarm {

Json js_number(double value) {
  constexpr double kSafe = 9007199254740992.0;  // 2^53: every integer below is exact
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < kSafe) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

namespace {

// The first 18 or 19 significant decimal digits of `value` (> 0, finite),
// exactly: value = 0.digits… × 10^(point), and `inexact` when digits
// follow. value = m × 2^e is scaled by a power of ten in a little big
// integer (at most 1,024 bits), so no `long double` and no printf.
struct Digits {
  std::string digits;
  int point;
  bool inexact;
};

class BigInt {
 public:
  explicit BigInt(std::uint64_t value) : limbs_{static_cast<std::uint32_t>(value), static_cast<std::uint32_t>(value >> 32)} {}
  void multiply(std::uint32_t factor) {
    std::uint64_t carry = 0;
    for (std::uint32_t& limb : limbs_) {
      carry += static_cast<std::uint64_t>(limb) * factor;
      limb = static_cast<std::uint32_t>(carry);
      carry >>= 32;
    }
    if (carry) limbs_.push_back(static_cast<std::uint32_t>(carry));
  }
  // Returns the remainder.
  std::uint32_t divide(std::uint32_t divisor) {
    std::uint64_t rest = 0;
    for (std::size_t i = limbs_.size(); i-- > 0;) {
      rest = rest << 32 | limbs_[i];
      limbs_[i] = static_cast<std::uint32_t>(rest / divisor);
      rest %= divisor;
    }
    return static_cast<std::uint32_t>(rest);
  }
  void shift_left(int bits) {
    limbs_.insert(limbs_.begin(), static_cast<std::size_t>(bits / 32), 0);
    for (int i = 0; i < bits % 32; ++i) multiply(2);
  }
  // Returns whether a set bit was shifted out.
  bool shift_right(int bits) {
    bool lost = false;
    for (; bits >= 32 && !limbs_.empty(); bits -= 32) {
      lost |= limbs_.front() != 0;
      limbs_.erase(limbs_.begin());
    }
    if (bits > 0 && bits < 32) lost |= divide(1u << bits) != 0;
    if (limbs_.empty() || bits >= 32) limbs_.assign(1, 0);
    return lost;
  }
  // The value, once it fits 64 bits.
  std::uint64_t low() const { return limbs_.size() > 1 ? static_cast<std::uint64_t>(limbs_[1]) << 32 | limbs_[0] : limbs_[0]; }

 private:
  std::vector<std::uint32_t> limbs_;
};

Digits exact_digits(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  auto biased = static_cast<int>(bits >> 52);
  std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  if (biased > 0) mantissa |= std::uint64_t{1} << 52;
  int exponent = (biased > 0 ? biased : 1) - 1075;  // value = mantissa × 2^exponent
  // With 2^x <= value < 2^(x+1), floor(log10(value)) is k or k + 1 (log10(2)
  // ≈ 78913 / 2^18); dividing by 10^(k - 17) leaves 18 or 19 digits before
  // the point, below 2^64.
  int x = exponent + static_cast<int>(std::bit_width(mantissa)) - 1;
  int k = (x * 78913) >> 18;
  int scale = k - 17;
  BigInt number(mantissa);
  bool inexact = false;
  if (scale < 0) {
    for (int i = 0; i < -scale; ++i) number.multiply(5);
    int shift = exponent - scale;  // the 2^-scale of 10^-scale
    if (shift >= 0) {
      number.shift_left(shift);
    } else {
      inexact = number.shift_right(-shift);
    }
  } else {
    number.shift_left(exponent);
    for (int i = 0; i < scale; ++i) inexact |= number.divide(10) != 0;
  }
  std::string digits = std::to_string(number.low());
  return {digits, scale + static_cast<int>(digits.size()), inexact};
}

// The shortest decimal digits that read back as `value` (> 0), the closest
// to it when there are two, and the power of ten of the first one: value ≈
// 0.d1d2d3… × 10^(exponent + 1). Number.prototype.toString's digits.
std::pair<std::string, int> shortest_digits(double value) {
  auto [all, point, inexact] = exact_digits(value);
  const auto trimmed = [](std::pair<std::string, int> result) {
    while (result.first.size() > 1 && result.first.back() == '0') result.first.pop_back();
    return result;
  };
  const auto reads_back = [&](const std::string& digits, int first) {
    std::string text = digits + "e" + std::to_string(first - static_cast<int>(digits.size()) + 1);
    double read = 0;
    fast_float::from_chars(text.data(), text.data() + text.size(), read);
    return read == value;
  };
  for (std::size_t length = 1; length < all.size(); ++length) {
    std::string down = all.substr(0, length);
    std::string rest = all.substr(length);
    bool exact = !inexact && rest.find_first_not_of('0') == std::string::npos;
    if (exact) return trimmed({down, point - 1});
    // down + 1 in the last place; a carry out of the first digit is a longer power of ten.
    std::string up = down;
    int up_first = point - 1;
    std::size_t i = length;
    while (i > 0 && up[i - 1] == '9') up[--i] = '0';
    if (i == 0) {
      up = "1" + up.substr(0, length - 1);
      ++up_first;
    } else {
      ++up[i - 1];
    }
    // Nearer first (ties to even, as printf's rounding), then the other.
    int half = rest[0] != '5' ? rest[0] - '5' : (inexact || rest.find_first_not_of('0', 1) != std::string::npos ? 1 : 0);
    bool up_first_choice = half > 0 || (half == 0 && (down.back() - '0') % 2 == 1);
    std::pair<std::string, int> nearer = up_first_choice ? std::pair{up, up_first} : std::pair{down, point - 1};
    std::pair<std::string, int> farther = up_first_choice ? std::pair{down, point - 1} : std::pair{up, up_first};
    if (reads_back(nearer.first, nearer.second)) return trimmed(nearer);
    if (reads_back(farther.first, farther.second)) return trimmed(farther);
  }
  return trimmed({all, point - 1});
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
