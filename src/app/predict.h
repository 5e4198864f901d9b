// tokcast predict / compare / explain: speed, energy and cost of a workload over a sweep, each
// as the physical bound and the calibrated expectation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/perf_model.h"
#include "core/validation.h"
#include "report/schema.h"

namespace tokcast::app {

struct ClaimCheck {
  std::string metric;  // tg, pp, ttft
  double claimed = 0, bound = 0, expected = 0;
  bool possible = true;
  std::optional<double> exceeds_bound_by;
  std::string source;  // who claimed it
};

struct PredictRequest {
  std::vector<std::string> models, hardware;
  std::vector<std::string> quants = {"q4_k_m"};
  std::vector<std::string> runtimes;  // empty: each platform's default
  // The runtime's build or release date ("b3622", "2024-08-26"): selects its build era. Empty:
  // current builds.
  std::string runtime_version;
  std::vector<uint64_t> prompt = {512}, gen = {128}, depth = {0};
  std::vector<uint32_t> batch = {1}, devices = {1}, tp = {1};
  bool row_split = false;        // llama.cpp --split-mode row across the devices (default: layer)
  bool expert_parallel = false;  // MoE experts split whole across each tp > 1 group (vLLM --enable-expert-parallel)
  std::vector<TensorType>
      kv_types;  // empty: what the runtime uses for the weights (FP8 for FP8 checkpoints on servers, else f16)
  std::optional<double> memory_gib;
  std::string profile_path;          // empty: the built-in calibrated profile
  std::optional<uint64_t> isl, osl;  // saturated throughput
  std::vector<uint32_t> ubatch;      // prefill tokens per forward pass (llama.cpp -ub); empty: the runtime's
  // llama.cpp --n-cpu-moe N: the routed experts of the first N layers in host memory (UINT32_MAX:
  // every layer, --cpu-moe).
  std::optional<uint32_t> n_cpu_moe;
  std::optional<double> claim_tg, claim_pp, claim_ttft;
  Costing cost;
  std::string sort;  // tg, pp, ttft, cost, power, price, energy
  bool with_ops = false;
};

struct PredictRow {
  std::string hardware, model, quant, runtime;
  PerfWorkload workload;
  MemoryPlan plan;
  Prediction p;
  std::optional<Throughput> saturated;
  std::optional<double> price_usd;
  std::string price_date;
  std::string stand_in;                   // calibration group borrowed, "" when the runtime has its own
  std::vector<std::string> factor_notes;  // FactorNotes(): relative speed, build era
  std::vector<std::string> warnings;
  std::vector<ClaimCheck> claims;
  const PredictionIntervals* intervals = nullptr;  // the built-in profile's held-out intervals
};

struct PredictResult {
  std::vector<PredictRow> rows;
  std::string title;
};

// Throws InputError for unknown ids, bad values and combinations that cannot run.
PredictResult Predict(const catalog::Catalog& cat, const PredictRequest& request);
// Predict with the article's scenario filled in where the request leaves models and hardware
// empty, and the article's claims checked.
// "layer" or "row" (llama.cpp's --split-mode) as PredictRequest::row_split; InputError naming
// `where` for anything else.
bool RowSplitFrom(std::string_view mode, std::string_view where);

PredictResult Compare(const catalog::Catalog& cat, PredictRequest request, const std::string& article_id = "");
// One scenario, operator by operator.
struct ExplainResult {
  PredictRow row;
};
ExplainResult Explain(const catalog::Catalog& cat, PredictRequest request);

report::Report PredictReport(const PredictResult& result, bool compare);
report::Report ExplainReport(const ExplainResult& result);

// One claim against a prediction: possible when it does not beat the bound.
ClaimCheck CheckClaim(const std::string& metric, double claimed, const Prediction& p);

}  // namespace tokcast::app
