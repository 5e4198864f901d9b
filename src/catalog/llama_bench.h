// llama-bench output (JSON array, JSONL, CSV; the documented formats of llama.cpp's
// tools/llama-bench) -> measurement rows in the shared/validation schema.
#pragma once

#include <string>
#include <vector>

#include "core/validation.h"

namespace tokcast::catalog {

struct LlamaBenchIds {
  std::string hardware;  // catalog ids: llama-bench output does not name them
  std::string model;
  std::string quant;    // empty: from model_type ("qwen2 7B Q4_K - Medium" -> q4_k_m)
  std::string runtime;  // empty: from backends (CUDA -> llama.cpp-cuda, Metal, Vulkan, ROCm/HIP, CPU)
};

// Detects the format from the content. Throws InputError naming the file and record.
std::vector<MeasuredRow> ParseLlamaBench(const std::string& text, const std::string& origin, const LlamaBenchIds& ids);

}  // namespace tokcast::catalog
