// libFuzzer target: a GGUF file through everything `tokcast bench model --model FILE.gguf` does
// with it: the header, the architecture, every tensor the probe engine touches checked against
// it, the weights repacked, and a forward pass over the first and last token ids with the KV
// cache. Any input must run or raise InputError (std::invalid_argument from the engine, which
// the bench command reports as one); ASan and UBSan watch every byte the engine reads.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

#include "app/bench.h"
#include "catalog/catalog.h"
#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "fuzz_target.h"
#include "measure/probe.h"
#include "measure/thread_pool.h"

namespace {
struct InMemoryGguf {
  std::vector<uint8_t> bytes;
  tokcast::catalog::GgufHeader header;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  static const catalog::Catalog cat = catalog::Catalog::Builtin();
  static measure::ThreadPool pool(2);
  auto file = std::make_shared<InMemoryGguf>();
  file->bytes.assign(data, data + size);
  try {
    const std::span<const uint8_t> bytes(file->bytes);
    file->header = catalog::ParseGguf(bytes, bytes.size(), "fuzz.gguf");
    ModelSpec spec = catalog::ModelSpecFromGguf(file->header, bytes, "fuzz.gguf");
    cat.FillRopeDefaults(spec);
    auto probe = measure::ProbeModel::FromWeights(app::GgufWeights(file, file->header, bytes), spec, 4);
    const std::vector<int32_t> tokens = {0, static_cast<int32_t>(spec.vocab - 1)};
    std::vector<float> logits;
    probe->Forward(pool, tokens.data(), tokens.size(), &logits);  // prefill
    probe->Forward(pool, tokens.data(), 1, &logits);              // one decode step at depth 2
    if (logits.size() != spec.vocab) __builtin_trap();
    tokcast::fuzz::ReachedDeepest();
  } catch (const catalog::InputError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
