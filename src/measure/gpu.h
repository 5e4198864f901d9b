// GPU measurements for `tokcast bench machine` on NVIDIA GPUs: device memory bandwidth, host
// link bandwidth (pinned H2D / D2H) and cuBLAS GEMM throughput per precision. Built only when
// the CUDA toolkit is found (TOKCAST_CUDA); otherwise MeasureGpu says why there is none.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "measure/microbench.h"

namespace tokcast::measure {

struct GpuResult {
  std::string name;
  int compute_capability = 0;  // e.g. 90 for sm_90
  int sm_count = 0;
  double memory_bytes = 0;
  Stat device_copy;   // bytes/s, read + write counted
  Stat host_to_device, device_to_host;  // bytes/s, pinned memory
  std::map<std::string, Stat> gemm_flops;  // "fp32", "fp16" (FP32 accumulate), "fp16_fp16acc", "bf16", "int8"
};

bool GpuSupportCompiled();
// Measures device 0. nullopt (with `why_not` set) without CUDA support or without a device.
std::optional<GpuResult> MeasureGpu(int reps, std::string* why_not);

}  // namespace tokcast::measure
