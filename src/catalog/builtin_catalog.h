// The built-in catalog: every file under data/, compiled into the binary by
// cmake/EmbedData.cmake (generated source; never edited by hand).
#pragma once

#include <string_view>
#include <vector>

namespace tokcast::catalog {

struct BuiltinFile {
  std::string_view path;  // relative to data/, e.g. "hardware/nvidia-rtx-4090.toml"
  std::string_view content;
};

const std::vector<BuiltinFile>& BuiltinFiles();

}  // namespace tokcast::catalog
