// Shared by the libFuzzer targets: the input as text, and a count of inputs that got through
// every stage of a target (parsed, imported, run), which the corpus replay checks is non-zero for
// the seed corpus, so the seeds are known to reach the deepest code.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tokcast::fuzz {

inline std::atomic<size_t> g_deepest{0};
inline void ReachedDeepest() {
  g_deepest.fetch_add(1, std::memory_order_relaxed);
}

inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits "head\nrest" at the first newline (head empty when there is none).
inline std::pair<std::string_view, std::string_view> FirstLine(std::string_view text) {
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return {{}, text};
  return {text.substr(0, nl), text.substr(nl + 1)};
}

}  // namespace tokcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
