// What every use case shares: the loaded catalog (immutable, safe to share between threads),
// where tokcast keeps user data, the efficiency profile and the report context.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/perf_model.h"
#include "report/schema.h"

namespace tokcast::app {

struct CatalogOptions {
  std::vector<std::string> catalog_dirs;  // extra TOML entries (add or override by id)
  std::string hw_file;                    // one extra hardware TOML
  bool local_profiles = true;             // the profiles `bench machine` wrote (--hw local, local-gpu)
};

// The built-in catalog plus the local profiles, directories and file. Throws InputError.
std::shared_ptr<const catalog::Catalog> LoadCatalog(const CatalogOptions& options);

// Where tokcast keeps user data: TOKCAST_HOME, else XDG_DATA_HOME/tokcast, else
// ~/.local/share/tokcast (~/Library/Application Support/tokcast on macOS).
std::string DefaultDataDir();
std::string LocalHardwarePath();     // written by `tokcast bench machine` (id local)
std::string LocalGpuHardwarePath();  // the same for the GPU (id local-gpu)
std::string DefaultDatabasePath();

// The built-in calibrated profile, or the TOML at `path`. Throws InputError.
EfficiencyProfile LoadProfile(const std::string& path);

// Tool version, commit, build type and this host's facts, for every report.
report::ReportContext MakeReportContext();

// Reads a whole file the user named. Throws InputError naming it.
std::string ReadUserFile(const std::string& path);
// Writes `text` to `path` (truncating), checking every step. Throws InputError naming it.
void WriteUserFile(const std::string& path, const std::string& text);

}  // namespace tokcast::app
