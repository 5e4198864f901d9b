// tokcast simulate: a model served by a runtime on hardware under a workload, step by step.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/perf_model.h"
#include "report/schema.h"
#include "serve/metrics.h"
#include "serve/simulator.h"

namespace tokcast::app {

struct SimulateRequest {
  std::string model, hardware;
  std::string quant;            // empty: the runtime family's usual 4-bit or 16-bit weights
  std::string runtime;          // empty: the platform's default runtime
  std::string runtime_version;  // the runtime's build or release date: its build era ("": current builds)
  uint32_t devices = 1, tp = 1;
  uint32_t ep = 1;                    // expert parallelism: 1, or tp (whole experts per device)
  std::optional<TensorType> kv_type;  // empty: FP8 for FP8/FP4 weights where the runtime does so, else f16
  std::optional<double> memory_gib;
  serve::WorkloadSpec workload;
  std::string trace_path;  // JSON Lines trace instead of a generated workload
  std::optional<uint32_t> max_num_seqs, max_batched_tokens;
  std::optional<bool> prefix_caching;  // instead of the runtime's default
  // Data parallelism: identical replicas (each `tp` x `pp` devices) behind a round-robin balancer.
  uint32_t replicas = 1;
  // Pipeline parallelism: each replica's layers in `pp` stages on their own devices, `pp`
  // batches in flight (vLLM's virtual engines), each with its share of the KV pool.
  uint32_t pp = 1;
  // Disaggregated serving: prefill and decode pools of this many replicas (0: aggregated), the
  // KV crossing a link of kv_link_gbs GB/s per replica (default: the scale-up link, else 50).
  uint32_t prefill_replicas = 0, decode_replicas = 0;
  std::optional<double> kv_link_gbs;
  // Instead of the fitted (or the runtime's stated) overheads: serving calibration tries these.
  std::optional<ServingOverheads> overheads;
  serve::Slo slo;
  std::string profile_path;
  const EfficiencyProfile* profile = nullptr;  // instead of profile_path (validation), not owned
  bool per_request = false;
};

// The overheads the simulator adds for `rt`: the runtime's own when measured on the user's server
// (calibrate --serving), else those fitted in `profile` to published runs (tokcast calibrate),
// else the runtime's stated priors.
ServingOverheads EffectiveOverheads(const RuntimeProfile& rt, const EfficiencyProfile& profile);

struct SimulateResult {
  std::string hardware, model, quant, runtime;
  uint32_t devices = 1, tp = 1;  // devices: of the whole fleet
  uint32_t ep = 1;
  bool overheads_fitted = false;  // the profile's fitted overheads, not the runtime's priors
  uint32_t replicas = 1, prefill_replicas = 0, decode_replicas = 0, pp = 1;
  double kv_link_bytes_per_s = 0;  // disaggregated: what moves each prompt's KV
  TensorType kv_type = TensorType::kF16;
  serve::WorkloadSpec workload;
  bool trace = false;
  serve::SchedulerConfig scheduler;
  serve::SimResult sim;
  serve::ServeMetrics metrics;
  double output_throughput_bound = 0;  // tok/s no schedule can beat (ServingThroughputBound)
  double bound_concurrency = 0;
  // Latency floors: one prefill of the shortest prompt, one decode step alone (at peak).
  double ttft_bound_s = 0, tpot_bound_s = 0;
  std::string stand_in;                   // borrowed calibration group, "" when the runtime has its own
  std::vector<std::string> factor_notes;  // FactorNotes(): relative speed, build era
  bool per_request = false;
};

// A request as stored with a measured run (hardware, model, runtime, workload), and back.
nlohmann::json SimulateRequestJson(const SimulateRequest& request);
SimulateRequest SimulateRequestFromJson(const nlohmann::json& j);  // throws InputError

// Throws InputError for unknown ids, combinations that cannot run, a model that does not fit
// beside a KV pool, and workloads that cannot be.
SimulateResult Simulate(const catalog::Catalog& cat, const SimulateRequest& request);
report::Report SimulateReport(const SimulateResult& result);
// One row per run of a load sweep (the same setup at several request rates or concurrencies).
report::Report SimulateSweepReport(const std::vector<SimulateResult>& runs);

// The scheduler a runtime runs with on this hardware (its large-GPU defaults applied).
serve::SchedulerConfig SchedulerFor(const RuntimeProfile& rt, const HardwareSpec& hw, double capacity_gib);

}  // namespace tokcast::app
