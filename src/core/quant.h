// QuantRecipe: how a file format assigns a tensor type to every tensor (llama.cpp ftype
// recipes such as Q4_K_M, MLX affine, FP8, NVFP4, AWQ/GPTQ), and which precision the
// kernels compute in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/model.h"

namespace tokcast {

// kFp16Acc16: FP16 inputs with FP16 accumulate (full rate on GeForce, where FP32 accumulate is half).
enum class Precision : uint8_t { kFp32, kFp16, kBf16, kFp8, kFp4, kInt8, kFp16Acc16, kCount };
std::string_view ToString(Precision p);
std::optional<Precision> PrecisionFromString(std::string_view name);

// Which layers a recipe override applies to.
struct LayerSelector {
  enum class Kind : uint8_t { kAll, kMoreBits, kFirst, kFirstFraction };
  Kind kind = Kind::kAll;
  double value = 0;  // N for kFirst, fraction for kFirstFraction

  bool Matches(uint32_t layer, uint32_t n_layers) const;
};
// Parses "all", "more_bits", "first:N", "first_fraction:F"; nullopt when malformed.
std::optional<LayerSelector> ParseLayerSelector(std::string_view text);

struct QuantOverride {
  std::vector<TensorRole> roles;
  LayerSelector layers;
  TensorType type = TensorType::kF16;
};

struct QuantRecipe {
  std::string id;
  std::string name;
  std::string format;  // gguf, mlx, fp8, nvfp4, awq, gptq
  TensorType default_type = TensorType::kF16;
  std::optional<TensorType> output_type;      // lm head
  std::optional<TensorType> token_embd_type;  // input embedding
  std::vector<QuantOverride> overrides;       // applied in order; later wins
  Precision compute = Precision::kFp16;
  bool moe_only = false;  // quantizes only routed experts (MXFP4 as gpt-oss ships it)
  std::string notes;
  std::vector<std::string> sources;
};

// The type a recipe gives one tensor. 1-D tensors (norms, biases, sinks) and the MoE router
// stay F32 as llama.cpp writes them; rows that do not fit the block size fall back
// (FallbackType) as llama.cpp's quantizer does.
TensorType TypeFor(const QuantRecipe& recipe, const TensorInfo& tensor, uint32_t n_layers);

// The type most of a model's weights get: the default type, or for a recipe that quantizes only
// routed experts (MXFP4 as gpt-oss ships it) the experts' type.
TensorType MainType(const QuantRecipe& recipe);

// Assigns type and bytes to every tensor.
void ApplyRecipe(const QuantRecipe& recipe, uint32_t n_layers, std::vector<TensorInfo>& tensors);
// The same for one model: where the model's routed experts ship in a format that GGUF
// quantization keeps (gpt-oss's MXFP4: every published GGUF of it, F16 and Q8_0 included,
// stores the experts as MXFP4), a GGUF recipe leaves them in it.
void ApplyRecipe(const QuantRecipe& recipe, const ModelSpec& spec, std::vector<TensorInfo>& tensors);
// The format a model's routed experts are published in and keep under GGUF quantization.
std::optional<TensorType> NativeExpertType(const ModelSpec& spec);

// Total bytes of a typed inventory.
uint64_t TotalBytes(const std::vector<TensorInfo>& tensors);

}  // namespace tokcast
