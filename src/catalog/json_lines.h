// JSON Lines input (traces, SGLang results, llama-bench -o jsonl): one object per line, blank
// lines skipped, a line that is not a JSON object an InputError naming "origin:LINE".
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "catalog/error.h"

namespace tokcast::catalog {

inline void ForEachJsonLine(std::string_view text, const std::string& origin,
                            const std::function<void(const nlohmann::json&, const std::string& where)>& fn) {
  size_t line_no = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = origin + ":" + std::to_string(line_no);
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw InputError(where + ": not a JSON object");
    fn(j, where);
  }
}

}  // namespace tokcast::catalog
