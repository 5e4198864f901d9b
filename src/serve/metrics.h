// Serving metrics with the definitions of `vllm bench serve`: TTFT from the request's arrival
// (queueing included) to its first token; TPOT = (E2E - TTFT) / (output tokens - 1); ITL over
// every token gap, pooled; E2E; throughput over the run; goodput = requests meeting every SLO.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "serve/simulator.h"

namespace tokcast::serve {

struct Distribution {
  double mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
  size_t n = 0;
};
Distribution Distribute(std::vector<double> values);

struct Slo {
  std::optional<double> ttft_s, tpot_s;
};

struct ServeMetrics {
  size_t requests = 0, completed = 0, failed = 0;
  double duration_s = 0;          // first arrival to last completion
  double request_throughput = 0;  // completed requests / s
  double output_throughput = 0;   // output tokens / s
  double total_throughput = 0;    // input + output tokens / s
  double goodput = 0;             // requests / s meeting every SLO
  double slo_attainment = 0;      // share of completed requests meeting every SLO
  Distribution ttft_s, tpot_s, itl_s, e2e_s;
  uint64_t preemptions = 0, steps = 0;
  uint32_t peak_waiting = 0;
  double peak_kv_used_fraction = 0;
  // Low confidence: the queue kept growing, KV ran out or requests were preempted, where the
  // simulator's idealized scheduler is least like a real one.
  bool near_saturation = false;
  std::string confidence_note;
};

ServeMetrics Summarize(const SimResult& r, const Slo& slo);

}  // namespace tokcast::serve
