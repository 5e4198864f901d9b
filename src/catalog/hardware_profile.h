// Writes a HardwareSpec as a catalog hardware TOML (what `tokcast bench machine` leaves for
// `--hw local`), readable by Catalog::AddFile.
#pragma once

#include <string>

#include "core/hardware.h"

namespace tokcast::catalog {

// The spec as TOML, with `comment` as the first line. Writes the measured fields a profile
// needs: identity, memory options and bandwidth, GPU-usable fraction, peaks, host link.
std::string HardwareProfileToml(const HardwareSpec& hw, const std::string& comment);

}  // namespace tokcast::catalog
