// Prediction speed: single-scenario predictions per second on one core.
//   cmake --preset bench && cmake --build --preset bench && ./build/bench/bench/tokcast_bench
// Target (performance-model issue): >= 200,000 predictions/s for a dense 8B model.
#include <benchmark/benchmark.h>

#include "catalog/catalog.h"
#include "catalog/measurements.h"
#include "core/perf_model.h"

namespace {

using namespace tokcast;

struct Fixture {
  catalog::Catalog cat = catalog::Catalog::Builtin();
  EfficiencyProfile profile = catalog::BuiltinEfficiencyProfile();
  ModelSpec spec;
  std::vector<TensorInfo> tensors;
  PreparedModel pm;
  ModelFootprint fp;

  Fixture(const char* model, const char* quant) {
    spec = cat.Model(model).spec;
    tensors = BuildTensorInventory(spec);
    ApplyRecipe(cat.Quant(quant), spec.n_layers, tensors);
    pm = PrepareModel(spec, tensors, &cat.Quant(quant));
    fp = MakeFootprint(spec, tensors);
  }
};

// One prediction: prefill + decode, expected and bound, energy and cost.
void BM_PredictDense8b(benchmark::State& state) {
  static Fixture f("llama-3.1-8b", "q4_k_m");
  const HardwareSpec& hw = f.cat.Hardware("nvidia-rtx-4090");
  const RuntimeProfile& rt = f.cat.Runtime("llama.cpp-cuda");
  const MemoryPlan plan = PlanMemory(f.spec, f.fp, hw, rt, Workload{640, 1, TensorType::kF16}, {}).plan;
  const PerfContext ctx{f.pm, hw, rt, plan, f.profile.For(rt, hw)};
  PerfWorkload w;
  uint64_t depth = 0;
  for (auto _ : state) {
    w.depth = depth++ & 1023;  // vary the input so nothing is hoisted
    benchmark::DoNotOptimize(Predict(ctx, w));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PredictDense8b);

// The same including the memory plan (what `tokcast predict` does per scenario).
void BM_PlanAndPredictDense8b(benchmark::State& state) {
  static Fixture f("llama-3.1-8b", "q4_k_m");
  const HardwareSpec& hw = f.cat.Hardware("nvidia-rtx-4090");
  const RuntimeProfile& rt = f.cat.Runtime("llama.cpp-cuda");
  PerfWorkload w;
  uint64_t depth = 0;
  for (auto _ : state) {
    w.depth = depth++ & 1023;
    const MemoryPlan plan = PlanMemory(f.spec, f.fp, hw, rt, Workload{w.depth + 640, 1, TensorType::kF16}, {}).plan;
    const PerfContext ctx{f.pm, hw, rt, plan, f.profile.For(rt, hw)};
    benchmark::DoNotOptimize(Predict(ctx, w));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PlanAndPredictDense8b);

void BM_PredictMoe(benchmark::State& state) {
  static Fixture f("qwen3-30b-a3b", "q4_k_m");
  const HardwareSpec& hw = f.cat.Hardware("apple-m4-max-40c");
  const RuntimeProfile& rt = f.cat.Runtime("llama.cpp-metal");
  const MemoryPlan plan = PlanMemory(f.spec, f.fp, hw, rt, Workload{640, 1, TensorType::kF16}, {}).plan;
  const PerfContext ctx{f.pm, hw, rt, plan, f.profile.For(rt, hw)};
  PerfWorkload w;
  for (auto _ : state) benchmark::DoNotOptimize(Predict(ctx, w));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PredictMoe);

}  // namespace

BENCHMARK_MAIN();
