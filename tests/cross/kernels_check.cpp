// A dependency-free check of the compute kernels against double-precision arithmetic, in both
// weight layouts, for builds where GoogleTest is not at hand: scripts/cross_check.sh builds it
// for aarch64 (NEON with and without dot-product instructions) and runs it under qemu.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
#include "measure/kernels.h"
#include "measure/thread_pool.h"
using namespace tokcast; using namespace tokcast::measure;
int main() {
  std::printf("simd: %s\n", SimdPath().c_str());
  std::mt19937 rng(7); std::normal_distribution<float> dist;
  const size_t n = 256, rows = 37; int fails = 0;
  std::vector<float> w(rows * n), x(5 * n);
  for (auto& v : w) v = dist(rng);
  for (auto& v : x) v = dist(rng);
  ThreadPool pool(2);
  for (TensorType t : {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0}) {
    const size_t stride = RowBytes(t, n);
    std::vector<uint8_t> q(rows * stride), packed(rows * stride);
    for (size_t r = 0; r < rows; ++r) QuantizeRow(t, w.data() + r * n, q.data() + r * stride, n);
    if (CanInterleave(t)) Interleave(t, q.data(), packed.data(), rows, n);
    for (bool il : {false, true}) {
      if (il && !CanInterleave(t)) continue;
      WeightMatrix m{t, il ? packed.data() : q.data(), rows, n, il};
      for (size_t tokens : {1, 2, 5}) {
        std::vector<float> y(tokens * rows);
        MatMul(pool, m, x.data(), tokens, y.data(), rows);
        double err = 0, norm = 0;
        for (size_t r = 0; r < rows; ++r) {
          std::vector<float> wd(n), wr(n);
          DequantizeRow(t, q.data() + r * stride, wd.data(), n);
          ReadRow(m, r, wr.data());
          if (wd != wr) { std::printf("ReadRow mismatch\n"); ++fails; }
          for (size_t tk = 0; tk < tokens; ++tk) {
            double ref = 0;
            for (size_t i = 0; i < n; ++i) ref += double(wd[i]) * x[tk * n + i];
            err += (y[tk * rows + r] - ref) * (y[tk * rows + r] - ref); norm += ref * ref;
          }
        }
        double rel = std::sqrt(err / norm);
        double tol = (t == TensorType::kF32 || t == TensorType::kF16) ? 1e-6 : 1e-2;
        std::printf("%s %s tokens=%zu rel=%.2e %s\n", std::string(ToString(t)).c_str(), il ? "il" : "ggml", tokens, rel, rel < tol ? "ok" : "FAIL");
        if (rel >= tol) ++fails;
      }
    }
  }
  std::printf("%s\n", fails ? "FAILED" : "ALL OK");
  return fails != 0;
}
