#include "core/hardware.h"

#include <algorithm>
#include <array>

namespace tokcast {
namespace {
constexpr std::array<std::string_view, static_cast<size_t>(HardwareClass::kCount)> kClassNames = {
    "discrete_gpu", "unified_soc", "cpu", "accelerator"};
}

std::string_view ToString(HardwareClass c) {
  return kClassNames[static_cast<size_t>(c)];
}

std::optional<HardwareClass> HardwareClassFromString(std::string_view name) {
  for (size_t i = 0; i < kClassNames.size(); ++i) {
    if (kClassNames[i] == name) return static_cast<HardwareClass>(i);
  }
  return std::nullopt;
}

double HardwareSpec::MaxMemoryGib() const {
  return memory_options_gib.empty() ? 0.0 : *std::max_element(memory_options_gib.begin(), memory_options_gib.end());
}

double HardwareSpec::UsableFraction(double capacity_gib) const {
  for (const auto& rule : gpu_usable) {
    if (!rule.max_gib || capacity_gib <= *rule.max_gib) return rule.fraction;
  }
  return 1.0;
}

std::optional<double> HardwareSpec::PeakFlops(Precision p) const {
  // Narrow formats fall back to the next wider one the part lists (no FP8 units: FP8 weights
  // run at the FP16 rate); FP16 with FP16 accumulate falls back to plain FP16.
  auto find = [&](Precision q) -> std::optional<double> {
    auto it = peak_flops.find(q);
    return it == peak_flops.end() ? std::nullopt : std::optional<double>(it->second);
  };
  switch (p) {
    case Precision::kFp4:
      if (auto f = find(Precision::kFp4)) return f;
      [[fallthrough]];
    case Precision::kFp8:
      if (auto f = find(Precision::kFp8)) return f;
      [[fallthrough]];
    case Precision::kFp16Acc16:
      if (p == Precision::kFp16Acc16) {
        if (auto f = find(Precision::kFp16Acc16)) return f;
      }
      [[fallthrough]];
    case Precision::kBf16:
    case Precision::kFp16:
      if (auto f = find(p == Precision::kBf16 ? Precision::kBf16 : Precision::kFp16)) return f;
      if (auto f = find(Precision::kFp16)) return f;
      [[fallthrough]];
    case Precision::kFp32:
      return find(Precision::kFp32);
    case Precision::kInt8:
      if (auto f = find(Precision::kInt8)) return f;
      return PeakFlops(Precision::kFp16);
    case Precision::kCount:
      break;
  }
  return std::nullopt;
}

std::optional<std::string> Validate(const HardwareSpec& hw) {
  if (hw.memory_options_gib.empty()) return "memory.options_gib must list at least one capacity";
  for (double g : hw.memory_options_gib) {
    if (!(g > 0 && g < 1e6)) return "memory.options_gib values must be in (0, 1e6)";
  }
  if (!(hw.bandwidth_bytes_per_s > 0 && hw.bandwidth_bytes_per_s < 1e15)) {
    return "memory.bandwidth_bytes_per_s must be in (0, 1e15)";
  }
  for (const auto& r : hw.gpu_usable) {
    if (!(r.fraction > 0 && r.fraction <= 1)) return "memory gpu usable fraction must be in (0, 1]";
  }
  for (const auto& [p, f] : hw.peak_flops) {
    if (!(f > 0 && f < 1e18)) return std::string("peak_flops.") + std::string(ToString(p)) + " must be in (0, 1e18)";
  }
  if (!(hw.host_memory_bandwidth_bytes_per_s > 0 && hw.host_memory_bandwidth_bytes_per_s < 1e15)) {
    return "host.memory_bandwidth_bytes_per_s must be in (0, 1e15)";
  }
  if (hw.peak_flops.empty()) return "peak_flops must give at least one precision (fp32, fp16, ...)";
  auto positive = [](const std::optional<double>& v, double max) { return !v || (*v > 0 && *v < max); };
  if (!positive(hw.host_link_bytes_per_s, 1e15)) return "host.link_bytes_per_s must be in (0, 1e15)";
  if (!positive(hw.scaleup_bytes_per_s, 1e15)) return "scale-up link bytes_per_s must be in (0, 1e15)";
  if (!positive(hw.host_cpu_flops_per_s, 1e18)) return "host.cpu_flops_per_s must be in (0, 1e18)";
  if (!positive(hw.tdp_w, 1e6)) return "power.tdp_w must be in (0, 1e6)";
  if (hw.idle_w && !(*hw.idle_w >= 0 && *hw.idle_w < 1e6)) return "power.idle_w must be in [0, 1e6)";
  if (!positive(hw.price_usd, 1e9)) return "price.usd must be in (0, 1e9)";
  if (!positive(hw.measured_bandwidth_bytes_per_s, 1e15))
    return "memory.measured_bandwidth_bytes_per_s must be in (0, 1e15)";
  return std::nullopt;
}

}  // namespace tokcast
