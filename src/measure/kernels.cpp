#include "measure/kernels.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "measure/amx.h"
#include "measure/thread_pool.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define TOKCAST_AVX2 1
#include <immintrin.h>
#elif defined(__ARM_NEON)
#define TOKCAST_NEON 1
#include <arm_neon.h>
#endif

#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_ps() (a self-initialized variable) as the
// unused merge source, which -Wmaybe-uninitialized reports at every caller in this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tokcast::measure {

float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      exp = 127 - 15 + 1;
      while ((mant & 0x400) == 0) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ff;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t Fp32ToFp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    const uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;  // round to nearest even
  return static_cast<uint16_t>(sign | half);
}

std::string SimdPath() {
#if defined(TOKCAST_AVX2) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return MatMulUsesAmx() ? "avx2+fma+f16c+avx512vnni+amx" : "avx2+fma+f16c+avx512vnni";
#elif defined(TOKCAST_AVX2)
  return "avx2+fma+f16c";
#elif defined(TOKCAST_NEON) && defined(__ARM_FEATURE_DOTPROD)
  return "neon+dotprod";
#elif defined(TOKCAST_NEON)
  return "neon";
#else
  return "portable";
#endif
}

bool KernelSupports(TensorType t) {
  return t == TensorType::kF32 || t == TensorType::kF16 || t == TensorType::kQ8_0 || t == TensorType::kQ4_0;
}

size_t RowBytes(TensorType t, size_t n) {
  return n / Traits(t).block_elems * Traits(t).block_bytes;
}

void QuantizeRow(TensorType t, const float* x, void* y, size_t n) {
  switch (t) {
    case TensorType::kF32:
      std::memcpy(y, x, n * 4);
      return;
    case TensorType::kF16: {
      auto* o = static_cast<uint16_t*>(y);
      for (size_t i = 0; i < n; ++i) o[i] = Fp32ToFp16(x[i]);
      return;
    }
    case TensorType::kQ8_0: {
      auto* b = static_cast<BlockQ8_0*>(y);
      for (size_t i = 0; i < n / 32; ++i) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[i * 32 + j]));
        const float d = amax / 127.0f;
        const float id = d != 0 ? 1.0f / d : 0.0f;
        b[i].d = Fp32ToFp16(d);
        // nearbyint (round half to even, as ggml's SIMD paths) vectorizes; lround does not.
        for (int j = 0; j < 32; ++j) b[i].qs[j] = static_cast<int8_t>(std::nearbyint(x[i * 32 + j] * id));
      }
      return;
    }
    case TensorType::kQ4_0: {
      auto* b = static_cast<BlockQ4_0*>(y);
      for (size_t i = 0; i < n / 32; ++i) {
        float amax = 0, max = 0;  // the value of largest magnitude maps to -8
        for (int j = 0; j < 32; ++j) {
          const float v = x[i * 32 + j];
          if (std::fabs(v) > amax) {
            amax = std::fabs(v);
            max = v;
          }
        }
        const float d = max / -8.0f;
        const float id = d != 0 ? 1.0f / d : 0.0f;
        b[i].d = Fp32ToFp16(d);
        for (int j = 0; j < 16; ++j) {
          const int lo = std::min(15, static_cast<int>(x[i * 32 + j] * id + 8.5f));
          const int hi = std::min(15, static_cast<int>(x[i * 32 + 16 + j] * id + 8.5f));
          b[i].qs[j] = static_cast<uint8_t>(std::max(lo, 0) | (std::max(hi, 0) << 4));
        }
      }
      return;
    }
    default:
      return;
  }
}

void DequantizeRow(TensorType t, const void* x, float* y, size_t n) {
  switch (t) {
    case TensorType::kF32:
      std::memcpy(y, x, n * 4);
      return;
    case TensorType::kF16:
      F16ToF32(static_cast<const uint16_t*>(x), y, n);
      return;
    case TensorType::kQ8_0: {
      const auto* b = static_cast<const BlockQ8_0*>(x);
      for (size_t i = 0; i < n / 32; ++i) {
        const float d = Fp16ToFp32(b[i].d);
        for (int j = 0; j < 32; ++j) y[i * 32 + j] = d * static_cast<float>(b[i].qs[j]);
      }
      return;
    }
    case TensorType::kQ4_0: {
      const auto* b = static_cast<const BlockQ4_0*>(x);
      for (size_t i = 0; i < n / 32; ++i) {
        const float d = Fp16ToFp32(b[i].d);
        for (int j = 0; j < 16; ++j) {
          y[i * 32 + j] = d * static_cast<float>((b[i].qs[j] & 0x0f) - 8);
          y[i * 32 + 16 + j] = d * static_cast<float>((b[i].qs[j] >> 4) - 8);
        }
      }
      return;
    }
    default:
      return;
  }
}

namespace {

// Hardware half -> float where there is one (the block scales, twice per 32 weights).
inline float H2F(uint16_t h) {
#if defined(TOKCAST_AVX2)
  return _cvtsh_ss(h);
#elif defined(TOKCAST_NEON) && defined(__ARM_FP16_FORMAT_IEEE)
  __fp16 f;
  std::memcpy(&f, &h, 2);
  return static_cast<float>(f);
#else
  return Fp16ToFp32(h);
#endif
}

#if defined(TOKCAST_AVX2)
inline float Hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}
// Sums of 4 adjacent u8 x s8 products into 8 int32 lanes (one VNNI instruction where the CPU
// has AVX512-VNNI with VL; maddubs + madd otherwise).
inline __m256i MulSumU8S8(__m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}
// Sum of 32 int8 x int8 products as 8 int32 lanes, then as floats.
inline __m256 DotI8(__m256i a, __m256i b) {
  const __m256i ax = _mm256_sign_epi8(a, a);  // |a|
  const __m256i sy = _mm256_sign_epi8(b, a);  // b with a's sign
  return _mm256_cvtepi32_ps(MulSumU8S8(ax, sy));
}
#endif

#if defined(TOKCAST_NEON)
// Sum of 32 int8 x int8 products (a0|a1 . b0|b1) as 4 int32 lanes.
inline int32x4_t DotI8x32(int8x16_t a0, int8x16_t a1, int8x16_t b0, int8x16_t b1) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), a0, b0), a1, b1);
#else
  int32x4_t s = vpaddlq_s16(vmull_s8(vget_low_s8(a0), vget_low_s8(b0)));
  s = vpadalq_s16(s, vmull_s8(vget_high_s8(a0), vget_high_s8(b0)));
  s = vpadalq_s16(s, vmull_s8(vget_low_s8(a1), vget_low_s8(b1)));
  return vpadalq_s16(s, vmull_s8(vget_high_s8(a1), vget_high_s8(b1)));
#endif
}
#endif

float DotQ8Q8(size_t n, const BlockQ8_0* x, const BlockQ8_0* y) {
  const size_t nb = n / 32;
#if defined(TOKCAST_AVX2)
  // Two independent accumulators hide the FMA latency.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs));
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i + 1].qs));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i + 1].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(H2F(x[i].d) * H2F(y[i].d)), DotI8(a0, b0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(H2F(x[i + 1].d) * H2F(y[i + 1].d)), DotI8(a1, b1), acc1);
  }
  for (; i < nb; ++i) {
    const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs));
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(H2F(x[i].d) * H2F(y[i].d)), DotI8(a0, b0), acc0);
  }
  return Hsum(_mm256_add_ps(acc0, acc1));
#elif defined(TOKCAST_NEON)
  float32x4_t acc = vdupq_n_f32(0);
  for (size_t i = 0; i < nb; ++i) {
    const int8x16_t a0 = vld1q_s8(x[i].qs), a1 = vld1q_s8(x[i].qs + 16);
    const int8x16_t b0 = vld1q_s8(y[i].qs), b1 = vld1q_s8(y[i].qs + 16);
    acc = vmlaq_n_f32(acc, vcvtq_f32_s32(DotI8x32(a0, a1, b0, b1)), H2F(x[i].d) * H2F(y[i].d));
  }
  return vaddvq_f32(acc);
#else
  float sum = 0;
  for (size_t i = 0; i < nb; ++i) {
    int32_t s = 0;
    for (int j = 0; j < 32; ++j) s += x[i].qs[j] * y[i].qs[j];
    sum += static_cast<float>(s) * H2F(x[i].d) * H2F(y[i].d);
  }
  return sum;
#endif
}

// ys[j] = d_y * sum(y_j.qs) (times 8, the "- 8" of every nibble); dy[j] = d_y as float. Both are
// precomputed once per activation row and shared by every weight row.
float DotQ4Q8(size_t n, const BlockQ4_0* x, const BlockQ8_0* y, const float* ysum, const float* dy) {
  const size_t nb = n / 32;
#if defined(TOKCAST_AVX2)
  // Unsigned nibbles times signed activations (maddubs), minus 8 x sum(y) per block.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  float corr = 0;
  const __m256i low = _mm256_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const float dx0 = H2F(x[i].d), dx1 = H2F(x[i + 1].d);
    const __m128i p0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs));
    const __m128i p1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i + 1].qs));
    const __m256i q0 = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(p0, 4), p0), low);
    const __m256i q1 = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(p1, 4), p1), low);
    const __m256i s0 = MulSumU8S8(q0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs)));
    const __m256i s1 = MulSumU8S8(q1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i + 1].qs)));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dx0 * dy[i]), _mm256_cvtepi32_ps(s0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(dx1 * dy[i + 1]), _mm256_cvtepi32_ps(s1), acc1);
    corr += dx0 * ysum[i] + dx1 * ysum[i + 1];
  }
  for (; i < nb; ++i) {
    const float dx = H2F(x[i].d);
    const __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs));
    const __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(p, 4), p), low);
    const __m256i sm = MulSumU8S8(q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs)));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dx * dy[i]), _mm256_cvtepi32_ps(sm), acc0);
    corr += dx * ysum[i];
  }
  return Hsum(_mm256_add_ps(acc0, acc1)) - 8.0f * corr;
#elif defined(TOKCAST_NEON)
  (void)ysum;
  (void)dy;
  float32x4_t acc = vdupq_n_f32(0);
  const uint8x16_t low = vdupq_n_u8(0x0f);
  const int8x16_t eight = vdupq_n_s8(8);
  for (size_t i = 0; i < nb; ++i) {
    const uint8x16_t packed = vld1q_u8(x[i].qs);
    const int8x16_t a0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(packed, low)), eight);
    const int8x16_t a1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), eight);
    const int8x16_t b0 = vld1q_s8(y[i].qs), b1 = vld1q_s8(y[i].qs + 16);
    acc = vmlaq_n_f32(acc, vcvtq_f32_s32(DotI8x32(a0, a1, b0, b1)), H2F(x[i].d) * H2F(y[i].d));
  }
  return vaddvq_f32(acc);
#else
  (void)ysum;
  (void)dy;
  float sum = 0;
  for (size_t i = 0; i < nb; ++i) {
    int32_t s = 0;
    for (int j = 0; j < 16; ++j) {
      s += ((x[i].qs[j] & 0x0f) - 8) * y[i].qs[j];
      s += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
    }
    sum += static_cast<float>(s) * H2F(x[i].d) * H2F(y[i].d);
  }
  return sum;
#endif
}

float DotF16F32(size_t n, const uint16_t* x, const float* y) {
  size_t i = 0;
  float sum = 0;
#if defined(TOKCAST_AVX2)
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))),
                           _mm256_loadu_ps(y + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + 8))),
                           _mm256_loadu_ps(y + i + 8), acc1);
  }
  sum = Hsum(_mm256_add_ps(acc0, acc1));
#elif defined(TOKCAST_NEON) && defined(__ARM_FP16_FORMAT_IEEE)
  float32x4_t acc = vdupq_n_f32(0);
  for (; i + 4 <= n; i += 4) {
    acc = vfmaq_f32(acc, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i))), vld1q_f32(y + i));
  }
  sum = vaddvq_f32(acc);
#endif
  for (; i < n; ++i) sum += Fp16ToFp32(x[i]) * y[i];
  return sum;
}

float DotF32(size_t n, const float* x, const float* y) {
  size_t i = 0;
  float sum = 0;
#if defined(TOKCAST_AVX2)
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), acc1);
  }
  sum = Hsum(_mm256_add_ps(acc0, acc1));
#elif defined(TOKCAST_NEON)
  float32x4_t acc = vdupq_n_f32(0);
  for (; i + 4 <= n; i += 4) acc = vfmaq_f32(acc, vld1q_f32(x + i), vld1q_f32(y + i));
  sum = vaddvq_f32(acc);
#endif
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

}  // namespace

float DotF16(const uint16_t* x, const float* y, size_t n) {
  return DotF16F32(n, x, y);
}

void F16ToF32(const uint16_t* x, float* y, size_t n) {
  size_t i = 0;
#if defined(TOKCAST_AVX2)
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
#endif
  for (; i < n; ++i) y[i] = Fp16ToFp32(x[i]);
}

float DotF32(const float* x, const float* y, size_t n) {
  return DotF32(n, x, y);
}

void F32ToF16(const float* x, uint16_t* y, size_t n) {
  size_t i = 0;
#if defined(TOKCAST_AVX2)
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
#endif
  for (; i < n; ++i) y[i] = Fp32ToFp16(x[i]);
}

void AxpyF32(float a, const float* x, float* y, size_t n) {
  size_t i = 0;
#if defined(TOKCAST_AVX2)
  const __m256 va = _mm256_set1_ps(a);
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
#elif defined(TOKCAST_NEON)
  const float32x4_t va = vdupq_n_f32(a);
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_f32(vld1q_f32(y + i), va, vld1q_f32(x + i)));
#endif
  for (; i < n; ++i) y[i] += a * x[i];
}

void AxpyF16(float a, const uint16_t* x, float* y, size_t n) {
  size_t i = 0;
#if defined(TOKCAST_AVX2)
  const __m256 va = _mm256_set1_ps(a);
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, xv, _mm256_loadu_ps(y + i)));
  }
#endif
  for (; i < n; ++i) y[i] += a * Fp16ToFp32(x[i]);
}

namespace {

#if defined(TOKCAST_AVX2) && defined(__AVX512F__)
// exp(x) as 2^n e^r with |r| <= ln2/2: Cephes' single-precision polynomial for e^r, ln2 split
// in two for the reduction, and vscalefps for the power of two. A result below the normal
// range is 0 (as with subnormals flushed), one above it is the largest float.
inline __m512 Exp512(__m512 x) {
  const __mmask16 normal = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654f), _CMP_GE_OQ);
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.72283f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_maskz_mov_ps(normal, _mm512_scalef_ps(p, n));
}
#endif

}  // namespace

float ExpShifted(float* x, size_t n, float shift) {
  size_t i = 0;
  float sum = 0;
#if defined(TOKCAST_AVX2) && defined(__AVX512F__)
  const __m512 sv = _mm512_set1_ps(shift);
  __m512 acc = _mm512_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m512 e = Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), sv));
    _mm512_storeu_ps(x + i, e);
    acc = _mm512_add_ps(acc, e);
  }
  if (i < n) {  // the tail through a mask: one more vector, not a scalar loop
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = Exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), sv));
    _mm512_mask_storeu_ps(x + i, m, e);
    acc = _mm512_mask_add_ps(acc, m, acc, e);
    i = n;
  }
  sum = _mm512_reduce_add_ps(acc);
#endif
  for (; i < n; ++i) sum += (x[i] = std::exp(x[i] - shift));
  return sum;
}

void SwiGlu(float* gate, const float* up, size_t n) {
  size_t i = 0;
#if defined(TOKCAST_AVX2) && defined(__AVX512F__)
  const __m512 one = _mm512_set1_ps(1.0f);
  for (; i + 16 <= n; i += 16) {
    const __m512 g = _mm512_loadu_ps(gate + i);
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(one, Exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
  }
#endif
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

namespace {

#if defined(TOKCAST_AVX2) && defined(__AVX512F__)
// Rows r < R of C's 32-column tile at `c` (columns past `cols` masked off). A full tile has
// no masks at all: GCC 12 keeps the accumulators of a loop with masked loads in memory (3x
// slower).
template <size_t R, bool kMasked>
void GemmTileF32(size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, size_t cols) {
  const __mmask16 m0 = cols >= 16 ? 0xffff : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
  __m512 c0[R], c1[R];
  for (size_t r = 0; r < R; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
  for (size_t i = 0; i < k; ++i) {
    const __m512 b0 = kMasked ? _mm512_maskz_loadu_ps(m0, b + i * ldb) : _mm512_loadu_ps(b + i * ldb);
    const __m512 b1 = kMasked ? _mm512_maskz_loadu_ps(m1, b + i * ldb + 16) : _mm512_loadu_ps(b + i * ldb + 16);
    for (size_t r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + i]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
  }
  for (size_t r = 0; r < R; ++r) {
    if constexpr (kMasked) {
      _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
      _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
    } else {
      _mm512_storeu_ps(c + r * ldc, c0[r]);
      _mm512_storeu_ps(c + r * ldc + 16, c1[r]);
    }
  }
}

template <size_t R>
void GemmTileF32Rows(size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc,
                     size_t cols) {
  if (cols == 32) {
    GemmTileF32<R, false>(k, a, lda, b, ldb, c, ldc, cols);
  } else {
    GemmTileF32<R, true>(k, a, lda, b, ldb, c, ldc, cols);
  }
}
// The tile kernels for 1..8 rows.
template <size_t... R>
constexpr auto GemmTileTable(std::index_sequence<R...>) {
  return std::array{&GemmTileF32Rows<R + 1>...};
}
constexpr auto kGemmTiles = GemmTileTable(std::make_index_sequence<8>{});
#endif

}  // namespace

void GemmF32(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c,
             size_t ldc) {
#if defined(TOKCAST_AVX2) && defined(__AVX512F__)
  constexpr size_t kRows = 8, kCols = 32;
  for (size_t j = 0; j < n; j += kCols) {
    const size_t cols = std::min(kCols, n - j);
    for (size_t i = 0; i < m; i += kRows) {
      const float* ai = a + i * lda;
      const float* bj = b + j;
      float* cij = c + i * ldc + j;
      kGemmTiles[std::min(kRows, m - i) - 1](k, ai, lda, bj, ldb, cij, ldc, cols);
    }
  }
#else
  for (size_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    std::fill(ci, ci + n, 0.0f);
    for (size_t p = 0; p < k; ++p) {
      const float av = a[i * lda + p];
      const float* bp = b + p * ldb;
      for (size_t j = 0; j < n; ++j) ci[j] += av * bp[j];
    }
  }
#endif
}

namespace {

// Q8_0 of n / 32 blocks of activations, exactly as QuantizeRow rounds them (to nearest, ties to
// even), and each block's sum of quants.
void QuantizeRowQ8Sums(const float* x, BlockQ8_0* q, int* sums, size_t nb) {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(TOKCAST_AVX2)
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (size_t b = 0; b < nb; ++b) {
    const __m512 lo = _mm512_loadu_ps(x + 32 * b), hi = _mm512_loadu_ps(x + 32 * b + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(lo, abs_mask), _mm512_and_ps(hi, abs_mask)));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    q[b].d = Fp32ToFp16(d);
    // cvtps rounds in the current mode (to nearest even), as nearbyint does.
    const __m512i ql = _mm512_cvtps_epi32(_mm512_mul_ps(lo, _mm512_set1_ps(id)));
    const __m512i qh = _mm512_cvtps_epi32(_mm512_mul_ps(hi, _mm512_set1_ps(id)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q[b].qs), _mm512_cvtepi32_epi8(ql));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q[b].qs + 16), _mm512_cvtepi32_epi8(qh));
    sums[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(ql, qh));
  }
#else
  QuantizeRow(TensorType::kQ8_0, x, q, 32 * nb);
  for (size_t b = 0; b < nb; ++b) {
    int sum = 0;
    for (int j = 0; j < 32; ++j) sum += q[b].qs[j];
    sums[b] = sum;
  }
#endif
}

// ---- interleaved Q8_0 / Q4_0 (see kernels.h) ----

#if defined(TOKCAST_AVX2) && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#define TOKCAST_AVX512 1
// One 64-byte register holds 4 quants of each of 16 rows.
constexpr size_t kGroup = 16;
// Tokens per activation tile: two passes of 4 over weights that stay in L1.
constexpr size_t kMaxTileTokens = 8;
#else
constexpr size_t kGroup = 8;
constexpr size_t kMaxTileTokens = 4;
#endif
// Bytes of one block of a group: the rows' fp16 scales, then 8 chunks (Q8_0) or 4 chunks of
// two nibbles (Q4_0) of 4 bytes per row.
constexpr size_t GroupBlockBytes(bool q4) {
  return 2 * kGroup + (q4 ? 4 : 8) * 4 * kGroup;
}
constexpr size_t ChunkOffset(size_t c) {
  return 2 * kGroup + 4 * kGroup * c;
}

// One block of a tile of W tokens' activations, quantized to Q8_0: the tokens' quants, their
// scales as floats, scale times the sum of the quants, and minus that sum times the weights'
// offset (8 for Q4_0, 128 for Q8_0) as an integer: what the dot products of unsigned weight
// quants start from. A kernel walks a tile's blocks with one pointer, and a token's numbers
// are at fixed offsets. A last tile's unused slots are never read. A decode token has tiles of
// its own width, so that its blocks stay packed in few cache lines.
template <size_t W>
struct ActTile {
  int8_t qs[W][32];
  float d[W];
  float s[W];
  int32_t corr[W];
};

// Chunk c (0..7) covers elements 4c..4c+3 of a block. Q4_0: low nibbles of stored chunk c % 4
// for c < 4, high nibbles for c >= 4 (ggml keeps elements 16..31 in the high nibbles).
inline int GroupQuant(bool q4, const uint8_t* p, size_t c, size_t row, size_t j) {
  if (q4) return (p[ChunkOffset(c % 4) + 4 * row + j] >> (4 * (c / 4))) & 0x0f;
  return p[ChunkOffset(c) + 4 * row + j];
}

template <bool kQ4, class A>
void GroupDotPortable(const uint8_t* g, size_t nb, const A* a, size_t tokens, float* const* out) {
  for (size_t t = 0; t < tokens; ++t) {
    float acc[kGroup] = {};
    for (size_t b = 0; b < nb; ++b) {
      const uint8_t* p = g + b * GroupBlockBytes(kQ4);
      const int8_t* yq = a[b].qs[t];
      for (size_t l = 0; l < kGroup; ++l) {
        int32_t isum = a[b].corr[t];
        for (size_t c = 0; c < 8; ++c) {
          for (size_t j = 0; j < 4; ++j) isum += GroupQuant(kQ4, p, c, l, j) * yq[4 * c + j];
        }
        uint16_t h;
        std::memcpy(&h, p + 2 * l, 2);
        acc[l] += H2F(h) * a[b].d[t] * static_cast<float>(isum);
      }
    }
    std::memcpy(out[t], acc, sizeof(acc));
  }
}

#if defined(TOKCAST_AVX512)
// How far ahead of a decode token's dot products its weights are prefetched (into L2): on a
// Xeon (2 cores), Llama-3.2-1B Q4_0 decode went from 36 to 40-41 t/s and Llama-3.1-8B from 6.5 to
// 6.9 with 3 KiB (1-8 KiB measured, 3 KiB best for both; the hardware prefetchers alone keep too
// few lines in flight for one stream per core).
constexpr size_t kDecodePrefetchBytes = 3072;

// G adjacent groups (16 G rows) x T tokens. A block's weights are loaded and unpacked once for
// all T tokens, every activation broadcast feeds G multiply-adds, and each token's integer
// sums start from its offset correction: a block costs 8 multiply-adds per token and group,
// then one conversion, one multiply and one FMA. (2 groups x 4 tokens measured fastest on a
// Zen 5 core: 8 independent chains, few broadcasts, few registers.)
template <bool kQ4, size_t G, size_t T, class A>
void GroupsDotAvx512(const uint8_t* g, size_t nb, const A* a, size_t t0, float* const* out) {
  // Few chains cannot hide the multiply-add latency: then a block's chunks go down two.
  constexpr size_t kChains = G * T <= 8 ? 2 : 1;
  const size_t gstride = nb * GroupBlockBytes(kQ4);
  __m512 acc[G][T];
  for (size_t h = 0; h < G; ++h) {
    for (size_t t = 0; t < T; ++t) acc[h][t] = _mm512_setzero_ps();
  }
  const __m512i low = _mm512_set1_epi8(0x0f);
  auto bcast = [](const int8_t* y) {  // 4 activation bytes to every lane, from memory
    int32_t y4;
    std::memcpy(&y4, y, sizeof(y4));
    return _mm512_set1_epi32(y4);
  };
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* p = g + b * GroupBlockBytes(kQ4);
    if constexpr (T == 1) {  // a decode token streams the weights from memory: fetch ahead
      for (size_t h = 0; h < G; ++h) {
        for (size_t l = 0; l < GroupBlockBytes(kQ4); l += 64) {
          _mm_prefetch(reinterpret_cast<const char*>(p + h * gstride + kDecodePrefetchBytes + l), _MM_HINT_T1);
        }
      }
    }
    const A& ab = a[b];
    __m512i s[kChains][G][T];
    for (size_t t = 0; t < T; ++t) {
      const __m512i c0 = _mm512_set1_epi32(ab.corr[t0 + t]);
      for (size_t h = 0; h < G; ++h) {
        s[0][h][t] = c0;
        if constexpr (kChains == 2) s[1][h][t] = _mm512_setzero_si512();
      }
    }
    // Chunks c and c + 4 of a Q4_0 block are one stored chunk's low and high nibbles,
    // unpacked just before use so that few registers hold weights.
    for (size_t c = 0; c < 4; ++c) {
      __m512i w[G][2];
      for (size_t h = 0; h < G; ++h) {
        if constexpr (kQ4) {
          const __m512i raw = _mm512_loadu_si512(p + h * gstride + ChunkOffset(c));
          w[h][0] = _mm512_and_si512(raw, low);
          w[h][1] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low);
        } else {
          w[h][0] = _mm512_loadu_si512(p + h * gstride + ChunkOffset(c));
          w[h][1] = _mm512_loadu_si512(p + h * gstride + ChunkOffset(c + 4));
        }
      }
      for (size_t t = 0; t < T; ++t) {
        const __m512i y0 = bcast(ab.qs[t0 + t] + 4 * c), y1 = bcast(ab.qs[t0 + t] + 16 + 4 * c);
        for (size_t h = 0; h < G; ++h) s[0][h][t] = _mm512_dpbusd_epi32(s[0][h][t], w[h][0], y0);
        for (size_t h = 0; h < G; ++h) s[kChains - 1][h][t] = _mm512_dpbusd_epi32(s[kChains - 1][h][t], w[h][1], y1);
      }
    }
    for (size_t h = 0; h < G; ++h) {
      const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + h * gstride)));
      for (size_t t = 0; t < T; ++t) {
        __m512i sum = s[0][h][t];
        if constexpr (kChains == 2) sum = _mm512_add_epi32(sum, s[1][h][t]);
        const __m512 scale = _mm512_mul_ps(dx, _mm512_set1_ps(ab.d[t0 + t]));
        acc[h][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, acc[h][t]);
      }
    }
  }
  for (size_t t = 0; t < T; ++t) {
    for (size_t h = 0; h < G; ++h) _mm512_storeu_ps(out[t0 + t] + 16 * h, acc[h][t]);
  }
}

#if defined(TOKCAST_AMX_ASM)
#define TOKCAST_AMX 1
// ---- AMX: interleaved groups x tiles of 16 tokens, on the tile unit ----
//
// One tdpbssd multiplies 16 tokens' activation quants of one block (A: 16 rows of 32 signed
// bytes) by one group's weight quants of that block (B: 8 rows of 16 weight rows x 4 bytes, the
// interleaved layout's chunks made signed) into 16 x 16 int32 sums; the blocks' scales are then
// applied on the vector units, which is what bounds the speed: per block and 16 x 16 sums one
// conversion, one multiply and one FMA per row of 16. Each thread unpacks a pair of groups once
// (to signed bytes: no offset to correct) and keeps it in L2, then takes chunks of up to 128
// tokens: per block, the two B tiles stay loaded while every token tile of the chunk passes.
constexpr size_t kAmxTokens = 16;
// Fewer tokens than this in a pass go to the vector kernels.
constexpr size_t kAmxMinTokens = 16;
// Token tiles per chunk (even): their float sums (32 rows each) stay in L1.
constexpr size_t kAmxChunkTiles = 8;

struct alignas(64) AmxActTile {
  int8_t q[kAmxTokens][32];
  float d[kAmxTokens];
};
// One group's block as a B tile, with its 16 rows' scales as floats.
struct alignas(64) AmxWeightTile {
  int8_t q[8][64];
  float d[kGroup];
};

// Unpacks n groups of an interleaved matrix into B tiles, block by block (nb per group).
template <bool kQ4>
void AmxUnpackGroups(const uint8_t* g, size_t n, size_t nb, AmxWeightTile* out) {
  const size_t gstride = nb * GroupBlockBytes(kQ4);
  const __m512i low = _mm512_set1_epi8(0x0f), offset = _mm512_set1_epi8(static_cast<char>(kQ4 ? 8 : 128));
  for (size_t h = 0; h < n; ++h) {
    for (size_t b = 0; b < nb; ++b) {
      const uint8_t* p = g + h * gstride + b * GroupBlockBytes(kQ4);
      AmxWeightTile& t = out[h * nb + b];
      for (size_t c = 0; c < 4; ++c) {
        const __m512i raw = _mm512_loadu_si512(p + ChunkOffset(c));
        if constexpr (kQ4) {  // chunk c's low nibbles are elements 4c.., its high ones 16 + 4c..
          _mm512_store_si512(t.q[c], _mm512_sub_epi8(_mm512_and_si512(raw, low), offset));
          _mm512_store_si512(t.q[4 + c], _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(raw, 4), low), offset));
        } else {
          _mm512_store_si512(t.q[c], _mm512_xor_si512(raw, offset));
          _mm512_store_si512(t.q[4 + c], _mm512_xor_si512(_mm512_loadu_si512(p + ChunkOffset(4 + c)), offset));
        }
      }
      _mm512_store_ps(t.d, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
    }
  }
}

// Sums of one C tile (16 tokens x 16 rows) into float accumulators: acc[t][r] += sums[t][r] x
// the tokens' scales x the rows' scales.
inline void AmxScaleInto(const int32_t (*sums)[16], const float* da, __m512 dw, float* acc, size_t ld_acc) {
  for (size_t t = 0; t < kAmxTokens; ++t) {
    const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(da[t]));
    const __m512 v = _mm512_cvtepi32_ps(_mm512_load_si512(sums[t]));
    float* row = acc + t * ld_acc;
    _mm512_store_ps(row, _mm512_fmadd_ps(v, scale, _mm512_load_ps(row)));
  }
}

// Two groups' B tiles (w0, w1: nb each) x `tiles` token tiles (even; `act`: nb per tile) into
// acc (16 tiles x 16 tokens x 32 rows). Per block: two B tiles, then per pair of token tiles two
// A tiles and four products, stored and scaled. The tile unit's work for one pair is issued
// before the vector units scale the previous pair's sums, so that the two overlap.
//
// `dst` (rows of `dst_bytes` bytes, `ld_dst` floats apart, `dst_rows` of them) is where the caller
// writes acc afterwards: one of its cache lines is fetched for writing per step, so that the
// write-back does not wait on a burst of misses (a pass's output is megabytes, with rows of
// tokens 32-64 KiB apart).
void AmxChunk(const AmxWeightTile* w0, const AmxWeightTile* w1, const AmxActTile* act, size_t tiles, size_t nb,
              float (*acc)[2 * kGroup], const float* dst, size_t ld_dst, size_t dst_rows, size_t dst_bytes) {
  alignas(64) int32_t c[2][4][kAmxTokens][16];
  std::memset(acc, 0, tiles * kAmxTokens * sizeof(*acc));
  const size_t pairs = tiles / 2;
  size_t pending = 0;  // steps issued but not yet scaled: step s = block s / pairs, pair s % pairs
  auto scale = [&](size_t s) {
    const size_t b = s / pairs, p = s % pairs;
    const int32_t(*sums)[kAmxTokens][16] = c[s % 2];
    const __m512 d0 = _mm512_load_ps(w0[b].d), d1 = _mm512_load_ps(w1[b].d);
    const AmxActTile& a0 = act[(2 * p) * nb + b];
    const AmxActTile& a1 = act[(2 * p + 1) * nb + b];
    float(*rows)[2 * kGroup] = acc + 2 * p * kAmxTokens;
    AmxScaleInto(sums[0], a0.d, d0, rows[0], 2 * kGroup);
    AmxScaleInto(sums[1], a0.d, d1, rows[0] + kGroup, 2 * kGroup);
    AmxScaleInto(sums[2], a1.d, d0, rows[kAmxTokens], 2 * kGroup);
    AmxScaleInto(sums[3], a1.d, d1, rows[kAmxTokens] + kGroup, 2 * kGroup);
  };
  for (size_t b = 0; b < nb; ++b) {
    TileLoad<6>(w0[b].q, 64);
    TileLoad<7>(w1[b].q, 64);
    for (size_t p = 0; p < pairs; ++p) {
      const size_t s = b * pairs + p;
      int32_t(*out)[kAmxTokens][16] = c[s % 2];
      TileZero<0>();
      TileZero<1>();
      TileZero<2>();
      TileZero<3>();
      TileLoad<4>(act[(2 * p) * nb + b].q, 32);
      TileLoad<5>(act[(2 * p + 1) * nb + b].q, 32);
      TileDpbssd<0, 4, 6>();
      TileDpbssd<1, 4, 7>();
      TileDpbssd<2, 5, 6>();
      TileDpbssd<3, 5, 7>();
      TileStore<0>(out[0], 64);
      TileStore<1>(out[1], 64);
      TileStore<2>(out[2], 64);
      TileStore<3>(out[3], 64);
      if (s > 0) scale(s - 1);
      pending = s + 1;
      const size_t lines = dst_bytes / 64, row = s / lines;
      if (row < dst_rows) {
        __builtin_prefetch(reinterpret_cast<const char*>(dst + row * ld_dst) + 64 * (s % lines), 1);
      }
    }
  }
  if (pending > 0) scale(pending - 1);
}

// Rows of groups [g0, g1) x every token, on the tile unit (act: `tiles` token tiles of nb blocks,
// a zero tile after them when their count is odd).
template <bool kQ4>
void AmxGroups(const uint8_t* wb, size_t row_stride, size_t g0, size_t g1, size_t nb, const AmxActTile* act,
               size_t tokens, float* y, size_t ld_y) {
  static const TileConfig config = [] {
    TileConfig c;
    for (int i = 0; i < 4; ++i) {  // C: 16 x 16 int32
      c.rows[i] = 16;
      c.colsb[i] = 64;
    }
    for (int i = 4; i < 6; ++i) {  // A: 16 tokens x 32 quants
      c.rows[i] = 16;
      c.colsb[i] = 32;
    }
    for (int i = 6; i < 8; ++i) {  // B: 8 rows of 16 weight rows x 4 quants
      c.rows[i] = 8;
      c.colsb[i] = 64;
    }
    return c;
  }();
  LoadTileConfig(config);
  thread_local std::vector<AmxWeightTile> panel;
  panel.resize(2 * nb);
  alignas(64) float acc[kAmxChunkTiles * kAmxTokens][2 * kGroup];
  const size_t tiles = (tokens + kAmxTokens - 1) / kAmxTokens;
  for (size_t g = g0; g < g1; g += 2) {
    const size_t ng = std::min<size_t>(2, g1 - g);
    AmxUnpackGroups<kQ4>(wb + g * kGroup * row_stride, ng, nb, panel.data());
    const AmxWeightTile* w1 = panel.data() + (ng - 1) * nb;  // a lone group goes twice
    for (size_t i = 0; i < tiles; i += kAmxChunkTiles) {
      const size_t n = std::min(kAmxChunkTiles, (tiles - i + 1) / 2 * 2);
      const size_t t1 = std::min(tokens, (i + n) * kAmxTokens);
      float* dst = y + i * kAmxTokens * ld_y + g * kGroup;
      AmxChunk(panel.data(), w1, act + i * nb, n, nb, acc, dst, ld_y, t1 - i * kAmxTokens, ng * kGroup * sizeof(float));
      for (size_t t = i * kAmxTokens; t < t1; ++t) {
        for (size_t h = 0; h < ng; ++h) {
          _mm512_storeu_ps(dst + (t - i * kAmxTokens) * ld_y + h * kGroup,
                           _mm512_load_ps(acc[t - i * kAmxTokens] + h * kGroup));
        }
      }
    }
  }
}
#endif

#elif defined(TOKCAST_AVX2)
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
constexpr bool kVnni = true;
#else
constexpr bool kVnni = false;
#endif
// acc + (4-byte dot products of unsigned weights w and signed activations y) per int32 lane.
template <bool kQ4>
inline __m256i GroupDp(__m256i acc, __m256i w, __m256i y) {
  if constexpr (kVnni) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(acc, w, y);
#endif
  } else if constexpr (kQ4) {  // nibbles x int8: the int16 pair sums cannot saturate
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(w, y), _mm256_set1_epi16(1)));
  } else {  // back to signed, then |w| x (y with w's sign), which cannot saturate
    const __m256i s = _mm256_xor_si256(w, _mm256_set1_epi8(static_cast<char>(0x80)));
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(s, s), _mm256_sign_epi8(y, s));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
  }
}

// 8 rows x T tokens: the weights of a block are loaded and unpacked once for all T tokens.
template <bool kQ4, size_t T, class A>
void GroupDotAvx2(const uint8_t* g, size_t nb, const A* a, float* const* out) {
  const float off = kQ4 ? 8.0f : (kVnni ? 128.0f : 0.0f);
  __m256 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0f);
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* p = g + b * GroupBlockBytes(kQ4);
    const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    __m256i w[8];
    if constexpr (kQ4) {
      for (size_t c = 0; c < 4; ++c) {
        const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + ChunkOffset(c)));
        w[c] = _mm256_and_si256(raw, low);
        w[c + 4] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
      }
    } else {
      for (size_t c = 0; c < 8; ++c) w[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + ChunkOffset(c)));
    }
    for (size_t t = 0; t < T; ++t) {
      const int8_t* yq = a[b].qs[t];
      // 4 activation bytes to every lane straight from memory (a load, not a move from a
      // general register, which would cap the multiply-adds at one per cycle).
      auto bcast = [yq](size_t c) {
        float f;  // as a float, so the compiler broadcasts from memory (vbroadcastss ymm, m32)
        std::memcpy(&f, yq + 4 * c, sizeof(f));
        return _mm256_castps_si256(_mm256_set1_ps(f));
      };
      // Two chains so that the multiply-adds overlap.
      __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
      for (size_t c = 0; c < 8; c += 2) {
        s0 = GroupDp<kQ4>(s0, w[c], bcast(c));
        s1 = GroupDp<kQ4>(s1, w[c + 1], bcast(c + 1));
      }
      const __m256 sum = _mm256_cvtepi32_ps(_mm256_add_epi32(s0, s1));
      const __m256 v = _mm256_fmsub_ps(sum, _mm256_set1_ps(a[b].d[t]), _mm256_set1_ps(off * a[b].s[t]));
      acc[t] = _mm256_fmadd_ps(dx, v, acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) _mm256_storeu_ps(out[t], acc[t]);
}
#endif

#if defined(TOKCAST_NEON) && defined(__ARM_FEATURE_DOTPROD)
// 8 rows x T tokens with SDOT: rows 0-3 and 4-7 in two registers per chunk. Q8_0 quants go
// back to signed bytes (xor 0x80), so only Q4_0 needs the offset.
template <bool kQ4, size_t T, class A>
void GroupDotNeon(const uint8_t* g, size_t nb, const A* a, float* const* out) {
  const float off = kQ4 ? 8.0f : 0.0f;
  float32x4_t acc[T][2];
  for (size_t t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0);
  const uint8x16_t low = vdupq_n_u8(0x0f), flip = vdupq_n_u8(0x80);
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* p = g + b * GroupBlockBytes(kQ4);
    float dxs[8];
    for (size_t l = 0; l < 8; ++l) {
      uint16_t h;
      std::memcpy(&h, p + 2 * l, 2);
      dxs[l] = H2F(h);
    }
    const float32x4_t dx0 = vld1q_f32(dxs), dx1 = vld1q_f32(dxs + 4);
    int8x16_t w[8][2];
    if constexpr (kQ4) {
      for (size_t c = 0; c < 4; ++c) {
        for (size_t h = 0; h < 2; ++h) {
          const uint8x16_t raw = vld1q_u8(p + ChunkOffset(c) + 16 * h);
          w[c][h] = vreinterpretq_s8_u8(vandq_u8(raw, low));
          w[c + 4][h] = vreinterpretq_s8_u8(vshrq_n_u8(raw, 4));
        }
      }
    } else {
      for (size_t c = 0; c < 8; ++c) {
        for (size_t h = 0; h < 2; ++h)
          w[c][h] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p + ChunkOffset(c) + 16 * h), flip));
      }
    }
    for (size_t t = 0; t < T; ++t) {
      int32_t y4[8];
      std::memcpy(y4, a[b].qs[t], 32);
      int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
      for (size_t c = 0; c < 8; ++c) {
        const int8x16_t yv = vreinterpretq_s8_s32(vdupq_n_s32(y4[c]));
        s0 = vdotq_s32(s0, w[c][0], yv);
        s1 = vdotq_s32(s1, w[c][1], yv);
      }
      const float dy = a[b].d[t], corr = off * a[b].s[t];
      const float32x4_t v0 = vsubq_f32(vmulq_n_f32(vcvtq_f32_s32(s0), dy), vdupq_n_f32(corr));
      const float32x4_t v1 = vsubq_f32(vmulq_n_f32(vcvtq_f32_s32(s1), dy), vdupq_n_f32(corr));
      acc[t][0] = vfmaq_f32(acc[t][0], dx0, v0);
      acc[t][1] = vfmaq_f32(acc[t][1], dx1, v1);
    }
  }
  for (size_t t = 0; t < T; ++t) {
    vst1q_f32(out[t], acc[t][0]);
    vst1q_f32(out[t] + 4, acc[t][1]);
  }
}
#endif

// Up to kMaxTileTokens tokens against `groups` adjacent groups of kGroup rows (2 where the
// kernel takes two at once, else 1): returns how many groups it did.
template <bool kQ4, class A>
size_t GroupDot(const uint8_t* g, size_t groups, size_t nb, const A* a, size_t tokens, float* const* out) {
#if defined(TOKCAST_AVX512)
  // One token streams its weights from memory: one stream per thread prefetches best.
  const size_t done = groups >= 2 && tokens > 1 ? 2 : 1;
  for (size_t t0 = 0; t0 < tokens; t0 += 4) {
    const size_t m = std::min<size_t>(4, tokens - t0);
    if (done == 2) {
      if (m == 1) GroupsDotAvx512<kQ4, 2, 1>(g, nb, a, t0, out);
      if (m == 2) GroupsDotAvx512<kQ4, 2, 2>(g, nb, a, t0, out);
      if (m == 3) GroupsDotAvx512<kQ4, 2, 3>(g, nb, a, t0, out);
      if (m == 4) GroupsDotAvx512<kQ4, 2, 4>(g, nb, a, t0, out);
    } else {
      if (m == 1) GroupsDotAvx512<kQ4, 1, 1>(g, nb, a, t0, out);
      if (m == 2) GroupsDotAvx512<kQ4, 1, 2>(g, nb, a, t0, out);
      if (m == 3) GroupsDotAvx512<kQ4, 1, 3>(g, nb, a, t0, out);
      if (m == 4) GroupsDotAvx512<kQ4, 1, 4>(g, nb, a, t0, out);
    }
  }
  return done;
#elif defined(TOKCAST_AVX2)
  switch (tokens) {
    case 1:
      GroupDotAvx2<kQ4, 1>(g, nb, a, out);
      break;
    case 2:
      GroupDotAvx2<kQ4, 2>(g, nb, a, out);
      break;
    case 3:
      GroupDotAvx2<kQ4, 3>(g, nb, a, out);
      break;
    default:
      GroupDotAvx2<kQ4, 4>(g, nb, a, out);
      break;
  }
  (void)groups;
  return 1;
#elif defined(TOKCAST_NEON) && defined(__ARM_FEATURE_DOTPROD)
  switch (tokens) {
    case 1:
      GroupDotNeon<kQ4, 1>(g, nb, a, out);
      break;
    case 2:
      GroupDotNeon<kQ4, 2>(g, nb, a, out);
      break;
    case 3:
      GroupDotNeon<kQ4, 3>(g, nb, a, out);
      break;
    default:
      GroupDotNeon<kQ4, 4>(g, nb, a, out);
      break;
  }
  (void)groups;
  return 1;
#else
  GroupDotPortable<kQ4>(g, nb, a, tokens, out);
  (void)groups;
  return 1;
#endif
}

}  // namespace

namespace {
#if defined(TOKCAST_AMX)
std::atomic<bool>& AmxSwitch() {
  static std::atomic<bool> on{Amx().Int8Usable()};
  return on;
}
#endif
}  // namespace

bool MatMulUsesAmx() {
#if defined(TOKCAST_AMX)
  return AmxSwitch().load(std::memory_order_relaxed);
#else
  return false;
#endif
}

void EnableAmx(bool on) {
#if defined(TOKCAST_AMX)
  AmxSwitch().store(on && Amx().Int8Usable(), std::memory_order_relaxed);
#else
  (void)on;
#endif
}

size_t InterleaveGroupRows() {
  return kGroup;
}

bool CanInterleave(TensorType t) {
  return t == TensorType::kQ8_0 || t == TensorType::kQ4_0;
}

void Interleave(TensorType t, const void* src, void* dst, size_t rows, size_t cols) {
  const bool q4 = t == TensorType::kQ4_0;
  const size_t rb = RowBytes(t, cols), nb = cols / 32, bb = Traits(t).block_bytes, groups = rows / kGroup;
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  for (size_t g = 0; g < groups; ++g) {
    for (size_t b = 0; b < nb; ++b) {
      uint8_t* p = d + g * kGroup * rb + b * GroupBlockBytes(q4);
      for (size_t l = 0; l < kGroup; ++l) {
        const uint8_t* blk = s + (g * kGroup + l) * rb + b * bb;
        std::memcpy(p + 2 * l, blk, 2);
        for (size_t c = 0; c < (q4 ? 4 : 8); ++c) {
          for (size_t j = 0; j < 4; ++j) {
            const uint8_t v = blk[2 + 4 * c + j];
            p[ChunkOffset(c) + 4 * l + j] = q4 ? v : static_cast<uint8_t>(v ^ 0x80);
          }
        }
      }
    }
  }
  std::memcpy(d + groups * kGroup * rb, s + groups * kGroup * rb, (rows - groups * kGroup) * rb);
}

void ReadRow(const WeightMatrix& w, size_t r, float* out) {
  const size_t rb = RowBytes(w.type, w.cols);
  const auto* base = static_cast<const uint8_t*>(w.data);
  if (!w.interleaved || r >= w.rows / kGroup * kGroup) {
    DequantizeRow(w.type, base + r * rb, out, w.cols);
    return;
  }
  const bool q4 = w.type == TensorType::kQ4_0;
  const size_t g = r / kGroup, l = r % kGroup;
  for (size_t b = 0; b < w.cols / 32; ++b) {
    const uint8_t* p = base + g * kGroup * rb + b * GroupBlockBytes(q4);
    uint16_t h;
    std::memcpy(&h, p + 2 * l, 2);
    const float d = Fp16ToFp32(h);
    for (size_t c = 0; c < 8; ++c) {
      for (size_t j = 0; j < 4; ++j)
        out[b * 32 + 4 * c + j] = d * static_cast<float>(GroupQuant(q4, p, c, l, j) - (q4 ? 8 : 128));
    }
  }
}

void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, size_t tokens, float* y, size_t ld_y) {
  const TensorType wt = w.type;
  const size_t in = w.cols, rows = w.rows, nb = in / 32, row_stride = RowBytes(wt, in);
  const auto* wb = static_cast<const uint8_t*>(w.data);
  const bool quantized = wt == TensorType::kQ8_0 || wt == TensorType::kQ4_0;
  const bool q4 = wt == TensorType::kQ4_0;
  const size_t groups = w.interleaved && quantized ? rows / kGroup : 0;
  const size_t first_plain = groups * kGroup;
  // Activations quantized once per call (Q8_0), shared by every thread: in tiles of
  // kMaxTileTokens tokens for the interleaved groups, as rows with their scales and scaled sums
  // for plain rows.
  thread_local std::vector<ActTile<kMaxTileTokens>> xt;
  thread_local std::vector<ActTile<1>> xt1;
#if defined(TOKCAST_AMX)
  // Passes of many tokens run the interleaved groups on the tile unit, where there is one.
  const bool amx = groups > 0 && tokens >= kAmxMinTokens && MatMulUsesAmx();
  thread_local std::vector<AmxActTile> xa;
  const size_t amx_tiles = (tokens + kAmxTokens - 1) / kAmxTokens;
#else
  constexpr bool amx = false;
#endif
  thread_local std::vector<BlockQ8_0> xq;
  thread_local std::vector<float> ys, yd;
  const size_t tiles = (tokens + kMaxTileTokens - 1) / kMaxTileTokens;
  const bool want_tiles = groups > 0 && !amx, want_rows = quantized && first_plain < rows;
  if (quantized) {
    if (want_tiles && tokens == 1) xt1.resize(nb);
    if (want_tiles && tokens > 1) xt.resize(tiles * nb);
#if defined(TOKCAST_AMX)
    if (amx) {
      // An even number of tiles (the kernel takes them in pairs); unused rows multiply as zeros.
      xa.resize((amx_tiles + 1) / 2 * 2 * nb);
      for (size_t t = tokens; t < (amx_tiles + 1) / 2 * 2 * kAmxTokens; ++t) {
        for (size_t b = 0; b < nb; ++b) {
          AmxActTile& at = xa[t / kAmxTokens * nb + b];
          std::memset(at.q[t % kAmxTokens], 0, 32);
          at.d[t % kAmxTokens] = 0;
        }
      }
    }
    AmxActTile* xaw = xa.data();
#endif
    if (want_rows) {
      xq.resize(tokens * nb);
      ys.resize(tokens * nb);
      yd.resize(tokens * nb);
    }
    ActTile<kMaxTileTokens>* xtw = xt.data();
    ActTile<1>* xt1w = xt1.data();
    BlockQ8_0* xqw = xq.data();
    float* ysw = ys.data();
    float* ydw = yd.data();
    // The interleaved layout's weight quants are unsigned: Q4_0's nibbles, Q8_0's quants + 128.
    const int32_t offset = q4 ? 8 : 128;
    auto quantize = [&](size_t t0, size_t t1) {
      thread_local std::vector<BlockQ8_0> row;
      thread_local std::vector<int> sums;
      row.resize(nb);
      sums.resize(nb);
      for (size_t t = t0; t < t1; ++t) {
        BlockQ8_0* q = want_rows ? xqw + t * nb : row.data();
        QuantizeRowQ8Sums(x + t * in, q, sums.data(), nb);
        for (size_t b = 0; b < nb; ++b) {
          const int sum = sums[b];
          const float d = H2F(q[b].d);
          if (want_rows) {
            ydw[t * nb + b] = d;
            ysw[t * nb + b] = d * static_cast<float>(sum);
          }
          auto put = [&](auto& ab, size_t l) {
            std::memcpy(ab.qs[l], q[b].qs, 32);
            ab.d[l] = d;
            ab.s[l] = d * static_cast<float>(sum);
            ab.corr[l] = -offset * sum;
          };
          if (want_tiles && tokens == 1) put(xt1w[b], 0);
          if (want_tiles && tokens > 1) put(xtw[t / kMaxTileTokens * nb + b], t % kMaxTileTokens);
#if defined(TOKCAST_AMX)
          if (amx) {
            AmxActTile& at = xaw[t / kAmxTokens * nb + b];
            std::memcpy(at.q[t % kAmxTokens], q[b].qs, 32);
            at.d[t % kAmxTokens] = d;
          }
#endif
        }
      }
    };
    // A prefill quantizes megabytes of activations: on every thread (a decode token on one).
    if (tokens >= 2 * pool.size()) {
      pool.ParallelFor(tokens, quantize);
    } else {
      quantize(0, tokens);
    }
  }
  // (Thread-local: the workers read the caller's buffers through these pointers.)
  const ActTile<kMaxTileTokens>* xtp = xt.data();
  const ActTile<1>* xt1p = xt1.data();
  const BlockQ8_0* xqp = xq.data();
  const float* ysp = ys.data();
  const float* ydp = yd.data();
#if defined(TOKCAST_AMX)
  const AmxActTile* xap = xa.data();
#endif
  // Work units: groups of interleaved rows, then single rows.
  pool.ParallelFor(groups + rows - first_plain, [&](size_t u0, size_t u1) {
#if defined(TOKCAST_AMX)
    if (amx && u0 < groups) {
      const size_t g1 = std::min(u1, groups);
      if (q4) {
        AmxGroups<true>(wb, row_stride, u0, g1, nb, xap, tokens, y, ld_y);
      } else {
        AmxGroups<false>(wb, row_stride, u0, g1, nb, xap, tokens, y, ld_y);
      }
      u0 = g1;
    }
#endif
    // Interleaved groups: tiles of 64 rows (which stay in L2) x kMaxTileTokens tokens.
    constexpr size_t kTileGroups = 64 / kGroup, kTileTokens = kMaxTileTokens;
    for (size_t g0 = u0; g0 < std::min(u1, groups); g0 += kTileGroups) {
      const size_t g1 = std::min({g0 + kTileGroups, u1, groups});
      for (size_t t0 = 0; t0 < tokens; t0 += kTileTokens) {
        const size_t nt = std::min(kTileTokens, tokens - t0);
        auto run = [&](const auto* a) {
          for (size_t g = g0; g < g1;) {
            float* out[kTileTokens];
            for (size_t t = 0; t < nt; ++t) out[t] = y + (t0 + t) * ld_y + g * kGroup;
            const uint8_t* gp = wb + g * kGroup * row_stride;
            g += q4 ? GroupDot<true>(gp, g1 - g, nb, a, nt, out) : GroupDot<false>(gp, g1 - g, nb, a, nt, out);
          }
        };
        if (tokens == 1) {
          run(xt1p);
        } else {
          run(xtp + t0 / kTileTokens * nb);
        }
      }
    }
    // Plain rows: a weight row stays in L1/L2 while every token uses it.
    for (size_t u = std::max(u0, groups); u < u1; ++u) {
      const size_t r = first_plain + (u - groups);
      const void* row = wb + r * row_stride;
      for (size_t t = 0; t < tokens; ++t) {
        float v = 0;
        switch (wt) {
          case TensorType::kQ4_0:
            v = DotQ4Q8(in, static_cast<const BlockQ4_0*>(row), xqp + t * nb, ysp + t * nb, ydp + t * nb);
            break;
          case TensorType::kQ8_0:
            v = DotQ8Q8(in, static_cast<const BlockQ8_0*>(row), xqp + t * nb);
            break;
          case TensorType::kF16:
            v = DotF16F32(in, static_cast<const uint16_t*>(row), x + t * in);
            break;
          default:
            v = DotF32(in, static_cast<const float*>(row), x + t * in);
            break;
        }
        y[t * ld_y + r] = v;
      }
    }
  });
}

}  // namespace tokcast::measure
