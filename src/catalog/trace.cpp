#include "catalog/trace.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "catalog/error.h"
#include "catalog/json_lines.h"

namespace tokcast::catalog {

std::vector<serve::Request> ParseTrace(std::string_view text, const std::string& origin) {
  std::vector<serve::Request> out;
  double last = 0;
  ForEachJsonLine(text, origin, [&](const nlohmann::json& j, const std::string& where) {
    auto number = [&](const char* key, bool required, double min, double max) -> double {
      if (!j.contains(key)) {
        if (required) throw InputError(where + ": missing '" + key + "'");
        return -1;
      }
      if (!j[key].is_number()) throw InputError(where + ": '" + key + "' must be a number");
      const double v = j[key].get<double>();
      if (!std::isfinite(v) || v < min || v > max) {
        throw InputError(where + ": '" + key + "' must be in " + std::to_string(static_cast<long long>(min)) + ".." +
                         std::to_string(static_cast<long long>(max)));
      }
      return v;
    };
    serve::Request r;
    r.id = out.size();
    r.arrival_s = number("arrival_s", true, 0, 1e9);
    r.input_tokens = static_cast<uint32_t>(number("input_tokens", true, 1, 1e8));
    r.output_tokens = static_cast<uint32_t>(number("output_tokens", true, 1, 1e8));
    if (const double p = number("prefix_id", false, 0, 1e15); p >= 0) r.prefix_id = static_cast<int64_t>(p);
    if (const double p = number("prefix_tokens", false, 0, 1e8); p >= 0) r.prefix_tokens = static_cast<uint32_t>(p);
    if (r.arrival_s < last) throw InputError(where + ": arrivals must be in time order");
    last = r.arrival_s;
    out.push_back(r);
    if (out.size() > 10'000'000) throw InputError(origin + ": more than 10,000,000 requests");
  });
  if (out.empty()) throw InputError(origin + ": no requests");
  return out;
}

}  // namespace tokcast::catalog
