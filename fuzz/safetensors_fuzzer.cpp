// libFuzzer target: safetensors headers and model.safetensors.index.json files. An input that
// starts with '{' is an index; anything else is a file (8-byte length + JSON header + data).
// Any input must parse or raise InputError.
#include <cstddef>
#include <cstdint>
#include <span>

#include "catalog/error.h"
#include "catalog/model_source.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  try {
    if (size > 0 && data[0] == '{') {
      const auto index = catalog::ParseSafetensorsIndex(fuzz::Text(data, size), "model.safetensors.index.json");
      for (const auto& shard : index.shards)
        if (shard.empty() || shard.find('/') != std::string::npos) __builtin_trap();
    } else {
      const auto tensors = catalog::ParseSafetensorsHeader(std::span<const uint8_t>(data, size), size, "x.safetensors");
      for (const auto& t : tensors)
        if (t.bytes > size) __builtin_trap();  // every tensor lies inside the file
    }
    fuzz::ReachedDeepest();
  } catch (const catalog::InputError&) {
  }
  return 0;
}
