// The compute kernels against plain double-precision arithmetic, in both weight layouts. This
// file is built three times: into the main test binary (this machine's SIMD path), and into
// binaries whose kernels are compiled for the baseline ISA (portable C++ on x86-64, NEON on
// Arm) and, on x86-64, for AVX2 without AVX512-VNNI, so that every path CI can run is checked.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "measure/kernels.h"
#include "measure/thread_pool.h"

namespace tokcast::measure {
namespace {

class Kernels : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__x86_64__) && defined(__AVX2__)
    // F16C is on every CPU with AVX2 and FMA (and older Clang cannot test for it here).
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
      GTEST_SKIP() << "kernels built for AVX2 on a CPU without it";
    }
#endif
    RecordProperty("simd_path", SimdPath());
  }
};

TEST_F(Kernels, Fp16RoundTrip) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1e-5f, 3.0e-7f, 1234.5f, -0.333f}) {
    const float back = Fp16ToFp32(Fp32ToFp16(v));
    EXPECT_NEAR(back, v, std::fabs(v) * 1e-3 + 1e-7) << v;
  }
}

TEST_F(Kernels, QuantizedDotsMatchADoubleReference) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  // 37 rows: 4 interleaved groups of 8 and 5 plain rows; 5 tokens: a tile of 4 and one more.
  const size_t n = 256, rows = 37;
  std::vector<float> w(rows * n), x(5 * n);
  for (auto& v : w) v = dist(rng);
  for (auto& v : x) v = dist(rng);
  ThreadPool pool(2);
  for (TensorType t : {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0}) {
    const size_t stride = RowBytes(t, n);
    std::vector<uint8_t> q(rows * stride);
    for (size_t r = 0; r < rows; ++r) QuantizeRow(t, w.data() + r * n, q.data() + r * stride, n);
    std::vector<uint8_t> packed(q.size());
    if (CanInterleave(t)) Interleave(t, q.data(), packed.data(), rows, n);
    for (bool interleaved : {false, true}) {
      if (interleaved && !CanInterleave(t)) continue;
      const WeightMatrix m{t, interleaved ? packed.data() : q.data(), rows, n, interleaved};
      for (size_t tokens : {1, 2, 5}) {
        SCOPED_TRACE(std::string(ToString(t)) + (interleaved ? " interleaved, " : " ggml layout, ") +
                     std::to_string(tokens) + " tokens");
        std::vector<float> y(tokens * rows);
        MatMul(pool, m, x.data(), tokens, y.data(), rows);
        double err = 0, norm = 0;
        for (size_t r = 0; r < rows; ++r) {
          std::vector<float> wd(n), wr(n);
          DequantizeRow(t, q.data() + r * stride, wd.data(), n);
          ReadRow(m, r, wr.data());
          ASSERT_EQ(wd, wr) << "row " << r;  // both layouts hold the same numbers
          for (size_t tk = 0; tk < tokens; ++tk) {
            double ref = 0;
            for (size_t i = 0; i < n; ++i) ref += static_cast<double>(wd[i]) * x[tk * n + i];
            err += (y[tk * rows + r] - ref) * (y[tk * rows + r] - ref);
            norm += ref * ref;
          }
        }
        // Weights are dequantized exactly; the only error is the activations' Q8_0 rounding.
        const double tol = (t == TensorType::kF32 || t == TensorType::kF16) ? 1e-6 : 1e-2;
        EXPECT_LT(std::sqrt(err / norm), tol);
      }
    }
  }
}

TEST_F(Kernels, InterleavedAndGgmlLayoutsGiveTheSameProducts) {
  // Same quantized activations, same integer sums: the two layouts agree to float rounding.
  std::mt19937 rng(11);
  std::normal_distribution<float> dist;
  const size_t n = 512, rows = 24, tokens = 3;
  std::vector<float> w(rows * n), x(tokens * n);
  for (auto& v : w) v = dist(rng);
  for (auto& v : x) v = dist(rng);
  ThreadPool pool(2);
  for (TensorType t : {TensorType::kQ8_0, TensorType::kQ4_0}) {
    const size_t stride = RowBytes(t, n);
    std::vector<uint8_t> q(rows * stride), packed(rows * stride);
    for (size_t r = 0; r < rows; ++r) QuantizeRow(t, w.data() + r * n, q.data() + r * stride, n);
    Interleave(t, q.data(), packed.data(), rows, n);
    std::vector<float> a(tokens * rows), b(tokens * rows);
    MatMul(pool, {t, q.data(), rows, n, false}, x.data(), tokens, a.data(), rows);
    MatMul(pool, {t, packed.data(), rows, n, true}, x.data(), tokens, b.data(), rows);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4 * (1 + std::fabs(a[i]))) << ToString(t) << " " << i;
  }
}

}  // namespace
}  // namespace tokcast::measure
