// The machine's arithmetic ceilings, apart from any matmul kernel: register-only loops of the
// widest multiply-add each instruction set has, on every thread, so that nothing but the
// execution units limits them (no loads, independent accumulator chains). These are the peaks
// a hardware profile keeps; a kernel's GEMM rate divided by them is that kernel's efficiency.
//   fp32: FMA (AVX-512, AVX2+FMA, NEON; scalar otherwise)
//   int8: u8 x s8 dot products into int32 (AVX-512 VNNI vpdpbusd, AVX2 vpmaddubsw + vpmaddwd,
//         NEON sdot); a FLOP here is one multiply or one add, as in the datasheets' TOPS
//   bf16: bf16 dot products into fp32 (AVX-512 BF16 vdpbf16ps), where present
//   amx int8, amx bf16: the tile unit's tdpbsud / tdpbf16ps on full tiles, where the CPU has AMX
//         and the OS permits it (Linux arch_prctl); reported beside the vector ceilings, not in
//         place of them (decode and small passes run on the vector units)
#pragma once

#include <optional>
#include <string>

#include "measure/stat.h"

namespace tokcast::measure {

struct Ceilings {
  Stat fp32_flops_per_s, int8_ops_per_s;
  std::optional<Stat> bf16_flops_per_s;
  std::optional<Stat> amx_int8_ops_per_s, amx_bf16_flops_per_s;
  std::string fp32_isa, int8_isa, bf16_isa;                   // the instructions measured ("avx512 fma", ...)
  bool amx_tile = false, amx_int8 = false, amx_bf16 = false;  // CPUID
  bool amx_permitted = false;                                 // Linux arch_prctl(ARCH_REQ_XCOMP_PERM)
};

Ceilings MeasureCeilings(unsigned threads, int reps);

}  // namespace tokcast::measure
