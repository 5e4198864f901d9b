// ModelSpec: the architecture facts of a transformer (from HF config.json or GGUF metadata),
// and the per-tensor inventory derived from them. Parameter counts are computed per tensor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ggml_type.h"

namespace tokcast {

enum class MlpKind : uint8_t { kGated, kPlain };     // gated: gate+up+down (SwiGLU/GeGLU); plain: fc1+fc2
enum class NormKind : uint8_t { kRms, kLayerNorm };  // LayerNorm has a bias vector too

struct MoeSpec {
  uint32_t n_experts = 0;             // routed experts per MoE layer
  uint32_t n_experts_active = 0;      // routed experts per token (top-k)
  uint32_t n_shared_experts = 0;      // always-on experts
  uint32_t expert_ffn = 0;            // routed expert intermediate size
  uint32_t shared_expert_ffn = 0;     // shared expert intermediate size (0 = expert_ffn)
  uint32_t leading_dense_layers = 0;  // first k layers use the dense FFN
  uint32_t layer_step = 1;            // every step-th layer is MoE (Llama 4 interleave)
  bool router_bias = false;
  bool expert_bias = false;         // per-expert biases (gpt-oss)
  bool shared_expert_gate = false;  // a learned scalar gate on the shared expert (Qwen3-Next)
};

// What mixes tokens in a layer: attention (KV cache growing with context), a recurrent mixer
// (linear attention or a state-space model: a fixed-size state per sequence), or nothing (an
// FFN-only layer, as in Nemotron-H).
enum class MixerKind : uint8_t { kAttention, kRecurrent, kNone };
enum class RecurrentKind : uint8_t { kGatedDeltaNet, kMamba2 };

// The recurrent mixer of hybrid models: gated DeltaNet (Qwen3-Next: linear_* keys) or Mamba-2
// (Nemotron-H, Granite 4.0-H, Falcon-H1: mamba_* / ssm_* keys). Both keep, per head, a
// k_dim x v_dim matrix of state (Mamba-2: d_state x head_dim), and a short causal convolution.
struct RecurrentSpec {
  RecurrentKind kind = RecurrentKind::kGatedDeltaNet;
  uint32_t k_heads = 0, k_dim = 0;  // DeltaNet: key heads and dim; Mamba-2: groups and d_state
  uint32_t v_heads = 0, v_dim = 0;  // DeltaNet: value heads and dim; Mamba-2: heads and head dim
  uint32_t conv_kernel = 4;
  bool conv_bias = false;

  uint64_t InnerDim() const { return uint64_t{v_heads} * v_dim; }
  uint64_t KeyDim() const { return uint64_t{k_heads} * k_dim; }
  // Channels through the causal convolution: q, k and v (Mamba-2: x, B and C).
  uint64_t ConvDim() const { return 2 * KeyDim() + InnerDim(); }
  // The input projection's outputs. DeltaNet: q, k, v, the output gate z, and b, a per value
  // head. Mamba-2: z, x, B, C and dt per head.
  uint64_t InProjDim() const {
    return kind == RecurrentKind::kGatedDeltaNet ? 2 * KeyDim() + 2 * InnerDim() + 2 * uint64_t{v_heads}
                                                 : 2 * InnerDim() + 2 * KeyDim() + v_heads;
  }
  uint64_t StateElems() const { return uint64_t{v_heads} * v_dim * k_dim; }
  // One sequence's state in one layer: the recurrent state in FP32 (as vLLM, SGLang and
  // llama.cpp keep it) and the convolution's last kernel-1 inputs in 16 bits.
  double StateBytes() const {
    return static_cast<double>(StateElems()) * 4.0 + static_cast<double>(ConvDim()) * (conv_kernel - 1) * 2.0;
  }
  // Per token: decay and rank-1 update of the state, and the read-out (2 FLOPs a multiply-add).
  double FlopsPerToken() const { return 6.0 * static_cast<double>(StateElems()); }
};

struct MlaSpec {
  uint32_t q_lora_rank = 0;  // 0: q projected directly
  uint32_t kv_lora_rank = 0;
  uint32_t qk_nope_head_dim = 0;
  uint32_t qk_rope_head_dim = 0;
  uint32_t v_head_dim = 0;
};

// Attention variant per layer: full attention, or local attention capped at `window` tokens
// (sliding window or chunked attention: the KV a layer keeps never exceeds the window).
struct ModelSpec {
  std::string id;
  std::string name;
  std::string arch;  // HF model_type (llama, qwen3_moe, deepseek_v3, gpt_oss, ...)
  uint32_t n_layers = 0;
  uint32_t hidden = 0;
  uint32_t n_heads = 0;
  uint32_t n_kv_heads = 0;
  uint32_t head_dim = 0;    // q/k head dim
  uint32_t v_head_dim = 0;  // v head dim (usually = head_dim)
  uint32_t ffn = 0;         // dense FFN intermediate size
  uint32_t vocab = 0;
  uint64_t max_context = 0;
  bool tied_embeddings = false;
  MlpKind mlp = MlpKind::kGated;
  NormKind norm = NormKind::kRms;
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool lm_head_bias = false;
  bool qk_norm = false;
  bool attn_sinks = false;
  uint32_t norms_per_layer = 2;  // Gemma 2/3 use 4 (pre/post attention and FFN)
  std::optional<MoeSpec> moe;
  std::optional<MlaSpec> mla;
  uint32_t sliding_window = 0;       // 0: none
  std::vector<bool> layer_is_local;  // per layer; empty = all full attention
  // Hybrid models: the mixer of every layer (empty = all attention) and which layers have an
  // FFN (empty = all); `recurrent` describes their recurrent mixer.
  std::optional<RecurrentSpec> recurrent;
  std::vector<MixerKind> layer_mixer;
  std::vector<bool> layer_has_ffn;
  bool attn_output_gate = false;  // attention's query projection also yields a sigmoid output gate
  std::optional<double> published_params_b;
  std::optional<double> published_active_params_b;
  // Positional encoding and norm epsilon, when the config or file says (the catalog fills
  // the family defaults of data/defaults/defaults.toml for the probe engine).
  std::optional<double> rope_theta;
  std::optional<bool> rope_neox;  // NeoX-style rotation of halves (llama.cpp LLAMA_ROPE_TYPE_NEOX)
  std::optional<double> norm_eps;
  std::string notes;

  bool IsMoeLayer(uint32_t layer) const;
  bool IsLocalLayer(uint32_t layer) const;
  uint32_t LocalLayerCount() const;
  MixerKind Mixer(uint32_t layer) const;
  bool HasFfn(uint32_t layer) const;
  uint32_t CountMixer(MixerKind kind) const;
};

// Validates the invariants a spec needs (positive sizes, heads divisible, ...).
// Returns an error message, or nullopt when valid.
std::optional<std::string> Validate(const ModelSpec& spec);

// What a tensor does; drives quantization recipes and active-parameter counts.
enum class TensorRole : uint8_t {
  kTokenEmbd,
  kOutput,
  kOutputNorm,
  kNorm,
  kBias,
  kAttnSinks,
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnOutput,
  kAttnQA,
  kAttnQB,
  kAttnKvA,
  kAttnKvB,
  kFfnGate,
  kFfnUp,
  kFfnDown,
  kFfnGateExps,
  kFfnUpExps,
  kFfnDownExps,
  kFfnGateShexp,
  kFfnUpShexp,
  kFfnDownShexp,
  kFfnRouter,
  kSsmIn,    // a recurrent mixer's input projection
  kSsmConv,  // its causal convolution (and bias)
  kSsmOut,   // its output projection
  kOther,
  kCount
};
std::string_view ToString(TensorRole role);  // GGUF-style short name: "attn_v", "ffn_down_exps"
std::optional<TensorRole> TensorRoleFromString(std::string_view name);

struct TensorInfo {
  std::string name;    // GGUF naming: blk.N.attn_q.weight
  int32_t layer = -1;  // -1: not in a block
  TensorRole role = TensorRole::kOther;
  uint64_t row_elems = 0;  // innermost dimension (ne0)
  uint64_t n_elems = 0;
  uint32_t n_experts = 1;      // > 1 for stacked expert tensors
  bool routed_expert = false;  // weights of one or more routed experts (only top-k are read per token)
  TensorType type = TensorType::kF32;
  uint64_t bytes = 0;
};

// The tensors of a model as llama.cpp would store them (GGUF names), with F32 types and
// bytes unset; a QuantRecipe assigns types and sizes.
std::vector<TensorInfo> BuildTensorInventory(const ModelSpec& spec);

struct ParamCounts {
  uint64_t total = 0;
  // Parameters a token's forward pass uses: model-card convention (embeddings included,
  // only top-k routed experts plus shared experts).
  uint64_t active = 0;
  uint64_t embedding = 0;  // token embedding table (read one row per token)
};
ParamCounts CountParams(const ModelSpec& spec, const std::vector<TensorInfo>& tensors);

// KV cache bytes per token for one sequence, summed over layers, for full-attention layers
// and for local (windowed) layers separately. MLA caches the latent (kv_lora_rank + rope dims).
struct KvPerToken {
  double full_layers_bytes = 0;   // bytes per token across full-attention layers
  double local_layers_bytes = 0;  // bytes per token across windowed layers
  uint32_t window = 0;
  double state_bytes = 0;  // per sequence, whatever its length: recurrent layers' state
};
KvPerToken KvBytesPerToken(const ModelSpec& spec, TensorType kv_type);

// KV cache bytes for one layer holding `tokens` tokens (windowed layers capped at the window; a
// recurrent layer holds its fixed state, an FFN-only layer nothing).
double LayerKvBytes(const ModelSpec& spec, uint32_t layer, uint64_t tokens, TensorType kv_type);

// How many copies of each token's KV a tensor-parallel group of `tp` devices holds together:
// heads split across devices while there are enough (1); with fewer KV heads than devices each
// device keeps one, so tp / n_kv_heads copies (vLLM replicates them); MLA's latent has no heads
// to split, so every device holds all of it (tp copies).
double KvReplication(const ModelSpec& spec, uint32_t tp);

}  // namespace tokcast
