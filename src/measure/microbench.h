// Micro-benchmarks of the local machine: host facts, sustained memory bandwidth (STREAM-style,
// all cores, buffers far larger than the caches) and matmul throughput per weight format, each
// with warm-up, repetitions, median and spread, and warnings when a number is unreliable.
// The only code (with the probe engine) that times things.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "measure/stat.h"

namespace tokcast::measure {

struct HostFacts {
  std::string cpu_model;
  std::string arch;  // x86_64, aarch64
  std::string os;
  unsigned logical_cores = 1;
  std::vector<std::string> simd;  // avx2, fma, f16c, avx512f, neon, ...
  std::string kernel_path;        // SIMD path the kernels were built for
  uint64_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;
  uint64_t memory_bytes = 0;
  std::string cpu_governor;  // Linux cpufreq governor, when readable
  double load_average = 0;   // 1-minute load when starting
  bool debug_build = false;
};
HostFacts ProbeHost();

// Warnings that make numbers unreliable (debug build, power-saving governor, busy machine).
std::vector<std::string> ReliabilityWarnings(const HostFacts& host, double spread);

struct BandwidthResult {
  Stat copy, triad, read;  // bytes/s; STREAM convention (no write-allocate traffic counted)
  uint64_t buffer_bytes = 0;
  unsigned threads = 1;
};
BandwidthResult MeasureBandwidth(unsigned threads, uint64_t buffer_bytes, int reps);

class ThreadPool;
// Read bandwidth (bytes/s) of existing memory, split across the pool's threads: the STREAM read
// kernel over `bytes` at `data`, one warm-up then `reps` timed passes. The probe engine uses it
// on its own weights, so decode can be compared with the pages it actually reads.
Stat MeasureReadBandwidth(ThreadPool& pool, const uint8_t* data, size_t bytes, int reps);

struct MatmulResult {
  TensorType type = TensorType::kF32;
  Stat flops_per_s;
  size_t rows = 0, in = 0, tokens = 0;
};
// Multiplies a rows x in weight matrix of `type` by `tokens` activation vectors.
MatmulResult MeasureMatmul(TensorType type, unsigned threads, size_t rows, size_t in, size_t tokens, int reps);

}  // namespace tokcast::measure
