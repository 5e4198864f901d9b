// RuntimeProfile: an inference engine + backend (llama.cpp per backend, MLX, vLLM, SGLang,
// TensorRT-LLM, Ollama): its features and the device memory it takes for itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/quant.h"

namespace tokcast {

// What happens to weights that do not fit in device memory.
enum class OffloadStyle : uint8_t {
  kHostLayers,  // whole layers run on the host CPU from host memory (llama.cpp -ngl)
  kStream,      // weights live in host memory and cross the host link every step (vLLM --cpu-offload-gb)
  kNone,        // everything must fit
  kCount
};
std::string_view ToString(OffloadStyle s);
std::optional<OffloadStyle> OffloadStyleFromString(std::string_view name);

// How a serving runtime schedules requests (data/runtimes/*.toml [scheduler]), for the serving
// simulator. Overheads are stated priors until serving measurements calibrate them.
struct SchedulerDefaults {
  std::string policy = "continuous";  // continuous (vLLM, SGLang, TensorRT-LLM) or slots (llama-server, Ollama)
  uint32_t block_size = 16;           // KV block, tokens
  bool chunked_prefill = true;
  uint32_t max_num_seqs = 256;
  uint32_t max_batched_tokens = 2048;  // tokens per step
  // Larger defaults on large GPUs (vLLM: >= 70 GiB and not an A100 -> 1024 seqs, 8192 tokens).
  double large_gpu_gib = 0;  // 0: no such rule
  uint32_t large_gpu_max_num_seqs = 0, large_gpu_max_batched_tokens = 0;
  std::vector<std::string> large_gpu_exclude;  // lower-case name parts the rule skips ("a100")
  double step_overhead_s = 0;                  // per step: scheduling, sampling, launches beyond the kernels
  double request_overhead_s = 0;               // per request: HTTP, tokenization, detokenization
  double frontend_s = 0;                       // per request, serialized in the API server (one event loop)
  double seq_overhead_s = 0;                   // per sequence per step: sampling, detokenization, streaming
  // These overheads were measured on the user's own server (calibrate --serving): they take
  // precedence over the shipped profile's fit to published runs.
  bool overheads_measured = false;
  bool fp8_kv_for_fp8_weights = false;  // FP8 checkpoints run an FP8 KV cache
  bool prefix_caching = false;          // shared prompt prefixes are computed once and reused
};

// A calendar day as days since 1970-01-01 (the unit of build dates and eras).
using Day = int32_t;
// "2024-08-26" or "2024-08" (the first of the month); nullopt for anything else or an impossible date.
std::optional<Day> ParseIsoDay(std::string_view s);
std::string FormatIsoDay(Day d);

// A span of a runtime's builds whose kernels ran at another speed than today's: from the previous
// era's end (or the beginning) up to `until`, when `what` changed. Builds after the last era's end
// are the current era, the one the efficiencies are calibrated for. An era's speed relative to
// the current one is fitted on measured rows of its builds (tokcast calibrate), one factor for the
// GEMMs and one for memory streaming per era (never one per row); until rows exist, its stated
// priors stand.
struct RuntimeEra {
  std::string id;  // "2024"
  Day until = 0;   // exclusive
  std::string what;
  double prior_compute = 1, prior_memory = 1;
  std::vector<std::string> sources;
};

// A runtime that wraps another's kernels (Ollama over llama.cpp) and runs at its own speed
// relative to it: fitted on its rows, relative to the stand-in's efficiencies.
struct RelativeSpeed {
  double compute = 1, memory = 1;  // priors until rows fit them
  std::vector<std::string> sources;
};

// How the runtime's matmul kernels change with the tokens of a decode step (its dispatch rules):
// matrix-vector kernels up to `matvec_max_tokens` columns (weights streamed once, the dot
// products on the vector ALUs), tiled GEMMs above, whose column count is padded to
// `gemm_tile_tokens`; MoE experts run one matrix-vector product per token and chosen expert
// (each reads that expert's weights) below `moe_gemm_min_tokens`, and grouped GEMMs over the
// distinct experts from there. All 0: not stated (every batched decode step as one
// small-batch matmul at the entry's decode_compute).
struct DecodeKernels {
  uint32_t matvec_max_tokens = 0;
  uint32_t gemm_tile_tokens = 0;
  uint32_t moe_gemm_min_tokens = 0;
  // Flash attention in prefill: query rows (tokens x query heads sharing one KV head) per block,
  // each block streaming its KV head once. 0: tiles of 64 tokens, every query head on its own.
  uint32_t fa_query_rows = 0;
  // Flash attention over at most this many query tokens per sequence runs the vector kernel
  // (dot products on the SIMD units, not the matrix units: decode and small batches; llama.cpp
  // Metal below 20), at the entry's decode_attention efficiency. 0: not stated (every pass at
  // the attention efficiency).
  uint32_t fa_vec_max_tokens = 0;
  std::vector<std::string> sources;
  bool Stated() const { return matvec_max_tokens > 0; }
};

struct RuntimeProfile {
  std::string id;
  std::string name;
  std::string engine;
  std::string backend;
  bool flash_attention = true;
  // MLA prefill in the absorbed form (attention over the cached latent, kv_lora_rank + rope
  // dims per head, as decode does; llama.cpp), rather than over keys and values decompressed
  // per head (vLLM, SGLang, TensorRT-LLM).
  bool mla_absorbed_prefill = false;
  bool paged_kv = false;
  bool continuous_batching = false;
  bool embedding_on_host = false;  // llama.cpp keeps token_embd in host memory
  bool kv_preallocated = true;     // KV for the whole context is reserved up front
  OffloadStyle offload = OffloadStyle::kNone;
  double context_overhead_bytes = 0;  // driver context, workspaces, graphs
  double device_memory_fraction = 1.0;
  uint32_t ubatch_tokens = 512;
  // Precision the GEMMs run in: for quantized weights (llama.cpp CUDA MMQ: int8) and for
  // 16-bit weights (llama.cpp CUDA: FP16 accumulate). FP8/FP4 recipes use their own.
  Precision quantized_precision = Precision::kFp16;
  Precision dense_precision = Precision::kFp16;
  uint32_t max_batch = 256;  // most concurrent sequences the server schedules
  // Where it runs and what it loads: hardware vendors (empty = any), hardware classes (empty =
  // any), weight formats of QuantRecipe::format (empty = any), tensor parallelism.
  std::vector<std::string> vendors;
  std::vector<std::string> classes;
  std::vector<std::string> formats;
  bool tensor_parallel = false;
  bool row_split = false;  // llama.cpp --split-mode row (CUDA and HIP backends)
  // Its kernels differ by hardware vendor (ggml-vulkan picks its matmul pipelines by the
  // device's vendor and driver): calibration groups are runtime x class x vendor, and a vendor
  // without rows never takes another vendor's fit.
  bool per_vendor_efficiency = false;
  SchedulerDefaults scheduler;
  DecodeKernels kernels;
  std::string efficiency_like;  // runtime whose calibrated efficiencies stand in for this one
  // Per hardware vendor ("Apple") or class ("cpu", checked first): the runtime that stands in on
  // it (Ollama runs llama.cpp's Metal backend on a Mac, CUDA on NVIDIA); else efficiency_like.
  std::vector<std::pair<std::string, std::string>> efficiency_like_by;
  // Set for a wrapper: its rows fit these two factors, not a group of their own.
  std::optional<RelativeSpeed> relative_speed;
  std::vector<RuntimeEra> eras;  // sorted by `until`
  std::string era;               // the era a prediction is for ("" = current builds)
  std::string notes;
  std::vector<std::string> sources;
};

std::optional<std::string> Validate(const RuntimeProfile& rt);

// The era of `rt` a build released on `day` belongs to ("" = current).
std::string EraOn(const RuntimeProfile& rt, Day day);
const RuntimeEra* FindEra(const RuntimeProfile& rt, std::string_view id);

// Release days of numbered builds (llama.cpp's b3622), interpolated between anchors and
// extrapolated along the nearest two; nullopt with fewer than two anchors.
std::optional<Day> BuildDay(const std::vector<std::pair<uint32_t, Day>>& anchors, uint32_t build);

}  // namespace tokcast
