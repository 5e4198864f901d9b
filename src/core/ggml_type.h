// Tensor storage types: every GGUF (ggml) tensor type with its exact block layout, plus the
// non-GGUF weight formats tokcast models (MLX affine, FP8, NVFP4, AWQ/GPTQ int4).
// One closed vocabulary with one traits table (after ggml's type_traits).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tokcast {

enum class TensorType : uint8_t {
  // GGUF / ggml types (ggml_type ids in the traits table).
  kF32,
  kF16,
  kBF16,
  kF64,
  kI8,
  kI16,
  kI32,
  kI64,
  kQ4_0,
  kQ4_1,
  kQ5_0,
  kQ5_1,
  kQ8_0,
  kQ8_1,
  kQ2_K,
  kQ3_K,
  kQ4_K,
  kQ5_K,
  kQ6_K,
  kQ8_K,
  kIQ2_XXS,
  kIQ2_XS,
  kIQ2_S,
  kIQ3_XXS,
  kIQ3_S,
  kIQ1_S,
  kIQ1_M,
  kIQ4_NL,
  kIQ4_XS,
  kTQ1_0,
  kTQ2_0,
  kMXFP4,
  // Formats outside GGUF.
  kFP8_E4M3,
  kNVFP4,
  kINT4_G128,
  kMLX_Q3_G32,
  kMLX_Q3_G64,
  kMLX_Q4_G32,
  kMLX_Q4_G64,
  kMLX_Q6_G32,
  kMLX_Q6_G64,
  kMLX_Q8_G32,
  kMLX_Q8_G64,
  kCount
};

struct TensorTypeTraits {
  std::string_view name;  // canonical name (GGUF spelling for ggml types)
  int ggml_id;            // ggml_type enum value, -1 when not a GGUF type
  uint32_t block_elems;   // weights per block
  uint32_t block_bytes;   // bytes per block, scales included
  bool is_quantized;
};

const TensorTypeTraits& Traits(TensorType type);
std::string_view ToString(TensorType type);
// Case-insensitive; accepts the canonical names ("Q4_K", "f16", "mlx_q4_g64").
std::optional<TensorType> TensorTypeFromString(std::string_view name);
std::optional<TensorType> TensorTypeFromGgmlId(uint32_t ggml_id);

// Bits per weight including block scales (Q4_0 = 4.5, Q6_K = 6.5625, MXFP4 = 4.25).
double BitsPerWeight(TensorType type);

// Exact bytes for a row-major tensor whose innermost dimension is `row_elems` and that holds
// `n_elems` values in total; nullopt when the row length is not a multiple of the block size
// (the tensor cannot be stored in that type).
std::optional<uint64_t> TensorBytes(TensorType type, uint64_t row_elems, uint64_t n_elems);

// The type llama.cpp falls back to when a row is not a multiple of the block size
// (k-quants need 256; Q4_K -> Q5_0 etc., after llama-quant.cpp).
TensorType FallbackType(TensorType type);

}  // namespace tokcast
