// Serving benchmark results from the tools people already run, into tokcast's serving metrics
// (vllm bench serve's definitions):
//   - `vllm bench serve --save-result` JSON (and `--append-result` JSON lines);
//   - SGLang `bench_serving --output-file` JSON lines;
//   - GenAI-Perf `profile_export_genai_perf.json` and AIPerf `profile_export_aiperf.json`;
//   - GuideLLM `benchmarks.json` (every benchmark of a sweep).
// Where a tool's metric means something else it is mapped by its definition, never by its name:
// GenAI-Perf's and AIPerf's `inter_token_latency` and GuideLLM's `inter_token_latency_ms` are a
// request's (E2E - TTFT) / (output tokens - 1), vLLM's TPOT; GuideLLM's
// `time_per_output_token_ms` counts the first token and is not used.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "serve/metrics.h"
#include "serve/workload.h"

namespace tokcast::catalog {

struct ImportedServeRun {
  std::string tool;     // "vllm bench serve", "sglang bench_serving", "genai-perf", "aiperf", "guidellm"
  std::string version;  // the tool's, where the file says
  std::string model, backend, date;
  serve::WorkloadSpec workload;  // arrival, rate or concurrency, requests, mean lengths
  serve::ServeMetrics metrics;   // seconds; what the file lacks stays 0 and is listed in `missing`
  std::vector<std::string> missing;
  std::vector<std::string> notes;
};

// Detects the tool from the content (`tool` = "auto") or reads it as `tool` ("vllm", "sglang",
// "genai-perf", "aiperf", "guidellm"). Throws InputError naming the file and the record.
std::vector<ImportedServeRun> ParseServeResults(std::string_view text, const std::string& origin,
                                                std::string_view tool = "auto");

// llama-batched-bench output (its markdown table or `--output-format jsonl`) as measurement
// rows: tg (B = 1) and tg_batch (B > 1) at depth PP, pp for B = 1.
struct BatchedBenchRow {
  uint64_t pp = 0, tg = 0, batch = 1, n_kv = 0;
  double t_pp = 0, speed_pp = 0, t_tg = 0, speed_tg = 0;
  bool pp_shared = false;
};
std::vector<BatchedBenchRow> ParseLlamaBatchedBench(std::string_view text, const std::string& origin);

}  // namespace tokcast::catalog
