// The performance model: an operator-level roofline over the layer graph.
//
// Every operator (projections, attention core, FFN / MoE experts and router, norms, LM head,
// all-reduces, host-link transfers) declares the FLOPs and bytes it moves for the phase at
// hand; its time is max(FLOPs / (peak x eff_compute), bytes / (bandwidth x eff_memory)) plus
// per-kernel overhead, summed over layers. With every efficiency at 1 and no overhead the
// result is the BOUND (physically impossible to beat); with calibrated efficiencies it is the
// EXPECTED value. Pure: no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/hardware.h"
#include "core/memory_plan.h"
#include "core/model.h"
#include "core/quant.h"
#include "core/runtime.h"

namespace tokcast {

// Calibrated efficiencies for one runtime x hardware class.
struct Efficiency {
  double memory = 0.75;  // achieved / theoretical bandwidth streaming weights and KV
  double compute = 0.6;  // achieved / peak on quantized-weight GEMMs (prefill: llama.cpp's MMQ)
  // achieved / peak on GEMMs with 16-bit weights, or FP8/FP4 weights the tensor cores take as
  // they are (cuBLAS-style kernels): another kernel family, fitted apart.
  double dense_compute = 0.5;
  double attention = 0.5;  // achieved / peak on the attention core
  // achieved / vector-unit peak of attention in the runtime's vector flash-attention kernel
  // (decode; DecodeKernels::fa_vec_max_tokens), where the runtime states one.
  double decode_attention = 0.5;
  // achieved / peak on the small-batch matmuls of batched decode: matrix-vector kernels over a
  // few token columns where the runtime states its kernels (DecodeKernels), else all of them.
  double decode_compute = 0.3;
  // A GEMM over N token columns (padded to the runtime's tiles) runs at N^2 / (N^2 +
  // gemm_tokens_half^2) of its large-N efficiency (too few output tiles to fill the machine):
  // batched decode steps (prefill passes keep the efficiency fitted at their sizes). 0: none.
  double gemm_tokens_half = 0;
  // Quantized GEMMs (llama.cpp MMQ) also spend vector-ALU work per multiply-add unpacking and
  // scaling blocks: FP32-unit FLOPs per GEMM FLOP (0 for 16-bit weights).
  double alu_per_gemm_flop = 0.0;
  // MoE expert GEMMs reach half their efficiency at this many tokens per expert (small GEMMs).
  double moe_tokens_half = 16;
  // Time per MoE layer per forward pass beyond its operators' roofline: routing (top-k, softmax),
  // gathering the chosen experts' rows, their launches and the weighted sum. It is what makes a
  // 3B-active MoE decode at a third of its bandwidth bound on a fast GPU (llama.cpp on an RTX
  // 4090: ~60 us per layer), while on slower memory it hides in the streaming time.
  double moe_layer_overhead_s = 3e-5;
  // Multi-die parts (Apple Ultra): the fraction of single-die bandwidth efficiency they keep.
  double multi_die_memory = 1.0;
  double layer_overhead_s = 1.5e-5;  // per layer per forward pass: kernel launches, syncs
  double host_memory = 0.6;          // CPU side, for layers offloaded to the host
  double host_compute = 0.5;
  double link = 0.8;  // host link / scale-up link
  // Work per weight of a matrix-vector product beyond streaming it (unpacking quantized blocks,
  // scales, the dot product), in FLOP-equivalents at the GEMM peak; added to the memory time in
  // decode. By type name: F16, Q4_0, Q8_0, ...; "*" covers quantized types without an entry.
  std::map<std::string, double, std::less<>> dequant_flops_per_weight;
  // Vendors of the hardware the entry was fitted on (empty: a prior, or written before this
  // was recorded): another vendor's parts get these efficiencies with a warning.
  std::vector<std::string> fitted_vendors;
  // The entry whose efficiencies this one copies except those fitted on its own rows (a serving
  // runtime's GEMMs): it still stands in for the rest. Empty: all its own (or a prior).
  std::string based_on;
  // The entry whose GEMM and attention efficiencies this one takes: its own rows measured
  // decode only (no prefill through GEMMs), so those come from the fit the runtime stands in
  // with, not from generic priors. Empty: its own (or a prior).
  std::string prefill_from;
};

// What a serving runtime spends outside the kernels, fitted to published serving runs (tokcast
// calibrate): the simulator adds these to the roofline of every step and request instead of the
// runtime's stated priors.
struct ServingOverheads {
  double step_s = 0;      // per step
  double seq_s = 0;       // per sequence in a step
  double frontend_s = 0;  // per request, serialized in the API server
  double request_s = 0;   // per request, in parallel (added to TTFT)
  uint32_t runs = 0;      // published runs it was fitted to
  // Their rows' error before (the runtime's priors) and after: the median |ln(predicted /
  // measured)| of each test kind, averaged over kinds.
  double loss_before = 0, loss_after = 0;
};

// A speed relative to the efficiencies an entry states: an older build era of a runtime against
// its current builds ("llama.cpp-cuda@2024"), or a wrapper against the runtime it wraps
// ("ollama"). Fitted on those rows; the GEMM family and attention scale by `compute`, streaming
// by `memory` (each efficiency capped at 1).
struct SpeedFactors {
  double compute = 1, memory = 1;
  uint32_t rows = 0;  // rows it was fitted on (0: the runtime's stated prior)
};
Efficiency Scaled(const Efficiency& e, const SpeedFactors& f);

// Efficiencies keyed "runtime/class" (llama.cpp-metal/unified_soc), "runtime", or "default".
struct EfficiencyProfile {
  std::map<std::string, Efficiency> entries;
  std::map<std::string, SpeedFactors> factors;      // by FactorKeys()
  std::map<std::string, ServingOverheads> serving;  // by runtime id
  std::vector<std::string> notes;
  const Efficiency& For(const RuntimeProfile& rt, const HardwareSpec& hw) const;
  // The entry For() uses ("" for the built-in fallback). A key that does not start with the
  // runtime's own id is a stand-in: efficiencies borrowed from another runtime or the priors.
  std::string KeyFor(const RuntimeProfile& rt, const HardwareSpec& hw) const;
  // The factors For()'s entry takes for this runtime on this hardware, in order: the wrapper's
  // ("ollama", when it stands in with another runtime's entry), the selected era's
  // ("llama.cpp-cuda@2023") and every later era's ("llama.cpp-cuda@2024": the 2023 builds also
  // lack what changed at the end of 2024's). Each comes from `factors`, else the runtime's
  // stated prior.
  std::vector<std::pair<std::string, SpeedFactors>> FactorsFor(const RuntimeProfile& rt, const HardwareSpec& hw) const;
  // For() with FactorsFor() applied: what a prediction uses.
  Efficiency Effective(const RuntimeProfile& rt, const HardwareSpec& hw) const;
};
// The runtime that stands in for `rt` on `hw` (efficiency_like_by, else efficiency_like).
const std::string& StandInFor(const RuntimeProfile& rt, const HardwareSpec& hw);
// The calibration group a runtime's rows on this hardware fit: "llama.cpp-cuda/discrete_gpu",
// with the vendor appended for a runtime whose kernels differ by vendor
// ("llama.cpp-vulkan/discrete_gpu/AMD").
std::string CalibrationKey(const RuntimeProfile& rt, const HardwareSpec& hw);
Efficiency BoundEfficiency();  // all 1, no overhead, no dequant cost

// A model prepared once for many predictions: layers grouped into classes of identical cost.
struct PreparedModel {
  struct Group {  // weights of one operator group in one layer
    double bytes = 0;
    double params = 0;  // weights (all experts for expert groups)
    std::vector<std::pair<TensorType, double>> params_by_type;
  };
  struct LayerClass {
    bool moe = false;
    bool local = false;
    MixerKind mixer = MixerKind::kAttention;
    bool has_ffn = true;
    Group attn;     // q/k/v/o and MLA projections (a recurrent mixer's in/out projections)
    Group ffn;      // dense FFN
    Group experts;  // all routed experts of the layer
    Group shared;   // shared experts
    Group router;
    Group norms;  // norms, biases, sinks
  };
  const ModelSpec* spec = nullptr;
  std::vector<LayerClass> classes;
  std::vector<uint16_t> class_of_layer;
  std::vector<uint32_t> suffix_counts;  // (L + 1) x classes: layers of class c in [i, L)
  Group output;                         // lm head + final norm
  Group embedding;
  double kv_bytes_per_token_f16_layer = 0;               // per layer, K+V (MLA: latent) at 2 bytes
  double attn_qk_dim = 0, attn_v_dim = 0;                // per head, as the attention core computes
  double attn_qk_dim_decode = 0, attn_v_dim_decode = 0;  // MLA decode runs on the latent
  Precision weight_compute = Precision::kFp16;           // what the GEMMs run in for these weights
  bool quantized = false;
};
// `tensors` must be typed (ApplyRecipe or a file); `spec` must outlive the result.
PreparedModel PrepareModel(const ModelSpec& spec, const std::vector<TensorInfo>& tensors, const QuantRecipe* recipe);
// Whether the weights are FP8/FP4 that the device's tensor cores take as they are (no
// dequantization, no int8-style unpacking: the GEMM reads them natively).
bool NativeLowPrecision(const PreparedModel& m, const HardwareSpec& hw);
// Whether its GEMMs are the dense kind (16-bit or native low-precision weights), not quantized.
bool DenseGemm(const PreparedModel& m, const HardwareSpec& hw);

struct PerfWorkload {
  uint64_t prompt = 512;  // prompt tokens (prefill)
  uint64_t gen = 128;     // generated tokens
  uint64_t depth = 0;     // tokens already in the KV cache before the phase
  uint32_t batch = 1;     // concurrent sequences
  uint32_t devices = 1;
  uint32_t tp = 1;  // tensor-parallel degree (1 = layer split across devices)
  // Expert parallelism across the tensor-parallel group (vLLM --enable-expert-parallel, SGLang
  // --ep-size, TensorRT-LLM moe_expert_parallel_size): 1, or tp, whose devices then hold whole
  // experts (n_experts / ep each) instead of a 1/tp slice of every expert.
  uint32_t ep = 1;
  TensorType kv_type = TensorType::kF16;
  uint32_t ubatch = 0;  // prefill tokens per pass (0 = runtime default)
  // llama.cpp --split-mode row across `devices`: every dense weight matrix split by rows, each
  // matmul's input sent to every device and the partial results gathered on the main device,
  // which also holds the whole KV cache and runs attention.
  bool row_split = false;
};

struct Costing {
  double amortization_years = 3.0;
  double usd_per_kwh = 0.15;
  std::optional<double> rental_usd_per_hour;
};

// One operator's contribution, for `explain`.
struct OpCost {
  std::string phase;  // prefill | decode
  std::string where;  // device | host | link
  std::string name;   // attn_proj, attention, ffn, moe_experts, lm_head, all_reduce, ...
  double count = 0;   // layers (or transfers) it covers
  double flops = 0;
  double bytes = 0;
  double time_s = 0;
  std::string bound;  // compute | memory | host link | overhead
  int pass = 0;       // prefill ubatch index
};

struct PhaseResult {
  double time_s = 0;
  double compute_s = 0, memory_s = 0, link_s = 0, host_s = 0, overhead_s = 0;
  std::string limit;  // what dominates: compute, memory, host memory, host link, interconnect, overhead
};

struct Prediction {
  PhaseResult prefill, prefill_bound;  // the whole prompt (all sequences of the batch)
  PhaseResult decode, decode_bound;    // one step at the mean depth of generation
  double pp_tok_s = 0, pp_tok_s_bound = 0;
  double tg_tok_s = 0, tg_tok_s_bound = 0;              // per sequence
  double tg_batch_tok_s = 0, tg_batch_tok_s_bound = 0;  // all sequences together
  double ttft_s = 0, ttft_s_bound = 0;
  double e2e_s = 0, e2e_s_bound = 0;
  double power_w = 0;
  std::optional<double> joules_per_token;
  std::optional<double> usd_per_mtok;
  std::vector<OpCost> ops;  // filled when requested
};

struct PerfContext {
  const PreparedModel& model;
  const HardwareSpec& hw;
  const RuntimeProfile& rt;
  const MemoryPlan& plan;  // offload split (layers on device)
  const Efficiency& eff;
};

Prediction Predict(const PerfContext& ctx, const PerfWorkload& w, const Costing& cost = {}, bool with_ops = false);

// Saturated throughput (output tokens/s over all requests) for requests of `isl` input and
// `osl` output tokens with continuous batching at concurrency `batch` (prefill and decode
// share the device). Returns expected and bound.
struct Throughput {
  double tok_s = 0, tok_s_bound = 0;
  uint32_t batch = 0;
};
// `bound_concurrency` (0: `batch`): the most sequences any schedule could run at once; the bound
// is ServingThroughputBound at that concurrency. `step_overhead_s`: what the serving stack adds
// to every decode step beyond the kernels (the expected value only; the bound has none).
Throughput SaturatedThroughput(const PerfContext& ctx, uint64_t isl, uint64_t osl, uint32_t batch,
                               const PerfWorkload& base, double bound_concurrency = 0, double step_overhead_s = 0);

// One forward pass of continuous batching: prefill chunks (each `tokens` prompt tokens from
// position `start`; `last` when it ends the prompt and yields the first token) and decoding
// sequences together, each at its own position. The serving simulator prices every step with it.
struct StepBatch {
  struct Chunk {
    double start = 0, tokens = 0;
    bool last = false;
  };
  std::vector<Chunk> chunks;
  double decode_seqs = 0;
  double decode_ctx_sum = 0;        // KV tokens the decoding sequences attend to, summed
  double decode_ctx_sum_local = 0;  // the same, each capped at the sliding window
};
// The step's time in seconds: expected (the context's efficiencies) or the bound. `w` gives the
// devices, TP degree and KV type. 0 for an empty step.
double StepTime(const PerfContext& c, const PerfWorkload& w, const StepBatch& b, bool bound);

// A step's work at peak, per side: FLOPs at the peak and bytes at full bandwidth, in seconds.
struct StepWork {
  double compute_s = 0, memory_s = 0, link_s = 0, host_s = 0;
};
StepWork StepWorkAtPeak(const PerfContext& c, const PerfWorkload& w, const StepBatch& b);

// The physical bound on output tokens/s of a server running requests of `isl` in and `osl` out at
// up to `concurrency` at once: the whole overlapped run, max(all FLOPs / peak, all bytes /
// bandwidth), prefill sharing the decode steps' weight reads. No measured run may beat it.
double ServingThroughputBound(const PerfContext& c, const PerfWorkload& w, uint64_t isl, uint64_t osl,
                              double concurrency);

// Expected number of distinct experts a layer touches when `tokens` tokens each pick k of E:
// E * (1 - (1 - k/E)^tokens).
double DistinctExperts(double n_experts, double k, double tokens);

// Expert parallelism over `ep` devices, each holding n_experts / ep whole experts: a step waits
// for the busiest device. `flops_factor` is that device's token-expert assignments over the
// mean (the expected maximum of tokens x k assignments routed uniformly at random into ep
// devices: exact under the Poisson approximation up to a mean of 64 per device, the normal
// tail beyond); `distinct_fraction` the fraction of its own experts those assignments touch
// (the weights it must read). ep = 1: {1, DistinctExperts / E}.
struct ExpertParallelLoad {
  double flops_factor = 1;
  double distinct_fraction = 1;
};
ExpertParallelLoad BusiestExpertDevice(double n_experts, double k, double tokens, double ep);

}  // namespace tokcast
