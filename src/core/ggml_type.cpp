#include "core/ggml_type.h"

#include <array>
#include <cctype>

namespace tokcast {
namespace {

// Block layouts from ggml/src/ggml-common.h and ggml.c type_traits.
constexpr std::array<TensorTypeTraits, static_cast<size_t>(TensorType::kCount)> kTraits = {{
    {"F32", 0, 1, 4, false},           {"F16", 1, 1, 2, false},
    {"BF16", 30, 1, 2, false},         {"F64", 28, 1, 8, false},
    {"I8", 24, 1, 1, false},           {"I16", 25, 1, 2, false},
    {"I32", 26, 1, 4, false},          {"I64", 27, 1, 8, false},
    {"Q4_0", 2, 32, 18, true},     // fp16 d + 16 bytes of nibbles
    {"Q4_1", 3, 32, 20, true},     // d, m + 16
    {"Q5_0", 6, 32, 22, true},     // d + qh[4] + 16
    {"Q5_1", 7, 32, 24, true},     // d, m + qh[4] + 16
    {"Q8_0", 8, 32, 34, true},     // d + 32 int8
    {"Q8_1", 9, 32, 36, true},     // d, s + 32 int8
    {"Q2_K", 10, 256, 84, true},   // scales[16] + qs[64] + d, dmin
    {"Q3_K", 11, 256, 110, true},  // hmask[32] + qs[64] + scales[12] + d
    {"Q4_K", 12, 256, 144, true},  // d, dmin + scales[12] + qs[128]
    {"Q5_K", 13, 256, 176, true},  // d, dmin + scales[12] + qh[32] + qs[128]
    {"Q6_K", 14, 256, 210, true},  // ql[128] + qh[64] + scales[16] + d
    {"Q8_K", 15, 256, 292, true},  // float d + qs[256] + bsums[16]
    {"IQ2_XXS", 16, 256, 66, true},    {"IQ2_XS", 17, 256, 74, true},
    {"IQ2_S", 22, 256, 82, true},      {"IQ3_XXS", 18, 256, 98, true},
    {"IQ3_S", 21, 256, 110, true},     {"IQ1_S", 19, 256, 50, true},
    {"IQ1_M", 29, 256, 56, true},      {"IQ4_NL", 20, 32, 18, true},
    {"IQ4_XS", 23, 256, 136, true},    {"TQ1_0", 34, 256, 54, true},
    {"TQ2_0", 35, 256, 66, true},      {"MXFP4", 39, 32, 17, true},  // e8m0 scale + 16 bytes of e2m1 pairs
    {"FP8_E4M3", -1, 1, 1, true},      {"NVFP4", -1, 16, 9, true},   // 16 e2m1 + one e4m3 scale
    {"INT4_G128", -1, 256, 133, true},  // 2 groups: 128 bytes nibbles + 2 fp16 scales + 2 4-bit zeros
    {"MLX_Q3_G32", -1, 32, 16, true},   // 12 bytes + fp16 scale + fp16 bias
    {"MLX_Q3_G64", -1, 64, 28, true},  {"MLX_Q4_G32", -1, 32, 20, true},
    {"MLX_Q4_G64", -1, 64, 36, true},  {"MLX_Q6_G32", -1, 32, 28, true},
    {"MLX_Q6_G64", -1, 64, 52, true},  {"MLX_Q8_G32", -1, 32, 36, true},
    {"MLX_Q8_G64", -1, 64, 68, true},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

const TensorTypeTraits& Traits(TensorType type) {
  return kTraits[static_cast<size_t>(type)];
}

std::string_view ToString(TensorType type) {
  return Traits(type).name;
}

std::optional<TensorType> TensorTypeFromString(std::string_view name) {
  for (size_t i = 0; i < kTraits.size(); ++i) {
    if (EqualsIgnoreCase(kTraits[i].name, name)) return static_cast<TensorType>(i);
  }
  if (EqualsIgnoreCase(name, "fp8")) return TensorType::kFP8_E4M3;
  return std::nullopt;
}

std::optional<TensorType> TensorTypeFromGgmlId(uint32_t ggml_id) {
  for (size_t i = 0; i < kTraits.size(); ++i) {
    if (kTraits[i].ggml_id >= 0 && static_cast<uint32_t>(kTraits[i].ggml_id) == ggml_id) {
      return static_cast<TensorType>(i);
    }
  }
  return std::nullopt;
}

double BitsPerWeight(TensorType type) {
  const auto& t = Traits(type);
  return 8.0 * t.block_bytes / t.block_elems;
}

std::optional<uint64_t> TensorBytes(TensorType type, uint64_t row_elems, uint64_t n_elems) {
  const auto& t = Traits(type);
  if (row_elems == 0 || row_elems % t.block_elems != 0 || n_elems % row_elems != 0) {
    return std::nullopt;
  }
  return n_elems / t.block_elems * t.block_bytes;
}

TensorType FallbackType(TensorType type) {
  switch (type) {
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kIQ2_XXS:
    case TensorType::kIQ2_XS:
    case TensorType::kIQ2_S:
    case TensorType::kIQ3_XXS:
    case TensorType::kIQ3_S:
    case TensorType::kIQ1_S:
    case TensorType::kIQ1_M:
    case TensorType::kIQ4_XS:
    case TensorType::kTQ1_0:
    case TensorType::kTQ2_0:
      return TensorType::kIQ4_NL;
    case TensorType::kQ4_K:
      return TensorType::kQ5_0;
    case TensorType::kQ5_K:
      return TensorType::kQ5_1;
    case TensorType::kQ6_K:
    case TensorType::kQ8_K:
      return TensorType::kQ8_0;
    case TensorType::kNVFP4:
    case TensorType::kINT4_G128:
    case TensorType::kMLX_Q3_G32:
    case TensorType::kMLX_Q3_G64:
    case TensorType::kMLX_Q4_G32:
    case TensorType::kMLX_Q4_G64:
    case TensorType::kMLX_Q6_G32:
    case TensorType::kMLX_Q6_G64:
    case TensorType::kMLX_Q8_G32:
    case TensorType::kMLX_Q8_G64:
    case TensorType::kMXFP4:
      return TensorType::kF16;
    default:
      return TensorType::kF16;
  }
}

}  // namespace tokcast
