// A dependency-free run of the kernels' reference cases (tests/kernel_cases.h), for builds
// where GoogleTest is not at hand: scripts/cross_check.sh builds it for aarch64 (NEON with and
// without dot-product instructions) and runs it under qemu.
#include <cstdio>

#include "kernel_cases.h"

int main() {
  using namespace tokcast::measure;
  std::printf("simd: %s\n", SimdPath().c_str());
  ThreadPool pool(2);
  int fails = 0;
  for (const auto& c : test::RunKernelCases(pool)) {
    const bool ok = c.rows_match && c.rel_error < c.tolerance;
    std::printf("%-32s rel %.2e (tolerance %.0e)%s %s\n", c.label.c_str(), c.rel_error, c.tolerance,
                c.rows_match ? "" : ", rows differ", ok ? "ok" : "FAIL");
    fails += ok ? 0 : 1;
  }
  std::printf("%s\n", fails ? "FAILED" : "ALL OK");
  return fails != 0;
}
