// Subnormal floats off the hot path. On Intel cores an operation on a subnormal input or result
// takes a microcode assist (~100 cycles); the probe engine's attention (softmax of long rows,
// products of small probabilities) produces them, which halved its prefill speed on one model.
// Flush-to-zero and denormals-are-zero (x86 MXCSR FTZ|DAZ, Arm FPCR.FZ) make them zeros, as
// llama.cpp's and every BLAS's worker threads do; the results change below 1e-38 only.
#pragma once

#include <cstdint>

namespace tokcast::measure {

// Sets flush-to-zero (and denormals-are-zero where the ISA has it) for this thread; restores the
// previous mode on destruction. A no-op where the ISA has neither.
class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  uint64_t saved_ = 0;
};

// Sets flush-to-zero for the rest of this thread's life (the pool's workers).
void FlushDenormalsForThisThread();

// Whether this thread flushes subnormals now (a subnormal operand or result becomes zero).
bool ThisThreadFlushesDenormals();

}  // namespace tokcast::measure
