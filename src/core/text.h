// Small text helpers shared by the core's messages and the renderers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokcast {

// Fixed-point formatting without locale surprises ("12.5").
std::string FormatFixed(double value, int decimals);

// Edit distance (Levenshtein), case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b);

// Up to `max` candidates closest to `query`: substring matches first, then by edit distance.
std::vector<std::string> ClosestMatches(std::string_view query, const std::vector<std::string>& candidates,
                                        size_t max = 3);

std::string ToLower(std::string_view s);

// The parts with `sep` between them ("a, b, c").
std::string Join(const std::vector<std::string>& parts, std::string_view sep = ", ");

// `s` without leading and trailing whitespace (spaces, tabs, CR, LF).
std::string Trim(std::string_view s);

// A whole number written in decimal digits only, at most `max`; nullopt for anything else
// (empty, a sign, other characters, overflow).
std::optional<uint64_t> ParseDecimal(std::string_view digits, uint64_t max);

}  // namespace tokcast
