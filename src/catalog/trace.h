// Request traces for the serving simulator: JSON Lines, one request per line:
//   {"arrival_s": 0.125, "input_tokens": 812, "output_tokens": 120, "prefix_id": 3, "prefix_tokens": 500}
// arrival_s, input_tokens and output_tokens are required; lines must arrive in time order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "serve/workload.h"

namespace tokcast::catalog {

// Throws InputError naming the line for malformed JSON, missing or absurd fields.
std::vector<serve::Request> ParseTrace(std::string_view text, const std::string& origin);

}  // namespace tokcast::catalog
