// libFuzzer target: serving benchmark results (vllm bench serve, SGLang bench_serving, GenAI-Perf,
// AIPerf, GuideLLM; detected from the content) and llama-batched-bench output, as `tokcast
// import serve` and `tokcast import llama-batched-bench` read them. Any input must import or
// raise InputError, and every imported figure is finite and not negative.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "catalog/error.h"
#include "catalog/serve_import.h"
#include "fuzz_target.h"

namespace {

void CheckDist(const tokcast::serve::Distribution& d) {
  for (double v : {d.mean, d.median, d.p90, d.p95, d.p99, d.max})
    if (!std::isfinite(v)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  const std::string text(fuzz::Text(data, size));
  bool deepest = false;
  try {
    for (const auto& r : catalog::ParseServeResults(text, "fuzz.json")) {
      const auto& m = r.metrics;
      for (double v : {m.duration_s, m.request_throughput, m.output_throughput, m.total_throughput})
        if (!std::isfinite(v) || v < 0) __builtin_trap();
      CheckDist(m.ttft_s);
      CheckDist(m.tpot_s);
      CheckDist(m.itl_s);
      CheckDist(m.e2e_s);
      if (!(r.workload.rate > 0) || r.workload.isl.min == 0 || r.workload.osl.min == 0) __builtin_trap();
      deepest = true;
    }
  } catch (const catalog::InputError&) {
  }
  try {
    for (const auto& b : catalog::ParseLlamaBatchedBench(text, "fuzz.md")) {
      if (!std::isfinite(b.speed_tg) || !std::isfinite(b.speed_pp) || b.batch == 0) __builtin_trap();
    }
  } catch (const catalog::InputError&) {
  }
  if (deepest) fuzz::ReachedDeepest();
  return 0;
}
