// Loads the CUDA module on demand: next to the executable, at TOKCAST_GPU_MODULE, or where the
// build put it.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "measure/gpu.h"

namespace tokcast::measure {

namespace {

std::vector<std::string> Candidates() {
  std::vector<std::string> out;
  if (const char* p = std::getenv("TOKCAST_GPU_MODULE"); p && *p) out.push_back(p);
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back((exe.parent_path() / "libtokcast_gpu.so").string());
#ifdef TOKCAST_GPU_MODULE_PATH
  out.push_back(TOKCAST_GPU_MODULE_PATH);
#endif
  return out;
}

}  // namespace

std::optional<GpuResult> MeasureGpu(int reps, std::string* why_not) {
#ifndef TOKCAST_GPU_MODULE_PATH
  if (!std::getenv("TOKCAST_GPU_MODULE")) {
    if (why_not) *why_not = "built without the CUDA toolkit (TOKCAST_CUDA)";
    return std::nullopt;
  }
#endif
  std::string errors;
  for (const auto& path : Candidates()) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = dlerror();
      errors = path + ": " + (e ? e : "cannot load");
      continue;
    }
    using Fn = int (*)(int, GpuResult*, std::string*);
    auto fn = reinterpret_cast<Fn>(dlsym(handle, "tokcast_gpu_measure"));
    if (!fn) {
      errors = path + ": not a tokcast GPU module";
      continue;
    }
    GpuResult r;
    if (fn(reps, &r, why_not)) return r;
    return std::nullopt;  // the module ran: no device, or a CUDA error (why_not says)
  }
  if (why_not) *why_not = errors.empty() ? "the GPU module (libtokcast_gpu.so) is not installed" : errors;
  return std::nullopt;
}

}  // namespace tokcast::measure
