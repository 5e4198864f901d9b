#include "app/session.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog/error.h"
#include "catalog/measurements.h"
#include "measure/microbench.h"

namespace tokcast::app {

std::string ReadUserFile(const std::string& path) {
  catalog::RequireRegularFile(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw catalog::InputError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw catalog::InputError(path + ": read error");
  return ss.str();
}

void WriteUserFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw catalog::InputError(path + ": cannot write");
  f << text;
  f.close();
  if (!f) throw catalog::InputError(path + ": write failed (disk full?)");
}

std::shared_ptr<const catalog::Catalog> LoadCatalog(const CatalogOptions& o) {
  auto cat = std::make_shared<catalog::Catalog>(catalog::Catalog::Builtin());
  if (o.local_profiles) {
    for (const std::string& path : {LocalHardwarePath(), LocalGpuHardwarePath()}) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(path, ec)) cat->AddFile("hardware", path, ReadUserFile(path));
    }
  }
  for (const auto& dir : o.catalog_dirs) cat->AddDirectory(dir);
  if (!o.hw_file.empty()) cat->AddFile("hardware", o.hw_file, ReadUserFile(o.hw_file));
  return cat;
}

std::string DefaultDataDir() {
  if (const char* x = std::getenv("TOKCAST_HOME"); x && *x) return x;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/tokcast";
  if (const char* h = std::getenv("HOME"); h && *h) {
#if defined(__APPLE__)
    return std::string(h) + "/Library/Application Support/tokcast";
#else
    return std::string(h) + "/.local/share/tokcast";
#endif
  }
  return ".tokcast";
}

std::string LocalHardwarePath() {
  return DefaultDataDir() + "/local-hardware.toml";
}
std::string LocalGpuHardwarePath() {
  return DefaultDataDir() + "/local-gpu-hardware.toml";
}
std::string DefaultDatabasePath() {
  return DefaultDataDir() + "/results.db";
}

EfficiencyProfile LoadProfile(const std::string& path) {
  if (path.empty()) return catalog::BuiltinEfficiencyProfile();
  return catalog::ParseEfficiencyProfile(ReadUserFile(path), path);
}

report::ReportContext MakeReportContext() {
  report::ReportContext c = report::ToolContext();
  const measure::HostFacts h = measure::ProbeHost();
  c.host_cpu = h.cpu_model;
  c.host_os = h.os;
  c.host_arch = h.arch;
  c.host_cores = h.logical_cores;
  c.host_memory_bytes = h.memory_bytes;
  return c;
}

}  // namespace tokcast::app
