// HardwareSpec: one device (GPU, SoC or CPU) as the catalog describes it. Datasheet values and
// empirical corrections are separate fields; optional facts are std::optional, never zero.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/quant.h"

namespace tokcast {

enum class HardwareClass : uint8_t { kDiscreteGpu, kUnifiedSoc, kCpu, kAccelerator, kCount };
std::string_view ToString(HardwareClass c);
std::optional<HardwareClass> HardwareClassFromString(std::string_view name);

// GPU-usable fraction of memory, piecewise on the installed capacity (macOS wired limit).
struct UsableRule {
  std::optional<double> max_gib;  // applies when capacity <= max_gib; nullopt = any
  double fraction = 1.0;
};

struct HardwareSpec {
  std::string id;
  std::string name;
  std::string vendor;
  HardwareClass hw_class = HardwareClass::kDiscreteGpu;
  std::string specs_id;  // research table row, when there is one
  bool verified = false;
  std::optional<uint32_t> max_devices;
  uint32_t dies = 1;  // GPU dies sharing the memory (Apple Ultra: 2, joined by UltraFusion)
  std::string launch_date;

  std::vector<double> memory_options_gib;
  std::string memory_type;
  double bandwidth_bytes_per_s = 0;                      // theoretical, decimal
  std::optional<double> measured_bandwidth_bytes_per_s;  // empirical
  std::vector<UsableRule> gpu_usable;                    // first matching rule wins
  std::string gpu_usable_note;

  std::map<Precision, double> peak_flops;  // dense, framework accumulate mode (+ fp16_fp16acc)
  // A CPU's matrix unit (Intel AMX tiles), per precision: the bound's GEMM peak where it is
  // higher (an engine's kernels can use it, as llama.cpp's AMX path does), never the expected
  // value's, whose calibrated efficiencies are fractions of the vector units' peak_flops.
  std::map<Precision, double> matrix_unit_flops;
  std::string measured_gemm_note;
  std::string headline;
  bool headline_is_sparse = false;

  std::string host_link;
  std::optional<double> host_link_bytes_per_s;  // per direction
  double host_memory_bandwidth_bytes_per_s = 0;
  std::optional<double> host_cpu_flops_per_s;
  std::string host_note;

  std::string scaleup_link;
  std::optional<double> scaleup_bytes_per_s;  // per direction

  std::optional<double> tdp_w;
  std::optional<double> idle_w;
  std::string power_note;

  std::optional<double> price_usd;
  std::string price_date;
  std::string price_note;

  std::vector<std::string> derived;
  std::string notes;
  std::vector<std::string> sources;

  double MaxMemoryGib() const;
  // Fraction of `capacity_gib` the accelerator may use by default.
  double UsableFraction(double capacity_gib) const;
  // Peak dense FLOP/s at precision p, falling back to the next wider precision the part has
  // (fp8 -> fp16 -> fp32); nullopt when it lists none.
  std::optional<double> PeakFlops(Precision p) const;
};

std::optional<std::string> Validate(const HardwareSpec& hw);

}  // namespace tokcast
