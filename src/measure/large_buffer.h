// Page-aligned anonymous memory for large, long-lived arrays (the probe engine's weights, the
// bandwidth benchmark's buffers), zero-filled, with transparent huge pages requested where the
// OS offers them. Weights and STREAM buffers are mapped alike, so their speeds compare.
#pragma once

#include <cstddef>
#include <cstdint>

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

}  // namespace tokcast::measure
