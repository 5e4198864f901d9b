// libFuzzer target: the CLI's number and sweep syntax ("4096", "1k-32k*2", "1-8+1", "0.5,0.9",
// "500-1500", "f16,q8_0"), every parser on the same text. Any input must parse within its
// bounds or raise InputError.
#include <cstddef>
#include <cstdint>

#include "app/sweep.h"
#include "catalog/error.h"
#include "fuzz_target.h"

namespace {
template <typename F>
bool Try(F&& f) {
  try {
    f();
    return true;
  } catch (const tokcast::catalog::InputError&) {
    return false;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast::app;
  const auto text = tokcast::fuzz::Text(data, size);
  bool any = false;
  any |= Try([&] {
    for (uint64_t v : ParseIntSweep(text, "--ctx", 1, uint64_t{1} << 32))
      if (v < 1 || v > (uint64_t{1} << 32)) __builtin_trap();
  });
  any |= Try([&] {
    const auto v = ParseU32Sweep(text, "--batch", 0, 1'000'000);
    if (v.empty() || v.size() > 10'000) __builtin_trap();
  });
  any |= Try([&] {
    for (double v : ParsePositiveList(text, "--gpu-usable-fraction", 1.0))
      if (!(v > 0 && v <= 1.0)) __builtin_trap();
  });
  any |= Try([&] {
    const auto [lo, hi] = ParseLengthRange(text, "--isl");
    if (lo < 1 || hi < lo || hi > 10'000'000) __builtin_trap();
  });
  any |= Try([&] { (void)ParseKvTypes(text, "--kv-type"); });
  any |= Try([&] { (void)SplitList(text, "--hw"); });
  if (any) tokcast::fuzz::ReachedDeepest();
  return 0;
}
