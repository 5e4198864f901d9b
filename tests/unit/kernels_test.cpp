// The compute kernels against plain double-precision arithmetic, in both weight layouts. This
// file is built three times: into the main test binary (this machine's SIMD path), and into
// binaries whose kernels are compiled for the baseline ISA (portable C++ on x86-64, NEON on
// Arm) and, on x86-64, for AVX2 without AVX512-VNNI, so that every path CI can run is checked.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_cases.h"
#include "measure/fp_mode.h"
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
  ThreadPool pool(2);
  const auto cases = test::RunKernelCases(pool);
  EXPECT_EQ(cases.size(), 18u);  // F32, F16: 3 each; Q8_0, Q4_0: 3 per layout
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_TRUE(c.rows_match);  // both layouts hold the same numbers
    EXPECT_LT(c.rel_error, c.tolerance);
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
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-4 * (1 + std::fabs(a[i]))) << ToString(t) << " " << i;
  }
}

// Every thread of a job flushes subnormals (the caller too, for the job only), and a product
// whose inputs are subnormal or tiny comes out as the reference says within float range.
TEST_F(Kernels, JobsRunWithSubnormalsFlushedToZero) {
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
  ThreadPool pool(3);
  std::vector<int> flushed(pool.size(), -1);
  pool.Run([&](unsigned i, unsigned) { flushed[i] = ThisThreadFlushesDenormals() ? 1 : 0; });
  for (size_t i = 0; i < flushed.size(); ++i) EXPECT_EQ(flushed[i], 1) << "thread " << i;
  EXPECT_FALSE(ThisThreadFlushesDenormals()) << "the caller's own mode is restored after the job";
  // F32 weights times subnormal activations: the exact products are below float's normal
  // range, so zero is the right answer to float precision.
  const size_t n = 256, rows = 8;
  std::vector<float> w(rows * n, 0.5f), x(n, 1e-39f), y(rows, -1);
  MatMul(pool, {TensorType::kF32, reinterpret_cast<const uint8_t*>(w.data()), rows, n, false}, x.data(), 1, y.data(),
         rows);
  for (float v : y) EXPECT_LE(std::fabs(v), 1e-35f);
#else
  GTEST_SKIP() << "no flush-to-zero mode on this ISA";
#endif
}

}  // namespace
}  // namespace tokcast::measure
