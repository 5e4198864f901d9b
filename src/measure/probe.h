// The probe engine: a real transformer forward pass on the CPU (prefill and decode with a KV
// cache, GQA, RoPE, RMSNorm, SwiGLU, MoE top-k routing), over weights synthesized for any
// catalogued dense or MoE architecture at F32/F16/Q8_0/Q4_0, or memory-mapped from a GGUF file
// (Llama- and Qwen-family tensor names). Its buffers are sized from the memory planner's
// numbers; it allocates once, up front.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "measure/kernels.h"
#include "measure/large_buffer.h"

namespace tokcast::measure {

// Where the probe engine finds a model's stored weights (a memory-mapped GGUF file, ...): tensors
// by their llama.cpp names. The source keeps the bytes alive as long as it lives.
struct StoredTensor {
  TensorType type = TensorType::kF32;
  const uint8_t* data = nullptr;
  std::vector<uint64_t> dims;  // ggml order: dims[0] = row length
  uint64_t bytes = 0;          // bytes available at `data`
};
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual std::optional<StoredTensor> Tensor(const std::string& name) const = 0;
};

class ThreadPool;

struct ProbeTensor {
  TensorType type = TensorType::kF32;
  const uint8_t* data = nullptr;
  size_t rows = 0, cols = 0;  // cols = row length (input features)
  size_t row_bytes = 0;
  size_t experts = 1;        // stacked experts (rows per expert = rows)
  bool interleaved = false;  // each expert's matrix in the kernels' interleaved layout
  bool present() const { return data != nullptr; }
  const uint8_t* Expert(size_t e) const { return data + e * rows * row_bytes; }
  WeightMatrix Matrix(size_t expert = 0) const { return {type, Expert(expert), rows, cols, interleaved}; }
};

struct ProbeLayer {
  ProbeTensor attn_norm, wq, wk, wv, wo, bq, bk, bv, q_norm, k_norm;
  ProbeTensor ffn_norm, w_gate, w_up, w_down;         // dense FFN
  ProbeTensor router, gate_exps, up_exps, down_exps;  // MoE
};

// The forward pass's operators, for a per-operator profile.
enum class ProbeOp {
  kEmbed,       // embedding rows
  kNorm,        // RMSNorm before attention and FFN
  kQkv,         // the Q, K and V projections
  kRopeCache,   // biases, Q/K norms, rotary embeddings, KV-cache writes
  kAttention,   // scores, softmax, weighted values
  kWo,          // the attention output projection
  kResidual,    // the residual additions
  kRouter,      // MoE router and top-k
  kGateUp,      // FFN gate and up projections (MoE: the routed experts')
  kActivation,  // SwiGLU
  kDown,        // FFN down projection (MoE: with the weighted sum)
  kOutput,      // final norm and the output projection
  kCount
};
const char* ToString(ProbeOp op);

// Time and bytes per operator, summed over the forward passes the profile was attached for
// (ProbeModel::SetProfile): where a step's time goes. Bytes are the weights and KV cache an
// operator read; each operator's time is the calling thread's, start to end (the pool's jobs
// are synchronous).
struct ProbeProfile {
  static constexpr size_t kOps = static_cast<size_t>(ProbeOp::kCount);
  std::array<double, kOps> seconds{};
  std::array<uint64_t, kOps> bytes{};
  uint64_t tokens = 0;  // tokens the attached passes ran
};

class ProbeModel {
 public:
  // Synthesized weights (deterministic pseudo-random, scaled to keep activations sane).
  // Throws std::invalid_argument for architectures the engine does not run (MLA, windows...).
  // Q8_0/Q4_0 matrices are interleaved for the kernels unless `ggml_layout` (to write a GGUF).
  static std::unique_ptr<ProbeModel> Synthesize(const ModelSpec& spec, TensorType weight_type, uint64_t seed,
                                                size_t max_context, bool ggml_layout = false);
  // Weights from a source (kept alive by the model), e.g. a memory-mapped GGUF file; Q8_0/Q4_0
  // matrices are copied into the kernels' interleaved layout, as llama.cpp's CPU backend repacks
  // them. Throws std::invalid_argument for a missing tensor or a shape the spec does not match.
  static std::unique_ptr<ProbeModel> FromWeights(std::shared_ptr<const WeightSource> source, const ModelSpec& spec,
                                                 size_t max_context);

  const ModelSpec& spec() const { return spec_; }
  const std::vector<ProbeLayer>& layers() const { return layers_; }
  const ProbeTensor& token_embd() const { return tok_embd_; }
  const ProbeTensor& output() const { return output_; }
  const ProbeTensor& output_norm() const { return output_norm_; }
  bool neox_rope() const { return neox_rope_; }
  float rope_theta() const { return rope_theta_; }

  // Runs `n` tokens at positions [position(), position() + n) through the model, appending to
  // the KV cache. When `logits` is non-null, it receives the last token's logits (vocab).
  void Forward(ThreadPool& pool, const int32_t* tokens, size_t n, std::vector<float>* logits);
  void Reset() { pos_ = 0; }
  // Adds each operator's time to `profile` (null: no profiling) from the next Forward on.
  void SetProfile(ProbeProfile* profile) { profile_ = profile; }
  size_t position() const { return pos_; }
  size_t max_context() const { return max_ctx_; }

  uint64_t weights_bytes() const;
  // The memory the engine owns for weights: all of a synthesized model, the interleaved
  // quantized matrices of a GGUF one (empty for an F16/F32 GGUF, read from the mapping).
  const uint8_t* owned_weights() const { return storage_.data(); }
  size_t owned_weights_bytes() const { return storage_.size(); }
  // The tensor stored under a GGUF (llama.cpp) name, or null.
  const ProbeTensor* Find(const std::string& gguf_name) const;
  // Bytes a decode step reads at context length `ctx`: every weight except the embedding rows
  // (all experts of a layer are counted only when top-k selects them: here, the k used).
  uint64_t DecodeBytesPerToken(size_t ctx) const;

 private:
  ProbeModel() = default;
  void Allocate(size_t max_context);
  void NormRows(ThreadPool& pool, const ProbeTensor& weight, size_t n);
  void Attention(ThreadPool& pool, size_t layer, size_t n, size_t pos0);
  void AttentionF32(ThreadPool& pool, const uint16_t* kc, const uint16_t* vc, size_t n, size_t pos0);
  void DenseFfn(ThreadPool& pool, const ProbeLayer& L, size_t n);
  void MoeFfn(ThreadPool& pool, const ProbeLayer& L, size_t n);

  ModelSpec spec_;
  LargeBuffer storage_;
  std::shared_ptr<const WeightSource> source_;
  ProbeTensor tok_embd_, output_, output_norm_;
  std::vector<ProbeLayer> layers_;
  bool neox_rope_ = false;
  float rope_theta_ = 10000.0f;
  float norm_eps_ = 1e-5f;
  size_t max_ctx_ = 0;
  size_t pos_ = 0;
  std::vector<uint16_t> k_cache_, v_cache_;  // [layer][pos][kv_heads * head_dim], fp16
  size_t chunk_ = 0;                         // tokens per scratch chunk
  ActivationVector x_, xn_, q_, k_, v_, att_, gate_, up_;
  std::vector<float> moe_acc_, scores_, rope_;
  std::vector<float> kf_, vf_, kt_;  // an F32 copy of one layer's KV cache (and the keys
                                     // transposed), for prefill attention
  // Prefills of at least this many tokens attend over an F32 copy of the cache.
  static constexpr size_t kF32AttentionTokens = 8;
  std::vector<int> expert_ids_;
  std::vector<float> expert_w_;
  ProbeProfile* profile_ = nullptr;
};

// Plain reference implementation in double precision (no SIMD, no quantized activations):
// the same forward pass, for correctness tests on small models. Returns the last token's
// logits after running `tokens` from position 0.
std::vector<double> ReferenceForward(const ProbeModel& model, const std::vector<int32_t>& tokens);

}  // namespace tokcast::measure
