// The kernels' reference cases, without a test framework: every weight type and layout at 1, 2
// and 5 tokens against double-precision products of the dequantized weights. Shared by the
// GoogleTest kernel tests and by tests/cross/kernels_check.cpp (aarch64 under qemu).
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "measure/kernels.h"
#include "measure/thread_pool.h"

namespace tokcast::measure::test {

struct KernelCase {
  std::string label;
  double rel_error = 0;    // relative RMS error of the products
  double tolerance = 0;    // weights are exact; quantized ones also round activations to Q8_0
  bool rows_match = true;  // ReadRow gives the ggml layout's numbers in either layout
};

inline std::vector<KernelCase> RunKernelCases(ThreadPool& pool) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  // 53 rows: 3 interleaved groups of 16 (or 6 of 8) and 5 plain rows; 11 tokens: a tile of 8
  // and 3 more (or two tiles of 4 and 3 more).
  const size_t n = 256, rows = 53;
  std::vector<float> w(rows * n), x(11 * n);
  for (auto& v : w) v = dist(rng);
  for (auto& v : x) v = dist(rng);
  std::vector<KernelCase> cases;
  for (TensorType t : {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0}) {
    const size_t stride = RowBytes(t, n);
    std::vector<uint8_t> q(rows * stride);
    for (size_t r = 0; r < rows; ++r) QuantizeRow(t, w.data() + r * n, q.data() + r * stride, n);
    std::vector<uint8_t> packed(q.size());
    if (CanInterleave(t)) Interleave(t, q.data(), packed.data(), rows, n);
    for (bool interleaved : {false, true}) {
      if (interleaved && !CanInterleave(t)) continue;
      const WeightMatrix m{t, interleaved ? packed.data() : q.data(), rows, n, interleaved};
      for (size_t tokens : {1, 2, 5, 11}) {
        KernelCase c;
        c.label = std::string(ToString(t)) + (interleaved ? " interleaved, " : " ggml layout, ") +
                  std::to_string(tokens) + " tokens";
        std::vector<float> y(tokens * rows);
        MatMul(pool, m, x.data(), tokens, y.data(), rows);
        double err = 0, norm = 0;
        for (size_t r = 0; r < rows; ++r) {
          std::vector<float> wd(n), wr(n);
          DequantizeRow(t, q.data() + r * stride, wd.data(), n);
          ReadRow(m, r, wr.data());
          c.rows_match = c.rows_match && wd == wr;
          for (size_t tk = 0; tk < tokens; ++tk) {
            double ref = 0;
            for (size_t i = 0; i < n; ++i) ref += static_cast<double>(wd[i]) * x[tk * n + i];
            err += (y[tk * rows + r] - ref) * (y[tk * rows + r] - ref);
            norm += ref * ref;
          }
        }
        c.rel_error = std::sqrt(err / norm);
        c.tolerance = (t == TensorType::kF32 || t == TensorType::kF16) ? 1e-6 : 1e-2;
        cases.push_back(c);
      }
    }
  }
  return cases;
}

}  // namespace tokcast::measure::test
