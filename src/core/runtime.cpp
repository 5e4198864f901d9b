#include "core/runtime.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace tokcast {

namespace {

std::optional<int> Digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Day> ParseIsoDay(std::string_view s) {
  if (s.size() != 7 && s.size() != 10) return std::nullopt;
  if (s[4] != '-' || (s.size() == 10 && s[7] != '-')) return std::nullopt;
  const auto y = Digits(s.substr(0, 4)), m = Digits(s.substr(5, 2));
  const auto d = s.size() == 10 ? Digits(s.substr(8, 2)) : std::optional<int>(1);
  if (!y || !m || !d || *y < 1970 || *y > 2200) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<Day>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

std::string FormatIsoDay(Day d) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(d))};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string EraOn(const RuntimeProfile& rt, Day day) {
  for (const auto& e : rt.eras) {
    if (day < e.until) return e.id;
  }
  return "";
}

const RuntimeEra* FindEra(const RuntimeProfile& rt, std::string_view id) {
  for (const auto& e : rt.eras) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

std::optional<Day> BuildDay(const std::vector<std::pair<uint32_t, Day>>& anchors, uint32_t build) {
  if (anchors.size() < 2) return std::nullopt;
  auto sorted = anchors;
  std::sort(sorted.begin(), sorted.end());
  // The segment that holds `build`, or the nearest end segment.
  size_t i = 1;
  while (i + 1 < sorted.size() && build > sorted[i].first) ++i;
  const auto [b0, d0] = sorted[i - 1];
  const auto [b1, d1] = sorted[i];
  if (b1 == b0) return d0;
  const double t = (static_cast<double>(build) - b0) / (static_cast<double>(b1) - b0);
  return static_cast<Day>(std::lround(d0 + t * (d1 - d0)));
}

}  // namespace tokcast
