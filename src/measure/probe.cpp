#include "measure/probe.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <stdexcept>

#include "core/text.h"
#include "measure/kernels.h"
#include "measure/thread_pool.h"

namespace tokcast::measure {
namespace {

// xorshift64*: fast deterministic bytes for synthetic weights.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
  float Uniform() { return static_cast<float>(Next() >> 40) / static_cast<float>(1 << 24) * 2.0f - 1.0f; }
};

// Fills a tensor with values of standard deviation `sigma` in its own format, without going
// through floats for the block types (fast enough for a multi-GB model).
void Fill(const ProbeTensor& t, uint8_t* data, float sigma, Rng& rng, bool ones) {
  const size_t n = t.rows * t.cols * t.experts;
  if (ones) {
    for (size_t i = 0; i < n; ++i) reinterpret_cast<float*>(data)[i] = 1.0f;
    return;
  }
  switch (t.type) {
    case TensorType::kF32:
      for (size_t i = 0; i < n; ++i) reinterpret_cast<float*>(data)[i] = sigma * 1.7320508f * rng.Uniform();
      return;
    case TensorType::kF16:
      for (size_t i = 0; i < n; ++i)
        reinterpret_cast<uint16_t*>(data)[i] = Fp32ToFp16(sigma * 1.7320508f * rng.Uniform());
      return;
    case TensorType::kQ8_0:
    case TensorType::kQ4_0: {
      const bool q8 = t.type == TensorType::kQ8_0;
      const size_t block = q8 ? 34 : 18, blocks = n / 32;
      // Uniform int8 has std 73.6; uniform nibbles minus 8 have std 4.61.
      const uint16_t d = Fp32ToFp16(sigma / (q8 ? 73.6f : 4.61f));
      for (size_t b = 0; b < blocks; ++b) {
        uint8_t* p = data + b * block;
        std::memcpy(p, &d, 2);
        for (size_t i = 2; i < block; i += 8) {
          const uint64_t r = rng.Next();
          std::memcpy(p + i, &r, std::min<size_t>(8, block - i));
        }
        if (q8) {
          for (size_t i = 2; i < block; ++i) {
            if (p[i] == 0x80) p[i] = 0x81;  // keep int8 in [-127, 127] like llama.cpp
          }
        }
      }
      return;
    }
    default:
      throw std::invalid_argument("the probe engine cannot hold " + std::string(ToString(t.type)) + " weights");
  }
}

void RmsNorm(const float* x, const float* w, float* out, size_t n, float eps) {
  const double ss = DotF32(x, x, n);  // SIMD partial sums: no serial chain of adds
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * scale * (w ? w[i] : 1.0f);
}

// RoPE rotation angles for positions [pos0, pos0 + n): cos and sin of pos * theta^(-2i/hd)
// for i < hd/2, computed once per forward chunk and shared by every head and layer.
void RopeTable(size_t pos0, size_t n, size_t hd, float theta, std::vector<float>& cs) {
  const size_t half = hd / 2;
  cs.resize(n * hd);
  for (size_t i = 0; i < half; ++i) {
    const double inv_freq =
        std::pow(static_cast<double>(theta), -2.0 * static_cast<double>(i) / static_cast<double>(hd));
    for (size_t t = 0; t < n; ++t) {
      const double a = static_cast<double>(pos0 + t) * inv_freq;
      cs[t * hd + i] = static_cast<float>(std::cos(a));
      cs[t * hd + half + i] = static_cast<float>(std::sin(a));
    }
  }
}

// RoPE on one head vector, with one position's row of the table above.
void Rope(float* v, size_t hd, const float* cs, bool neox) {
  const size_t half = hd / 2;
  for (size_t i = 0; i < half; ++i) {
    const float c = cs[i], s = cs[half + i];
    const size_t i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
    const float x0 = v[i0], x1 = v[i1];
    v[i0] = x0 * c - x1 * s;
    v[i1] = x0 * s + x1 * c;
  }
}

// Adds the time from construction to destruction (and `bytes`) to one operator of a profile.
class OpTimer {
 public:
  OpTimer(ProbeProfile* p, ProbeOp op, uint64_t bytes = 0)
      : p_(p), i_(static_cast<size_t>(op)), bytes_(bytes), t0_(p ? Clock::now() : Clock::time_point{}) {}
  ~OpTimer() {
    if (!p_) return;
    p_->seconds[i_] += std::chrono::duration<double>(Clock::now() - t0_).count();
    p_->bytes[i_] += bytes_;
  }
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  ProbeProfile* p_;
  size_t i_;
  uint64_t bytes_;
  Clock::time_point t0_;
};

uint64_t MatrixBytes(const ProbeTensor& t) {
  return t.present() ? static_cast<uint64_t>(t.rows) * t.row_bytes : 0;
}

void CheckSupported(const ModelSpec& s) {
  if (s.mla) throw std::invalid_argument("the probe engine does not run MLA attention (" + s.id + ")");
  if (s.sliding_window)
    throw std::invalid_argument("the probe engine does not run sliding-window attention (" + s.id + ")");
  if (!s.layer_mixer.empty() || !s.layer_has_ffn.empty() || s.attn_output_gate) {
    throw std::invalid_argument("the probe engine does not run hybrid (recurrent or FFN-only) layers (" + s.id + ")");
  }
  if (s.norm != NormKind::kRms || s.mlp != MlpKind::kGated) {
    throw std::invalid_argument("the probe engine runs RMSNorm + gated-FFN models only (" + s.id + ")");
  }
  if (s.moe && (s.moe->n_shared_experts > 0 || s.moe->expert_bias || s.moe->layer_step != 1 ||
                s.moe->leading_dense_layers > 0)) {
    throw std::invalid_argument("the probe engine runs plain top-k MoE only (no shared experts) (" + s.id + ")");
  }
  if (s.attn_sinks || s.o_bias || s.norms_per_layer != 2) {
    throw std::invalid_argument("the probe engine does not run this attention variant (" + s.id + ")");
  }
}

// Matrices the kernels multiply by (not norms, biases or the router).
std::vector<ProbeTensor*> MatmulWeights(ProbeTensor& tok_embd, ProbeTensor& output, std::vector<ProbeLayer>& layers) {
  std::vector<ProbeTensor*> v{&tok_embd, &output};
  for (auto& L : layers) {
    for (ProbeTensor* t :
         {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down, &L.gate_exps, &L.up_exps, &L.down_exps}) {
      v.push_back(t);
    }
  }
  return v;
}

// Rewrites a Q8_0/Q4_0 tensor's matrices from the ggml layout at `src` to the interleaved
// layout at `dst` (which may be `src`: it goes one group of rows at a time through a copy).
void InterleaveTensor(ProbeTensor& t, const uint8_t* src, uint8_t* dst) {
  if (!t.present() || !CanInterleave(t.type)) return;
  const size_t rows = InterleaveGroupRows(), group = rows * t.row_bytes;
  std::vector<uint8_t> tmp(group);
  for (size_t e = 0; e < t.experts; ++e) {
    const size_t base = e * t.rows * t.row_bytes;
    for (size_t r = 0; r + rows <= t.rows; r += rows) {
      std::memcpy(tmp.data(), src + base + r * t.row_bytes, group);
      Interleave(t.type, tmp.data(), dst + base + r * t.row_bytes, rows, t.cols);
    }
    const size_t tail = t.rows / rows * rows;
    if (src != dst)
      std::memcpy(dst + base + tail * t.row_bytes, src + base + tail * t.row_bytes, (t.rows - tail) * t.row_bytes);
  }
  t.data = dst;
  t.interleaved = true;
}

}  // namespace

const char* ToString(ProbeOp op) {
  switch (op) {
    case ProbeOp::kEmbed:
      return "embedding";
    case ProbeOp::kNorm:
      return "rms norm";
    case ProbeOp::kQkv:
      return "q/k/v projections";
    case ProbeOp::kRopeCache:
      return "rope, kv-cache write";
    case ProbeOp::kAttention:
      return "attention";
    case ProbeOp::kWo:
      return "output projection (attn)";
    case ProbeOp::kResidual:
      return "residual adds";
    case ProbeOp::kRouter:
      return "moe router";
    case ProbeOp::kGateUp:
      return "ffn gate/up";
    case ProbeOp::kActivation:
      return "swiglu";
    case ProbeOp::kDown:
      return "ffn down";
    case ProbeOp::kOutput:
      return "lm head";
    case ProbeOp::kCount:
      break;
  }
  return "?";
}

std::unique_ptr<ProbeModel> ProbeModel::Synthesize(const ModelSpec& spec, TensorType wt, uint64_t seed,
                                                   size_t max_context, bool ggml_layout) {
  CheckSupported(spec);
  if (!KernelSupports(wt)) throw std::invalid_argument("the probe engine supports F32, F16, Q8_0 and Q4_0 weights");
  std::unique_ptr<ProbeModel> m(new ProbeModel());
  m->spec_ = spec;
  m->neox_rope_ = spec.rope_neox.value_or(false);
  m->rope_theta_ = static_cast<float>(spec.rope_theta.value_or(10000.0));
  m->norm_eps_ = static_cast<float>(spec.norm_eps.value_or(1e-5));
  const size_t d = spec.hidden, hd = spec.head_dim, H = spec.n_heads, KV = spec.n_kv_heads;
  // Plan every tensor (type, shape), then one allocation.
  struct Planned {
    ProbeTensor* t;
    float sigma;
    bool ones;
    size_t offset;
  };
  std::vector<Planned> plan;
  size_t total = 0;
  auto add = [&](ProbeTensor& t, TensorType type, size_t rows, size_t cols, size_t experts, float sigma, bool ones) {
    t.type = type;
    t.rows = rows;
    t.cols = cols;
    t.experts = experts;
    t.row_bytes = RowBytes(type, cols);
    total = (total + 63) / 64 * 64;
    plan.push_back({&t, sigma, ones, total});
    total += t.row_bytes * rows * experts;
  };
  const auto f32 = TensorType::kF32;
  add(m->tok_embd_, wt, spec.vocab, d, 1, 1.0f, false);
  if (!spec.tied_embeddings) add(m->output_, wt, spec.vocab, d, 1, 1.0f / std::sqrt(static_cast<float>(d)), false);
  add(m->output_norm_, f32, 1, d, 1, 0, true);
  m->layers_.resize(spec.n_layers);
  const float sd = 1.0f / std::sqrt(static_cast<float>(d));
  for (auto& L : m->layers_) {
    add(L.attn_norm, f32, 1, d, 1, 0, true);
    add(L.wq, wt, H * hd, d, 1, sd, false);
    add(L.wk, wt, KV * hd, d, 1, sd, false);
    add(L.wv, wt, KV * hd, d, 1, sd, false);
    add(L.wo, wt, d, H * hd, 1, 1.0f / std::sqrt(static_cast<float>(H * hd)), false);
    if (spec.qkv_bias) {
      add(L.bq, f32, 1, H * hd, 1, 0.02f, false);
      add(L.bk, f32, 1, KV * hd, 1, 0.02f, false);
      add(L.bv, f32, 1, KV * hd, 1, 0.02f, false);
    }
    if (spec.qk_norm) {
      add(L.q_norm, f32, 1, hd, 1, 0, true);
      add(L.k_norm, f32, 1, hd, 1, 0, true);
    }
    add(L.ffn_norm, f32, 1, d, 1, 0, true);
    if (spec.moe) {
      const size_t E = spec.moe->n_experts, ef = spec.moe->expert_ffn;
      add(L.router, f32, E, d, 1, sd, false);
      add(L.gate_exps, wt, ef, d, E, sd, false);
      add(L.up_exps, wt, ef, d, E, sd, false);
      add(L.down_exps, wt, d, ef, E, 1.0f / std::sqrt(static_cast<float>(ef)), false);
    } else {
      add(L.w_gate, wt, spec.ffn, d, 1, sd, false);
      add(L.w_up, wt, spec.ffn, d, 1, sd, false);
      add(L.w_down, wt, d, spec.ffn, 1, 1.0f / std::sqrt(static_cast<float>(spec.ffn)), false);
    }
  }
  m->storage_ = LargeBuffer(total + 64);
  Rng rng{seed * 0x9E3779B97F4A7C15ULL + 1};
  for (auto& p : plan) {
    p.t->data = m->storage_.data() + p.offset;
    Fill(*p.t, m->storage_.data() + p.offset, p.sigma, rng, p.ones);
  }
  if (!ggml_layout) {
    for (ProbeTensor* t : MatmulWeights(m->tok_embd_, m->output_, m->layers_)) {
      InterleaveTensor(*t, t->data, const_cast<uint8_t*>(t->data));
    }
  }
  m->Allocate(max_context);
  return m;
}

std::unique_ptr<ProbeModel> ProbeModel::FromWeights(std::shared_ptr<const WeightSource> source, const ModelSpec& spec,
                                                    size_t max_context) {
  CheckSupported(spec);
  std::unique_ptr<ProbeModel> m(new ProbeModel());
  m->spec_ = spec;
  m->source_ = source;
  m->neox_rope_ = spec.rope_neox.value_or(false);
  m->rope_theta_ = static_cast<float>(spec.rope_theta.value_or(10000.0));
  m->norm_eps_ = static_cast<float>(spec.norm_eps.value_or(1e-5));
  // Every tensor the forward pass touches, with the shape the spec says it has (ggml order: row
  // length first); a file that disagrees is refused before a single byte is read.
  using Shape = std::vector<uint64_t>;
  auto bind = [&](ProbeTensor& t, const std::string& name, bool required, const Shape& want) {
    auto g = source->Tensor(name);
    if (!g) {
      if (required) throw std::invalid_argument("the weights lack tensor '" + name + "'");
      return;
    }
    if (!KernelSupports(g->type)) {
      throw std::invalid_argument("tensor '" + name + "' is " + std::string(ToString(g->type)) +
                                  "; the probe engine runs F32, F16, Q8_0 and Q4_0");
    }
    Shape got = g->dims;
    while (got.size() > want.size() && got.back() == 1) got.pop_back();
    if (got != want) {
      auto text = [](const Shape& d) {
        std::string out;
        for (uint64_t v : d) out += (out.empty() ? "" : " x ") + std::to_string(v);
        return "[" + out + "]";
      };
      throw std::invalid_argument("tensor '" + name + "' is " + text(g->dims) + "; the model's metadata says " +
                                  text(want));
    }
    t.type = g->type;
    t.cols = want[0];
    t.rows = want.size() > 1 ? want[1] : 1;
    t.experts = want.size() > 2 ? want[2] : 1;
    t.row_bytes = RowBytes(g->type, t.cols);
    if (t.cols % Traits(g->type).block_elems != 0 || t.rows * t.row_bytes * t.experts > g->bytes) {
      throw std::invalid_argument("tensor '" + name + "': its shape does not match its stored bytes");
    }
    t.data = g->data;
  };
  const uint64_t d = spec.hidden, hd = spec.head_dim, vd = spec.v_head_dim ? spec.v_head_dim : spec.head_dim;
  const uint64_t qd = uint64_t{spec.n_heads} * hd, kd = uint64_t{spec.n_kv_heads} * hd,
                 vdim = uint64_t{spec.n_kv_heads} * vd;
  bind(m->tok_embd_, "token_embd.weight", true, {d, spec.vocab});
  bind(m->output_, "output.weight", false, {d, spec.vocab});
  bind(m->output_norm_, "output_norm.weight", true, {d});
  m->layers_.resize(spec.n_layers);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    auto& L = m->layers_[i];
    const std::string p = "blk." + std::to_string(i) + ".";
    bind(L.attn_norm, p + "attn_norm.weight", true, {d});
    bind(L.wq, p + "attn_q.weight", true, {d, qd});
    bind(L.wk, p + "attn_k.weight", true, {d, kd});
    bind(L.wv, p + "attn_v.weight", true, {d, vdim});
    bind(L.wo, p + "attn_output.weight", true, {uint64_t{spec.n_heads} * vd, d});
    // Q/K/V biases come together or not at all (Qwen2 has them, Llama does not).
    bind(L.bq, p + "attn_q.bias", false, {qd});
    bind(L.bk, p + "attn_k.bias", L.bq.present(), {kd});
    bind(L.bv, p + "attn_v.bias", L.bq.present(), {vdim});
    if (!L.bq.present() && (L.bk.present() || L.bv.present()))
      throw std::invalid_argument("the weights lack tensor '" + p + "attn_q.bias'");
    bind(L.q_norm, p + "attn_q_norm.weight", false, {hd});
    bind(L.k_norm, p + "attn_k_norm.weight", L.q_norm.present(), {hd});
    bind(L.ffn_norm, p + "ffn_norm.weight", true, {d});
    if (spec.moe) {
      const uint64_t E = spec.moe->n_experts, ef = spec.moe->expert_ffn;
      bind(L.router, p + "ffn_gate_inp.weight", true, {d, E});
      bind(L.gate_exps, p + "ffn_gate_exps.weight", true, {d, ef, E});
      bind(L.up_exps, p + "ffn_up_exps.weight", true, {d, ef, E});
      bind(L.down_exps, p + "ffn_down_exps.weight", true, {ef, d, E});
    } else {
      bind(L.w_gate, p + "ffn_gate.weight", true, {d, spec.ffn});
      bind(L.w_up, p + "ffn_up.weight", true, {d, spec.ffn});
      bind(L.w_down, p + "ffn_down.weight", true, {spec.ffn, d});
    }
    for (const ProbeTensor* t : {&L.attn_norm, &L.ffn_norm, &L.q_norm, &L.k_norm, &L.bq, &L.bk, &L.bv}) {
      if (t->present() && t->type != TensorType::kF32) throw std::invalid_argument(p + "norms and biases must be F32");
    }
  }
  // Quantized matrices are copied once into the interleaved layout.
  const auto weights = MatmulWeights(m->tok_embd_, m->output_, m->layers_);
  size_t total = 0;
  for (const ProbeTensor* t : weights) {
    if (t->present() && CanInterleave(t->type)) total += (t->rows * t->row_bytes * t->experts + 63) / 64 * 64;
  }
  m->storage_ = LargeBuffer(total);
  size_t offset = 0;
  for (ProbeTensor* t : weights) {
    if (!t->present() || !CanInterleave(t->type)) continue;
    const size_t bytes = t->rows * t->row_bytes * t->experts;
    InterleaveTensor(*t, t->data, m->storage_.data() + offset);
    offset += (bytes + 63) / 64 * 64;
  }
  m->Allocate(max_context);
  return m;
}

void ProbeModel::Allocate(size_t max_context) {
  const ModelSpec& s = spec_;
  max_ctx_ = std::max<size_t>(max_context, 1);
  chunk_ = std::min<size_t>(512, max_ctx_);
  const size_t kvd = static_cast<size_t>(s.n_kv_heads) * s.head_dim;
  k_cache_.assign(static_cast<size_t>(s.n_layers) * max_ctx_ * kvd, 0);
  v_cache_.assign(k_cache_.size(), 0);
  const size_t qd = static_cast<size_t>(s.n_heads) * s.head_dim;
  const size_t ff = s.moe ? s.moe->expert_ffn : s.ffn;
  x_.assign(chunk_ * s.hidden, 0);
  xn_.assign(chunk_ * s.hidden, 0);
  q_.assign(chunk_ * qd, 0);
  k_.assign(chunk_ * kvd, 0);
  v_.assign(chunk_ * kvd, 0);
  att_.assign(chunk_ * std::max<size_t>(qd, s.hidden), 0);
  gate_.assign(chunk_ * ff, 0);
  up_.assign(chunk_ * ff, 0);
  moe_acc_.assign(s.moe ? chunk_ * s.hidden : 0, 0);
  scores_.assign(64 * max_ctx_, 0);  // per thread
  if (s.moe) {
    expert_ids_.assign(chunk_ * s.moe->n_experts_active, 0);
    expert_w_.assign(chunk_ * s.moe->n_experts_active, 0);
  }
}

const ProbeTensor* ProbeModel::Find(const std::string& name) const {
  if (name == "token_embd.weight") return &tok_embd_;
  if (name == "output.weight") return output_.present() ? &output_ : nullptr;
  if (name == "output_norm.weight") return &output_norm_;
  if (name.rfind("blk.", 0) != 0) return nullptr;
  const size_t dot = name.find('.', 4);
  if (dot == std::string::npos) return nullptr;
  const auto layer = ParseDecimal(std::string_view(name).substr(4, dot - 4), layers_.size());
  if (!layer || *layer >= layers_.size()) return nullptr;
  const ProbeLayer& L = layers_[*layer];
  static const std::map<std::string, ProbeTensor ProbeLayer::*> kNames = {
      {"attn_norm.weight", &ProbeLayer::attn_norm},
      {"attn_q.weight", &ProbeLayer::wq},
      {"attn_k.weight", &ProbeLayer::wk},
      {"attn_v.weight", &ProbeLayer::wv},
      {"attn_output.weight", &ProbeLayer::wo},
      {"attn_q.bias", &ProbeLayer::bq},
      {"attn_k.bias", &ProbeLayer::bk},
      {"attn_v.bias", &ProbeLayer::bv},
      {"attn_q_norm.weight", &ProbeLayer::q_norm},
      {"attn_k_norm.weight", &ProbeLayer::k_norm},
      {"ffn_norm.weight", &ProbeLayer::ffn_norm},
      {"ffn_gate.weight", &ProbeLayer::w_gate},
      {"ffn_up.weight", &ProbeLayer::w_up},
      {"ffn_down.weight", &ProbeLayer::w_down},
      {"ffn_gate_inp.weight", &ProbeLayer::router},
      {"ffn_gate_exps.weight", &ProbeLayer::gate_exps},
      {"ffn_up_exps.weight", &ProbeLayer::up_exps},
      {"ffn_down_exps.weight", &ProbeLayer::down_exps}};
  auto it = kNames.find(name.substr(dot + 1));
  if (it == kNames.end()) return nullptr;
  const ProbeTensor& t = L.*(it->second);
  return t.present() ? &t : nullptr;
}

uint64_t ProbeModel::weights_bytes() const {
  uint64_t b = tok_embd_.rows * tok_embd_.row_bytes + output_.rows * output_.row_bytes;
  for (const auto& L : layers_) {
    for (const ProbeTensor* t :
         {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.bq, &L.bk, &L.bv, &L.q_norm, &L.k_norm, &L.ffn_norm, &L.w_gate,
          &L.w_up, &L.w_down, &L.router, &L.gate_exps, &L.up_exps, &L.down_exps}) {
      if (t->present()) b += t->rows * t->row_bytes * t->experts;
    }
  }
  return b + output_norm_.row_bytes;
}

uint64_t ProbeModel::DecodeBytesPerToken(size_t ctx) const {
  const ModelSpec& s = spec_;
  uint64_t b = (output_.present() ? output_.rows * output_.row_bytes : tok_embd_.rows * tok_embd_.row_bytes) +
               tok_embd_.row_bytes;
  for (const auto& L : layers_) {
    for (const ProbeTensor* t : {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.bq, &L.bk, &L.bv, &L.q_norm, &L.k_norm,
                                 &L.ffn_norm, &L.w_gate, &L.w_up, &L.w_down, &L.router}) {
      if (t->present()) b += t->rows * t->row_bytes;
    }
    if (s.moe) {
      for (const ProbeTensor* t : {&L.gate_exps, &L.up_exps, &L.down_exps})
        b += t->rows * t->row_bytes * s.moe->n_experts_active;
    }
  }
  // KV cache read at this context, fp16 K and V.
  b += static_cast<uint64_t>(s.n_layers) * ctx * s.n_kv_heads * s.head_dim * 2 * 2;
  return b;
}

// Attention of layer `li` for `n` tokens at positions [pos0, pos0 + n): Q/K/V, RoPE, the KV
// cache, causal attention and the output projection, added to the residual stream.
namespace {

// x += y over n floats, split across the pool when it is worth a job.
void AddInto(ThreadPool& pool, float* x, const float* y, size_t n) {
  if (n < 16384) {
    for (size_t i = 0; i < n; ++i) x[i] += y[i];
    return;
  }
  pool.ParallelFor(n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) x[i] += y[i];
  });
}

}  // namespace

void ProbeModel::Attention(ThreadPool& pool, size_t li, size_t n, size_t pos0) {
  const ModelSpec& s = spec_;
  const ProbeLayer& L = layers_[li];
  const size_t d = s.hidden, hd = s.head_dim, H = s.n_heads, KV = s.n_kv_heads;
  const size_t qd = H * hd, kvd = KV * hd, group = H / KV;
  const float att_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  {
    OpTimer timer(profile_, ProbeOp::kQkv, MatrixBytes(L.wq) + MatrixBytes(L.wk) + MatrixBytes(L.wv));
    MatMul(pool, L.wq.Matrix(), xn_.data(), n, q_.data(), qd);
    MatMul(pool, L.wk.Matrix(), xn_.data(), n, k_.data(), kvd);
    MatMul(pool, L.wv.Matrix(), xn_.data(), n, v_.data(), kvd);
  }
  uint16_t* kc = k_cache_.data() + li * max_ctx_ * kvd;
  uint16_t* vc = v_cache_.data() + li * max_ctx_ * kvd;
  // Biases, norms, rotary embeddings and the cache writes: each token on its own, on every thread.
  std::optional<OpTimer> timer;
  timer.emplace(profile_, ProbeOp::kRopeCache);
  pool.ParallelFor(n, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      float* q = q_.data() + t * qd;
      float* k = k_.data() + t * kvd;
      float* v = v_.data() + t * kvd;
      if (L.bq.present()) {
        for (size_t i = 0; i < qd; ++i) q[i] += reinterpret_cast<const float*>(L.bq.data)[i];
        for (size_t i = 0; i < kvd; ++i) k[i] += reinterpret_cast<const float*>(L.bk.data)[i];
        for (size_t i = 0; i < kvd; ++i) v[i] += reinterpret_cast<const float*>(L.bv.data)[i];
      }
      for (size_t h = 0; h < H; ++h) {
        if (L.q_norm.present())
          RmsNorm(q + h * hd, reinterpret_cast<const float*>(L.q_norm.data), q + h * hd, hd, norm_eps_);
        Rope(q + h * hd, hd, rope_.data() + t * hd, neox_rope_);
      }
      for (size_t h = 0; h < KV; ++h) {
        if (L.k_norm.present())
          RmsNorm(k + h * hd, reinterpret_cast<const float*>(L.k_norm.data), k + h * hd, hd, norm_eps_);
        Rope(k + h * hd, hd, rope_.data() + t * hd, neox_rope_);
      }
      F32ToF16(k, kc + (pos0 + t) * kvd, kvd);
      F32ToF16(v, vc + (pos0 + t) * kvd, kvd);
    }
  });
  // The attention reads the cache up to the last token's position, keys and values, fp16.
  timer.emplace(profile_, ProbeOp::kAttention, static_cast<uint64_t>(pos0 + n) * kvd * 2 * sizeof(uint16_t));
  if (n >= kF32AttentionTokens) {
    AttentionF32(pool, kc, vc, n, pos0);
  } else {
    // Causal attention: every (token, head) pair is independent.
    pool.Run([&](unsigned ti, unsigned tc) {
      float* sc = scores_.data() + (ti % 64) * max_ctx_;
      for (size_t job = ti; job < n * H; job += tc) {
        const size_t t = job / H, h = job % H, g = h / group;
        const size_t ctx = pos0 + t + 1;
        const float* q = q_.data() + t * qd + h * hd;
        float mx = -INFINITY;
        for (size_t j = 0; j < ctx; ++j) {
          sc[j] = DotF16(kc + j * kvd + g * hd, q, hd) * att_scale;
          mx = std::max(mx, sc[j]);
        }
        const float inv = 1.0f / ExpShifted(sc, ctx, mx);
        float* out = att_.data() + t * qd + h * hd;
        std::fill(out, out + hd, 0.0f);
        for (size_t j = 0; j < ctx; ++j) AxpyF16(sc[j] * inv, vc + j * kvd + g * hd, out, hd);
      }
    });
  }
  timer.emplace(profile_, ProbeOp::kWo, MatrixBytes(L.wo));
  MatMul(pool, L.wo.Matrix(), att_.data(), n, xn_.data(), d);
  timer.emplace(profile_, ProbeOp::kResidual);
  AddInto(pool, x_.data(), xn_.data(), n * d);
}

// Prefill attention over an F32 copy of this layer's cache (converted once, not once per
// query head, the keys transposed): each job is one KV head and a tile of query tokens with
// their whole groups of query heads, as two matrix products (scores, then weighted values)
// around a causal softmax.
void ProbeModel::AttentionF32(ThreadPool& pool, const uint16_t* kc, const uint16_t* vc, size_t n, size_t pos0) {
  const ModelSpec& s = spec_;
  const size_t hd = s.head_dim, H = s.n_heads, KV = s.n_kv_heads;
  const size_t qd = H * hd, kvd = KV * hd, group = H / KV, ctx_end = pos0 + n;
  const float att_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  // The values as F32 rows and the keys as F32 transposed, both per KV head (values [g][j][hd],
  // keys [g][dim][j]), so that scores and outputs are plain matrix products over contiguous
  // panels. The keys' rows are padded off powers of two (a 2 KiB stride maps every row of a
  // panel to the same few cache sets).
  const size_t ldk = ctx_end + 16;
  kf_.resize(ctx_end * kvd);
  vf_.resize(ctx_end * kvd);
  kt_.resize(kvd * ldk);
  pool.ParallelFor(ctx_end, [&](size_t j0, size_t j1) {
    F16ToF32(kc + j0 * kvd, kf_.data() + j0 * kvd, (j1 - j0) * kvd);
    for (size_t j = j0; j < j1; ++j) {
      for (size_t g = 0; g < KV; ++g) F16ToF32(vc + j * kvd + g * hd, vf_.data() + (g * ctx_end + j) * hd, hd);
    }
  });
  pool.ParallelFor(kvd, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; ++c) {
      for (size_t j = 0; j < ctx_end; ++j) kt_[c * ldk + j] = kf_[j * kvd + c];
    }
  });
  // A job: one KV head and a tile of query tokens, about 32 query rows with their whole groups.
  const size_t tq = std::max<size_t>(1, 32 / group), tiles = (n + tq - 1) / tq;
  pool.Run([&](unsigned ti, unsigned tc) {
    thread_local std::vector<float> qs, sc, os;
    for (size_t job = ti; job < tiles * KV; job += tc) {
      const size_t g = job % KV, t0 = job / KV * tq, nt = std::min(tq, n - t0);
      const size_t rows = nt * group, kend = pos0 + t0 + nt, lds = kend + 16;
      qs.resize(rows * hd);
      sc.resize(rows * lds);
      os.resize(rows * hd);
      for (size_t tt = 0; tt < nt; ++tt) {
        const float* q = q_.data() + (t0 + tt) * qd + g * group * hd;
        for (size_t i = 0; i < group * hd; ++i) qs[tt * group * hd + i] = q[i] * att_scale;
      }
      GemmF32(rows, kend, hd, qs.data(), hd, kt_.data() + g * hd * ldk, ldk, sc.data(), lds);
      // Causal softmax per row: token t0 + tt sees positions up to pos0 + t0 + tt.
      for (size_t r = 0; r < rows; ++r) {
        float* row = sc.data() + r * lds;
        const size_t valid = pos0 + t0 + r / group + 1;
        const float mx = *std::max_element(row, row + valid);
        const float inv = 1.0f / ExpShifted(row, valid, mx);
        for (size_t j = 0; j < valid; ++j) row[j] *= inv;
        std::fill(row + valid, row + kend, 0.0f);
      }
      GemmF32(rows, hd, kend, sc.data(), lds, vf_.data() + g * ctx_end * hd, hd, os.data(), hd);
      for (size_t tt = 0; tt < nt; ++tt) {
        std::copy_n(os.data() + tt * group * hd, group * hd, att_.data() + (t0 + tt) * qd + g * group * hd);
      }
    }
  });
}

// SwiGLU FFN of layer `L`, added to the residual stream.
void ProbeModel::DenseFfn(ThreadPool& pool, const ProbeLayer& L, size_t n) {
  const size_t d = spec_.hidden;
  const size_t ff = spec_.ffn;
  std::optional<OpTimer> timer;
  timer.emplace(profile_, ProbeOp::kGateUp, MatrixBytes(L.w_gate) + MatrixBytes(L.w_up));
  MatMul(pool, L.w_gate.Matrix(), xn_.data(), n, gate_.data(), ff);
  MatMul(pool, L.w_up.Matrix(), xn_.data(), n, up_.data(), ff);
  timer.emplace(profile_, ProbeOp::kActivation);
  pool.ParallelFor(n * ff, [&](size_t i0, size_t i1) { SwiGlu(gate_.data() + i0, up_.data() + i0, i1 - i0); });
  timer.emplace(profile_, ProbeOp::kDown, MatrixBytes(L.w_down));
  MatMul(pool, L.w_down.Matrix(), gate_.data(), n, att_.data(), d);
  timer.emplace(profile_, ProbeOp::kResidual);
  AddInto(pool, x_.data(), att_.data(), n * d);
}

// Top-k MoE FFN of layer `L`: each expert runs on the tokens routed to it, weighted by the
// softmax over the selected router logits, added to the residual stream.
void ProbeModel::MoeFfn(ThreadPool& pool, const ProbeLayer& L, size_t n) {
  const ModelSpec& s = spec_;
  const size_t d = s.hidden;
  const size_t E = s.moe->n_experts, K = s.moe->n_experts_active, ef = s.moe->expert_ffn;
  std::vector<float> logits_r(n * E);
  std::optional<OpTimer> timer;
  timer.emplace(profile_, ProbeOp::kRouter, MatrixBytes(L.router));
  MatMul(pool, L.router.Matrix(), xn_.data(), n, logits_r.data(), E);
  // Top-k per token, softmax over the selected logits.
  std::vector<std::vector<std::pair<size_t, float>>> routed(E);  // expert -> (token, weight)
  std::vector<size_t> idx(E);
  for (size_t t = 0; t < n; ++t) {
    const float* lr = logits_r.data() + t * E;
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(K), idx.end(),
                      [&](size_t a, size_t b) { return lr[a] > lr[b] || (lr[a] == lr[b] && a < b); });
    float mx = lr[idx[0]], sum = 0;
    std::vector<float> w(K);
    for (size_t k = 0; k < K; ++k) sum += (w[k] = std::exp(lr[idx[k]] - mx));
    for (size_t k = 0; k < K; ++k) routed[idx[k]].push_back({t, w[k] / sum});
  }
  std::fill(moe_acc_.begin(), moe_acc_.begin() + static_cast<long>(n * d), 0.0f);
  std::vector<float> xin, out_e;
  for (size_t e = 0; e < E; ++e) {
    if (routed[e].empty()) continue;
    const size_t m = routed[e].size();
    xin.resize(m * d);
    for (size_t r = 0; r < m; ++r) std::memcpy(xin.data() + r * d, xn_.data() + routed[e][r].first * d, d * 4);
    timer.emplace(profile_, ProbeOp::kGateUp, MatrixBytes(L.gate_exps) + MatrixBytes(L.up_exps));
    MatMul(pool, L.gate_exps.Matrix(e), xin.data(), m, gate_.data(), ef);
    MatMul(pool, L.up_exps.Matrix(e), xin.data(), m, up_.data(), ef);
    timer.emplace(profile_, ProbeOp::kActivation);
    SwiGlu(gate_.data(), up_.data(), m * ef);
    out_e.resize(m * d);
    timer.emplace(profile_, ProbeOp::kDown, MatrixBytes(L.down_exps));
    MatMul(pool, L.down_exps.Matrix(e), gate_.data(), m, out_e.data(), d);
    for (size_t r = 0; r < m; ++r) {
      const float w = routed[e][r].second;
      float* acc = moe_acc_.data() + routed[e][r].first * d;
      for (size_t i = 0; i < d; ++i) acc[i] += w * out_e[r * d + i];
    }
  }
  timer.emplace(profile_, ProbeOp::kResidual);
  for (size_t i = 0; i < n * d; ++i) x_[i] += moe_acc_[i];
}

// xn = RMSNorm(x) * weight for n tokens: a prefill's rows on every thread, a decode token's on
// the caller.
void ProbeModel::NormRows(ThreadPool& pool, const ProbeTensor& weight, size_t n) {
  const size_t d = spec_.hidden;
  auto rows = [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t)
      RmsNorm(x_.data() + t * d, reinterpret_cast<const float*>(weight.data), xn_.data() + t * d, d, norm_eps_);
  };
  if (n >= 2 * pool.size()) {
    pool.ParallelFor(n, rows);
  } else {
    rows(0, n);
  }
}

void ProbeModel::Forward(ThreadPool& pool, const int32_t* tokens, size_t n_total, std::vector<float>* logits) {
  const ModelSpec& s = spec_;
  if (pos_ + n_total > max_ctx_) throw std::invalid_argument("the probe's KV cache is full");
  const size_t d = s.hidden;
  for (size_t done = 0; done < n_total; done += chunk_) {
    const size_t n = std::min(chunk_, n_total - done);
    const size_t pos0 = pos_;
    if (profile_) profile_->tokens += n;
    {
      OpTimer timer(profile_, ProbeOp::kEmbed, n * tok_embd_.row_bytes);
      RopeTable(pos0, n, s.head_dim, rope_theta_, rope_);
      for (size_t t = 0; t < n; ++t) {
        const int32_t id = tokens[done + t];
        if (id < 0 || static_cast<size_t>(id) >= tok_embd_.rows) throw std::invalid_argument("token id out of range");
        ReadRow(tok_embd_.Matrix(), static_cast<size_t>(id), x_.data() + t * d);
      }
    }
    for (size_t li = 0; li < layers_.size(); ++li) {
      const ProbeLayer& L = layers_[li];
      {
        OpTimer timer(profile_, ProbeOp::kNorm);
        NormRows(pool, L.attn_norm, n);
      }
      Attention(pool, li, n, pos0);
      {
        OpTimer timer(profile_, ProbeOp::kNorm);
        NormRows(pool, L.ffn_norm, n);
      }
      if (s.moe)
        MoeFfn(pool, L, n);
      else
        DenseFfn(pool, L, n);
    }
    pos_ += n;
    if (logits && done + n == n_total) {
      const ProbeTensor& head = output_.present() ? output_ : tok_embd_;
      OpTimer timer(profile_, ProbeOp::kOutput, MatrixBytes(head));
      const size_t t = n - 1;
      RmsNorm(x_.data() + t * d, reinterpret_cast<const float*>(output_norm_.data), xn_.data(), d, norm_eps_);
      const ProbeTensor& out = output_.present() ? output_ : tok_embd_;
      logits->assign(out.rows, 0.0f);
      MatMul(pool, out.Matrix(), xn_.data(), 1, logits->data(), out.rows);
    }
  }
}

// ---- reference implementation ----

namespace {
std::vector<double> RowD(const ProbeTensor& t, size_t row, size_t expert = 0) {
  std::vector<float> f(t.cols);
  ReadRow(t.Matrix(expert), row, f.data());
  return std::vector<double>(f.begin(), f.end());
}
std::vector<double> MatVecD(const ProbeTensor& t, const std::vector<double>& x, size_t expert = 0) {
  std::vector<double> y(t.rows);
  for (size_t r = 0; r < t.rows; ++r) {
    const auto w = RowD(t, r, expert);
    double s = 0;
    for (size_t i = 0; i < t.cols; ++i) s += w[i] * x[i];
    y[r] = s;
  }
  return y;
}
void RmsNormD(std::vector<double>& x, const ProbeTensor* w, size_t off, size_t n, double eps) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += x[off + i] * x[off + i];
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (size_t i = 0; i < n; ++i) {
    x[off + i] *= scale * (w && w->present() ? reinterpret_cast<const float*>(w->data)[i] : 1.0);
  }
}
void RopeD(double* v, size_t hd, size_t pos, double theta, bool neox) {
  const size_t half = hd / 2;
  for (size_t i = 0; i < half; ++i) {
    const double a =
        static_cast<double>(pos) * std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(hd));
    const size_t i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
    const double x0 = v[i0], x1 = v[i1];
    v[i0] = x0 * std::cos(a) - x1 * std::sin(a);
    v[i1] = x0 * std::sin(a) + x1 * std::cos(a);
  }
}
}  // namespace

std::vector<double> ReferenceForward(const ProbeModel& m, const std::vector<int32_t>& tokens) {
  const ModelSpec& s = m.spec();
  const size_t d = s.hidden, hd = s.head_dim, H = s.n_heads, KV = s.n_kv_heads, group = H / KV;
  const double eps = 1e-5;
  std::vector<std::vector<std::vector<double>>> kc(s.n_layers), vc(s.n_layers);  // [layer][pos][kvd]
  std::vector<double> x;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    x = RowD(m.token_embd(), static_cast<size_t>(tokens[pos]));
    for (size_t li = 0; li < s.n_layers; ++li) {
      const ProbeLayer& L = m.layers()[li];
      std::vector<double> xn = x;
      RmsNormD(xn, &L.attn_norm, 0, d, eps);
      auto q = MatVecD(L.wq, xn), k = MatVecD(L.wk, xn), v = MatVecD(L.wv, xn);
      if (L.bq.present()) {
        for (size_t i = 0; i < q.size(); ++i) q[i] += reinterpret_cast<const float*>(L.bq.data)[i];
        for (size_t i = 0; i < k.size(); ++i) k[i] += reinterpret_cast<const float*>(L.bk.data)[i];
        for (size_t i = 0; i < v.size(); ++i) v[i] += reinterpret_cast<const float*>(L.bv.data)[i];
      }
      for (size_t h = 0; h < H; ++h) {
        if (L.q_norm.present()) RmsNormD(q, &L.q_norm, h * hd, hd, eps);
        RopeD(q.data() + h * hd, hd, pos, m.rope_theta(), m.neox_rope());
      }
      for (size_t h = 0; h < KV; ++h) {
        if (L.k_norm.present()) RmsNormD(k, &L.k_norm, h * hd, hd, eps);
        RopeD(k.data() + h * hd, hd, pos, m.rope_theta(), m.neox_rope());
      }
      kc[li].push_back(k);
      vc[li].push_back(v);
      std::vector<double> att(H * hd, 0.0);
      for (size_t h = 0; h < H; ++h) {
        const size_t g = h / group;
        std::vector<double> sc(pos + 1);
        double mx = -1e300;
        for (size_t j = 0; j <= pos; ++j) {
          double dot = 0;
          for (size_t i = 0; i < hd; ++i) dot += q[h * hd + i] * kc[li][j][g * hd + i];
          sc[j] = dot / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, sc[j]);
        }
        double sum = 0;
        for (auto& v2 : sc) sum += (v2 = std::exp(v2 - mx));
        for (size_t j = 0; j <= pos; ++j) {
          for (size_t i = 0; i < hd; ++i) att[h * hd + i] += sc[j] / sum * vc[li][j][g * hd + i];
        }
      }
      const auto o = MatVecD(L.wo, att);
      for (size_t i = 0; i < d; ++i) x[i] += o[i];
      xn = x;
      RmsNormD(xn, &L.ffn_norm, 0, d, eps);
      auto ffn = [&](const ProbeTensor& g, const ProbeTensor& u, const ProbeTensor& dn, size_t e) {
        auto a = MatVecD(g, xn, e), b = MatVecD(u, xn, e);
        for (size_t i = 0; i < a.size(); ++i) a[i] = a[i] / (1.0 + std::exp(-a[i])) * b[i];
        return MatVecD(dn, a, e);
      };
      if (!s.moe) {
        const auto y = ffn(L.w_gate, L.w_up, L.w_down, 0);
        for (size_t i = 0; i < d; ++i) x[i] += y[i];
      } else {
        const auto lr = MatVecD(L.router, xn);
        std::vector<size_t> idx(lr.size());
        std::iota(idx.begin(), idx.end(), 0);
        const size_t K = s.moe->n_experts_active;
        std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(K), idx.end(),
                          [&](size_t a, size_t b) { return lr[a] > lr[b] || (lr[a] == lr[b] && a < b); });
        double sum = 0;
        std::vector<double> w(K);
        for (size_t k2 = 0; k2 < K; ++k2) sum += (w[k2] = std::exp(lr[idx[k2]] - lr[idx[0]]));
        for (size_t k2 = 0; k2 < K; ++k2) {
          const auto y = ffn(L.gate_exps, L.up_exps, L.down_exps, idx[k2]);
          for (size_t i = 0; i < d; ++i) x[i] += w[k2] / sum * y[i];
        }
      }
    }
  }
  RmsNormD(x, &m.output_norm(), 0, d, eps);
  const ProbeTensor& out = m.output().present() ? m.output() : m.token_embd();
  return MatVecD(out, x);
}

}  // namespace tokcast::measure
