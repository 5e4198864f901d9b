// GPU measurements for `tokcast bench machine` on NVIDIA GPUs: device memory bandwidth, host
// link bandwidth (pinned H2D / D2H) and cuBLAS GEMM throughput per precision. The CUDA code is a
// separate module (libtokcast_gpu.so, built when the CUDA toolkit is found) that MeasureGpu
// loads on demand, so no other command pays for the CUDA libraries.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "measure/stat.h"

namespace tokcast::measure {

struct GpuResult {
  std::string name;
  int compute_capability = 0;  // e.g. 90 for sm_90
  int sm_count = 0;
  double memory_bytes = 0;
  Stat device_copy;                        // bytes/s, read + write counted
  Stat host_to_device, device_to_host;     // bytes/s, pinned memory
  std::map<std::string, Stat> gemm_flops;  // "fp32", "fp16" (FP32 accumulate), "fp16_fp16acc", "bf16", "int8"
};

// Measures device 0. nullopt (with `why_not` set) without the GPU module, CUDA or a device.
std::optional<GpuResult> MeasureGpu(int reps, std::string* why_not);

}  // namespace tokcast::measure

// The module's entry point (C linkage, looked up with dlsym): returns 1 and fills `out`, or 0
// and sets `why_not`.
extern "C" int tokcast_gpu_measure(int reps, tokcast::measure::GpuResult* out, std::string* why_not);
