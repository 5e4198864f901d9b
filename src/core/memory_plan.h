// The memory planner: given a model footprint, hardware, runtime and workload, returns the byte
// breakdown (weights, KV cache, runtime buffers), the verdict and the offload split. Pure: it
// measures, it never allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hardware.h"
#include "core/model.h"
#include "core/quant.h"
#include "core/runtime.h"

namespace tokcast {

// Weight bytes of a typed tensor inventory, grouped the way placement needs them.
struct ModelFootprint {
  std::vector<uint64_t> layer_weight_bytes;  // per block
  std::vector<uint64_t> layer_expert_bytes;  // per block: its routed experts (part of the above)
  uint64_t token_embd_bytes = 0;
  uint64_t output_bytes = 0;  // lm head + output norm (+ bias)
  uint64_t total_weight_bytes = 0;
};
ModelFootprint MakeFootprint(const ModelSpec& spec, const std::vector<TensorInfo>& tensors);

struct Workload {
  uint64_t ctx = 4096;  // tokens of context per sequence
  uint32_t batch = 1;   // concurrent sequences
  TensorType kv_type = TensorType::kF16;
};

struct PlanOptions {
  std::optional<double> memory_gib;          // chosen capacity option; default = largest
  std::optional<double> usable_fraction;     // overrides the hardware rule
  uint32_t devices = 1;                      // identical devices, layers split across them
  std::optional<double> host_memory_gib;     // host RAM available for offload; nullopt = not checked
  std::optional<uint32_t> layers_on_device;  // force a split (like -ngl)
  // llama.cpp --n-cpu-moe N: the routed experts of the first N layers stay in host memory (and
  // run on the host CPU); the rest of those layers and every other layer stay on the device.
  uint32_t moe_host_layers = 0;
  // Tensor-parallel degree: a group with fewer KV heads than devices (or MLA) holds copies of
  // the KV cache (KvReplication).
  uint32_t tp = 1;
  // llama.cpp --split-mode row: weights split evenly across the devices, the KV cache and the
  // compute buffers of intermediate results on the main device (device 0).
  bool row_split = false;
};

enum class Verdict : uint8_t { kFits, kFitsWithOffload, kDoesNotFit };
std::string_view ToString(Verdict v);

struct MemoryPlan {
  Verdict verdict = Verdict::kDoesNotFit;
  std::string reason;  // why it does not fit, or what spills

  double capacity_gib = 0;  // per device, as chosen
  uint32_t devices = 1;
  uint64_t capacity_bytes = 0;  // per device
  uint64_t usable_bytes = 0;    // all devices together
  double usable_fraction = 1.0;

  uint64_t weights_bytes = 0;
  uint64_t weights_device_bytes = 0;
  uint64_t weights_host_bytes = 0;
  uint64_t kv_bytes = 0;
  uint64_t kv_device_bytes = 0;
  uint64_t kv_host_bytes = 0;
  double kv_replication = 1;          // copies of the KV the TP group holds (KvReplication)
  uint64_t overhead_bytes = 0;        // runtime context + compute buffers, all devices
  uint64_t compute_buffer_bytes = 0;  // part of overhead
  uint64_t device_used_bytes = 0;
  int64_t headroom_bytes = 0;  // usable - used (negative when over)
  uint64_t host_bytes = 0;     // host memory the plan needs (offloaded weights, KV, embeddings)

  uint32_t layers_total = 0;
  uint32_t layers_on_device = 0;
  uint32_t moe_host_layers = 0;  // layers whose routed experts are in host memory (--n-cpu-moe)
  uint64_t experts_host_bytes = 0;
  bool output_on_device = true;
  std::vector<uint32_t> layers_per_device;

  bool fits() const { return verdict == Verdict::kFits; }
};

// Plans one scenario. Errors (capacity not offered, absurd inputs) come back as a message in
// `error` with a default plan; nothing throws.
struct PlanResult {
  MemoryPlan plan;
  std::optional<std::string> error;
};
PlanResult PlanMemory(const ModelSpec& spec, const ModelFootprint& footprint, const HardwareSpec& hw,
                      const RuntimeProfile& rt, const Workload& w, const PlanOptions& opt);

// Largest context per sequence (<= model max, or 16M tokens when unknown) that fits entirely on
// the device at the workload's batch; 0 when even one token does not fit.
uint64_t MaxContextThatFits(const ModelSpec& spec, const ModelFootprint& footprint, const HardwareSpec& hw,
                            const RuntimeProfile& rt, Workload w, const PlanOptions& opt);
// Largest batch (<= 65536) that fits at the workload's context; 0 when none.
uint32_t MaxBatchThatFits(const ModelSpec& spec, const ModelFootprint& footprint, const HardwareSpec& hw,
                          const RuntimeProfile& rt, Workload w, const PlanOptions& opt);

// The KV pool of a paged server (vLLM, SGLang, TensorRT-LLM): what the plan's usable memory (all
// devices, the runtime's memory fraction applied) leaves after weights and runtime buffers, in
// tokens of `kv_type` (every layer's K and V). 0 when nothing is left.
uint64_t KvPoolTokens(const ModelSpec& spec, const MemoryPlan& plan, TensorType kv_type);
// Hybrid models: the KV-pool tokens one sequence's fixed recurrent state takes (0 without one).
uint32_t StateTokens(const ModelSpec& spec, TensorType kv_type);

// KV cache bytes of one sequence-set (ctx x batch) across all layers.
uint64_t KvCacheBytes(const ModelSpec& spec, const Workload& w);

}  // namespace tokcast
