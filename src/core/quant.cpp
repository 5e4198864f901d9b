#include "core/quant.h"

#include <algorithm>

#include <array>
#include <cstdlib>
#include <string>

namespace tokcast {
namespace {
constexpr std::array<std::string_view, static_cast<size_t>(Precision::kCount)> kPrecisionNames = {
    "fp32", "fp16", "bf16", "fp8", "fp4", "int8", "fp16_fp16acc"};

bool ParseDouble(std::string_view text, double& out) {
  // std::from_chars for double is not available on every supported standard library.
  std::string s(text);
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}
}  // namespace

std::string_view ToString(Precision p) {
  return kPrecisionNames[static_cast<size_t>(p)];
}

std::optional<Precision> PrecisionFromString(std::string_view name) {
  for (size_t i = 0; i < kPrecisionNames.size(); ++i) {
    if (kPrecisionNames[i] == name) return static_cast<Precision>(i);
  }
  return std::nullopt;
}

bool LayerSelector::Matches(uint32_t layer, uint32_t n_layers) const {
  switch (kind) {
    case Kind::kAll:
      return true;
    case Kind::kMoreBits: {
      // llama.cpp use_more_bits(): first and last eighth, and every third layer between.
      const int64_t i = layer, n = n_layers;
      return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }
    case Kind::kFirst:
      return layer < value;
    case Kind::kFirstFraction:
      return layer < static_cast<uint32_t>(n_layers * value);
  }
  return false;
}

std::optional<LayerSelector> ParseLayerSelector(std::string_view text) {
  LayerSelector sel;
  if (text == "all") return sel;
  if (text == "more_bits") {
    sel.kind = LayerSelector::Kind::kMoreBits;
    return sel;
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto head = text.substr(0, colon);
  double v = 0;
  if (!ParseDouble(text.substr(colon + 1), v) || v < 0) return std::nullopt;
  if (head == "first") {
    sel.kind = LayerSelector::Kind::kFirst;
  } else if (head == "first_fraction" && v <= 1) {
    sel.kind = LayerSelector::Kind::kFirstFraction;
  } else {
    return std::nullopt;
  }
  sel.value = v;
  return sel;
}

TensorType TypeFor(const QuantRecipe& recipe, const TensorInfo& t, uint32_t n_layers) {
  switch (t.role) {
    case TensorRole::kNorm:
    case TensorRole::kBias:
    case TensorRole::kAttnSinks:
    case TensorRole::kFfnRouter:
    case TensorRole::kSsmConv:
    case TensorRole::kOther:
      // 1-D tensors (and a recurrent mixer's short convolution and per-head parameters) and the router stay F32 in
      // llama.cpp; other formats keep them 16-bit, a difference of well under 0.1% of any model.
      return TensorType::kF32;
    default:
      break;
  }
  TensorType type = recipe.default_type;
  if (t.role == TensorRole::kOutput && recipe.output_type) type = *recipe.output_type;
  if (t.role == TensorRole::kTokenEmbd && recipe.token_embd_type) type = *recipe.token_embd_type;
  if (t.layer >= 0) {
    const auto role_matches = [&](TensorRole r) {
      if (r == t.role) return true;
      // ffn_down rules cover the expert and shared-expert down projections too (llama.cpp
      // matches on the name fragment "ffn_down").
      if (r == TensorRole::kFfnDown) {
        return t.role == TensorRole::kFfnDownExps || t.role == TensorRole::kFfnDownShexp;
      }
      return false;
    };
    for (const auto& o : recipe.overrides) {
      for (TensorRole r : o.roles) {
        if (role_matches(r) && o.layers.Matches(static_cast<uint32_t>(t.layer), n_layers)) {
          type = o.type;
          break;
        }
      }
    }
  }
  // Rows that do not divide into blocks fall back (twice at most: Q4_K -> Q5_0 -> F16).
  for (int i = 0; i < 3 && !TensorBytes(type, t.row_elems, t.n_elems); ++i) type = FallbackType(type);
  if (!TensorBytes(type, t.row_elems, t.n_elems)) type = TensorType::kF32;
  return type;
}

void ApplyRecipe(const QuantRecipe& recipe, uint32_t n_layers, std::vector<TensorInfo>& tensors) {
  for (auto& t : tensors) {
    t.type = TypeFor(recipe, t, n_layers);
    t.bytes = TensorBytes(t.type, t.row_elems, t.n_elems).value_or(t.n_elems * 4);
  }
}

std::optional<TensorType> NativeExpertType(const ModelSpec& spec) {
  if (spec.arch == "gpt_oss") return TensorType::kMXFP4;
  return std::nullopt;
}

void ApplyRecipe(const QuantRecipe& recipe, const ModelSpec& spec, std::vector<TensorInfo>& tensors) {
  ApplyRecipe(recipe, spec.n_layers, tensors);
  const auto native = NativeExpertType(spec);
  if (!native || recipe.format != "gguf") return;
  for (auto& t : tensors) {
    const bool matrix = t.role == TensorRole::kFfnGateExps || t.role == TensorRole::kFfnUpExps ||
                        t.role == TensorRole::kFfnDownExps;  // the experts' biases stay F32
    if (!t.routed_expert || !matrix) continue;
    if (auto bytes = TensorBytes(*native, t.row_elems, t.n_elems)) {
      t.type = *native;
      t.bytes = *bytes;
    }
  }
}

uint64_t TotalBytes(const std::vector<TensorInfo>& tensors) {
  uint64_t total = 0;
  for (const auto& t : tensors) total += t.bytes;
  return total;
}

TensorType MainType(const QuantRecipe& recipe) {
  if (!recipe.moe_only) return recipe.default_type;
  TensorType t = recipe.default_type;
  for (const auto& o : recipe.overrides) {
    if (std::find(o.roles.begin(), o.roles.end(), TensorRole::kFfnUpExps) != o.roles.end()) t = o.type;
  }
  return t;
}

}  // namespace tokcast
