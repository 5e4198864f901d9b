// Serving simulator speed: the serving issue's case, 10,000 requests of Llama-3.1-8B (BF16) on
// one H100 with vLLM, Poisson arrivals at 20 req/s, ISL/OSL 1000/200, on one core.
//   cmake --preset bench && cmake --build --preset bench && ./build/bench/bench/tokcast_bench_simulate
// Target: under 1 s per run (Vidur needs minutes for this).
#include <benchmark/benchmark.h>

#include "app/simulate.h"
#include "catalog/catalog.h"

namespace {

using namespace tokcast;

void BM_Simulate10kRequests(benchmark::State& state) {
  const catalog::Catalog cat = catalog::Catalog::Builtin();
  app::SimulateRequest r;
  r.model = "llama-3.1-8b";
  r.hardware = "nvidia-h100-sxm";
  r.runtime = "vllm";
  r.workload.rate = 20;
  r.workload.num_requests = 10000;
  r.workload.isl = {1000, 1000};
  r.workload.osl = {200, 200};
  uint64_t steps = 0;
  for (auto _ : state) {
    const auto s = app::Simulate(cat, r);
    steps = s.metrics.steps;
    benchmark::DoNotOptimize(s.metrics.output_throughput);
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["steps_per_s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Simulate10kRequests)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
