// tokcast bench serve: a real server under the simulator's workloads, measured with the
// simulator's metrics (vllm bench serve's definitions), optionally beside the simulator's
// prediction for the same workload; stored in the results database.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/simulate.h"
#include "catalog/catalog.h"
#include "report/schema.h"
#include "serve/metrics.h"

namespace tokcast::app {

struct BenchServeRequest {
  std::string url, api = "completions", served_model;
  serve::WorkloadSpec workload;
  std::string trace_path;  // requests from a JSON Lines trace (catalog/trace.h) instead of `workload`
  uint64_t warmup = 0;     // requests sent first and not measured
  serve::Slo slo;
  double timeout_s = 600;
  std::optional<SimulateRequest> predict;  // hardware, model, runtime, quant: the simulator beside
  bool store = true;
  std::string db_path;
  const std::atomic<bool>* stop = nullptr;       // Ctrl-C: end the run, keep what was measured
  std::function<void(size_t, size_t)> progress;  // requests done, of total
};

struct BenchServeResult {
  std::string url, api, model;
  serve::WorkloadSpec workload;
  bool trace = false;         // the requests came from a trace file
  serve::SimResult measured;  // the run in the simulator's terms
  serve::ServeMetrics metrics;
  size_t errors = 0;
  std::string first_error;
  double client_us_per_chunk = 0;
  uint64_t cached_tokens = 0;  // prompt tokens the server took from its cache (should be 0)
  // Means of the server's own timings, where it reports them (llama-server).
  std::optional<double> server_prompt_ms, server_ms_per_token;
  std::string server;  // what /version, /props or /v1/models said
  // The server's Prometheus /metrics (vLLM, SGLang, llama-server --metrics), where exposed:
  // {"before": {...}, "after": {...}, "delta": {counters}, "peak": {gauges sampled each second}}.
  nlohmann::json server_metrics;
  std::optional<SimulateResult> predicted;
  std::optional<int64_t> run_id;
  // Imported from another tool's result file: which tool, the metrics it lacks ("TTFT p90"), notes.
  std::string tool;
  std::vector<std::string> missing, notes;
  // Stopped early (Ctrl-C): requests never sent and those cancelled in flight, both left out.
  bool interrupted = false;
  size_t not_sent = 0, cancelled = 0;
};

// Throws InputError for bad options or a server that cannot be reached at all.
BenchServeResult BenchServe(const catalog::Catalog& cat, const BenchServeRequest& request);
report::Report BenchServeReport(const BenchServeResult& result);

// Serving results from other tools (vllm bench serve, SGLang bench_serving, GenAI-Perf, AIPerf,
// GuideLLM; catalog/serve_import.h) stored as bench-serve runs, each beside the simulator's
// prediction for its workload when `predict` names the hardware, model and runtime it ran on.
struct ImportServeRequest {
  std::string file, tool = "auto";
  std::optional<SimulateRequest> predict;
  bool store = true;
  std::string db_path;
};
std::vector<BenchServeResult> ImportServe(const catalog::Catalog& cat, const ImportServeRequest& request);
report::Report ImportServeReport(const std::vector<BenchServeResult>& runs);

}  // namespace tokcast::app
