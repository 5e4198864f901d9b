#include "core/memory_plan.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/text.h"

namespace tokcast {
namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;
constexpr std::array<std::string_view, static_cast<size_t>(OffloadStyle::kCount)> kOffloadNames = {"host_layers",
                                                                                                   "stream", "none"};

uint64_t ToBytes(double v) {
  return v <= 0 ? 0 : static_cast<uint64_t>(std::llround(v));
}

// Activation / scratch memory of one forward pass of `ubatch` tokens. llama.cpp's graph
// allocator reuses buffers, so the peak is roughly the larger of the activations (plus the
// S x ctx attention scores when flash attention is off) and the f32 logits.
double ComputeBufferBytes(const ModelSpec& s, const RuntimeProfile& rt, const Workload& w, bool with_logits) {
  const double tokens =
      static_cast<double>(std::min<uint64_t>(rt.ubatch_tokens, std::max<uint64_t>(w.ctx * w.batch, 1)));
  double ffn_width = s.ffn;
  if (s.moe) {
    ffn_width = std::max<double>(
        ffn_width, static_cast<double>(s.moe->expert_ffn) * s.moe->n_experts_active +
                       static_cast<double>(s.moe->shared_expert_ffn ? s.moe->shared_expert_ffn : s.moe->expert_ffn) *
                           s.moe->n_shared_experts);
  }
  const double qkv = s.mla ? static_cast<double>(s.n_heads) * (s.mla->qk_nope_head_dim + s.mla->qk_rope_head_dim) * 2
                           : static_cast<double>(s.n_heads) * s.head_dim + 2.0 * s.n_kv_heads * s.head_dim;
  double act = 4.0 * tokens * (2.0 * s.hidden + 2.0 * ffn_width + qkv);
  if (!rt.flash_attention) {
    // f32 scores and softmax output for every head over the whole context.
    act += 2.0 * 4.0 * tokens * s.n_heads * static_cast<double>(w.ctx);
  }
  const double logits = with_logits ? 4.0 * tokens * s.vocab : 0.0;
  return std::max(act, logits);
}

std::string Gib(double bytes) {
  return FormatFixed(bytes / kGib, 1) + " GiB";
}

}  // namespace

std::string_view ToString(OffloadStyle s) {
  return kOffloadNames[static_cast<size_t>(s)];
}

std::optional<OffloadStyle> OffloadStyleFromString(std::string_view name) {
  for (size_t i = 0; i < kOffloadNames.size(); ++i) {
    if (kOffloadNames[i] == name) return static_cast<OffloadStyle>(i);
  }
  return std::nullopt;
}

std::optional<std::string> Validate(const RuntimeProfile& rt) {
  if (!(rt.context_overhead_bytes >= 0 && rt.context_overhead_bytes < 1e12)) {
    return "memory.context_overhead_bytes must be in [0, 1e12)";
  }
  if (!(rt.device_memory_fraction > 0 && rt.device_memory_fraction <= 1)) {
    return "memory.device_memory_fraction must be in (0, 1]";
  }
  if (rt.ubatch_tokens == 0 || rt.ubatch_tokens > 1'000'000) return "memory.ubatch_tokens must be in 1..1000000";
  const DecodeKernels& k = rt.kernels;
  if (!k.Stated() && (k.gemm_tile_tokens > 0 || k.moe_gemm_min_tokens > 0)) {
    return "kernels.gemm_tile_tokens and moe_gemm_min_tokens need kernels.matvec_max_tokens";
  }
  auto factor_ok = [](double f) { return f > 0.05 && f <= 2; };
  for (size_t i = 0; i < rt.eras.size(); ++i) {
    const auto& e = rt.eras[i];
    if (e.id.empty()) return "every [[era]] needs an id";
    if (i > 0 && !(e.until > rt.eras[i - 1].until)) return "[[era]] '" + e.id + "': eras must be in order of `until`";
    if (!factor_ok(e.prior_compute) || !factor_ok(e.prior_memory)) {
      return "[[era]] '" + e.id + "': prior_compute and prior_memory must be in (0.05, 2]";
    }
  }
  if (rt.relative_speed && (!factor_ok(rt.relative_speed->compute) || !factor_ok(rt.relative_speed->memory))) {
    return "relative_speed.compute and relative_speed.memory must be in (0.05, 2]";
  }
  if (!rt.era.empty() && !FindEra(rt, rt.era)) return "no era '" + rt.era + "'";
  return std::nullopt;
}

std::string_view ToString(Verdict v) {
  switch (v) {
    case Verdict::kFits:
      return "fits";
    case Verdict::kFitsWithOffload:
      return "offload";
    case Verdict::kDoesNotFit:
      return "does not fit";
  }
  return "?";
}

ModelFootprint MakeFootprint(const ModelSpec& spec, const std::vector<TensorInfo>& tensors) {
  ModelFootprint f;
  f.layer_weight_bytes.assign(spec.n_layers, 0);
  f.layer_expert_bytes.assign(spec.n_layers, 0);
  for (const auto& t : tensors) {
    f.total_weight_bytes += t.bytes;
    if (t.layer >= 0 && static_cast<uint32_t>(t.layer) < spec.n_layers) {
      f.layer_weight_bytes[static_cast<size_t>(t.layer)] += t.bytes;
      if (t.routed_expert) f.layer_expert_bytes[static_cast<size_t>(t.layer)] += t.bytes;
    } else if (t.role == TensorRole::kTokenEmbd) {
      f.token_embd_bytes += t.bytes;
    } else {
      f.output_bytes += t.bytes;
    }
  }
  return f;
}

uint64_t KvCacheBytes(const ModelSpec& spec, const Workload& w) {
  double total = 0;
  for (uint32_t i = 0; i < spec.n_layers; ++i) total += LayerKvBytes(spec, i, w.ctx, w.kv_type);
  return ToBytes(total * w.batch);
}

PlanResult PlanMemory(const ModelSpec& spec, const ModelFootprint& fp, const HardwareSpec& hw, const RuntimeProfile& rt,
                      const Workload& w, const PlanOptions& opt) {
  PlanResult result;
  MemoryPlan& p = result.plan;
  // ---- inputs ----
  double capacity_gib = hw.MaxMemoryGib();
  if (opt.memory_gib) {
    const bool offered = std::any_of(hw.memory_options_gib.begin(), hw.memory_options_gib.end(),
                                     [&](double g) { return std::fabs(g - *opt.memory_gib) < 0.01; });
    if (!offered) {
      std::string options;
      for (double g : hw.memory_options_gib) options += (options.empty() ? "" : ", ") + FormatFixed(g, 0);
      result.error =
          hw.id + " is sold with " + options + " GB; " + FormatFixed(*opt.memory_gib, 0) + " GB is not one of them";
      return result;
    }
    capacity_gib = *opt.memory_gib;
  }
  if (opt.devices == 0 || opt.devices > 1024) {
    result.error = "the device count must be in 1..1024";
    return result;
  }
  if (opt.usable_fraction && !(*opt.usable_fraction > 0 && *opt.usable_fraction <= 1)) {
    result.error = "the GPU-usable fraction must be in (0, 1]";
    return result;
  }
  if (w.ctx == 0 || w.ctx > (uint64_t{1} << 32)) {
    result.error = "the context must be in 1..4294967296 tokens";
    return result;
  }
  if (w.batch == 0 || w.batch > 1'000'000) {
    result.error = "the batch must be in 1..1000000 sequences";
    return result;
  }
  if (fp.layer_weight_bytes.size() != spec.n_layers || fp.layer_expert_bytes.size() != spec.n_layers) {
    result.error = "internal: footprint does not match the model";
    return result;
  }
  if (opt.moe_host_layers > 0 && !spec.moe) {
    result.error = spec.id + " has no experts to keep in host memory (--n-cpu-moe is for MoE models)";
    return result;
  }
  if (opt.moe_host_layers > 0 && rt.offload != OffloadStyle::kHostLayers) {
    result.error = rt.id + " cannot keep experts in host memory (--n-cpu-moe is llama.cpp's)";
    return result;
  }

  const bool is_cpu = hw.hw_class == HardwareClass::kCpu;
  const uint32_t L = spec.n_layers;
  const uint32_t N = opt.devices;
  p.capacity_gib = capacity_gib;
  p.devices = N;
  p.capacity_bytes = ToBytes(capacity_gib * kGib);
  p.usable_fraction = opt.usable_fraction.value_or(hw.UsableFraction(capacity_gib));
  const double usable_per_device =
      static_cast<double>(p.capacity_bytes) * p.usable_fraction * (is_cpu ? 1.0 : rt.device_memory_fraction);
  p.usable_bytes = ToBytes(usable_per_device * N);
  p.layers_total = L;
  p.weights_bytes = fp.total_weight_bytes;
  // The routed experts of the first moe_host layers live in host memory whatever the split.
  const uint32_t moe_host = is_cpu ? 0 : std::min(opt.moe_host_layers, L);
  double experts_host = 0;
  std::vector<double> layer_dev_weights(L);
  for (uint32_t i = 0; i < L; ++i) {
    const double experts = i < moe_host ? static_cast<double>(fp.layer_expert_bytes[i]) : 0.0;
    layer_dev_weights[i] = static_cast<double>(fp.layer_weight_bytes[i]) - experts;
    experts_host += experts;
  }
  p.moe_host_layers = moe_host;
  p.experts_host_bytes = ToBytes(experts_host);

  std::vector<double> layer_kv(L);
  double kv_total = 0;
  p.kv_replication = KvReplication(spec, opt.tp);
  for (uint32_t i = 0; i < L; ++i) {
    layer_kv[i] = LayerKvBytes(spec, i, w.ctx, w.kv_type) * w.batch * p.kv_replication;
    kv_total += layer_kv[i];
  }
  p.kv_bytes = ToBytes(kv_total);

  const bool emb_on_device = !(rt.embedding_on_host && !is_cpu);
  const double act = ComputeBufferBytes(spec, rt, w, false);
  const double logits_extra = ComputeBufferBytes(spec, rt, w, true) - act;  // extra on the output device
  const double fixed = is_cpu ? 0.0 : rt.context_overhead_bytes;
  const OffloadStyle style = is_cpu ? OffloadStyle::kNone : rt.offload;

  // Packs the last `n` layers (llama.cpp offloads the tail) onto N devices, greedily in order.
  // Streamed layers keep their KV on the device (device 0). Returns device usage or nullopt.
  struct Packing {
    std::vector<double> used;
    std::vector<uint32_t> layers;
  };
  auto pack = [&](uint32_t n, bool output_on_device) -> std::optional<Packing> {
    Packing pk;
    pk.used.assign(N, fixed + act);
    pk.layers.assign(N, 0);
    if (emb_on_device) pk.used[0] += static_cast<double>(fp.token_embd_bytes);
    const uint32_t first_on_device = L - n;
    if (opt.row_split) {
      // Every device holds its rows of each matrix of the device layers; the main device also
      // the whole KV cache and the logits.
      double weights = output_on_device ? static_cast<double>(fp.output_bytes) : 0.0;
      for (uint32_t i = first_on_device; i < L; ++i) {
        weights += layer_dev_weights[i];
        pk.used[0] += layer_kv[i];
      }
      for (uint32_t d = 0; d < N; ++d) {
        pk.used[d] += weights / N;
        pk.layers[d] = n;
      }
      if (output_on_device) pk.used[0] += logits_extra;
      for (double u : pk.used) {
        if (u > usable_per_device) return std::nullopt;
      }
      return pk;
    }
    if (style == OffloadStyle::kStream) {
      for (uint32_t i = 0; i < first_on_device; ++i) pk.used[0] += layer_kv[i];
    }
    // Even target per device, as llama.cpp's default split does; overflow moves on.
    uint32_t dev = 0;
    const uint32_t target = (n + N - 1) / N;
    for (uint32_t i = first_on_device; i < L; ++i) {
      const double cost = layer_dev_weights[i] + layer_kv[i];
      while (dev < N) {
        const bool share_full = pk.layers[dev] >= target && dev + 1 < N;
        const bool room = pk.used[dev] + cost <= usable_per_device;
        if (!share_full && room) break;
        ++dev;
      }
      if (dev >= N) return std::nullopt;
      pk.used[dev] += cost;
      ++pk.layers[dev];
    }
    if (output_on_device) {
      const uint32_t last = N - 1;
      pk.used[last] += static_cast<double>(fp.output_bytes) + logits_extra;
      if (pk.used[last] > usable_per_device) return std::nullopt;
    }
    for (double u : pk.used) {
      if (u > usable_per_device) return std::nullopt;
    }
    return pk;
  };

  std::optional<Packing> best;
  uint32_t n_dev = 0;
  bool out_dev = false;
  if (opt.layers_on_device) {
    n_dev = std::min(*opt.layers_on_device, L);
    out_dev = n_dev == L;
    best = pack(n_dev, out_dev);
    if (!best && out_dev) {
      out_dev = false;
      best = pack(n_dev, false);
    }
  } else {
    for (int64_t n = L; n >= 0 && !best; --n) {
      n_dev = static_cast<uint32_t>(n);
      if (n_dev == L) {
        out_dev = true;
        best = pack(n_dev, true);
        if (best) break;
      }
      out_dev = false;
      best = pack(n_dev, false);
    }
  }

  // ---- byte breakdown ----
  double w_dev = 0, w_host = 0, kv_dev = 0, kv_host = 0;
  for (uint32_t i = 0; i < L; ++i) {
    const bool on_dev = i >= L - n_dev;
    (on_dev ? w_dev : w_host) += layer_dev_weights[i];
    const bool kv_on_dev = on_dev || style == OffloadStyle::kStream;
    (kv_on_dev ? kv_dev : kv_host) += layer_kv[i];
  }
  (emb_on_device ? w_dev : w_host) += static_cast<double>(fp.token_embd_bytes);
  (out_dev ? w_dev : w_host) += static_cast<double>(fp.output_bytes);
  const double compute = act * N + (out_dev ? logits_extra : 0.0);
  p.compute_buffer_bytes = ToBytes(compute);
  p.overhead_bytes = ToBytes(compute + fixed * N);
  p.weights_device_bytes = ToBytes(w_dev);
  p.kv_device_bytes = ToBytes(kv_dev);
  p.kv_host_bytes = ToBytes(kv_host);
  p.layers_on_device = n_dev;
  p.output_on_device = out_dev;
  const double used = w_dev + kv_dev + compute + fixed * N;
  p.device_used_bytes = ToBytes(used);
  p.headroom_bytes = static_cast<int64_t>(usable_per_device * N - used);
  w_host += experts_host;
  p.weights_host_bytes = ToBytes(w_host);
  p.host_bytes = ToBytes(w_host + kv_host);
  p.layers_per_device = best ? best->layers : std::vector<uint32_t>(N, 0);

  // What everything would need on the device, for the messages.
  const double need_all = static_cast<double>(fp.total_weight_bytes) - experts_host -
                          (emb_on_device ? 0.0 : static_cast<double>(fp.token_embd_bytes)) + kv_total + act * N +
                          logits_extra + fixed * N;
  const std::string where =
      is_cpu ? "in memory" : (N > 1 ? "on the " + std::to_string(N) + " devices" : "on the device");

  // Host memory for whatever is offloaded.
  std::optional<double> host_capacity;
  if (hw.hw_class == HardwareClass::kUnifiedSoc)
    host_capacity = static_cast<double>(p.capacity_bytes) * (1.0 - p.usable_fraction);
  if (opt.host_memory_gib) host_capacity = *opt.host_memory_gib * kGib;
  const std::string experts_note = moe_host > 0 ? "the routed experts of " + std::to_string(moe_host) + " of " +
                                                      std::to_string(L) + " layers (" + Gib(experts_host) +
                                                      ") in host memory, run on the host CPU"
                                                : "";
  if (best && n_dev == L && out_dev) {
    if (moe_host == 0) {
      p.verdict = Verdict::kFits;
      return result;
    }
    if (host_capacity && static_cast<double>(p.host_bytes) > *host_capacity) {
      p.verdict = Verdict::kDoesNotFit;
      p.reason = experts_note + ": they exceed the " + Gib(*host_capacity) + " of host memory";
      return result;
    }
    p.verdict = Verdict::kFitsWithOffload;
    p.reason = experts_note + "; the rest on the device";
    return result;
  }
  if (opt.layers_on_device && !best) {
    p.verdict = Verdict::kDoesNotFit;
    p.reason = "the forced split does not fit: needs more than the " + Gib(usable_per_device * N) + " usable";
    return result;
  }
  const std::string shortfall = "needs " + Gib(need_all) + " " + where + ", " + Gib(usable_per_device * N) + " usable";
  if (!best) {  // not even the runtime's buffers with every layer elsewhere: nothing can run
    p.verdict = Verdict::kDoesNotFit;
    p.reason = shortfall + "; not even the runtime's buffers fit with every layer on the host";
    p.layers_on_device = 0;
    p.layers_per_device.assign(N, 0);
    return result;
  }
  if (style == OffloadStyle::kNone) {
    p.verdict = Verdict::kDoesNotFit;
    p.reason = shortfall + (is_cpu ? "" : "; " + rt.id + " cannot offload to the host");
    p.layers_on_device = 0;
    p.layers_per_device.assign(N, 0);
    return result;
  }
  if (host_capacity && static_cast<double>(p.host_bytes) > *host_capacity) {
    p.verdict = Verdict::kDoesNotFit;
    p.reason = shortfall + "; the offloaded " + Gib(static_cast<double>(p.host_bytes)) + " exceed the " +
               Gib(*host_capacity) + " of host memory";
    return result;
  }
  p.verdict = Verdict::kFitsWithOffload;
  const std::string runs = style == OffloadStyle::kHostLayers ? "run on the host CPU" : "stream over the host link";
  p.reason = shortfall + "; " + std::to_string(n_dev) + " of " + std::to_string(L) + " layers on the device, " +
             std::to_string(L - n_dev) + " " + runs + (out_dev ? "" : " (and the output layer)") +
             (moe_host > 0 ? "; " + experts_note : "");
  return result;
}

namespace {
// Largest value in [1, limit] for which fits() holds, assuming fits is monotone; 0 if none.
template <typename Fits>
uint64_t LargestThatFits(uint64_t limit, Fits fits) {
  if (!fits(1)) return 0;
  if (fits(limit)) return limit;
  uint64_t lo = 1, hi = limit;  // fits(lo), !fits(hi)
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}
}  // namespace

uint64_t MaxContextThatFits(const ModelSpec& spec, const ModelFootprint& fp, const HardwareSpec& hw,
                            const RuntimeProfile& rt, Workload w, const PlanOptions& opt) {
  const uint64_t limit = spec.max_context > 0 ? spec.max_context : (uint64_t{1} << 24);
  return LargestThatFits(limit, [&](uint64_t ctx) {
    w.ctx = ctx;
    auto r = PlanMemory(spec, fp, hw, rt, w, opt);
    return !r.error && r.plan.fits();
  });
}

uint32_t MaxBatchThatFits(const ModelSpec& spec, const ModelFootprint& fp, const HardwareSpec& hw,
                          const RuntimeProfile& rt, Workload w, const PlanOptions& opt) {
  return static_cast<uint32_t>(LargestThatFits(65536, [&](uint64_t b) {
    w.batch = static_cast<uint32_t>(b);
    auto r = PlanMemory(spec, fp, hw, rt, w, opt);
    return !r.error && r.plan.fits();
  }));
}

uint32_t StateTokens(const ModelSpec& spec, TensorType kv_type) {
  const KvPerToken kv = KvBytesPerToken(spec, kv_type);
  const double per_token = kv.full_layers_bytes + kv.local_layers_bytes;
  if (kv.state_bytes <= 0 || per_token <= 0) return 0;
  return static_cast<uint32_t>(std::min(std::ceil(kv.state_bytes / per_token), 1e9));
}

uint64_t KvPoolTokens(const ModelSpec& spec, const MemoryPlan& plan, TensorType kv_type) {
  // Weights and the runtime's buffers (context, activations of one step) stay; the rest is KV.
  const double taken = static_cast<double>(plan.weights_device_bytes) + static_cast<double>(plan.overhead_bytes);
  const double left = static_cast<double>(plan.usable_bytes) - taken;
  const KvPerToken kv = KvBytesPerToken(spec, kv_type);
  const double per_token = (kv.full_layers_bytes + kv.local_layers_bytes) * plan.kv_replication;
  if (left <= 0 || per_token <= 0) return 0;
  return static_cast<uint64_t>(left / per_token);
}

}  // namespace tokcast
