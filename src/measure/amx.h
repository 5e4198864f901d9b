// Intel AMX (Advanced Matrix Extensions): whether the CPU has it and the OS lets this process use
// it, and its tile instructions.
//
// AMX has eight tile registers of up to 16 rows x 64 bytes and a tile unit that multiplies them:
// tdpbsud C += A B for signed bytes A (16 x 64) and unsigned bytes B (16 rows of 16 columns x 4
// bytes, "VNNI" order) into int32 C (16 x 16): 16,384 multiply-adds per instruction, one
// instruction per 16 cycles on a Sapphire Rapids core (8x what AVX-512 VNNI does). Measured on one:
// a tile of 32 bytes per row (half the depth) takes as long as a full one.
//
// The instructions are written as inline assembly, not through the compilers' intrinsics: GCC
// 12's _tile_loadconfig lets the stores that fill the configuration be optimized away, and its
// tile load/store intrinsics do not tell the compiler that they read or write memory. Here the
// configuration is a memory operand of ldtilecfg and the loads and stores clobber memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tokcast::measure {

struct AmxSupport {
  bool tile = false, int8 = false, bf16 = false;  // CPUID leaf 7
  bool permitted = false;                         // Linux arch_prctl(ARCH_REQ_XCOMP_PERM) granted
  bool disabled = false;                          // TOKCAST_AMX=0 in the environment
  bool Int8Usable() const { return tile && int8 && permitted && !disabled; }
  bool Bf16Usable() const { return tile && bf16 && permitted && !disabled; }
};

// Probed once per process (the permission request is process-wide and must precede any tile use).
const AmxSupport& Amx();

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && defined(__linux__)
#define TOKCAST_AMX_ASM 1

// The 64-byte tile configuration (palette 1): rows and bytes per row of each tile register.
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

inline void LoadTileConfig(const TileConfig& c) {
  asm volatile("ldtilecfg %0" ::"m"(c));
}
inline void ReleaseTiles() {
  asm volatile("tilerelease" ::);
}
template <int T>
inline void TileZero() {
  asm volatile("tilezero %%tmm%c0" ::"i"(T));
}
template <int T>
inline void TileLoad(const void* p, size_t stride) {
  asm volatile("tileloadd (%0,%1,1), %%tmm%c2" ::"r"(p), "r"(stride), "i"(T) : "memory");
}
template <int T>
inline void TileStore(void* p, size_t stride) {
  asm volatile("tilestored %%tmm%c2, (%0,%1,1)" ::"r"(p), "r"(stride), "i"(T) : "memory");
}
// C += A B: A signed bytes, B unsigned bytes, C int32.
template <int C, int A, int B>
inline void TileDpbsud() {
  asm volatile("tdpbsud %%tmm%c2, %%tmm%c1, %%tmm%c0" ::"i"(C), "i"(A), "i"(B));
}
// C += A B: A and B signed bytes, C int32.
template <int C, int A, int B>
inline void TileDpbssd() {
  asm volatile("tdpbssd %%tmm%c2, %%tmm%c1, %%tmm%c0" ::"i"(C), "i"(A), "i"(B));
}
// C += A B: A and B pairs of bf16, C fp32.
template <int C, int A, int B>
inline void TileDpbf16ps() {
  asm volatile("tdpbf16ps %%tmm%c2, %%tmm%c1, %%tmm%c0" ::"i"(C), "i"(A), "i"(B));
}
#endif

}  // namespace tokcast::measure
