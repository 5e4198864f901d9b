#include "measure/gpu.h"

namespace tokcast::measure {

bool GpuSupportCompiled() { return false; }

std::optional<GpuResult> MeasureGpu(int, std::string* why_not) {
  if (why_not) *why_not = "built without the CUDA toolkit (TOKCAST_CUDA)";
  return std::nullopt;
}

}  // namespace tokcast::measure
