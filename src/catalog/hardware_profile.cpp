#include "catalog/hardware_profile.h"

#include <sstream>

#include <toml++/toml.h>

namespace tokcast::catalog {

std::string HardwareProfileToml(const HardwareSpec& hw, const std::string& comment) {
  toml::table t;
  t.insert("schema_version", 1);
  t.insert("id", hw.id);
  t.insert("name", hw.name);
  t.insert("vendor", hw.vendor);
  t.insert("class", std::string(ToString(hw.hw_class)));
  t.insert("verified", hw.verified);
  t.insert("notes", hw.notes);
  toml::array sources;
  for (const auto& s : hw.sources) sources.push_back(s);
  t.insert("sources", sources);

  toml::table memory;
  toml::array options;
  for (double g : hw.memory_options_gib) options.push_back(g);
  memory.insert("options_gib", options);
  memory.insert("bandwidth_bytes_per_s", hw.bandwidth_bytes_per_s);
  if (hw.measured_bandwidth_bytes_per_s)
    memory.insert("measured_bandwidth_bytes_per_s", *hw.measured_bandwidth_bytes_per_s);
  if (!hw.gpu_usable.empty()) memory.insert("gpu_usable_fraction", hw.gpu_usable.front().fraction);
  t.insert("memory", memory);

  toml::table peaks;
  for (const auto& [p, f] : hw.peak_flops) peaks.insert(std::string(ToString(p)), f);
  t.insert("peak_flops", peaks);
  if (!hw.matrix_unit_flops.empty()) {
    toml::table unit;
    for (const auto& [p, f] : hw.matrix_unit_flops) unit.insert(std::string(ToString(p)), f);
    t.insert("matrix_unit_flops", unit);
  }

  toml::table host;
  host.insert("link", hw.host_link);
  if (hw.host_link_bytes_per_s) host.insert("link_bytes_per_s", *hw.host_link_bytes_per_s);
  host.insert("memory_bandwidth_bytes_per_s", hw.host_memory_bandwidth_bytes_per_s);
  if (hw.host_cpu_flops_per_s) host.insert("cpu_flops_per_s", *hw.host_cpu_flops_per_s);
  t.insert("host", host);

  std::ostringstream out;
  out << "# " << comment << "\n" << t << "\n";
  return out.str();
}

}  // namespace tokcast::catalog
