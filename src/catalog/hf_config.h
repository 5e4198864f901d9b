// HF config.json import: architecture facts -> ModelSpec. The catalog's model files store the
// same keys under [config], so both go through this one function.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/model.h"

namespace tokcast::catalog {

// Supported model_type values, for messages and docs.
const std::vector<std::string>& SupportedHfArchitectures();

// Converts a parsed config.json. `where` names the source in error messages.
// Throws InputError for unknown architectures and missing or absurd values.
ModelSpec ModelSpecFromHfConfig(const nlohmann::json& config, const std::string& where);

// Parses and converts config.json text. Throws InputError.
ModelSpec ParseHfConfig(std::string_view text, const std::string& where);

// Reads and converts a config.json file. Throws InputError.
ModelSpec LoadHfConfig(const std::filesystem::path& path);

}  // namespace tokcast::catalog
