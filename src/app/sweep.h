// Sweep syntax shared by every front-end (the CLI's options, the web API's fields): comma lists ("a,b,c") and numeric
// ranges
// ("1024-32768*2" multiplies, "1-8+1" adds), with k/m suffixes (x1024) on integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ggml_type.h"

namespace tokcast::app {

// Splits on commas, trimming blanks; empty items are an error. Throws catalog::InputError.
std::vector<std::string> SplitList(std::string_view text, std::string_view flag);

// Parses an integer sweep in [min, max]; at most 10,000 values. Throws catalog::InputError.
std::vector<uint64_t> ParseIntSweep(std::string_view text, std::string_view flag, uint64_t min, uint64_t max);

std::vector<uint32_t> ParseU32Sweep(std::string_view text, std::string_view flag, uint32_t min, uint32_t max);

// Parses a token length "N" or a uniform range "MIN-MAX" in 1..10,000,000. Throws catalog::InputError.
std::pair<uint32_t, uint32_t> ParseLengthRange(std::string_view text, std::string_view flag);

// Parses a comma list of positive numbers in (0, max]. Throws catalog::InputError.
std::vector<double> ParsePositiveList(std::string_view text, std::string_view flag, double max);

// Parses a comma list of KV cache types (f16, q8_0, ...). Throws catalog::InputError.
std::vector<TensorType> ParseKvTypes(std::string_view text, std::string_view flag);

// Parses one positive number in (0, max]. Throws catalog::InputError.
double ParsePositive(std::string_view text, std::string_view flag, double max);

}  // namespace tokcast::app
