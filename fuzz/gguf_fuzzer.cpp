// libFuzzer target: the GGUF header parser and everything downstream of it (arrays decoded on
// demand, architecture and tensor import). Any input must either parse or raise InputError.
#include <cstddef>
#include <cstdint>
#include <span>

#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast::catalog;
  const std::span<const uint8_t> bytes(data, size);
  try {
    // The input is the head of a larger file (as a header read from a download is): tensor data
    // may lie past its end.
    const GgufHeader h = ParseGguf(bytes, size + (uint64_t{1} << 32), "fuzz.gguf");
    for (const auto& [key, value] : h.metadata) {
      if (const GgufArrayRef* a = value.AsArray()) {
        if (a->elem_type == GgufType::kString)
          ReadStringArray(bytes, *a);
        else if (a->elem_type != GgufType::kArray && a->elem_type != GgufType::kBool)
          ReadNumberArray(bytes, *a);
      }
    }
    (void)TensorsFromGguf(h);
    (void)ModelSpecFromGguf(h, bytes, "fuzz.gguf");
    tokcast::fuzz::ReachedDeepest();
  } catch (const InputError&) {
  }
  return 0;
}
