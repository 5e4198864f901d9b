// The timing loop of `tokcast bench model`: llama-bench's pp/tg tests on the probe engine, with
// the read bandwidth of the model's own weight pages around each decode run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "measure/microbench.h"
#include "measure/probe.h"
#include "measure/thread_pool.h"

namespace tokcast::measure {

struct ModelBenchOptions {
  uint64_t prompt = 512, gen = 128, depth = 0;  // 0 skips a test
  int reps = 5;
  bool profile = false;  // one more run of each test with a per-operator profile
};

struct ModelBenchResult {
  std::vector<double> pp_tok_s, tg_tok_s;  // one per repetition, warm-up excluded
  // Read bandwidth of the engine's own weight pages around each decode run (empty for models
  // under 64 MiB of owned weights).
  std::vector<double> weights_read_bytes_per_s;
  // Per-operator profiles of one extra prefill and one extra decode run (options.profile).
  std::optional<ProbeProfile> pp_profile, tg_profile;
};

// One warm-up, then `reps` repetitions of each test (then the profiled runs, which are not
// timed with the rest); `progress` gets "repetition i/n".
ModelBenchResult RunModelBenchmark(ProbeModel& model, ThreadPool& pool, const ModelBenchOptions& options,
                                   const std::function<void(const std::string&)>& progress);

}  // namespace tokcast::measure
