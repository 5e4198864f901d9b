// The machine's arithmetic ceilings, apart from any matmul kernel: register-only loops of the
// widest multiply-add each instruction set has, on every thread, so that nothing but the
// execution units limits them (no loads, independent accumulator chains). These are the peaks
// a hardware profile keeps; a kernel's GEMM rate divided by them is that kernel's efficiency.
//   fp32: FMA (AVX-512, AVX2+FMA, NEON; scalar otherwise)
//   int8: u8 x s8 dot products into int32 (AVX-512 VNNI vpdpbusd, AVX2 vpmaddubsw + vpmaddwd,
//         NEON sdot); a FLOP here is one multiply or one add, as in the datasheets' TOPS
//   bf16: bf16 dot products into fp32 (AVX-512 BF16 vdpbf16ps), where present
// AMX (tile matrix multiply) is reported as present or not from CPUID and the OS's permission;
// it is not measured (no AMX machine to test such code on).
#pragma once

#include <optional>
#include <string>

#include "measure/stat.h"

namespace tokcast::measure {

struct Ceilings {
  Stat fp32_flops_per_s, int8_ops_per_s;
  std::optional<Stat> bf16_flops_per_s;
  std::string fp32_isa, int8_isa, bf16_isa;                   // the instructions measured ("avx512 fma", ...)
  bool amx_tile = false, amx_int8 = false, amx_bf16 = false;  // CPUID
  bool amx_permitted = false;                                 // Linux arch_prctl(ARCH_REQ_XCOMP_PERM)
};

Ceilings MeasureCeilings(unsigned threads, int reps);

}  // namespace tokcast::measure
