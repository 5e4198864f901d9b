// libFuzzer target: an efficiency profile (`calibrate` output, `--profile FILE`). Any input must
// load or raise InputError; a loaded profile must round-trip through its writer.
#include <cstddef>
#include <cstdint>

#include "catalog/error.h"
#include "catalog/measurements.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  try {
    const EfficiencyProfile p = catalog::ParseEfficiencyProfile(fuzz::Text(data, size), "fuzz.toml");
    const std::string again = catalog::SerializeEfficiencyProfile(p, {"# fuzz"});
    const EfficiencyProfile q = catalog::ParseEfficiencyProfile(again, "fuzz-again.toml");
    if (q.entries.size() != p.entries.size()) __builtin_trap();
    fuzz::ReachedDeepest();
  } catch (const catalog::InputError&) {
  }
  return 0;
}
