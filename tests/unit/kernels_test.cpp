// The compute kernels against plain double-precision arithmetic, in both weight layouts. This
// file is built three times: into the main test binary (this machine's SIMD path), and into
// binaries whose kernels are compiled for the baseline ISA (portable C++ on x86-64, NEON on
// Arm) and, on x86-64, for AVX2 without AVX512-VNNI, so that every path CI can run is checked.
#include <array>
#include <cfloat>
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

TEST_F(Kernels, VectorFp16ConversionRoundsAsTheScalarOne) {
  // Halfway cases, subnormal halves, overflow to infinity, and a tail past the vector width.
  std::vector<float> x = {0.0f,  -0.0f,   1.0f,    1.00048828125f, 1.00146484375f, 65504.0f, 65520.0f, 1e9f,
                          -1e9f, 6.1e-5f, 3.0e-7f, 5.96e-8f,       2.9e-8f,        -1234.5f, 0.333333f};
  for (int i = 0; i < 37; ++i) x.push_back(static_cast<float>(i) * 0.7311f - 9.0f);
  std::vector<uint16_t> y(x.size());
  F32ToF16(x.data(), y.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], Fp32ToFp16(x[i])) << x[i];
}

TEST_F(Kernels, Fp16RoundTrip) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1e-5f, 3.0e-7f, 1234.5f, -0.333f}) {
    const float back = Fp16ToFp32(Fp32ToFp16(v));
    EXPECT_NEAR(back, v, std::fabs(v) * 1e-3 + 1e-7) << v;
  }
}

TEST_F(Kernels, QuantizedDotsMatchADoubleReference) {
  ThreadPool pool(2);
  const auto cases = test::RunKernelCases(pool);
  EXPECT_EQ(cases.size(), 24u);  // F32, F16: 4 each; Q8_0, Q4_0: 4 per layout
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
  const size_t n = 512, rows = 40, tokens = 11;  // groups of 16 or 8, plain rows; a tail tile
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

TEST_F(Kernels, TheAmxPathMatchesTheVectorKernelsAndADoubleReference) {
  // Passes of 16+ tokens over interleaved matrices go to the AMX tile unit where the machine has
  // one: an odd number of groups (a lone last group), plain rows after them, and token counts at
  // and past the 16-token tiles (a lone last tile, a part-filled one).
  if (!MatMulUsesAmx()) GTEST_SKIP() << "no AMX-INT8 here (or not permitted by the OS): the vector kernels ran";
  std::mt19937 rng(5);
  std::normal_distribution<float> dist;
  const size_t n = 512, rows = 16 * 5 + 3;
  ThreadPool pool(2);
  for (TensorType t : {TensorType::kQ8_0, TensorType::kQ4_0}) {
    const size_t stride = RowBytes(t, n);
    std::vector<float> w(rows * n);
    for (auto& v : w) v = dist(rng);
    std::vector<uint8_t> q(rows * stride), packed(rows * stride);
    for (size_t r = 0; r < rows; ++r) QuantizeRow(t, w.data() + r * n, q.data() + r * stride, n);
    Interleave(t, q.data(), packed.data(), rows, n);
    std::vector<float> wd(rows * n);  // the weights as stored
    for (size_t r = 0; r < rows; ++r) DequantizeRow(t, q.data() + r * stride, wd.data() + r * n, n);
    for (size_t tokens : {16u, 17u, 31u, 32u, 33u, 80u}) {
      SCOPED_TRACE(std::string(ToString(t)) + " x " + std::to_string(tokens) + " tokens");
      std::vector<float> x(tokens * n);
      for (auto& v : x) v = dist(rng);
      std::vector<float> amx(tokens * rows, NAN), vec(tokens * rows, NAN);
      MatMul(pool, {t, packed.data(), rows, n, true}, x.data(), tokens, amx.data(), rows);
      EnableAmx(false);
      MatMul(pool, {t, packed.data(), rows, n, true}, x.data(), tokens, vec.data(), rows);
      EnableAmx(true);
      ASSERT_TRUE(MatMulUsesAmx());
      std::vector<BlockQ8_0> xq(n / 32);
      std::vector<float> xd(n);
      for (size_t k = 0; k < tokens; ++k) {
        // The activations as the kernels quantize them (Q8_0), against the stored weights.
        QuantizeRow(TensorType::kQ8_0, x.data() + k * n, xq.data(), n);
        DequantizeRow(TensorType::kQ8_0, xq.data(), xd.data(), n);
        for (size_t r = 0; r < rows; ++r) {
          double ref = 0, mag = 0;
          for (size_t i = 0; i < n; ++i) {
            ref += static_cast<double>(wd[r * n + i]) * xd[i];
            mag += std::fabs(static_cast<double>(wd[r * n + i]) * xd[i]);
          }
          const size_t at = k * rows + r;
          EXPECT_NEAR(amx[at], ref, 1e-6 * mag) << "token " << k << " row " << r;
          EXPECT_NEAR(amx[at], vec[at], 1e-6 * mag) << "token " << k << " row " << r;
        }
      }
    }
  }
}

TEST_F(Kernels, ExpAndSwiGluMatchTheLibraryWithinAFewUlp) {
  // Every float from -87 to 88 in steps that hit many reduction intervals, plus a tail that
  // is not a multiple of the vector width.
  std::vector<float> x;
  for (float v = -87.0f; v <= 88.0f; v += 0.0137f) x.push_back(v);
  x.push_back(0.0f);
  std::vector<float> e = x;
  const float shift = 0.5f;
  ExpShifted(e.data(), e.size(), shift);
  for (size_t i = 0; i < x.size(); ++i) {
    const double ref = std::exp(static_cast<double>(x[i] - shift));  // of the float difference
    if (ref >= FLT_MIN) {
      EXPECT_NEAR(e[i], ref, 4e-7 * ref) << x[i];
    } else {  // below the normal range: zero where subnormals are flushed, tiny anyway
      EXPECT_TRUE(e[i] >= 0 && e[i] <= FLT_MIN) << x[i] << " " << e[i];
    }
  }
  // The sum, over softmax's domain (scores minus their maximum).
  std::vector<float> scores;
  for (float v = -30.0f; v <= 0.0f; v += 0.01f) scores.push_back(v);
  double ref_sum = 0;
  for (float v : scores) ref_sum += std::exp(static_cast<double>(v));
  EXPECT_NEAR(ExpShifted(scores.data(), scores.size(), 0.0f), ref_sum, 1e-5 * ref_sum);
  // Far below the normal range the result is (about) zero, never NaN or negative.
  std::vector<float> tiny = {-200.0f, -1e30f, -INFINITY};
  ExpShifted(tiny.data(), tiny.size(), 0.0f);
  for (float v : tiny) EXPECT_TRUE(v >= 0 && v <= FLT_MIN) << v;
  std::vector<float> g, u;
  for (float v = -30.0f; v <= 30.0f; v += 0.071f) {
    g.push_back(v);
    u.push_back(0.5f - v / 60.0f);
  }
  std::vector<float> out = g;
  SwiGlu(out.data(), u.data(), out.size());
  for (size_t i = 0; i < g.size(); ++i) {
    const double ref = g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * u[i];
    EXPECT_NEAR(out[i], ref, 1e-6 * std::fabs(ref) + 1e-12) << g[i];
  }
}

TEST_F(Kernels, GemmF32MatchesADoubleReferenceAtEveryTileEdge) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist;
  for (const auto& [m, n, k] : std::vector<std::array<size_t, 3>>{{1, 1, 1}, {8, 32, 64}, {13, 45, 7}, {32, 70, 64}}) {
    const size_t lda = k + 3, ldb = n + 5, ldc = n + 1;  // leading dimensions past the edges
    std::vector<float> a(m * lda), b(k * ldb), c(m * ldc, -1.0f);
    for (auto& v : a) v = dist(rng);
    for (auto& v : b) v = dist(rng);
    GemmF32(m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc);
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < ldc; ++j) {
        if (j >= n) {
          EXPECT_EQ(c[i * ldc + j], -1.0f) << "wrote past column " << n;
          continue;
        }
        double ref = 0;
        for (size_t p = 0; p < k; ++p) ref += static_cast<double>(a[i * lda + p]) * b[p * ldb + j];
        EXPECT_NEAR(c[i * ldc + j], ref, 1e-5 * (1 + std::fabs(ref))) << m << "x" << n << "x" << k;
      }
    }
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
