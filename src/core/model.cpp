#include "core/model.h"

#include <array>
#include <string_view>

namespace tokcast {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(TensorRole::kCount)> kRoleNames = {
    "token_embd",   "output",         "output_norm",  "norm",          "bias",        "attn_sinks",    "attn_q",
    "attn_k",       "attn_v",         "attn_output",  "attn_q_a",      "attn_q_b",    "attn_kv_a_mqa", "attn_kv_b",
    "ffn_gate",     "ffn_up",         "ffn_down",     "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps", "ffn_gate_shexp",
    "ffn_up_shexp", "ffn_down_shexp", "ffn_gate_inp", "ssm_in",        "ssm_conv1d",  "ssm_out",       "other",
};

class InventoryBuilder {
 public:
  explicit InventoryBuilder(std::vector<TensorInfo>& out) : out_(out) {}

  void Add(std::string name, int32_t layer, TensorRole role, uint64_t in, uint64_t out_dim, uint32_t experts = 1) {
    TensorInfo t;
    t.name = std::move(name);
    t.layer = layer;
    t.role = role;
    t.row_elems = in;
    t.n_elems = in * out_dim * experts;
    t.n_experts = experts;
    t.routed_expert = experts > 1;
    out_.push_back(std::move(t));
  }
  void Vec(std::string name, int32_t layer, TensorRole role, uint64_t n, uint32_t experts = 1) {
    Add(std::move(name), layer, role, n, 1, experts);
  }

 private:
  std::vector<TensorInfo>& out_;
};

std::string Blk(uint32_t layer, std::string_view what) {
  return "blk." + std::to_string(layer) + "." + std::string(what);
}

}  // namespace

bool ModelSpec::IsMoeLayer(uint32_t layer) const {
  if (!moe || moe->n_experts == 0) return false;
  if (layer < moe->leading_dense_layers) return false;
  const uint32_t step = moe->layer_step == 0 ? 1 : moe->layer_step;
  return (layer + 1) % step == 0;
}

bool ModelSpec::IsLocalLayer(uint32_t layer) const {
  return sliding_window > 0 && layer < layer_is_local.size() && layer_is_local[layer];
}

MixerKind ModelSpec::Mixer(uint32_t layer) const {
  return layer < layer_mixer.size() ? layer_mixer[layer] : MixerKind::kAttention;
}

bool ModelSpec::HasFfn(uint32_t layer) const {
  return layer >= layer_has_ffn.size() || layer_has_ffn[layer];
}

uint32_t ModelSpec::CountMixer(MixerKind kind) const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < n_layers; ++i) n += Mixer(i) == kind ? 1 : 0;
  return n;
}

uint32_t ModelSpec::LocalLayerCount() const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < n_layers; ++i) n += IsLocalLayer(i) ? 1 : 0;
  return n;
}

std::optional<std::string> Validate(const ModelSpec& s) {
  if (s.n_layers == 0 || s.n_layers > 10000) return "num_hidden_layers must be in 1..10000";
  if (s.hidden == 0 || s.hidden > 1'000'000) return "hidden_size must be in 1..1000000";
  if (s.n_heads == 0 || s.n_heads > 100'000) return "num_attention_heads must be in 1..100000";
  if (s.vocab == 0 || s.vocab > 100'000'000) return "vocab_size must be in 1..100000000";
  if (!s.mla) {
    if (s.n_kv_heads == 0 || s.n_kv_heads > s.n_heads) return "num_key_value_heads must be in 1..num_attention_heads";
    if (s.n_heads % s.n_kv_heads != 0) return "num_attention_heads must be a multiple of num_key_value_heads";
    if (s.head_dim == 0 || s.head_dim > 100'000) return "head_dim must be in 1..100000";
  } else if (s.mla->kv_lora_rank == 0 || s.mla->qk_rope_head_dim + s.mla->qk_nope_head_dim == 0 ||
             s.mla->v_head_dim == 0) {
    return "MLA needs kv_lora_rank, qk_nope_head_dim + qk_rope_head_dim and v_head_dim > 0";
  }
  const bool has_dense = !s.moe || s.moe->leading_dense_layers > 0 || s.moe->layer_step > 1;
  if (has_dense && (s.ffn == 0 || s.ffn > 10'000'000)) return "intermediate_size must be in 1..10000000";
  if (s.moe) {
    if (s.moe->n_experts == 0 || s.moe->n_experts > 100'000) return "the expert count must be in 1..100000";
    if (s.moe->n_experts_active == 0 || s.moe->n_experts_active > s.moe->n_experts) {
      return "experts per token must be in 1..number of experts";
    }
    if (s.moe->expert_ffn == 0) return "the expert intermediate size must be > 0";
    if (s.moe->leading_dense_layers > s.n_layers) return "leading dense layers exceed the layer count";
  }
  if (!s.layer_is_local.empty() && s.layer_is_local.size() != s.n_layers) {
    return "the per-layer attention pattern must list every layer";
  }
  if ((!s.layer_mixer.empty() && s.layer_mixer.size() != s.n_layers) ||
      (!s.layer_has_ffn.empty() && s.layer_has_ffn.size() != s.n_layers)) {
    return "the per-layer mixer and FFN patterns must list every layer";
  }
  if (s.CountMixer(MixerKind::kRecurrent) > 0) {
    if (!s.recurrent) return "recurrent layers need their state dimensions";
    const auto& r = *s.recurrent;
    if (r.k_heads == 0 || r.k_dim == 0 || r.v_heads == 0 || r.v_dim == 0 || r.k_dim > 100'000 || r.v_dim > 100'000 ||
        r.k_heads > 100'000 || r.v_heads > 100'000 || r.conv_kernel == 0 || r.conv_kernel > 1024) {
      return "recurrent heads, head dims and the convolution kernel must be positive";
    }
  }
  return std::nullopt;
}

std::string_view ToString(TensorRole role) {
  return kRoleNames[static_cast<size_t>(role)];
}

std::optional<TensorRole> TensorRoleFromString(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name) return static_cast<TensorRole>(i);
  }
  return std::nullopt;
}

namespace {

void AddNorm(InventoryBuilder& b, const ModelSpec& s, const std::string& name, int32_t layer, uint64_t n) {
  b.Vec(name + ".weight", layer, TensorRole::kNorm, n);
  if (s.norm == NormKind::kLayerNorm) b.Vec(name + ".bias", layer, TensorRole::kBias, n);
}

// Block i's attention tensors (MLA or GQA, biases, Q/K norms).
void AddAttention(InventoryBuilder& b, const ModelSpec& s, uint32_t i) {
  const auto L = static_cast<int32_t>(i);
  const uint64_t d = s.hidden;
  if (s.mla) {
    const auto& m = *s.mla;
    const uint64_t qk_head = m.qk_nope_head_dim + m.qk_rope_head_dim;
    if (m.q_lora_rank > 0) {
      b.Add(Blk(i, "attn_q_a.weight"), L, TensorRole::kAttnQA, d, m.q_lora_rank);
      b.Vec(Blk(i, "attn_q_a_norm.weight"), L, TensorRole::kNorm, m.q_lora_rank);
      b.Add(Blk(i, "attn_q_b.weight"), L, TensorRole::kAttnQB, m.q_lora_rank, s.n_heads * qk_head);
    } else {
      b.Add(Blk(i, "attn_q.weight"), L, TensorRole::kAttnQ, d, s.n_heads * qk_head);
    }
    b.Add(Blk(i, "attn_kv_a_mqa.weight"), L, TensorRole::kAttnKvA, d, m.kv_lora_rank + m.qk_rope_head_dim);
    b.Vec(Blk(i, "attn_kv_a_norm.weight"), L, TensorRole::kNorm, m.kv_lora_rank);
    b.Add(Blk(i, "attn_kv_b.weight"), L, TensorRole::kAttnKvB, m.kv_lora_rank,
          s.n_heads * (m.qk_nope_head_dim + m.v_head_dim));
    b.Add(Blk(i, "attn_output.weight"), L, TensorRole::kAttnOutput, s.n_heads * m.v_head_dim, d);
  } else {
    const uint64_t q_dim = uint64_t{s.n_heads} * s.head_dim;
    const uint64_t k_dim = uint64_t{s.n_kv_heads} * s.head_dim;
    const uint64_t v_dim = uint64_t{s.n_kv_heads} * s.v_head_dim;
    b.Add(Blk(i, "attn_q.weight"), L, TensorRole::kAttnQ, d, s.attn_output_gate ? 2 * q_dim : q_dim);
    b.Add(Blk(i, "attn_k.weight"), L, TensorRole::kAttnK, d, k_dim);
    b.Add(Blk(i, "attn_v.weight"), L, TensorRole::kAttnV, d, v_dim);
    b.Add(Blk(i, "attn_output.weight"), L, TensorRole::kAttnOutput, uint64_t{s.n_heads} * s.v_head_dim, d);
    if (s.qkv_bias) {
      b.Vec(Blk(i, "attn_q.bias"), L, TensorRole::kBias, q_dim);
      b.Vec(Blk(i, "attn_k.bias"), L, TensorRole::kBias, k_dim);
      b.Vec(Blk(i, "attn_v.bias"), L, TensorRole::kBias, v_dim);
    }
    if (s.o_bias) b.Vec(Blk(i, "attn_output.bias"), L, TensorRole::kBias, d);
    if (s.qk_norm) {
      b.Vec(Blk(i, "attn_q_norm.weight"), L, TensorRole::kNorm, s.head_dim);
      b.Vec(Blk(i, "attn_k_norm.weight"), L, TensorRole::kNorm, s.head_dim);
    }
  }
}

// Block i's recurrent mixer: input projection, causal convolution, per-head decay and step
// parameters, the gated norm, output projection.
void AddRecurrent(InventoryBuilder& b, const ModelSpec& s, uint32_t i) {
  const auto L = static_cast<int32_t>(i);
  const RecurrentSpec& r = *s.recurrent;
  const bool mamba = r.kind == RecurrentKind::kMamba2;
  b.Add(Blk(i, "ssm_in.weight"), L, TensorRole::kSsmIn, s.hidden, r.InProjDim());
  b.Add(Blk(i, "ssm_conv1d.weight"), L, TensorRole::kSsmConv, r.conv_kernel, r.ConvDim());
  if (r.conv_bias) b.Vec(Blk(i, "ssm_conv1d.bias"), L, TensorRole::kBias, r.ConvDim());
  b.Vec(Blk(i, "ssm_a"), L, TensorRole::kOther, r.v_heads);
  b.Vec(Blk(i, "ssm_dt.bias"), L, TensorRole::kBias, r.v_heads);
  if (mamba) b.Vec(Blk(i, "ssm_d"), L, TensorRole::kOther, r.v_heads);
  // DeltaNet normalizes each head (one weight per value dim); Mamba-2 the whole inner width.
  b.Vec(Blk(i, "ssm_norm.weight"), L, TensorRole::kNorm, mamba ? r.InnerDim() : r.v_dim);
  b.Add(Blk(i, "ssm_out.weight"), L, TensorRole::kSsmOut, r.InnerDim(), s.hidden);
}

// Block i's feed-forward tensors (routed and shared experts, gated or plain MLP).
void AddFeedForward(InventoryBuilder& b, const ModelSpec& s, uint32_t i) {
  const auto L = static_cast<int32_t>(i);
  const uint64_t d = s.hidden;
  if (s.IsMoeLayer(i)) {
    const auto& m = *s.moe;
    const uint32_t E = m.n_experts;
    const uint64_t eff = m.expert_ffn;
    b.Add(Blk(i, "ffn_gate_inp.weight"), L, TensorRole::kFfnRouter, d, E);
    if (m.router_bias) b.Vec(Blk(i, "ffn_gate_inp.bias"), L, TensorRole::kBias, E);
    b.Add(Blk(i, "ffn_gate_exps.weight"), L, TensorRole::kFfnGateExps, d, eff, E);
    b.Add(Blk(i, "ffn_up_exps.weight"), L, TensorRole::kFfnUpExps, d, eff, E);
    b.Add(Blk(i, "ffn_down_exps.weight"), L, TensorRole::kFfnDownExps, eff, d, E);
    if (m.expert_bias) {
      b.Vec(Blk(i, "ffn_gate_exps.bias"), L, TensorRole::kBias, eff, E);
      b.Vec(Blk(i, "ffn_up_exps.bias"), L, TensorRole::kBias, eff, E);
      b.Vec(Blk(i, "ffn_down_exps.bias"), L, TensorRole::kBias, d, E);
    }
    if (m.n_shared_experts > 0) {
      const uint64_t sff = uint64_t{m.shared_expert_ffn ? m.shared_expert_ffn : m.expert_ffn} * m.n_shared_experts;
      b.Add(Blk(i, "ffn_gate_shexp.weight"), L, TensorRole::kFfnGateShexp, d, sff);
      b.Add(Blk(i, "ffn_up_shexp.weight"), L, TensorRole::kFfnUpShexp, d, sff);
      b.Add(Blk(i, "ffn_down_shexp.weight"), L, TensorRole::kFfnDownShexp, sff, d);
      if (m.shared_expert_gate) b.Vec(Blk(i, "ffn_gate_inp_shexp.weight"), L, TensorRole::kFfnRouter, d);
    }
  } else if (s.mlp == MlpKind::kGated) {
    b.Add(Blk(i, "ffn_gate.weight"), L, TensorRole::kFfnGate, d, s.ffn);
    b.Add(Blk(i, "ffn_up.weight"), L, TensorRole::kFfnUp, d, s.ffn);
    b.Add(Blk(i, "ffn_down.weight"), L, TensorRole::kFfnDown, s.ffn, d);
  } else {
    b.Add(Blk(i, "ffn_up.weight"), L, TensorRole::kFfnUp, d, s.ffn);
    b.Add(Blk(i, "ffn_down.weight"), L, TensorRole::kFfnDown, s.ffn, d);
    if (s.mlp_bias) {
      b.Vec(Blk(i, "ffn_up.bias"), L, TensorRole::kBias, s.ffn);
      b.Vec(Blk(i, "ffn_down.bias"), L, TensorRole::kBias, d);
    }
  }
}

}  // namespace

std::vector<TensorInfo> BuildTensorInventory(const ModelSpec& s) {
  std::vector<TensorInfo> out;
  InventoryBuilder b(out);
  const uint64_t d = s.hidden;
  b.Add("token_embd.weight", -1, TensorRole::kTokenEmbd, d, s.vocab);
  for (uint32_t i = 0; i < s.n_layers; ++i) {
    const auto L = static_cast<int32_t>(i);
    const MixerKind mixer = s.Mixer(i);
    if (mixer != MixerKind::kNone) {
      AddNorm(b, s, Blk(i, "attn_norm"), L, d);
      if (s.norms_per_layer >= 4) AddNorm(b, s, Blk(i, "post_attention_norm"), L, d);
    }
    if (mixer == MixerKind::kAttention) {
      AddAttention(b, s, i);
      if (s.attn_sinks) b.Vec(Blk(i, "attn_sinks.weight"), L, TensorRole::kAttnSinks, s.n_heads);
    } else if (mixer == MixerKind::kRecurrent) {
      AddRecurrent(b, s, i);
    }
    if (!s.HasFfn(i)) continue;
    if (s.norms_per_layer >= 2 || mixer == MixerKind::kNone) AddNorm(b, s, Blk(i, "ffn_norm"), L, d);
    if (s.norms_per_layer >= 4) AddNorm(b, s, Blk(i, "post_ffw_norm"), L, d);
    AddFeedForward(b, s, i);
  }
  AddNorm(b, s, "output_norm", -1, d);
  if (!s.tied_embeddings) {
    b.Add("output.weight", -1, TensorRole::kOutput, d, s.vocab);
    if (s.lm_head_bias) b.Vec("output.bias", -1, TensorRole::kBias, s.vocab);
  }
  return out;
}

ParamCounts CountParams(const ModelSpec& spec, const std::vector<TensorInfo>& tensors) {
  ParamCounts c;
  const double active_fraction = spec.moe ? static_cast<double>(spec.moe->n_experts_active) / spec.moe->n_experts : 1.0;
  double active = 0;
  for (const auto& t : tensors) {
    c.total += t.n_elems;
    if (t.role == TensorRole::kTokenEmbd) c.embedding += t.n_elems;
    const bool routed = t.routed_expert && spec.moe;
    active += routed ? static_cast<double>(t.n_elems) * active_fraction : static_cast<double>(t.n_elems);
  }
  c.active = static_cast<uint64_t>(active + 0.5);
  return c;
}

namespace {
double KvBytesPerElem(TensorType kv_type) {
  const auto& t = Traits(kv_type);
  return static_cast<double>(t.block_bytes) / t.block_elems;
}
double LayerKvBytesPerToken(const ModelSpec& s, TensorType kv_type) {
  const double per_elem = KvBytesPerElem(kv_type);
  if (s.mla) return (s.mla->kv_lora_rank + s.mla->qk_rope_head_dim) * per_elem;
  return static_cast<double>(s.n_kv_heads) * (s.head_dim + s.v_head_dim) * per_elem;
}
}  // namespace

KvPerToken KvBytesPerToken(const ModelSpec& spec, TensorType kv_type) {
  KvPerToken kv;
  const double layer = LayerKvBytesPerToken(spec, kv_type);
  uint32_t full = 0, local = 0, recurrent = 0;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const MixerKind m = spec.Mixer(i);
    if (m == MixerKind::kRecurrent) ++recurrent;
    if (m != MixerKind::kAttention) continue;
    ++(spec.IsLocalLayer(i) ? local : full);
  }
  kv.full_layers_bytes = layer * full;
  kv.local_layers_bytes = layer * local;
  kv.window = spec.sliding_window;
  if (spec.recurrent) kv.state_bytes = spec.recurrent->StateBytes() * recurrent;
  return kv;
}

double KvReplication(const ModelSpec& spec, uint32_t tp) {
  if (tp <= 1) return 1.0;
  if (spec.mla) return tp;
  if (spec.n_kv_heads > 0 && spec.n_kv_heads < tp) return static_cast<double>(tp) / spec.n_kv_heads;
  return 1.0;
}

double LayerKvBytes(const ModelSpec& spec, uint32_t layer, uint64_t tokens, TensorType kv_type) {
  const MixerKind m = spec.Mixer(layer);
  if (m == MixerKind::kNone) return 0;
  if (m == MixerKind::kRecurrent) return spec.recurrent ? spec.recurrent->StateBytes() : 0;
  uint64_t kept = tokens;
  if (spec.IsLocalLayer(layer) && kept > spec.sliding_window) kept = spec.sliding_window;
  return LayerKvBytesPerToken(spec, kv_type) * static_cast<double>(kept);
}

}  // namespace tokcast
