#include "measure/amx.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace tokcast::measure {

const AmxSupport& Amx() {
  static const AmxSupport support = [] {
    AmxSupport s;
#if defined(__x86_64__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
      s.bf16 = (d >> 22) & 1;
      s.tile = (d >> 24) & 1;
      s.int8 = (d >> 25) & 1;
    }
#if defined(__linux__)
    if (s.tile) {
      // The tile data's state component (XFEATURE_XTILEDATA) is off until the process asks.
      constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
      s.permitted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
    }
#endif
#endif
    const char* env = std::getenv("TOKCAST_AMX");
    s.disabled = env != nullptr && std::strcmp(env, "0") == 0;
    return s;
  }();
  return support;
}

}  // namespace tokcast::measure
