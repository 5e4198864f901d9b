// Compute kernels of the probe engine and the matmul micro-benchmark: ggml-compatible block
// formats (Q8_0, Q4_0, F16, F32), row dot products against Q8_0- or F32-quantized activations,
// and a multi-threaded matrix multiply. SIMD paths: AVX-512 VNNI and AVX2+FMA (x86-64), NEON
// (Arm), and a portable fallback; prefill GEMMs on the AMX tile unit where the CPU has one (Intel
// Xeon since Sapphire Rapids); all give the same results up to float rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/ggml_type.h"

namespace tokcast::measure {

class ThreadPool;

struct BlockQ8_0 {
  uint16_t d;  // fp16 scale
  int8_t qs[32];
};
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];  // low nibbles: elements 0..15, high nibbles: 16..31; value = q - 8
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18, "ggml block layouts");

float Fp16ToFp32(uint16_t h);
uint16_t Fp32ToFp16(float f);

// Which SIMD path this build uses ("avx2+fma", "neon", "portable").
std::string SimdPath();

// Types the kernels support as weights.
bool KernelSupports(TensorType t);

// Quantizes / dequantizes one row of n values (n a multiple of 32 for block types).
void QuantizeRow(TensorType t, const float* x, void* y, size_t n);
void DequantizeRow(TensorType t, const void* x, float* y, size_t n);
size_t RowBytes(TensorType t, size_t n);

// fp16 vector helpers for the KV cache: dot(f16 x, f32 y) and y += a * x.
float DotF16(const uint16_t* x, const float* y, size_t n);
// F32 vector helpers for attention over an F32 copy of the KV cache (prefill).
void F16ToF32(const uint16_t* x, float* y, size_t n);
// fp16 (round to nearest even, as Fp32ToFp16) of n floats: the KV cache's writes.
void F32ToF16(const float* x, uint16_t* y, size_t n);
float DotF32(const float* x, const float* y, size_t n);
void AxpyF32(float a, const float* x, float* y, size_t n);
void AxpyF16(float a, const uint16_t* x, float* y, size_t n);
// x[i] = exp(x[i] - shift) for every i < n; returns their sum (softmax's numerators and
// denominator). Within a few ulp of std::exp where the result is a normal float.
float ExpShifted(float* x, size_t n, float shift);
// gate[i] = silu(gate[i]) * up[i]: SwiGLU's elementwise step.
void SwiGlu(float* gate, const float* up, size_t n);
// C = A B for row-major F32 matrices (A: m x k, B: k x n, C: m x n, with leading dimensions):
// attention's scores (queries times the transposed keys) and outputs (weights times values).
// Register tiles of 8 rows x 32 columns where the kernels use AVX-512; loops the compiler
// vectorizes elsewhere.
void GemmF32(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c,
             size_t ldc);

// A weight matrix as the kernels read it: `rows` rows of `cols` values of `type`.
//
// Q8_0 and Q4_0 matrices can be stored interleaved (as llama.cpp's CPU backend repacks them):
// rows in groups of G (InterleaveGroupRows(): 16 where the kernels use AVX-512, 8 otherwise),
// block by block, each block as the G rows' fp16 scales then the quants in 4-byte chunks, row
// after row, so that one SIMD register holds 4 quants of each of the G rows and one
// multiply-add instruction advances G dot products at once. Q8_0 quants are
// stored offset by 128 (as unsigned bytes). Rows past the last full group keep the ggml layout.
// The interleaved matrix has exactly the size of the ggml one.
struct WeightMatrix {
  TensorType type = TensorType::kF32;
  const void* data = nullptr;
  size_t rows = 0, cols = 0;
  bool interleaved = false;
};

bool CanInterleave(TensorType t);
// Rows per interleaved group in this build.
size_t InterleaveGroupRows();
// Writes the interleaved form of a ggml-layout matrix to `dst` (not overlapping `src`).
void Interleave(TensorType t, const void* src, void* dst, size_t rows, size_t cols);
// Dequantizes row r, whatever the layout.
void ReadRow(const WeightMatrix& w, size_t r, float* out);

// Whether MatMul runs passes of 16 or more tokens over interleaved Q8_0/Q4_0 matrices on the AMX
// tile unit: the build has the path, the CPU has AMX-INT8, the OS permits it and nothing turned it
// off (TOKCAST_AMX=0 in the environment, or EnableAmx(false): benchmarks and tests compare the
// vector kernels on the same machine). EnableAmx(true) cannot turn on what the machine lacks.
bool MatMulUsesAmx();
void EnableAmx(bool on);

// Y[t][r] = dot(W row r, X[t]) for every row r and token t < tokens. X is f32 [tokens][cols];
// Y is f32 [tokens][ld_y]. Quantized weights dot against Q8_0-quantized activations (as
// llama.cpp does).
void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, size_t tokens, float* y, size_t ld_y);

}  // namespace tokcast::measure
