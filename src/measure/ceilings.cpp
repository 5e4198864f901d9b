#include "measure/ceilings.h"

#include <chrono>
#include <cstdint>
#include <vector>

#include "measure/amx.h"
#include "measure/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace tokcast::measure {
namespace {

using Clock = std::chrono::steady_clock;

// Iterations of the inner loop per timed pass and thread: ~10-50 ms on a current core.
constexpr uint64_t kIters = 4'000'000;

// Each loop does kChains independent multiply-adds per iteration (enough to cover the latency
// of every unit) and returns a value derived from all of them, so nothing is optimized away.
constexpr int kChains = 12;

#if defined(__AVX512F__)
// Through memory (GCC 12's _mm512_reduce_add_ps warns about its own headers).
float Sum16(__m512 v) {
  float out[16];
  _mm512_storeu_ps(out, v);
  float s = 0;
  for (float x : out) s += x;
  return s;
}

__attribute__((noinline)) float Fp32Loop(uint64_t iters, float seed) {
  __m512 acc[kChains];
  const __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(seed * 1e-7f);
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
  return Sum16(s);
}
constexpr double kFp32FlopsPerIter = kChains * 16 * 2;
constexpr const char* kFp32Isa = "avx512 fma";
#elif defined(__AVX2__) && defined(__FMA__)
__attribute__((noinline)) float Fp32Loop(uint64_t iters, float seed) {
  __m256 acc[kChains];
  const __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(seed * 1e-7f);
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  }
  float out[8];
  __m256 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm256_add_ps(s, acc[c]);
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}
constexpr double kFp32FlopsPerIter = kChains * 8 * 2;
constexpr const char* kFp32Isa = "avx2 fma";
#elif defined(__aarch64__) && defined(__ARM_NEON)
__attribute__((noinline)) float Fp32Loop(uint64_t iters, float seed) {
  float32x4_t acc[kChains];
  const float32x4_t a = vdupq_n_f32(1.0000001f), b = vdupq_n_f32(seed * 1e-7f);
  for (int c = 0; c < kChains; ++c) acc[c] = vdupq_n_f32(static_cast<float>(c));
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = vfmaq_f32(b, acc[c], a);
  }
  float32x4_t s = acc[0];
  for (int c = 1; c < kChains; ++c) s = vaddq_f32(s, acc[c]);
  return vaddvq_f32(s);
}
constexpr double kFp32FlopsPerIter = kChains * 4 * 2;
constexpr const char* kFp32Isa = "neon fma";
#else
__attribute__((noinline)) float Fp32Loop(uint64_t iters, float seed) {
  float acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = static_cast<float>(c);
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * 1.0000001f + seed * 1e-7f;
  }
  float s = 0;
  for (float v : acc) s += v;
  return s;
}
constexpr double kFp32FlopsPerIter = kChains * 2;
constexpr const char* kFp32Isa = "scalar";
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512F__)
__attribute__((noinline)) int32_t Int8Loop(uint64_t iters, int32_t seed) {
  __m512i acc[kChains];
  const __m512i a = _mm512_set1_epi8(static_cast<char>(3 + (seed & 1))), b = _mm512_set1_epi8(-2);
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_epi32(c);
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbusd_epi32(acc[c], a, b);
  }
  __m512i s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_epi32(s, acc[c]);
  int32_t out[16];
  _mm512_storeu_si512(out, s);
  uint32_t sum = 0;  // wraps (the lanes' sum may not fit): only a dependency, never read as a count
  for (int32_t v : out) sum += static_cast<uint32_t>(v);
  return static_cast<int32_t>(sum);
}
constexpr double kInt8OpsPerIter = kChains * 64 * 2;
constexpr const char* kInt8Isa = "avx512 vnni (vpdpbusd)";
#elif defined(__AVX2__)
__attribute__((noinline)) int32_t Int8Loop(uint64_t iters, int32_t seed) {
  __m256i acc[kChains];
  const __m256i a = _mm256_set1_epi8(static_cast<char>(3 + (seed & 1))), b = _mm256_set1_epi8(-2);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_epi32(c);
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
  }
  __m256i s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm256_add_epi32(s, acc[c]);
  int32_t out[8];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), s);
  return static_cast<int32_t>(static_cast<uint32_t>(out[0]) + static_cast<uint32_t>(out[7]));
}
constexpr double kInt8OpsPerIter = kChains * 32 * 2;
constexpr const char* kInt8Isa = "avx2 (vpmaddubsw + vpmaddwd)";
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
__attribute__((noinline)) int32_t Int8Loop(uint64_t iters, int32_t seed) {
  int32x4_t acc[kChains];
  const int8x16_t a = vdupq_n_s8(static_cast<int8_t>(3 + (seed & 1))), b = vdupq_n_s8(-2);
  for (int c = 0; c < kChains; ++c) acc[c] = vdupq_n_s32(c);
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = vdotq_s32(acc[c], a, b);
  }
  int32x4_t s = acc[0];
  for (int c = 1; c < kChains; ++c) s = vaddq_s32(s, acc[c]);
  return vaddvq_s32(s);
}
constexpr double kInt8OpsPerIter = kChains * 16 * 2;
constexpr const char* kInt8Isa = "neon sdot";
#else
__attribute__((noinline)) int32_t Int8Loop(uint64_t iters, int32_t seed) {
  int32_t acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = c;
  const int8_t a = static_cast<int8_t>(3 + (seed & 1)), b = -2;
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] += a * b;
  }
  uint32_t s = 0;
  for (int32_t v : acc) s += static_cast<uint32_t>(v);
  return static_cast<int32_t>(s);
}
constexpr double kInt8OpsPerIter = kChains * 2;
constexpr const char* kInt8Isa = "scalar";
#endif

#if defined(__AVX512BF16__) && defined(__AVX512F__)
constexpr bool kHasBf16 = true;
__attribute__((noinline)) float Bf16Loop(uint64_t iters, float seed) {
  __m512 acc[kChains];
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1.0f), _mm512_set1_ps(seed * 1e-7f));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  for (uint64_t i = 0; i < iters; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
  return Sum16(s);
}
constexpr double kBf16FlopsPerIter = kChains * 32 * 2;
constexpr const char* kBf16Isa = "avx512 bf16 (vdpbf16ps)";
#else
constexpr bool kHasBf16 = false;
float Bf16Loop(uint64_t, float) {
  return 0;
}
constexpr double kBf16FlopsPerIter = 0;
constexpr const char* kBf16Isa = "";
#endif

// Runs `loop` on every thread of the pool, `reps` timed passes after one warm-up: ops per second.
template <typename Loop>
Stat Measure(ThreadPool& pool, int reps, double ops_per_iter, Loop loop) {
  std::vector<double> samples;
  std::vector<double> sink(pool.size());
  for (int r = -1; r < reps; ++r) {
    const auto t0 = Clock::now();
    pool.Run([&](unsigned i, unsigned) {
      const int seed = static_cast<int>(i % 1024) + r + 2;  // small and positive
      sink[i] += static_cast<double>(loop(kIters, static_cast<float>(seed)));
    });
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (r >= 0) samples.push_back(ops_per_iter * static_cast<double>(kIters) * pool.size() / s);
  }
  volatile double keep = 0;
  for (double v : sink) keep = keep + v;
  (void)keep;
  return Summarize(samples);
}

#if defined(TOKCAST_AMX_ASM)
// Four independent C tiles, each += A B of full 16 x 64-byte tiles, from tiles loaded once: the
// tile unit's rate and nothing else: tdpbsud (int8) or tdpbf16ps (bf16).
template <bool kBf16>
__attribute__((noinline)) float AmxLoop(uint64_t iters, float seed) {
  TileConfig config;
  for (int i = 0; i < 8; ++i) {
    config.rows[i] = 16;
    config.colsb[i] = 64;
  }
  LoadTileConfig(config);
  alignas(64) uint8_t src[16 * 64];
  for (size_t i = 0; i < sizeof(src); ++i) src[i] = static_cast<uint8_t>((i + static_cast<size_t>(seed)) % 7);
  TileLoad<4>(src, 64);
  TileLoad<5>(src, 64);
  TileLoad<6>(src, 64);
  TileLoad<7>(src, 64);
  TileZero<0>();
  TileZero<1>();
  TileZero<2>();
  TileZero<3>();
  for (uint64_t i = 0; i < iters; ++i) {
    if constexpr (kBf16) {
      TileDpbf16ps<0, 4, 6>();
      TileDpbf16ps<1, 4, 7>();
      TileDpbf16ps<2, 5, 6>();
      TileDpbf16ps<3, 5, 7>();
    } else {
      TileDpbsud<0, 4, 6>();
      TileDpbsud<1, 4, 7>();
      TileDpbsud<2, 5, 6>();
      TileDpbsud<3, 5, 7>();
    }
  }
  alignas(64) int32_t out[16 * 16];
  TileStore<0>(out, 64);
  ReleaseTiles();
  return static_cast<float>(out[0] & 0xff);
}
// Per iteration: 4 instructions of 16 x 16 outputs x 64 bytes (int8: 64 products each; bf16: 32).
constexpr double kAmxInt8OpsPerIter = 4.0 * 16 * 16 * 64 * 2;
constexpr double kAmxBf16FlopsPerIter = 4.0 * 16 * 16 * 32 * 2;
#endif

}  // namespace

Ceilings MeasureCeilings(unsigned threads, int reps) {
  Ceilings c;
  ThreadPool pool(threads);
  c.fp32_isa = kFp32Isa;
  c.int8_isa = kInt8Isa;
  c.fp32_flops_per_s = Measure(pool, reps, kFp32FlopsPerIter, [](uint64_t n, float s) { return Fp32Loop(n, s); });
  c.int8_ops_per_s = Measure(pool, reps, kInt8OpsPerIter, [](uint64_t n, float s) {
    return static_cast<float>(Int8Loop(n, static_cast<int32_t>(s)));
  });
  if (kHasBf16) {
    c.bf16_isa = kBf16Isa;
    c.bf16_flops_per_s = Measure(pool, reps, kBf16FlopsPerIter, [](uint64_t n, float s) { return Bf16Loop(n, s); });
  }
  const AmxSupport& amx = Amx();
  c.amx_tile = amx.tile;
  c.amx_int8 = amx.int8;
  c.amx_bf16 = amx.bf16;
  c.amx_permitted = amx.permitted;
#if defined(TOKCAST_AMX_ASM)
  // A tile instruction takes 16 cycles: a quarter of the vector loops' iterations is ~as long.
  constexpr uint64_t kAmxDivisor = 4;
  if (amx.Int8Usable()) {
    c.amx_int8_ops_per_s = Measure(pool, reps, kAmxInt8OpsPerIter / kAmxDivisor,
                                   [](uint64_t n, float s) { return AmxLoop<false>(n / kAmxDivisor, s); });
  }
  if (amx.Bf16Usable()) {
    c.amx_bf16_flops_per_s = Measure(pool, reps, kAmxBf16FlopsPerIter / kAmxDivisor,
                                     [](uint64_t n, float s) { return AmxLoop<true>(n / kAmxDivisor, s); });
  }
#endif
  return c;
}

}  // namespace tokcast::measure
