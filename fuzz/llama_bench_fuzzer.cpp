// libFuzzer target: llama-bench output (JSON, JSONL, CSV, detected from the content), as
// `tokcast import llama-bench` reads it. Any input must import or raise InputError, and every
// imported figure is a finite positive number.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "catalog/error.h"
#include "catalog/llama_bench.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  const catalog::LlamaBenchIds ids{"nvidia-rtx-4090", "llama-3.1-8b", "", ""};
  try {
    const auto rows = catalog::ParseLlamaBench(std::string(fuzz::Text(data, size)), "fuzz.json", ids);
    for (const auto& r : rows)
      if (!std::isfinite(r.value) || r.value <= 0) __builtin_trap();
    if (!rows.empty()) fuzz::ReachedDeepest();
  } catch (const catalog::InputError&) {
  }
  return 0;
}
