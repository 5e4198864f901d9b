#include "catalog/hf_config.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "catalog/error.h"

namespace tokcast::catalog {
namespace {

using nlohmann::json;

class ConfigReader {
 public:
  ConfigReader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  bool Has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  uint32_t U32(const char* key) const {
    if (!Has(key)) Fail(key, "a positive integer", "nothing");
    return Checked(key);
  }
  uint32_t U32Or(const char* key, uint32_t fallback) const { return Has(key) ? Checked(key) : fallback; }
  bool BoolOr(const char* key, bool fallback) const {
    if (!Has(key)) return fallback;
    if (!j_.at(key).is_boolean()) Fail(key, "true or false", j_.at(key).dump());
    return j_.at(key).get<bool>();
  }
  std::string Str(const char* key) const {
    if (!Has(key) || !j_.at(key).is_string()) Fail(key, "a string", Has(key) ? j_.at(key).dump() : "nothing");
    return j_.at(key).get<std::string>();
  }
  const json& At(const char* key) const { return j_.at(key); }
  [[noreturn]] void Fail(const std::string& key, const std::string& expected, const std::string& got) const {
    std::string shown = got.size() > 40 ? got.substr(0, 40) + "..." : got;
    throw InputError(where_ + ": key '" + key + "': expected " + expected + ", got " + shown);
  }
  const std::string& where() const { return where_; }

 private:
  uint32_t Checked(const char* key) const {
    const json& v = j_.at(key);
    if (!v.is_number_integer() &&
        !(v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>())))) {
      Fail(key, "an integer", v.dump());
    }
    const double d = v.get<double>();
    if (d < 0 || d > 4.0e9) Fail(key, "an integer in 0..4000000000", v.dump());
    return static_cast<uint32_t>(d);
  }

  const json& j_;
  std::string where_;
};

const std::vector<std::string> kArchs = {
    "llama",         "mistral", "mixtral",     "qwen2",       "qwen2_moe", "qwen3",       "qwen3_moe",   "gemma",
    "gemma2",        "gemma3",  "gemma3_text", "phi",         "phi3",      "deepseek_v2", "deepseek_v3", "kimi_k2",
    "glm4_moe_lite", "gpt_oss", "llama4",      "llama4_text", "mistral3",  "qwen3_next",  "nemotron_h"};

void ReadCommon(const ConfigReader& r, ModelSpec& s) {
  s.hidden = r.U32("hidden_size");
  s.n_layers = r.U32("num_hidden_layers");
  s.n_heads = r.U32("num_attention_heads");
  s.n_kv_heads = r.U32Or("num_key_value_heads", s.n_heads);
  if (s.n_heads == 0) r.Fail("num_attention_heads", "a positive integer", "0");
  s.head_dim = r.U32Or("head_dim", s.hidden / s.n_heads);
  s.v_head_dim = s.head_dim;
  s.ffn = r.U32Or("intermediate_size", 0);
  s.vocab = r.U32("vocab_size");
  s.max_context = r.U32Or("max_position_embeddings", 0);
  s.tied_embeddings = r.BoolOr("tie_word_embeddings", false);
  if (r.Has("rope_theta") && r.At("rope_theta").is_number()) s.rope_theta = r.At("rope_theta").get<double>();
  if (r.Has("rms_norm_eps") && r.At("rms_norm_eps").is_number()) s.norm_eps = r.At("rms_norm_eps").get<double>();
}

// Sliding window on every layer (Mistral v0.1 style) unless a pattern says otherwise.
void AllLocal(ModelSpec& s, uint32_t window) {
  s.sliding_window = window;
  s.layer_is_local.assign(s.n_layers, window > 0);
}

void ReadLayerTypes(const ConfigReader& r, ModelSpec& s) {
  if (!r.Has("layer_types")) return;
  const json& lt = r.At("layer_types");
  if (!lt.is_array() || lt.size() != s.n_layers) r.Fail("layer_types", "a list with one entry per layer", lt.dump());
  s.layer_is_local.assign(s.n_layers, false);
  for (uint32_t i = 0; i < s.n_layers; ++i) {
    if (!lt[i].is_string()) r.Fail("layer_types", "strings", lt[i].dump());
    const auto v = lt[i].get<std::string>();
    s.layer_is_local[i] = v == "sliding_attention" || v == "chunked_attention";
  }
}

void ReadMla(const ConfigReader& r, ModelSpec& s) {
  MlaSpec m;
  m.q_lora_rank = r.U32Or("q_lora_rank", 0);
  m.kv_lora_rank = r.U32("kv_lora_rank");
  m.qk_nope_head_dim = r.U32("qk_nope_head_dim");
  m.qk_rope_head_dim = r.U32("qk_rope_head_dim");
  m.v_head_dim = r.U32("v_head_dim");
  s.mla = m;
  s.head_dim = m.qk_nope_head_dim + m.qk_rope_head_dim;
  s.v_head_dim = m.v_head_dim;
  s.n_kv_heads = s.n_heads;
}

}  // namespace

const std::vector<std::string>& SupportedHfArchitectures() {
  return kArchs;
}

namespace {

void ReadLlama(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  s.qkv_bias = s.o_bias = r.BoolOr("attention_bias", false);
  s.mlp_bias = r.BoolOr("mlp_bias", false);
  if (r.Has("sliding_window")) AllLocal(s, r.U32("sliding_window"));
}

void ReadMixtral(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  MoeSpec m;
  m.n_experts = r.U32("num_local_experts");
  m.n_experts_active = r.U32("num_experts_per_tok");
  m.expert_ffn = s.ffn;
  s.moe = m;
  if (r.Has("sliding_window")) AllLocal(s, r.U32("sliding_window"));
}

// Qwen's MoE keys (Qwen2-MoE, Qwen3-MoE, Qwen3-Next): routed experts, an optional shared one.
MoeSpec ReadQwenMoe(const ConfigReader& r) {
  MoeSpec m;
  m.n_experts = r.U32("num_experts");
  m.n_experts_active = r.U32("num_experts_per_tok");
  m.expert_ffn = r.U32("moe_intermediate_size");
  m.shared_expert_ffn = r.U32Or("shared_expert_intermediate_size", 0);
  m.n_shared_experts = m.shared_expert_ffn > 0 ? 1 : 0;
  m.layer_step = r.U32Or("decoder_sparse_step", 1);
  if (r.Has("mlp_only_layers") && !r.At("mlp_only_layers").empty()) {
    r.Fail("mlp_only_layers", "an empty list (dense layers inside a Qwen MoE are not supported)",
           r.At("mlp_only_layers").dump());
  }
  return m;
}

void ReadQwen2(const ConfigReader& r, const std::string& arch, ModelSpec& s) {
  s.qkv_bias = true;
  if (r.BoolOr("use_sliding_window", false) && r.Has("sliding_window")) AllLocal(s, r.U32("sliding_window"));
  if (arch == "qwen2_moe") s.moe = ReadQwenMoe(r);
}

void ReadQwen3(const ConfigReader& r, const std::string& arch, ModelSpec& s) {
  s.qk_norm = true;
  s.qkv_bias = r.BoolOr("attention_bias", false);
  if (arch == "qwen3_moe") {
    MoeSpec m = ReadQwenMoe(r);
    m.shared_expert_ffn = m.n_shared_experts = 0;  // Qwen3-MoE has none
    s.moe = m;
  }
}

void ReadGemma(const ConfigReader& r, const std::string& arch, ModelSpec& s) {
  s.tied_embeddings = r.BoolOr("tie_word_embeddings", true);
  s.norms_per_layer = arch == "gemma" ? 2 : 4;
  s.qk_norm = arch == "gemma3" || arch == "gemma3_text";
  if (r.Has("sliding_window") && arch != "gemma") {
    const uint32_t window = r.U32("sliding_window");
    s.sliding_window = window;
    s.layer_is_local.assign(s.n_layers, false);
    // Gemma 2 alternates local/global; Gemma 3 has N-1 local layers then one global.
    const uint32_t pattern = arch == "gemma2" ? 2 : r.U32Or("sliding_window_pattern", 6);
    for (uint32_t i = 0; i < s.n_layers; ++i) s.layer_is_local[i] = pattern > 0 && (i + 1) % pattern != 0;
    ReadLayerTypes(r, s);
  }
}

void ReadPhi(const ConfigReader& /*r*/, const std::string& /*arch*/, ModelSpec& s) {
  s.norm = NormKind::kLayerNorm;
  s.norms_per_layer = 1;  // parallel attention + MLP share one LayerNorm
  s.mlp = MlpKind::kPlain;
  s.qkv_bias = s.o_bias = s.mlp_bias = s.lm_head_bias = true;
}

void ReadPhi3(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  if (r.Has("sliding_window")) AllLocal(s, r.U32("sliding_window"));
}

void ReadDeepSeek(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  ReadMla(r, s);
  MoeSpec m;
  m.n_experts = r.U32("n_routed_experts");
  m.n_experts_active = r.U32("num_experts_per_tok");
  m.n_shared_experts = r.U32Or("n_shared_experts", 0);
  m.expert_ffn = r.U32("moe_intermediate_size");
  m.leading_dense_layers = r.U32Or("first_k_dense_replace", 0);
  m.layer_step = r.U32Or("moe_layer_freq", 1);
  s.moe = m;
}

void ReadGptOss(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  MoeSpec m;
  m.n_experts = r.U32("num_local_experts");
  m.n_experts_active = r.U32("num_experts_per_tok");
  m.expert_ffn = s.ffn;
  m.router_bias = m.expert_bias = true;
  s.moe = m;
  s.qkv_bias = s.o_bias = r.BoolOr("attention_bias", true);
  s.attn_sinks = true;
  if (r.Has("sliding_window")) {
    s.sliding_window = r.U32("sliding_window");
    s.layer_is_local.assign(s.n_layers, false);
    for (uint32_t i = 0; i < s.n_layers; ++i) s.layer_is_local[i] = i % 2 == 0;
    ReadLayerTypes(r, s);
  }
}

void ReadLlama4(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  MoeSpec m;
  m.n_experts = r.U32("num_local_experts");
  m.n_experts_active = r.U32("num_experts_per_tok");
  m.expert_ffn = s.ffn;
  m.shared_expert_ffn = s.ffn;
  m.n_shared_experts = 1;
  m.layer_step = r.U32Or("interleave_moe_layer_step", 1);
  s.moe = m;
  s.ffn = r.U32Or("intermediate_size_mlp", s.ffn);
  if (r.Has("attention_chunk_size")) {
    s.sliding_window = r.U32("attention_chunk_size");
    const uint32_t interval = r.U32Or("no_rope_layer_interval", 4);
    s.layer_is_local.assign(s.n_layers, false);
    for (uint32_t i = 0; i < s.n_layers; ++i) s.layer_is_local[i] = interval > 0 && (i + 1) % interval != 0;
  }
}

// Qwen3-Next: gated DeltaNet layers with every full_attention_interval-th layer full (gated)
// attention; MoE with a gated shared expert in every layer.
void ReadQwen3Next(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  s.qk_norm = true;
  s.attn_output_gate = true;
  MoeSpec m = ReadQwenMoe(r);
  m.shared_expert_gate = m.n_shared_experts > 0;
  s.moe = m;
  RecurrentSpec rec;
  rec.kind = RecurrentKind::kGatedDeltaNet;
  rec.k_heads = r.U32("linear_num_key_heads");
  rec.k_dim = r.U32("linear_key_head_dim");
  rec.v_heads = r.U32("linear_num_value_heads");
  rec.v_dim = r.U32("linear_value_head_dim");
  rec.conv_kernel = r.U32Or("linear_conv_kernel_dim", 4);
  s.recurrent = rec;
  s.layer_mixer.assign(s.n_layers, MixerKind::kRecurrent);
  if (r.Has("layer_types")) {
    const json& lt = r.At("layer_types");
    if (!lt.is_array() || lt.size() != s.n_layers) r.Fail("layer_types", "a list with one entry per layer", lt.dump());
    for (uint32_t i = 0; i < s.n_layers; ++i) {
      const std::string v = lt[i].is_string() ? lt[i].get<std::string>() : "";
      if (v == "full_attention")
        s.layer_mixer[i] = MixerKind::kAttention;
      else if (v != "linear_attention")
        r.Fail("layer_types", "full_attention or linear_attention", lt[i].dump());
    }
  } else {
    const uint32_t interval = r.U32Or("full_attention_interval", 4);
    if (interval == 0) r.Fail("full_attention_interval", "a positive integer", "0");
    for (uint32_t i = 0; i < s.n_layers; ++i) {
      if ((i + 1) % interval == 0) s.layer_mixer[i] = MixerKind::kAttention;
    }
  }
}

// Nemotron-H: one block per character of hybrid_override_pattern, each a Mamba-2 mixer (M),
// attention (*) or an MLP (-), alone; the MLP is squared-ReLU (up and down projections).
void ReadNemotronH(const ConfigReader& r, const std::string& /*arch*/, ModelSpec& s) {
  const std::string pattern = r.Str("hybrid_override_pattern");
  if (pattern.size() != s.n_layers) {
    r.Fail("hybrid_override_pattern", "one character per layer (" + std::to_string(s.n_layers) + ")",
           std::to_string(pattern.size()) + " characters");
  }
  s.mlp = MlpKind::kPlain;
  s.qkv_bias = s.o_bias = r.BoolOr("attention_bias", false);
  s.mlp_bias = r.BoolOr("mlp_bias", false);
  s.layer_mixer.assign(s.n_layers, MixerKind::kNone);
  s.layer_has_ffn.assign(s.n_layers, false);
  for (uint32_t i = 0; i < s.n_layers; ++i) {
    switch (pattern[i]) {
      case 'M':
        s.layer_mixer[i] = MixerKind::kRecurrent;
        break;
      case '*':
        s.layer_mixer[i] = MixerKind::kAttention;
        break;
      case '-':
        s.layer_has_ffn[i] = true;
        break;
      default:
        r.Fail("hybrid_override_pattern", "M, * or - per layer (MoE blocks are not supported)",
               std::string("'") + pattern[i] + "' at layer " + std::to_string(i));
    }
  }
  RecurrentSpec rec;
  rec.kind = RecurrentKind::kMamba2;
  rec.v_heads = r.U32("mamba_num_heads");
  rec.v_dim = r.U32("mamba_head_dim");
  rec.k_heads = r.U32Or("n_groups", r.U32Or("mamba_num_groups", 1));
  rec.k_dim = r.U32("ssm_state_size");
  rec.conv_kernel = r.U32Or("conv_kernel", 4);
  rec.conv_bias = r.BoolOr("use_conv_bias", true);
  s.recurrent = rec;
}

// The family-specific keys of each supported architecture.
void ReadFamily(const ConfigReader& r, const std::string& arch, ModelSpec& s) {
  if (arch == "llama" || arch == "mistral" || arch == "mistral3") {
    ReadLlama(r, arch, s);
  } else if (arch == "mixtral") {
    ReadMixtral(r, arch, s);
  } else if (arch == "qwen2" || arch == "qwen2_moe") {
    ReadQwen2(r, arch, s);
  } else if (arch == "qwen3" || arch == "qwen3_moe") {
    ReadQwen3(r, arch, s);
  } else if (arch == "gemma" || arch == "gemma2" || arch == "gemma3" || arch == "gemma3_text") {
    ReadGemma(r, arch, s);
  } else if (arch == "phi") {
    ReadPhi(r, arch, s);
  } else if (arch == "phi3") {
    ReadPhi3(r, arch, s);
  } else if (arch == "deepseek_v2" || arch == "deepseek_v3" || arch == "kimi_k2" || arch == "glm4_moe_lite") {
    ReadDeepSeek(r, arch, s);
  } else if (arch == "gpt_oss") {
    ReadGptOss(r, arch, s);
  } else if (arch == "llama4" || arch == "llama4_text") {
    ReadLlama4(r, arch, s);
  } else if (arch == "qwen3_next") {
    ReadQwen3Next(r, arch, s);
  } else if (arch == "nemotron_h") {
    ReadNemotronH(r, arch, s);
  }
}

}  // namespace

ModelSpec ModelSpecFromHfConfig(const json& config_in, const std::string& where) {
  if (!config_in.is_object()) throw InputError(where + ": expected a JSON object");
  const json* cfg = &config_in;
  std::string arch;
  if (config_in.contains("model_type") && config_in["model_type"].is_string()) {
    arch = config_in["model_type"].get<std::string>();
  }
  // Multimodal wrappers keep the language model under text_config.
  if (config_in.contains("text_config") && config_in["text_config"].is_object() &&
      (arch == "gemma3" || arch == "llama4" || arch == "mistral3" || !config_in.contains("hidden_size"))) {
    cfg = &config_in["text_config"];
    if (cfg->contains("model_type") && (*cfg)["model_type"].is_string()) {
      arch = (*cfg)["model_type"].get<std::string>();
    } else if (arch == "gemma3") {
      arch = "gemma3_text";
    }
  }
  ConfigReader r(*cfg, where);
  if (arch.empty()) r.Fail("model_type", "a string naming the architecture", "nothing");
  if (std::find(kArchs.begin(), kArchs.end(), arch) == kArchs.end()) {
    std::string list;
    for (const auto& a : kArchs) list += (list.empty() ? "" : ", ") + a;
    throw InputError(where + ": unsupported architecture '" + arch + "' (supported: " + list + ")");
  }

  ModelSpec s;
  s.arch = arch;
  ReadCommon(r, s);

  ReadFamily(r, arch, s);
  if (s.sliding_window == 0) s.layer_is_local.clear();
  if (auto err = Validate(s)) throw InputError(where + ": " + *err);
  return s;
}

ModelSpec ParseHfConfig(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw InputError(where + ": not valid JSON");
  return ModelSpecFromHfConfig(j, where);
}

ModelSpec LoadHfConfig(const std::filesystem::path& path) {
  RequireRegularFile(path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ModelSpec s = ParseHfConfig(text, path.string());
  s.id = path.parent_path().filename().string();
  if (s.id.empty()) s.id = path.stem().string();
  s.name = s.id + " (" + path.filename().string() + ")";
  return s;
}

}  // namespace tokcast::catalog
