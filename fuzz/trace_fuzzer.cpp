// libFuzzer target: a JSON Lines request trace, through everything `simulate --trace FILE` does
// with it: read, parsed, then served by the continuous-batching simulator (Llama-3.2-1B on an
// RTX 4090 with vLLM, and with llama-server's slots). Any input must run or raise InputError, and
// every request is accounted for at the end. Traces of more than 2 million tokens are only
// parsed, to keep each run short (the simulator's speed has its own benchmark).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/simulate.h"
#include "catalog/catalog.h"
#include "catalog/trace.h"
#include "fuzz_target.h"

namespace {

// One scratch file per process, rewritten for each input.
const std::string& ScratchPath() {
  static const std::string path = [] {
    std::string p = "/tmp/tokcast-trace-fuzz-" + std::to_string(getpid()) + ".jsonl";
    std::atexit([] { std::remove(ScratchPath().c_str()); });
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  static const catalog::Catalog cat = catalog::Catalog::Builtin();
  std::vector<serve::Request> requests;
  try {
    requests = catalog::ParseTrace(fuzz::Text(data, size), "fuzz.jsonl");
  } catch (const catalog::InputError&) {
    return 0;
  }
  double tokens = 0;
  for (const auto& r : requests) tokens += double(r.input_tokens) + r.output_tokens;
  if (tokens > 2e6) return 0;
  if (FILE* f = std::fopen(ScratchPath().c_str(), "wb")) {
    const bool ok = std::fwrite(data, 1, size, f) == size;
    if (std::fclose(f) != 0 || !ok) return 0;
  }
  for (const char* runtime : {"vllm", "llama.cpp-cuda"}) {
    app::SimulateRequest r;
    r.model = "llama-3.2-1b";
    r.hardware = "nvidia-rtx-4090";
    r.runtime = runtime;
    r.trace_path = ScratchPath();
    try {
      const app::SimulateResult out = app::Simulate(cat, r);
      if (out.metrics.completed + out.metrics.failed != requests.size()) __builtin_trap();
      fuzz::ReachedDeepest();
    } catch (const catalog::InputError&) {
    }
  }
  return 0;
}
