// The whole `tokcast bench machine` measurement: memory bandwidth in rounds spread over the run,
// matmul throughput per weight format, the GPU when there is one, and the warnings that make a
// number unreliable.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "measure/ceilings.h"
#include "measure/gpu.h"
#include "measure/microbench.h"

namespace tokcast::measure {

using Progress = std::function<void(const std::string& what)>;

struct MachineBenchOptions {
  unsigned threads = 0;       // 0: every logical core
  int reps = 5;               // timed repetitions per measurement
  int rounds = 7;             // bandwidth rounds, a second apart
  uint64_t buffer_bytes = 0;  // STREAM arrays together; 0: 8x the last-level cache, at least 256 MiB
};

struct MachineBenchResult {
  HostFacts host;
  unsigned threads = 1;
  std::vector<BandwidthResult> rounds;
  BandwidthResult bandwidth;         // every round's samples together
  Stat round_best;                   // the best rate of each round
  std::vector<MatmulResult> matmul;  // F32, F16, Q8_0, Q4_0 (tokcast's own GEMMs)
  Ceilings ceilings;                 // the instruction sets' peaks, apart from any kernel
  std::optional<GpuResult> gpu;
  std::string gpu_note;  // why there is no GPU measurement
  std::vector<std::string> warnings;
  // The ceilings a hardware profile keeps: the median round of STREAM's best rate, and per
  // precision the instruction set's peak (fp16 = the BF16 dot product's where the CPU has one,
  // else FMA's), or tokcast's fastest GEMM where that is higher.
  double bandwidth_bytes_per_s = 0;
  double fp32_flops_per_s = 0, fp16_flops_per_s = 0, int8_flops_per_s = 0;
  // tokcast's fastest GEMM per precision (int8 = the faster of Q8_0 and Q4_0), for its fraction.
  double kernel_fp32_flops_per_s = 0, kernel_fp16_flops_per_s = 0, kernel_int8_flops_per_s = 0;
  // The AMX tile unit's ceilings, where measured (0 otherwise).
  double matrix_int8_flops_per_s = 0, matrix_bf16_flops_per_s = 0;
};

// Throws std::invalid_argument for options out of range.
MachineBenchResult RunMachineBenchmark(const MachineBenchOptions& options, const Progress& progress);

}  // namespace tokcast::measure
