#include "measure/machine_bench.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "core/text.h"

namespace tokcast::measure {

MachineBenchResult RunMachineBenchmark(const MachineBenchOptions& o, const Progress& progress) {
  if (o.reps < 1 || o.reps > 1000) throw std::invalid_argument("repetitions must be in 1..1000");
  if (o.rounds < 1 || o.rounds > 100) throw std::invalid_argument("rounds must be in 1..100");
  MachineBenchResult r;
  r.host = ProbeHost();
  r.threads = o.threads ? o.threads : r.host.logical_cores;
  if (r.threads > 1024) throw std::invalid_argument("threads must be in 1..1024");
  uint64_t buffer = o.buffer_bytes ? o.buffer_bytes : std::max<uint64_t>(256ull << 20, 8 * r.host.l3_bytes);
  if (buffer > r.host.memory_bytes / 4) throw std::invalid_argument("the STREAM buffers must fit in a quarter of RAM");
  // Memory bandwidth in rounds spread over the run (before and between the GEMMs): on a shared
  // machine it moves with other tenants for seconds at a time, and one burst or dip should not
  // become the machine's number.
  const std::vector<TensorType> formats = {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0};
  auto matmul = [&](TensorType t) {
    progress("matmul " + std::string(ToString(t)) + "...");
    // 512 tokens: one prefill chunk of the probe engine (llama-bench's pp512).
    r.matmul.push_back(MeasureMatmul(t, r.threads, 2048, 2048, 512, o.reps));
  };
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.rounds; ++i) {
    std::this_thread::sleep_until(start + std::chrono::seconds(i));
    progress("memory bandwidth (round " + std::to_string(i + 1) + " of " + std::to_string(o.rounds) + ")...");
    r.rounds.push_back(MeasureBandwidth(r.threads, buffer / 3, o.reps));
    if (static_cast<size_t>(i) < formats.size()) matmul(formats[static_cast<size_t>(i)]);
  }
  for (size_t i = r.matmul.size(); i < formats.size(); ++i) matmul(formats[i]);
  progress("arithmetic ceilings...");
  r.ceilings = MeasureCeilings(r.threads, o.reps);
  r.bandwidth = r.rounds.front();
  std::vector<double> read, copy, triad, best;
  for (const auto& b : r.rounds) {
    read.insert(read.end(), b.read.samples.begin(), b.read.samples.end());
    copy.insert(copy.end(), b.copy.samples.begin(), b.copy.samples.end());
    triad.insert(triad.end(), b.triad.samples.begin(), b.triad.samples.end());
    best.push_back(std::max({b.read.max, b.copy.max, b.triad.max}));
  }
  r.bandwidth.read = Summarize(read);
  r.bandwidth.copy = Summarize(copy);
  r.bandwidth.triad = Summarize(triad);
  r.round_best = Summarize(best);
  progress("GPU...");
  r.gpu = MeasureGpu(o.reps, &r.gpu_note);
  progress("");
  double spread = 0;
  for (const auto& b : r.rounds) spread = std::max({spread, b.read.Spread(), b.triad.Spread()});
  for (const auto& m : r.matmul) spread = std::max(spread, m.flops_per_s.Spread());
  r.warnings = ReliabilityWarnings(r.host, spread);
  if (r.round_best.Spread() > 0.2) {
    r.warnings.push_back("memory bandwidth moved between " + FormatFixed(r.round_best.min / 1e9, 1) + " and " +
                         FormatFixed(r.round_best.max / 1e9, 1) +
                         " GB/s across the run (other tenants?): the profile "
                         "keeps the median, " +
                         FormatFixed(r.round_best.median / 1e9, 1) + " GB/s");
  }
  // STREAM's "best rate" (fastest repetition) of the three kernels in each round, then the
  // median round: the best rate is what the memory sustains without other tenants' traffic in a
  // repetition, the median round what it sustains across the run.
  r.bandwidth_bytes_per_s = r.round_best.median;
  r.kernel_fp32_flops_per_s = r.matmul[0].flops_per_s.max;
  r.kernel_fp16_flops_per_s = r.matmul[1].flops_per_s.max;
  r.kernel_int8_flops_per_s = std::max(r.matmul[2].flops_per_s.max, r.matmul[3].flops_per_s.max);
  const Ceilings& c = r.ceilings;
  // The vector units' peaks (what calibrated CPU efficiencies are fractions of) and, apart, the
  // AMX tile unit's (the bound's; tokcast's own prefill GEMMs run there).
  const double fp16_ceiling = c.bf16_flops_per_s ? c.bf16_flops_per_s->max : c.fp32_flops_per_s.max;
  r.fp32_flops_per_s = std::max(r.kernel_fp32_flops_per_s, c.fp32_flops_per_s.max);
  r.fp16_flops_per_s = std::max(r.kernel_fp16_flops_per_s, fp16_ceiling);
  r.int8_flops_per_s = std::max(r.kernel_int8_flops_per_s, c.int8_ops_per_s.max);
  if (c.amx_int8_ops_per_s) r.matrix_int8_flops_per_s = c.amx_int8_ops_per_s->max;
  if (c.amx_bf16_flops_per_s) r.matrix_bf16_flops_per_s = c.amx_bf16_flops_per_s->max;
  return r;
}

}  // namespace tokcast::measure
