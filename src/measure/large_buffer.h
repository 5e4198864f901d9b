// Page-aligned anonymous memory for large, long-lived arrays (the probe engine's weights, the
// bandwidth benchmark's buffers), zero-filled, with transparent huge pages requested where the
// OS offers them. Weights and STREAM buffers are mapped alike, so their speeds compare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tokcast::measure {

class LargeBuffer {
 public:
  LargeBuffer() = default;
  explicit LargeBuffer(size_t bytes);  // throws std::bad_alloc when the OS refuses
  ~LargeBuffer();
  LargeBuffer(LargeBuffer&& o) noexcept;
  LargeBuffer& operator=(LargeBuffer&& o) noexcept;
  LargeBuffer(const LargeBuffer&) = delete;
  LargeBuffer& operator=(const LargeBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  template <typename T>
  T* As() const {
    return reinterpret_cast<T*>(data_);
  }

 private:
  void Release();
  void* base_ = nullptr;  // the mapping
  size_t mapped_ = 0;
  uint8_t* data_ = nullptr;  // 2 MiB-aligned inside it
  size_t size_ = 0;
};

// Memory for the probe engine's activation arrays: blocks of 2 MiB or more are 2 MiB-aligned with
// transparent huge pages requested (a prefill pass writes rows of tokens 8-64 KiB apart: with
// 4 KiB pages nearly every row is a TLB miss), smaller ones 64-byte aligned. Throws
// std::bad_alloc when the allocation fails.
void* AllocateActivations(size_t bytes);
void FreeActivations(void* p) noexcept;

template <typename T>
struct ActivationAllocator {
  using value_type = T;
  ActivationAllocator() = default;
  template <typename U>
  ActivationAllocator(const ActivationAllocator<U>&) noexcept {}  // NOLINT: allocator rebind
  T* allocate(size_t n) { return static_cast<T*>(AllocateActivations(n * sizeof(T))); }
  void deallocate(T* p, size_t) noexcept { FreeActivations(p); }
  friend bool operator==(const ActivationAllocator&, const ActivationAllocator&) { return true; }
};
using ActivationVector = std::vector<float, ActivationAllocator<float>>;

}  // namespace tokcast::measure
