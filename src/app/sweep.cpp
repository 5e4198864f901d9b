#include "app/sweep.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "catalog/error.h"
#include "core/text.h"

namespace tokcast::app {
namespace {

using catalog::InputError;

[[noreturn]] void Bad(std::string_view flag, std::string_view text, std::string_view why) {
  throw InputError(std::string(flag) + " '" + std::string(text) + "': " + std::string(why));
}

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

uint64_t ParseInt(std::string_view flag, std::string_view whole, std::string s) {
  if (s.empty()) Bad(flag, whole, "expected a number");
  uint64_t mult = 1;
  const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
  if (last == 'k') mult = 1024;
  if (last == 'm') mult = 1024 * 1024;
  if (mult != 1) s.pop_back();
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) Bad(flag, whole, "expected a whole number");
  if (s.size() > 15) Bad(flag, whole, "number too large");
  const uint64_t v = std::strtoull(s.c_str(), nullptr, 10);
  if (v > (uint64_t{1} << 50) / mult) Bad(flag, whole, "number too large");
  return v * mult;
}

}  // namespace

std::vector<std::string> SplitList(std::string_view text, std::string_view flag) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string item =
        Trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item.empty()) Bad(flag, text, "empty item in the list");
    out.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<uint64_t> ParseIntSweep(std::string_view text, std::string_view flag, uint64_t min, uint64_t max) {
  constexpr size_t kMaxValues = 10000;
  std::vector<uint64_t> out;
  for (const auto& item : SplitList(text, flag)) {
    const size_t dash = item.find('-', 1);
    if (dash == std::string::npos) {
      out.push_back(ParseInt(flag, text, item));
    } else {
      const uint64_t from = ParseInt(flag, text, item.substr(0, dash));
      std::string rest = item.substr(dash + 1);
      const size_t op = rest.find_first_of("*+");
      const uint64_t to = ParseInt(flag, text, rest.substr(0, op));
      const char kind = op == std::string::npos ? '+' : rest[op];
      const uint64_t step = op == std::string::npos ? 1 : ParseInt(flag, text, rest.substr(op + 1));
      if (to < from) Bad(flag, text, "a range must go upwards");
      if ((kind == '*' && step < 2) || (kind == '+' && step < 1)) Bad(flag, text, "the range step must grow");
      if (from == 0 && kind == '*') Bad(flag, text, "a geometric range cannot start at 0");
      for (uint64_t v = from; v <= to;) {
        out.push_back(v);
        if (out.size() > kMaxValues) Bad(flag, text, "more than 10000 values");
        if (v > max) break;
        // Values are at most 2^50 and steps at most 2^50, so v + step cannot wrap; v * step can.
        if (kind == '*' && v > to / step) break;
        v = kind == '*' ? v * step : v + step;
      }
    }
    if (out.size() > kMaxValues) Bad(flag, text, "more than 10000 values");
  }
  for (uint64_t v : out) {
    if (v < min || v > max) {
      Bad(flag, text, "values must be in " + std::to_string(min) + ".." + std::to_string(max));
    }
  }
  return out;
}

std::vector<uint32_t> ParseU32Sweep(std::string_view text, std::string_view flag, uint32_t min, uint32_t max) {
  std::vector<uint32_t> out;
  for (uint64_t v : ParseIntSweep(text, flag, min, max)) out.push_back(static_cast<uint32_t>(v));
  return out;
}

std::pair<uint32_t, uint32_t> ParseLengthRange(std::string_view text, std::string_view flag) {
  constexpr uint32_t kMax = 10'000'000;
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    const auto v = ParseU32Sweep(text, flag, 1, kMax);
    if (v.size() != 1) Bad(flag, text, "one length, or MIN-MAX");
    return {v[0], v[0]};
  }
  const auto lo = ParseU32Sweep(text.substr(0, dash), flag, 1, kMax);
  const auto hi = ParseU32Sweep(text.substr(dash + 1), flag, 1, kMax);
  if (lo.size() != 1 || hi.size() != 1 || hi[0] < lo[0]) Bad(flag, text, "MIN-MAX, with MIN <= MAX");
  return {lo[0], hi[0]};
}

std::vector<double> ParsePositiveList(std::string_view text, std::string_view flag, double max) {
  std::vector<double> out;
  for (const auto& item : SplitList(text, flag)) out.push_back(ParsePositive(item, flag, max));
  return out;
}

std::vector<TensorType> ParseKvTypes(std::string_view text, std::string_view flag) {
  std::vector<TensorType> out;
  for (const auto& k : SplitList(text, flag)) {
    auto t = TensorTypeFromString(k);
    if (!t) Bad(flag, k, "expected f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl or fp8");
    out.push_back(*t);
  }
  return out;
}

double ParsePositive(std::string_view text, std::string_view flag, double max) {
  const std::string s = Trim(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) Bad(flag, text, "expected a number");
  if (!(v > 0 && v <= max)) Bad(flag, text, "must be in (0, " + std::to_string(static_cast<long long>(max)) + "]");
  return v;
}

}  // namespace tokcast::app
