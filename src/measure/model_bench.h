// The timing loop of `tokcast bench model`: llama-bench's pp/tg tests on the probe engine, with
// the read bandwidth of the model's own weight pages around each decode run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "measure/microbench.h"
#include "measure/probe.h"
#include "measure/thread_pool.h"

namespace tokcast::measure {

struct ModelBenchOptions {
  uint64_t prompt = 512, gen = 128, depth = 0;  // 0 skips a test
  int reps = 5;
};

struct ModelBenchResult {
  std::vector<double> pp_tok_s, tg_tok_s;  // one per repetition, warm-up excluded
  // Read bandwidth of the engine's own weight pages around each decode run (empty for models
  // under 64 MiB of owned weights).
  std::vector<double> weights_read_bytes_per_s;
};

// One warm-up, then `reps` repetitions of each test; `progress` gets "repetition i/n".
ModelBenchResult RunModelBenchmark(ProbeModel& model, ThreadPool& pool, const ModelBenchOptions& options,
                                   const std::function<void(const std::string&)>& progress);

}  // namespace tokcast::measure
