// Kernel throughput: matrix-vector (decode) and matrix-matrix (prefill) products per format.
//   ./build/bench/bench/tokcast_bench_kernels
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "measure/kernels.h"
#include "measure/large_buffer.h"
#include "measure/thread_pool.h"

namespace {

using namespace tokcast;
using namespace tokcast::measure;

void BM_MatMul(benchmark::State& state, TensorType t) {
  const size_t rows = static_cast<size_t>(state.range(0)), in = 2048, tokens = static_cast<size_t>(state.range(1));
  const unsigned threads = static_cast<unsigned>(state.range(2));
  std::mt19937 rng(1);
  std::normal_distribution<float> d;
  const size_t stride = RowBytes(t, in);
  std::vector<uint8_t> w(rows * stride);
  std::vector<float> tmp(in);
  ActivationVector x(tokens * in), y(tokens * rows);  // as the probe engine holds them
  for (size_t r = 0; r < rows; ++r) {
    for (auto& v : tmp) v = d(rng);
    QuantizeRow(t, tmp.data(), w.data() + r * stride, in);
  }
  for (auto& v : x) v = d(rng);
  WeightMatrix m{t, w.data(), rows, in, false};
  std::vector<uint8_t> packed;
  if (state.range(3) != 0 && CanInterleave(t)) {
    packed.resize(w.size());
    Interleave(t, w.data(), packed.data(), rows, in);
    m = {t, packed.data(), rows, in, true};
  }
  ThreadPool pool(threads);
  const bool amx = MatMulUsesAmx();
  EnableAmx(state.range(4) != 0);
  for (auto _ : state) MatMul(pool, m, x.data(), tokens, y.data(), rows);
  EnableAmx(amx);
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(w.size()) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * rows * in * tokens * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
// Args: rows, tokens, threads, interleaved (0: ggml layout, 1: the probe engine's layout), AMX
// (0: the vector kernels; 1: the tile unit for passes of 16+ tokens where the machine has one,
// else the same as 0). 4096 rows (4.5-8.5 MiB) stay in the last-level cache: the kernels' compute
// ceiling for decode.
BENCHMARK_CAPTURE(BM_MatMul, q4_0, TensorType::kQ4_0)
    ->ArgsProduct({{4096, 65536}, {1}, {2}, {0, 1}, {0}})
    ->ArgsProduct({{2048}, {128}, {2}, {0}, {0}})
    ->ArgsProduct({{2048, 16384}, {16, 128, 512}, {2}, {1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatMul, q8_0, TensorType::kQ8_0)
    ->ArgsProduct({{4096, 65536}, {1}, {2}, {0, 1}, {0}})
    ->ArgsProduct({{2048}, {128}, {2}, {0}, {0}})
    ->ArgsProduct({{2048, 16384}, {16, 128, 512}, {2}, {1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MatMul, f16, TensorType::kF16)
    ->Args({32768, 1, 2, 0, 0})
    ->Args({2048, 128, 2, 0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Attention-like float work (a softmax row's exp-weighted sum) on normal and on subnormal
// inputs, through the pool: with flush-to-zero both run at the same speed (compare the two
// cases' times in one run; on Intel cores without it the subnormal case is several times slower).
void BM_WeightedSum(benchmark::State& state) {
  const bool subnormal = state.range(0) != 0;
  const size_t n = 4096, rows = 256;
  std::vector<float> p(rows * n), v(n, 1.0f), out(rows);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.5f, 1.0f);
  for (auto& x : p) x = u(rng) * (subnormal ? 1e-40f : 1e-3f);
  ThreadPool pool(2);
  for (auto _ : state) {
    pool.ParallelFor(rows, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        float acc = 0;
        const float* row = p.data() + r * n;
        for (size_t i = 0; i < n; ++i) acc += row[i] * v[i] * 0.999f;
        out[r] = acc;
      }
    });
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(subnormal ? "subnormal inputs" : "normal inputs");
}
BENCHMARK(BM_WeightedSum)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
