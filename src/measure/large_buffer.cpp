#include "measure/large_buffer.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#include <sys/mman.h>

namespace tokcast::measure {

LargeBuffer::LargeBuffer(size_t bytes) {
  if (bytes == 0) return;
  // Mapped with 2 MiB to spare, so that the data starts on a huge-page boundary.
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t mapped = bytes + kHuge;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = p;
  mapped_ = mapped;
  const auto addr = reinterpret_cast<uintptr_t>(p);
  data_ = reinterpret_cast<uint8_t*>((addr + kHuge - 1) / kHuge * kHuge);
  size_ = bytes;
#if defined(MADV_HUGEPAGE)
  // Advice only: where THP is off or unsupported, the buffer keeps normal pages.
  (void)madvise(data_, bytes / kHuge * kHuge, MADV_HUGEPAGE);
#endif
}

LargeBuffer::~LargeBuffer() {
  Release();
}

LargeBuffer::LargeBuffer(LargeBuffer&& o) noexcept {
  *this = std::move(o);
}

LargeBuffer& LargeBuffer::operator=(LargeBuffer&& o) noexcept {
  if (this != &o) {
    Release();
    base_ = std::exchange(o.base_, nullptr);
    mapped_ = std::exchange(o.mapped_, 0);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void LargeBuffer::Release() {
  if (base_) munmap(base_, mapped_);
  base_ = nullptr;
  mapped_ = 0;
  data_ = nullptr;
  size_ = 0;
}

void* AllocateActivations(size_t bytes) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t align = bytes >= kHuge ? kHuge : 64;
  const size_t rounded = (std::max<size_t>(bytes, 1) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (p == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  if (align == kHuge) (void)madvise(p, rounded, MADV_HUGEPAGE);  // advice only
#endif
  return p;
}

void FreeActivations(void* p) noexcept {
  std::free(p);
}

}  // namespace tokcast::measure
