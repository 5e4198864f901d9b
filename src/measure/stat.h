// Summary statistics of timed repetitions (header-only: the GPU module uses it too).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace tokcast::measure {

struct Stat {
  double median = 0, min = 0, max = 0, mean = 0, stddev = 0;
  size_t reps = 0;
  std::vector<double> samples;  // sorted
  double Spread() const { return median > 0 ? (max - min) / median : 0; }
};

inline Stat Summarize(std::vector<double> s) {
  Stat st;
  if (s.empty()) return st;
  std::sort(s.begin(), s.end());
  st.reps = s.size();
  st.min = s.front();
  st.max = s.back();
  st.median = s.size() % 2 ? s[s.size() / 2] : (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
  double sum = 0;
  for (double v : s) sum += v;
  st.mean = sum / static_cast<double>(s.size());
  double var = 0;
  for (double v : s) var += (v - st.mean) * (v - st.mean);
  st.stddev = s.size() > 1 ? std::sqrt(var / static_cast<double>(s.size() - 1)) : 0;
  st.samples = std::move(s);
  return st;
}

}  // namespace tokcast::measure
