#include <algorithm>
#include <cstdlib>
#include <map>
#include <regex>

#include "catalog/model_source.h"

namespace tokcast::catalog {
namespace {

struct ArchKeys {
  const GgufHeader& h;
  std::span<const uint8_t> file;
  std::string prefix;
  std::string origin;

  std::optional<uint64_t> Opt(const std::string& key) const {
    const GgufValue* v = h.Find(prefix + key);
    if (!v) return std::nullopt;
    if (auto u = v->AsUint()) return u;
    if (auto a = v->AsArray()) {  // per-layer arrays (e.g. head_count_kv): use the largest
      auto nums = ReadNumberArray(file, *a);
      if (nums.empty()) return std::nullopt;
      return static_cast<uint64_t>(*std::max_element(nums.begin(), nums.end()));
    }
    throw InputError(origin + ": GGUF key '" + prefix + key + "' is not an integer");
  }
  uint32_t Req(const std::string& key) const {
    auto v = Opt(key);
    if (!v) throw InputError(origin + ": GGUF metadata lacks '" + prefix + key + "'");
    if (*v > 4'000'000'000ULL) throw InputError(origin + ": GGUF key '" + prefix + key + "' is absurd");
    return static_cast<uint32_t>(*v);
  }
  uint32_t Or(const std::string& key, uint32_t fallback) const {
    auto v = Opt(key);
    return v && *v <= 4'000'000'000ULL ? static_cast<uint32_t>(*v) : fallback;
  }
};

}  // namespace

// Hybrid files (llama.cpp's qwen3next, nemotron_h, granitehybrid, falcon-h1, jamba): a block
// with ssm_* tensors mixes tokens with a recurrent state, one with neither attention nor ssm
// tensors has no mixer, one without ffn_* tensors no FFN. The state's dimensions are the
// ssm.* keys (llama.cpp's names: state_size = key dim / d_state, group_count = key heads /
// groups, time_step_rank = value heads, inner_size = value heads x value dim).
void ReadHybridLayers(const GgufHeader& h, const ArchKeys& k, ModelSpec& s) {
  std::vector<uint8_t> attn(s.n_layers), ssm(s.n_layers), ffn(s.n_layers);
  bool any_ssm = false, conv_bias = false;
  for (const auto& t : h.tensors) {
    if (t.name.rfind("blk.", 0) != 0) continue;
    const size_t dot = t.name.find('.', 4);
    if (dot == std::string::npos) continue;
    const uint64_t idx = std::strtoull(t.name.c_str() + 4, nullptr, 10);
    if (idx >= s.n_layers) continue;
    const std::string_view part(t.name.c_str() + dot + 1);
    if (part.starts_with("attn_q") || part.starts_with("attn_k") || part.starts_with("attn_v") ||
        part.starts_with("attn_output"))
      attn[idx] = 1;
    if (part.starts_with("ssm_")) ssm[idx] = 1, any_ssm = true;
    if (part.starts_with("ssm_conv1d.bias")) conv_bias = true;
    if (part.starts_with("ffn_")) ffn[idx] = 1;
  }
  if (!any_ssm) return;
  RecurrentSpec r;
  r.kind = s.arch == "qwen3next" ? RecurrentKind::kGatedDeltaNet : RecurrentKind::kMamba2;
  r.k_dim = k.Req("ssm.state_size");
  r.k_heads = k.Or("ssm.group_count", 1);
  r.v_heads = k.Req("ssm.time_step_rank");
  const uint32_t inner = k.Req("ssm.inner_size");
  r.v_dim = r.v_heads ? inner / r.v_heads : 0;
  r.conv_kernel = k.Or("ssm.conv_kernel", 4);
  r.conv_bias = conv_bias;
  s.recurrent = r;
  s.layer_mixer.assign(s.n_layers, MixerKind::kNone);
  s.layer_has_ffn.assign(s.n_layers, false);
  for (uint32_t i = 0; i < s.n_layers; ++i) {
    s.layer_mixer[i] = ssm[i] ? MixerKind::kRecurrent : (attn[i] ? MixerKind::kAttention : MixerKind::kNone);
    s.layer_has_ffn[i] = ffn[i] != 0;
  }
}

ModelSpec ModelSpecFromGguf(const GgufHeader& h, std::span<const uint8_t> file, const std::string& origin) {
  auto arch = h.String("general.architecture");
  if (!arch) throw InputError(origin + ": GGUF metadata lacks general.architecture");
  ArchKeys k{h, file, *arch + ".", origin};
  ModelSpec s;
  s.arch = *arch;
  s.name = h.String("general.name").value_or(std::filesystem::path(origin).filename().string());
  s.id = std::filesystem::path(origin).stem().string();
  s.n_layers = k.Req("block_count");
  // The layers the file really holds: a header claiming more is lying about the model.
  uint32_t blocks = 0;
  for (const auto& t : h.tensors) {
    if (t.name.rfind("blk.", 0) != 0) continue;
    const uint64_t idx = std::strtoull(t.name.c_str() + 4, nullptr, 10);
    if (idx < 1'000'000) blocks = std::max<uint32_t>(blocks, static_cast<uint32_t>(idx) + 1);
  }
  if (blocks > 0 && blocks < s.n_layers) {
    throw InputError(origin + ": the metadata claims " + std::to_string(s.n_layers) + " layers, the tensors are for " +
                     std::to_string(blocks));
  }
  s.hidden = k.Req("embedding_length");
  s.n_heads = k.Req("attention.head_count");
  s.n_kv_heads = k.Or("attention.head_count_kv", s.n_heads);
  s.head_dim = k.Or("attention.key_length", s.n_heads ? s.hidden / s.n_heads : 0);
  s.v_head_dim = k.Or("attention.value_length", s.head_dim);
  s.ffn = k.Or("feed_forward_length", 0);
  s.max_context = k.Or("context_length", 0);
  if (auto theta = h.Double(*arch + ".rope.freq_base")) s.rope_theta = *theta;
  if (auto eps = h.Double(*arch + ".attention.layer_norm_rms_epsilon")) s.norm_eps = *eps;
  // Vocabulary: explicit key, else the tokenizer's token list, else the embedding's rows.
  s.vocab = k.Or("vocab_size", 0);
  if (s.vocab == 0) {
    if (auto v = h.Find("tokenizer.ggml.tokens"); v && v->AsArray())
      s.vocab = static_cast<uint32_t>(v->AsArray()->count);
  }
  for (const auto& t : h.tensors) {
    if (s.vocab == 0 && t.name == "token_embd.weight" && t.dims.size() >= 2) s.vocab = static_cast<uint32_t>(t.dims[1]);
  }
  s.tied_embeddings =
      std::none_of(h.tensors.begin(), h.tensors.end(), [](const auto& t) { return t.name == "output.weight"; });

  if (auto n = k.Opt("expert_count"); n && *n > 0) {
    MoeSpec m;
    m.n_experts = static_cast<uint32_t>(*n);
    m.n_experts_active = k.Or("expert_used_count", 1);
    m.n_shared_experts = k.Or("expert_shared_count", 0);
    m.expert_ffn = k.Or("expert_feed_forward_length", s.ffn);
    m.shared_expert_ffn = k.Or("expert_shared_feed_forward_length", 0);
    m.leading_dense_layers = k.Or("leading_dense_block_count", 0);
    m.layer_step = k.Or("interleave_moe_layer_step", 1);
    s.moe = m;
  }
  if (auto rank = k.Opt("attention.kv_lora_rank"); rank && *rank > 0) {
    MlaSpec m;
    m.kv_lora_rank = static_cast<uint32_t>(*rank);
    m.q_lora_rank = k.Or("attention.q_lora_rank", 0);
    m.qk_rope_head_dim = k.Or("rope.dimension_count", 64);
    if (auto kl = k.Opt("attention.key_length_mla")) {
      m.qk_nope_head_dim =
          static_cast<uint32_t>(*kl) - std::min<uint32_t>(m.qk_rope_head_dim, static_cast<uint32_t>(*kl));
      m.v_head_dim = k.Or("attention.value_length_mla", s.v_head_dim);
    } else {
      m.qk_nope_head_dim = s.head_dim - std::min(m.qk_rope_head_dim, s.head_dim);
      m.v_head_dim = s.v_head_dim;
    }
    s.mla = m;
    s.head_dim = m.qk_nope_head_dim + m.qk_rope_head_dim;
    s.v_head_dim = m.v_head_dim;
    s.n_kv_heads = s.n_heads;
  }
  // Sliding-window layers, with the layer pattern llama.cpp hard-codes per architecture.
  const uint32_t window = k.Or("attention.sliding_window", 0);
  if (window > 0) {
    uint32_t pattern = 0;  // every pattern-th layer is global; 0 = all local
    if (s.arch == "gemma3")
      pattern = 6;
    else if (s.arch == "gemma2" || s.arch == "gpt-oss")
      pattern = 2;
    s.sliding_window = window;
    s.layer_is_local.assign(s.n_layers, true);
    if (pattern > 0) {
      for (uint32_t i = 0; i < s.n_layers; ++i) s.layer_is_local[i] = (i + 1) % pattern != 0;
    }
  }
  if (s.ffn == 0 && !s.moe) {
    for (const auto& t : h.tensors) {
      if (t.name == "blk.0.ffn_up.weight" && t.dims.size() >= 2) s.ffn = static_cast<uint32_t>(t.dims[1]);
    }
  }
  ReadHybridLayers(h, k, s);
  if (auto err = Validate(s)) throw InputError(origin + ": " + *err);
  return s;
}

std::vector<TensorInfo> TensorsFromGguf(const GgufHeader& h) {
  static const std::regex kBlk(R"(^blk\.(\d+)\.(.+)\.(weight|bias)$)");
  static const std::regex kBlkBare(R"(^blk\.(\d+)\.([^.]+)$)");  // llama.cpp's ssm_a, ssm_d
  static const std::regex kTop(R"(^(.+)\.(weight|bias)$)");
  std::vector<TensorInfo> out;
  out.reserve(h.tensors.size());
  for (const auto& g : h.tensors) {
    TensorInfo t;
    t.name = g.name;
    t.row_elems = g.dims.empty() ? 0 : g.dims[0];
    t.n_elems = g.n_elems;
    t.type = g.type;
    t.bytes = g.bytes;
    std::smatch m;
    std::string base;
    bool is_bias = false;
    if (std::regex_match(g.name, m, kBlk)) {
      t.layer = static_cast<int32_t>(std::min<unsigned long>(std::stoul(m[1].str().substr(0, 9)), 1'000'000UL));
      base = m[2];
      is_bias = m[3] == "bias";
    } else if (std::regex_match(g.name, m, kBlkBare)) {
      t.layer = static_cast<int32_t>(std::min<unsigned long>(std::stoul(m[1].str().substr(0, 9)), 1'000'000UL));
      base = m[2];
    } else if (std::regex_match(g.name, m, kTop)) {
      base = m[1];
      is_bias = m[2] == "bias";
    } else {
      base = g.name;
    }
    if (is_bias) {
      t.role = TensorRole::kBias;
    } else if (base.find("norm") != std::string::npos) {
      t.role = TensorRole::kNorm;
    } else if (base == "ssm_ba") {  // qwen3next: the beta/alpha half of DeltaNet's input projection
      t.role = TensorRole::kSsmIn;
    } else if (auto r = TensorRoleFromString(base)) {
      t.role = *r;
    }
    if (base.ends_with("_exps")) {
      t.n_experts = g.dims.size() >= 3 ? static_cast<uint32_t>(g.dims[2])
                                       : (g.dims.size() == 2 ? static_cast<uint32_t>(g.dims[1]) : 1);
      t.routed_expert = true;
    }
    out.push_back(std::move(t));
  }
  return out;
}

GgufWriter GgufWriterForModel(const ModelSpec& s, const std::vector<TensorInfo>& tensors) {
  static const std::map<std::string, std::string> kGgufArch = {{"llama", "llama"},
                                                               {"mistral", "llama"},
                                                               {"mixtral", "llama"},
                                                               {"qwen2", "qwen2"},
                                                               {"qwen3", "qwen3"},
                                                               {"qwen3_moe", "qwen3moe"},
                                                               {"gemma3_text", "gemma3"},
                                                               {"gemma3", "gemma3"},
                                                               {"gpt_oss", "gpt-oss"},
                                                               {"deepseek_v3", "deepseek2"},
                                                               {"deepseek_v2", "deepseek2"},
                                                               {"phi3", "phi3"},
                                                               {"phi", "phi2"},
                                                               {"llama4_text", "llama4"},
                                                               {"glm4_moe_lite", "deepseek2"},
                                                               {"kimi_k2", "deepseek2"},
                                                               {"qwen3_next", "qwen3next"},
                                                               {"nemotron_h", "nemotron_h"}};
  auto it = kGgufArch.find(s.arch);
  if (it == kGgufArch.end()) throw InputError("no GGUF architecture mapping for '" + s.arch + "'");
  const std::string a = it->second;
  GgufWriter w;
  w.Set("general.architecture", GgufOut::Str(a));
  w.Set("general.name", GgufOut::Str(s.name.empty() ? s.id : s.name));
  w.Set(a + ".block_count", GgufOut::U32(s.n_layers));
  w.Set(a + ".embedding_length", GgufOut::U32(s.hidden));
  w.Set(a + ".feed_forward_length", GgufOut::U32(s.ffn));
  w.Set(a + ".attention.head_count", GgufOut::U32(s.n_heads));
  w.Set(a + ".attention.head_count_kv", GgufOut::U32(s.mla ? 1 : s.n_kv_heads));
  if (!s.mla) {
    w.Set(a + ".attention.key_length", GgufOut::U32(s.head_dim));
    w.Set(a + ".attention.value_length", GgufOut::U32(s.v_head_dim));
  }
  w.Set(a + ".context_length",
        GgufOut::U32(static_cast<uint32_t>(std::min<uint64_t>(s.max_context ? s.max_context : 4096, 0xffffffffu))));
  w.Set(a + ".vocab_size", GgufOut::U32(s.vocab));
  w.Set(a + ".rope.dimension_count", GgufOut::U32(s.mla ? s.mla->qk_rope_head_dim : s.head_dim));
  w.Set(a + ".attention.layer_norm_rms_epsilon", GgufOut::F32(static_cast<float>(s.norm_eps.value_or(1e-5))));
  w.Set(a + ".rope.freq_base", GgufOut::F32(static_cast<float>(s.rope_theta.value_or(10000.0))));
  if (s.moe) {
    w.Set(a + ".expert_count", GgufOut::U32(s.moe->n_experts));
    w.Set(a + ".expert_used_count", GgufOut::U32(s.moe->n_experts_active));
    w.Set(a + ".expert_feed_forward_length", GgufOut::U32(s.moe->expert_ffn));
    if (s.moe->n_shared_experts) w.Set(a + ".expert_shared_count", GgufOut::U32(s.moe->n_shared_experts));
    if (s.moe->leading_dense_layers) w.Set(a + ".leading_dense_block_count", GgufOut::U32(s.moe->leading_dense_layers));
  }
  if (s.mla) {
    w.Set(a + ".attention.kv_lora_rank", GgufOut::U32(s.mla->kv_lora_rank));
    if (s.mla->q_lora_rank) w.Set(a + ".attention.q_lora_rank", GgufOut::U32(s.mla->q_lora_rank));
    w.Set(a + ".attention.key_length", GgufOut::U32(s.mla->kv_lora_rank + s.mla->qk_rope_head_dim));
    w.Set(a + ".attention.value_length", GgufOut::U32(s.mla->kv_lora_rank));
    w.Set(a + ".attention.key_length_mla", GgufOut::U32(s.mla->qk_nope_head_dim + s.mla->qk_rope_head_dim));
    w.Set(a + ".attention.value_length_mla", GgufOut::U32(s.mla->v_head_dim));
  }
  if (s.sliding_window) w.Set(a + ".attention.sliding_window", GgufOut::U32(s.sliding_window));
  if (s.recurrent) {  // llama.cpp's names (ReadHybridLayers reads them back)
    const auto& r = *s.recurrent;
    w.Set(a + ".ssm.state_size", GgufOut::U32(r.k_dim));
    w.Set(a + ".ssm.group_count", GgufOut::U32(r.k_heads));
    w.Set(a + ".ssm.time_step_rank", GgufOut::U32(r.v_heads));
    w.Set(a + ".ssm.inner_size", GgufOut::U32(static_cast<uint32_t>(r.InnerDim())));
    w.Set(a + ".ssm.conv_kernel", GgufOut::U32(r.conv_kernel));
  }
  for (const auto& t : tensors) {
    std::vector<uint64_t> dims = {t.row_elems};
    const uint64_t per_expert = t.n_elems / std::max<uint32_t>(t.n_experts, 1);
    if (per_expert / t.row_elems > 1 || t.n_experts > 1) dims.push_back(per_expert / t.row_elems);
    if (t.n_experts > 1) dims.push_back(t.n_experts);
    w.AddTensor(t.name, dims, t.type);
  }
  return w;
}

}  // namespace tokcast::catalog
