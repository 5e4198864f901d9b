#include "measure/fp_mode.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace tokcast::measure {
namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr uint32_t kFtzDaz = 0x8040;  // MXCSR bit 15 (flush to zero), bit 6 (denormals are zero)
uint64_t GetMode() {
  return _mm_getcsr();
}
void SetMode(uint64_t m) {
  _mm_setcsr(static_cast<unsigned>(m));
}
uint64_t Flushing(uint64_t m) {
  return m | kFtzDaz;
}
#elif defined(__aarch64__)
constexpr uint64_t kFz = uint64_t{1} << 24;  // FPCR.FZ
uint64_t GetMode() {
  uint64_t v;
  asm volatile("mrs %0, fpcr" : "=r"(v));
  return v;
}
void SetMode(uint64_t m) {
  asm volatile("msr fpcr, %0" : : "r"(m));
}
uint64_t Flushing(uint64_t m) {
  return m | kFz;
}
#else
uint64_t GetMode() {
  return 0;
}
void SetMode(uint64_t) {}
uint64_t Flushing(uint64_t m) {
  return m;
}
#endif

}  // namespace

ScopedFlushDenormals::ScopedFlushDenormals() : saved_(GetMode()) {
  SetMode(Flushing(saved_));
}
ScopedFlushDenormals::~ScopedFlushDenormals() {
  SetMode(saved_);
}

void FlushDenormalsForThisThread() {
  SetMode(Flushing(GetMode()));
}

bool ThisThreadFlushesDenormals() {
  volatile float tiny = 1e-39f;  // subnormal: DAZ reads it as zero, FTZ flushes the product
  volatile float one = 1.0f;
  const float r = tiny * one;
  return r == 0.0f;
}

}  // namespace tokcast::measure
