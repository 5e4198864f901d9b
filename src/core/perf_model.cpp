#include "core/perf_model.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/text.h"

namespace tokcast {
namespace {

constexpr double kFaQueryTile = 64;  // queries per flash-attention tile (KV is re-read per tile)
constexpr double kAllReduceLatencyNvlinkS = 8e-6;
constexpr double kAllReduceLatencyPcieS = 25e-6;
constexpr double kRowSplitMatmulsPerLayer = 7;  // q, k, v, o, gate, up, down
// A row-split matmul's peer copies and stream synchronizations (input out, slices back).
constexpr double kRowSplitSyncPcieS = 50e-6;
constexpr double kRowSplitSyncNvlinkS = 20e-6;
constexpr double kActivationBytes = 4;  // f32 activations between kernels

bool IsAttn(TensorRole r) {
  switch (r) {
    case TensorRole::kAttnQ:
    case TensorRole::kAttnK:
    case TensorRole::kAttnV:
    case TensorRole::kAttnOutput:
    case TensorRole::kAttnQA:
    case TensorRole::kAttnQB:
    case TensorRole::kSsmIn:
    case TensorRole::kSsmOut:
    case TensorRole::kAttnKvA:
    case TensorRole::kAttnKvB:
      return true;
    default:
      return false;
  }
}

void AddTo(PreparedModel::Group& g, const TensorInfo& t) {
  g.bytes += static_cast<double>(t.bytes);
  g.params += static_cast<double>(t.n_elems);
  for (auto& [type, n] : g.params_by_type) {
    if (type == t.type) {
      n += static_cast<double>(t.n_elems);
      return;
    }
  }
  g.params_by_type.emplace_back(t.type, static_cast<double>(t.n_elems));
}

std::string GroupKey(const PreparedModel::Group& g) {
  std::ostringstream os;
  os << g.bytes << ':' << g.params;
  for (const auto& [t, n] : g.params_by_type) os << ',' << static_cast<int>(t) << '=' << n;
  return os.str();
}

double KvBytesPerElem(TensorType t) {
  const auto& tr = Traits(t);
  return static_cast<double>(tr.block_bytes) / tr.block_elems;
}

// Σ over `n` consecutive query positions starting at `start` of min(position + 1, window):
// the keys each query attends to (causal).
double CausalContextSum(double start, double n, double window) {
  if (n <= 0) return 0;
  const double end = start + n;  // positions start+1 .. start+n attend to that many keys
  if (window <= 0 || end <= window) return n * start + n * (n + 1) / 2;
  if (start >= window) return n * window;
  const double below = window - start;  // positions that are still under the window
  return below * start + below * (below + 1) / 2 + (n - below) * window;
}

struct Acc {
  PhaseResult r;
  // Totals per side for the bound: time can never be less than all FLOPs at peak or all
  // bytes at full bandwidth on each side; weight streaming over the link may overlap.
  double dev_compute_s = 0, dev_memory_s = 0, host_compute_s = 0, host_memory_s = 0, link_only_s = 0;
  std::vector<OpCost>* ops = nullptr;
  const char* phase = "";
  int pass = 0;
};

// `n` passes that each cost what `one` accumulated (its operators' work and time times n).
void AddScaled(Acc& acc, const Acc& one, double n) {
  if (acc.ops && one.ops) {
    for (OpCost op : *one.ops) {
      op.flops *= n;
      op.bytes *= n;
      op.time_s *= n;
      op.pass = acc.pass;
      acc.ops->push_back(std::move(op));
    }
  }
  acc.r.time_s += n * one.r.time_s;
  acc.r.compute_s += n * one.r.compute_s;
  acc.r.memory_s += n * one.r.memory_s;
  acc.r.link_s += n * one.r.link_s;
  acc.r.host_s += n * one.r.host_s;
  acc.r.overhead_s += n * one.r.overhead_s;
  acc.dev_compute_s += n * one.dev_compute_s;
  acc.dev_memory_s += n * one.dev_memory_s;
  acc.host_compute_s += n * one.host_compute_s;
  acc.host_memory_s += n * one.host_memory_s;
  acc.link_only_s += n * one.link_only_s;
}

// A prefill of more passes than this is summed in this many blocks (RunPrefill says how).
constexpr double kMaxSummedPasses = 64;

struct Machine {  // what one side of the computation runs on
  const char* where;
  double peak_flops;  // GEMM precision
  double alu_flops;   // dequant work (vector ALUs)
  double attn_flops;
  double bandwidth;
  double eff_compute, eff_memory, eff_attention;
  double eff_decode_attention;  // the vector flash-attention kernel's, at alu_flops
  double overhead_per_kernel_s;
  bool host;
  // The rate matmuls run at when an op names none: the GEMM peak, or the vector ALUs' (FP32)
  // rate in the matrix-vector kernels of a runtime that states its kernels (mmvq, mul_mv do
  // their dot products on the SIMD units, not the tensor cores). 0: peak_flops.
  double matmul_flops = 0;
};

// The work one operator declares, per layer (or per call) it covers.
struct OpWork {
  const char* name = "";
  double count = 0;          // layers (or calls) it covers
  double flops = 0;          // at the GEMM peak
  double bytes = 0;          // moved
  double kernels = 0;        // launches (per-kernel overhead)
  double dequant_flops = 0;  // matrix-vector unpacking work, FLOP-equivalents at the GEMM peak
  double compute_peak = 0;   // 0: the machine's GEMM peak
  double compute_eff = 0;    // 0: the machine's GEMM efficiency
  double alu_flops = 0;      // vector-ALU work (quantized GEMM unpacking)
  double fixed_s = 0;        // time beyond the roofline and the launches (per count)
};

// An operator's time on a machine, in its parts.
struct OpTime {
  double compute = 0, memory = 0, dequant = 0, overhead = 0;
  double Total() const { return std::max(compute, memory) + dequant + overhead; }
};

OpTime TimeOf(const Machine& m, const OpWork& w) {
  const double count = w.count;
  const double peak = w.compute_peak > 0 ? w.compute_peak : (m.matmul_flops > 0 ? m.matmul_flops : m.peak_flops);
  const double ec = w.compute_eff > 0 ? w.compute_eff : m.eff_compute;
  OpTime t;
  t.compute = w.flops * count / (peak * ec) + w.alu_flops * count / m.alu_flops;
  t.memory = w.bytes * count / (m.bandwidth * m.eff_memory);
  // Matrix-vector work per weight (unpacking, scaling, the dot products), in FLOP-equivalents
  // at the GEMM peak of the weights' precision: on Apple M5 the neural accelerators raise it.
  // (The host CPU's own unpacking cost is part of its calibrated bandwidth efficiency.)
  t.dequant = m.host ? 0.0 : w.dequant_flops * count / m.peak_flops;
  t.overhead = w.kernels * count * m.overhead_per_kernel_s + w.fixed_s * count;
  return t;
}

void AddOp(Acc& acc, const Machine& m, const OpWork& w) {
  if (w.count <= 0) return;
  const OpTime ot = TimeOf(m, w);
  const double tc = ot.compute, tm = ot.memory, tdq = ot.dequant, to = ot.overhead;
  const double t = ot.Total();
  (m.host ? acc.host_compute_s : acc.dev_compute_s) += tc + tdq;
  (m.host ? acc.host_memory_s : acc.dev_memory_s) += tm;
  acc.r.time_s += t;
  acc.r.overhead_s += to;
  if (m.host)
    acc.r.host_s += t - to;
  else if (tc >= tm)
    acc.r.compute_s += tc + tdq;
  else
    acc.r.memory_s += tm + tdq;
  if (acc.ops) {
    acc.ops->push_back({acc.phase, m.where, w.name, w.count, w.flops * w.count, w.bytes * w.count, t,
                        to > std::max(tc, tm) ? "overhead" : (tc >= tm ? "compute" : "memory"), acc.pass});
  }
}

// Bytes crossing a link (host link, NVLink, PCIe), `count` times.
struct LinkWork {
  const char* name = "";
  double bytes = 0;
  double bandwidth = 0;  // bytes/s per direction
  double eff = 1;
  double latency_s = 0;  // per transfer
  double count = 1;
};

void AddTransfer(Acc& acc, const LinkWork& w) {
  const char* name = w.name;
  const double bytes = w.bytes, bw = w.bandwidth, eff = w.eff, latency_s = w.latency_s, count = w.count;
  if (count <= 0 || bytes <= 0) return;
  const double t = count * (bytes / (bw * eff) + latency_s);
  acc.link_only_s += t;
  acc.r.time_s += t;
  acc.r.link_s += t;
  if (acc.ops) acc.ops->push_back({acc.phase, "link", name, count, 0, bytes * count, t, "host link", acc.pass});
}

double DequantFlops(const PreparedModel::Group& g, const Efficiency& eff, double fraction) {
  if (eff.dequant_flops_per_weight.empty()) return 0;
  double total = 0;
  const auto fallback = eff.dequant_flops_per_weight.find("*");
  for (const auto& [type, n] : g.params_by_type) {
    if (type == TensorType::kF32) continue;  // norms and biases
    auto it = eff.dequant_flops_per_weight.find(ToString(type));
    if (it != eff.dequant_flops_per_weight.end())
      total += n * it->second;
    else if (fallback != eff.dequant_flops_per_weight.end() && Traits(type).is_quantized)
      total += n * fallback->second;
  }
  return total * fraction;
}

// One forward pass over `T` tokens (all sequences). Attention: `ctx_sum_full/local` = keys
// attended summed over the T queries; `kv_tokens_full/local` = KV tokens read per layer.
struct Pass {
  double tokens = 1;
  double ctx_sum_full = 0, ctx_sum_local = 0;
  double kv_tokens_full = 0, kv_tokens_local = 0;
  double out_tokens = 1;
  double seqs = 1;  // sequences in the pass (a recurrent layer reads and writes each one's state)
  bool prefill = false;
};

// What every layer of one pass shares.
struct PassEnv {
  const PerfContext& c;
  const Efficiency& eff;
  const Pass& pass;
  bool bound = false;
  double T = 0, hidden = 0, heads = 0, qk = 0, vd = 0, kv_layer_bytes = 0;
  double dq_scale = 0;  // 0 in the bound: no dequantization cost
  double alu = 0;       // ALU work of quantized GEMMs per GEMM FLOP
  double link_bw = 0, link_eff = 1;
  double ep = 1;  // expert-parallel degree (the bound takes perfect balance)
  bool fa = true;
  // Attention runs the runtime's vector flash-attention kernel (few query tokens per sequence).
  bool vec_attention = false;
  // GEMM work per token column actually computed: the runtime's tiles pad the columns of a
  // small pass (1 elsewhere, and in the bound, which a kernel without padding could reach).
  double pad = 1;
  // Passes of a runtime that states its kernels: the experts run as one matrix-vector product
  // per token and chosen expert (below moe_gemm_min_tokens), or as grouped GEMMs.
  bool experts_per_token = false, experts_gemm = false;
};

// Whether a pass's attention runs the runtime's vector flash-attention kernel.
bool VectorAttentionPass(const RuntimeProfile& rt, double tokens, double seqs) {
  const uint32_t n = rt.kernels.fa_vec_max_tokens;
  return n > 0 && tokens <= n * std::max(seqs, 1.0);
}

// Which matmul kernels a pass runs. A runtime that states its kernels picks them by the tokens
// in the pass, prefill or decode (llama-bench -ub 4 prefills through the matrix-vector kernels);
// otherwise tiled GEMMs in prefill and one small-batch kind in every decode step.
bool GemmPass(const RuntimeProfile& rt, bool prefill, double tokens) {
  return rt.kernels.Stated() ? tokens > rt.kernels.matvec_max_tokens : prefill;
}

// The token columns a GEMM pass computes: its tokens padded to the runtime's tiles.
double PaddedColumns(const RuntimeProfile& rt, double tokens) {
  const double tile = std::max<uint32_t>(rt.kernels.gemm_tile_tokens, 1);
  return std::ceil(tokens / tile) * tile;
}

// The device and the host as the roofline sees them in this pass.

std::pair<Machine, Machine> Machines(const PerfContext& c, const PerfWorkload& w, const Efficiency& eff, bool bound,
                                     const Pass& pass) {
  const bool prefill = pass.prefill;
  const bool gemm = GemmPass(c.rt, prefill, pass.tokens);
  // Too few token columns leave a GEMM's machine part idle (the bound takes it full): its output
  // tiles, padded columns included, are what occupy the cores, and once there are enough of
  // them more change nothing: N^2 / (N^2 + half^2). Decode steps only: a fit of it on prefill
  // passes too (~1 at their hundreds of tokens, yet not exactly 1) moved the few-row groups'
  // fits to other minima (DGX Spark prefill held out went from 17% to 22-33%).
  const double columns = PaddedColumns(c.rt, pass.tokens);
  const double h = eff.gemm_tokens_half;
  const double fill = bound || prefill || h <= 0 ? 1.0 : columns * columns / (columns * columns + h * h);
  const PreparedModel& pm = c.model;
  // Row split spreads the matmuls and their weights over the devices like tensor parallelism;
  // attention stays on the main device (its peak is one device's; EvalPass scales the KV bytes).
  const double row = w.row_split ? std::max<uint32_t>(w.devices, 1) : 1.0;
  const double tp = std::max<uint32_t>(w.tp, 1) * row;
  // FP8/FP4 weights run on the hardware's own FP8/FP4 GEMMs where it has them; elsewhere they
  // are dequantized into the runtime's GEMM precision like any quantized format.
  const Precision prec = NativeLowPrecision(pm, c.hw) ? pm.weight_compute
                         : pm.quantized               ? c.rt.quantized_precision
                                                      : c.rt.dense_precision;
  // Kernels can always fall back to FP32 ALUs: never assume less than that rate.
  const double fp32_peak = c.hw.PeakFlops(Precision::kFp32).value_or(1e12);
  double gemm_peak = std::max(c.hw.PeakFlops(prec).value_or(fp32_peak), fp32_peak);
  if (auto unit = c.hw.matrix_unit_flops.find(prec); bound && unit != c.hw.matrix_unit_flops.end()) {
    gemm_peak = std::max(gemm_peak, unit->second);
  }
  const double attn_peak = std::max(c.hw.PeakFlops(c.rt.dense_precision).value_or(fp32_peak), fp32_peak);
  const bool is_cpu = c.hw.hw_class == HardwareClass::kCpu;
  Machine dev{
      "device",
      gemm_peak * tp,
      fp32_peak * tp,
      attn_peak * tp / row,
      c.hw.bandwidth_bytes_per_s * tp,
      bound ? 1.0 : (!gemm ? eff.decode_compute : (DenseGemm(pm, c.hw) ? eff.dense_compute : eff.compute) * fill),
      bound ? 1.0 : eff.memory * (c.hw.dies > 1 ? eff.multi_die_memory : 1.0),
      bound ? 1.0 : eff.attention,
      bound ? 1.0 : eff.decode_attention,
      bound ? 0.0 : eff.layer_overhead_s / 8.0,
      is_cpu};
  // (The bound takes the GEMM peak whatever the kernels: another kernel could use it.)
  if (!bound && !gemm && c.rt.kernels.Stated()) dev.matmul_flops = dev.alu_flops;
  const double host_flops = c.hw.host_cpu_flops_per_s.value_or(1e12);
  Machine host{"host",
               host_flops,
               host_flops,
               host_flops,
               c.hw.host_memory_bandwidth_bytes_per_s,
               bound ? 1.0 : eff.host_compute,
               bound ? 1.0 : eff.host_memory,
               bound ? 1.0 : eff.host_compute,
               bound ? 1.0 : eff.host_compute,
               bound ? 0.0 : eff.layer_overhead_s / 8.0,
               true};
  return {dev, host};
}

// Layers [from, to) of the pass on machine `m`; `streamed`: their weights cross the host link;
// `experts_host`: their routed experts are in host memory (llama.cpp --n-cpu-moe) and run there,
// except in large prefill passes, whose expert matmuls llama.cpp moves to the GPU by copying the
// weights over the link.
void EvalLayers(const PassEnv& e, Acc& acc, const Machine& m, uint32_t from, uint32_t to, bool streamed,
                const Machine* experts_host = nullptr) {
  const PreparedModel& pm = e.c.model;
  const ModelSpec& s = *pm.spec;
  const double T = e.T, hidden = e.hidden, heads = e.heads, dq = e.dq_scale, alu = e.alu, pad = e.pad;
  const Efficiency& eff = e.eff;
  const size_t C = pm.classes.size();
  for (size_t ci = 0; ci < C; ++ci) {
    const double k = static_cast<double>(pm.suffix_counts[from * C + ci] - pm.suffix_counts[to * C + ci]);
    if (k <= 0) continue;
    const auto& lc = pm.classes[ci];
    // Norms, residual adds, RoPE, activations: memory traffic on activations.
    AddOp(acc, m,
          {.name = "norms_elementwise",
           .count = k,
           .flops = 10.0 * T * hidden,
           .bytes = lc.norms.bytes + 8.0 * T * hidden * kActivationBytes,
           .kernels = 6});
    if (lc.mixer != MixerKind::kNone) {
      AddOp(acc, m,
            {.name = "attn_proj",
             .count = k,
             .flops = 2.0 * T * pad * lc.attn.params,
             .bytes = lc.attn.bytes,
             .kernels = 4,
             .dequant_flops = (dq > 0 ? dq * DequantFlops(lc.attn, eff, 1.0) : 0.0),
             .alu_flops = alu * 2.0 * T * pad * lc.attn.params});
    }
    if (lc.mixer == MixerKind::kAttention) {
      const double ctx_sum = lc.local ? e.pass.ctx_sum_local : e.pass.ctx_sum_full;
      const double kv_tokens = lc.local ? e.pass.kv_tokens_local : e.pass.kv_tokens_full;
      double attn_bytes = kv_tokens * e.kv_layer_bytes;
      if (e.pass.prefill && !e.fa) attn_bytes += 4.0 * 4.0 * heads * ctx_sum;  // S x ctx scores written and read
      AddOp(acc, m,
            {.name = "attention",
             .count = k,
             .flops = 2.0 * heads * (e.qk + e.vd) * ctx_sum,
             .bytes = attn_bytes,
             .kernels = e.fa ? 2.0 : 5.0,
             .compute_peak = e.vec_attention ? m.alu_flops : m.attn_flops,
             .compute_eff = e.vec_attention ? m.eff_decode_attention : m.eff_attention});
    } else if (lc.mixer == MixerKind::kRecurrent) {
      // A fixed-size state per sequence, read and written once per pass whatever the context;
      // the work per token does not grow with it either (chunked scans in prefill).
      const RecurrentSpec& r = *s.recurrent;
      AddOp(acc, m,
            {.name = "recurrent_state",
             .count = k,
             .flops = r.FlopsPerToken() * T,
             .bytes = 2.0 * r.StateBytes() * e.pass.seqs,
             .kernels = 3,
             .compute_peak = m.attn_flops,
             .compute_eff = m.eff_attention});
    }
    double distinct_fraction = 1;
    if (lc.has_ffn && lc.moe) {
      const double E = s.moe->n_experts, kk = s.moe->n_experts_active;
      distinct_fraction = DistinctExperts(E, kk, T) / E;
      // With expert parallelism the group waits for its busiest device: the aggregate machine
      // does ep times that device's work.
      const ExpertParallelLoad ep = BusiestExpertDevice(E, kk, T, e.bound ? 1.0 : e.ep);
      const double ep_bytes_fraction = ep.distinct_fraction;
      AddOp(acc, m,
            {.name = "moe_router",
             .count = k,
             .flops = 2.0 * T * lc.router.params,
             .bytes = lc.router.bytes,
             .kernels = 3,
             .fixed_s = e.bound ? 0.0 : eff.moe_layer_overhead_s});
      // Few tokens per expert make small, inefficient GEMMs in prefill, and in the decode steps
      // of a runtime that states its grouped kernel's threshold (DecodeKernels). Other decode
      // steps run the experts as matrix-vector kernels over their few tokens (a serving
      // engine's grouped GEMM): no tile waste, so a batched step is never slower than its
      // tokens decoded one by one.
      const double per_expert = T * kk / E;
      const bool grouped = e.pass.prefill || e.experts_gemm;
      const double small_gemm = e.bound || !grouped ? 1.0 : per_expert / (per_expert + eff.moe_tokens_half);
      const double expert_flops = 2.0 * T * kk / E * lc.experts.params * ep.flops_factor;
      const bool copied = experts_host && e.pass.prefill && T >= 32;
      const Machine& em = experts_host && !copied ? *experts_host : m;
      // One matrix-vector product per token and chosen expert reads that expert's weights each
      // time (llama.cpp's mul_mv_id below its grouped kernel's threshold), and unpacks them each time.
      auto experts = [&](bool per_token) {
        const double read_fraction = per_token ? T * kk / E : ep_bytes_fraction;
        double expert_eff = em.eff_compute * (T > 1 ? small_gemm : 1.0);
        if (per_token) {
          expert_eff = eff.decode_compute;
        } else if (!em.host && e.experts_gemm) {
          expert_eff = (DenseGemm(e.c.model, e.c.hw) ? eff.dense_compute : eff.compute) * small_gemm;
        }
        return OpWork{.name = experts_host ? "moe_experts_host" : "moe_experts",
                      .count = k,
                      .flops = expert_flops,
                      .bytes = lc.experts.bytes * read_fraction,
                      .kernels = 3,
                      .dequant_flops = (dq > 0 ? dq * DequantFlops(lc.experts, eff, read_fraction) : 0.0),
                      .compute_peak = per_token ? em.alu_flops : em.peak_flops,
                      .compute_eff = expert_eff,
                      .alu_flops = alu * expert_flops};
      };
      OpWork expert_work = experts(e.experts_per_token && !em.host);
      // The runtime switches to its grouped kernel where it stops losing to the per-token one,
      // so a grouped step never costs more than the per-token kernels would (which are never
      // slower than the same tokens decoded one by one).
      if (!em.host && e.experts_gemm) {
        const OpWork per_token = experts(true);
        if (TimeOf(em, per_token).Total() < TimeOf(em, expert_work).Total()) expert_work = per_token;
      }
      AddOp(acc, em, expert_work);
      if (copied) {  // every expert of the layer crosses the link, once per pass
        AddTransfer(acc, {.name = "experts_over_host_link",
                          .bytes = lc.experts.bytes,
                          .bandwidth = e.link_bw,
                          .eff = e.link_eff,
                          .count = k});
      } else if (experts_host) {  // the activations go to the host and the results come back
        AddTransfer(acc, {.name = "activations_to_host_experts",
                          .bytes = T * hidden * 2.0,
                          .bandwidth = e.link_bw,
                          .eff = e.link_eff,
                          .latency_s = e.bound ? 0.0 : kAllReduceLatencyPcieS,
                          .count = 2.0 * k});
      }
      if (lc.shared.params > 0) {
        AddOp(acc, m,
              {.name = "moe_shared",
               .count = k,
               .flops = 2.0 * T * pad * lc.shared.params,
               .bytes = lc.shared.bytes,
               .kernels = 3,
               .dequant_flops = (dq > 0 ? dq * DequantFlops(lc.shared, eff, 1.0) : 0.0),
               .alu_flops = alu * 2.0 * T * pad * lc.shared.params});
      }
    } else if (lc.has_ffn) {  // (Nemotron-H's mixer-only layers have none)
      AddOp(acc, m,
            {.name = "ffn",
             .count = k,
             .flops = 2.0 * T * pad * lc.ffn.params,
             .bytes = lc.ffn.bytes,
             .kernels = 3,
             .dequant_flops = (dq > 0 ? dq * DequantFlops(lc.ffn, eff, 1.0) : 0.0),
             .alu_flops = alu * 2.0 * T * pad * lc.ffn.params});
    }
    if (streamed) {
      double w_bytes = lc.attn.bytes + lc.ffn.bytes + lc.shared.bytes + lc.router.bytes;
      if (lc.moe) w_bytes += lc.experts.bytes * distinct_fraction;
      AddTransfer(
          acc,
          {.name = "weights_over_host_link", .bytes = w_bytes, .bandwidth = e.link_bw, .eff = e.link_eff, .count = k});
    }
  }
}

void EvalPass(const PerfContext& c, const PerfWorkload& w, const Efficiency& eff, bool bound, const Pass& pass,
              Acc& acc) {
  const PreparedModel& pm = c.model;
  const ModelSpec& s = *pm.spec;
  const uint32_t L = s.n_layers;
  const uint32_t first_dev = L - std::min(c.plan.layers_on_device, L);
  const double tp = std::max<uint32_t>(w.tp, 1);
  const double T = pass.tokens;
  const auto [dev, host] = Machines(c, w, eff, bound, pass);
  PassEnv e{c, eff, pass, bound};
  e.T = T;
  e.hidden = s.hidden;
  e.heads = s.n_heads;
  const bool decompressed = pass.prefill && !c.rt.mla_absorbed_prefill;
  e.qk = decompressed ? pm.attn_qk_dim : pm.attn_qk_dim_decode;
  e.vd = decompressed ? pm.attn_v_dim : pm.attn_v_dim_decode;
  // Each device of a TP group reads its own copy of replicated KV heads (MLA's latent, or fewer
  // KV heads than devices).
  e.kv_layer_bytes = pm.kv_bytes_per_token_f16_layer / 2.0 * KvBytesPerElem(w.kv_type) * c.plan.kv_replication;
  // Row split: the machine streams at every device's bandwidth, but the KV cache is all on the
  // main device and read at its bandwidth alone.
  const double row = w.row_split ? std::max<uint32_t>(w.devices, 1) : 1.0;
  e.kv_layer_bytes *= row;
  const bool native = NativeLowPrecision(pm, c.hw);
  e.dq_scale = bound || native ? 0.0 : 1.0;
  // ALU work of quantized GEMMs, per GEMM FLOP (prefill and batched decode; the matrix-vector
  // case is covered by the per-weight dequant cost). Native FP8/FP4 GEMMs have none.
  e.alu = (!bound && pm.quantized && !native && T > 1) ? eff.alu_per_gemm_flop : 0.0;
  e.link_bw = c.hw.host_link_bytes_per_s.value_or(c.hw.host_memory_bandwidth_bytes_per_s);
  e.link_eff = bound ? 1.0 : eff.link;
  e.fa = c.rt.flash_attention;
  // (The bound takes the matrix units' rate: another kernel could use them.)
  e.vec_attention = !bound && e.fa && VectorAttentionPass(c.rt, pass.tokens, pass.seqs);
  e.ep = std::max<uint32_t>(w.ep, 1);
  const DecodeKernels& kn = c.rt.kernels;
  if (!bound && GemmPass(c.rt, pass.prefill, T)) e.pad = PaddedColumns(c.rt, T) / T;
  if (!bound && kn.Stated() && T > 1 && e.ep <= 1) {
    e.experts_per_token = T < kn.moe_gemm_min_tokens;
    e.experts_gemm = !e.experts_per_token;
  }

  // Layers not on the device: llama.cpp runs them on the host CPU, except large prefill
  // passes whose matmuls it moves to the GPU by streaming the weights over the link;
  // stream-style runtimes always stream.
  const bool stream_host_layers = c.rt.offload == OffloadStyle::kStream || (pass.prefill && T >= 32);
  if (first_dev > 0) {
    if (stream_host_layers)
      EvalLayers(e, acc, dev, 0, first_dev, true);
    else
      EvalLayers(e, acc, host, 0, first_dev, false);
    // Activations cross the link once per pass at the device boundary.
    AddTransfer(acc, {.name = "activations_over_host_link",
                      .bytes = T * e.hidden * 2.0,
                      .bandwidth = e.link_bw,
                      .eff = e.link_eff,
                      .count = 2});
  }
  // llama.cpp --n-cpu-moe: the device layers among the first moe_host_layers keep their
  // experts in host memory.
  const uint32_t experts_end = std::clamp(c.plan.moe_host_layers, first_dev, L);
  if (experts_end > first_dev) EvalLayers(e, acc, dev, first_dev, experts_end, false, &host);
  EvalLayers(e, acc, dev, experts_end, L, false);

  // LM head on the tokens that need logits.
  if (pass.out_tokens > 0) {
    const Machine& out_m = c.plan.output_on_device || c.hw.hw_class == HardwareClass::kCpu ? dev : host;
    AddOp(acc, out_m,
          {.name = "lm_head",
           .count = 1,
           .flops = 2.0 * pass.out_tokens * pm.output.params,
           .bytes = pm.output.bytes,
           .kernels = 2,
           .dequant_flops = e.dq_scale > 0 ? e.dq_scale * DequantFlops(pm.output, eff, 1.0) : 0.0});
  }

  // Tensor parallel: two all-reduces of the activations per layer.
  if (tp > 1) {
    const bool nvlink = c.hw.scaleup_bytes_per_s.has_value();
    const double bw = nvlink ? *c.hw.scaleup_bytes_per_s : e.link_bw;
    const double bytes = 2.0 * (tp - 1) / tp * T * e.hidden * 2.0;
    const double latency = bound ? 0.0 : (nvlink ? kAllReduceLatencyNvlinkS : kAllReduceLatencyPcieS);
    AddTransfer(acc, {.name = nvlink ? "all_reduce_scaleup" : "all_reduce_pcie",
                      .bytes = bytes,
                      .bandwidth = bw,
                      .eff = e.link_eff,
                      .latency_s = latency,
                      .count = 2.0 * L});
  } else if (w.row_split && w.devices > 1) {
    // llama.cpp's row split: each of a layer's matmuls (q, k, v, o, gate, up, down) sends its
    // input to every other device and gathers their slices of the output on the main one, with
    // a synchronization each time. The bound takes these transfers as free (the devices'
    // combined roofline); the bytes, about a hidden-sized vector each way per token, and the
    // time per synchronization are priors: no measured row-split run is in the data yet.
    const double n = w.devices;
    const bool nvlink = c.hw.scaleup_bytes_per_s.has_value();
    const double bw = nvlink ? *c.hw.scaleup_bytes_per_s : e.link_bw;
    const double latency = bound ? 0.0 : (nvlink ? kRowSplitSyncNvlinkS : kRowSplitSyncPcieS);
    AddTransfer(acc, {.name = nvlink ? "row_split_scaleup" : "row_split_pcie",
                      .bytes = bound ? 0.0 : (n - 1) / n * T * e.hidden * 2.0 * 2.0,
                      .bandwidth = bw,
                      .eff = e.link_eff,
                      .latency_s = latency,
                      .count = kRowSplitMatmulsPerLayer * L});
  } else if (w.devices > 1) {
    AddTransfer(acc, {.name = "activations_between_devices",
                      .bytes = T * e.hidden * 2.0,
                      .bandwidth = e.link_bw,
                      .eff = e.link_eff,
                      .count = w.devices - 1.0});
  }
}

std::string LimitOf(const PhaseResult& r, bool offloaded) {
  const double parts[] = {r.compute_s, r.memory_s, r.host_s, r.link_s, r.overhead_s};
  const char* names[] = {"compute", "memory", offloaded ? "host memory (offloaded layers)" : "host", "host link",
                         "overhead"};
  size_t best = 0;
  for (size_t i = 1; i < 5; ++i) {
    if (parts[i] > parts[best]) best = i;
  }
  return names[best];
}

// The expected time is the sum over operators (kernels run one after another); the bound is
// the roofline of the whole phase on each side, which no schedule can beat.
PhaseResult Finish(Acc& acc, bool bound, bool offloaded) {
  if (bound) {
    const double dev = std::max({acc.dev_compute_s, acc.dev_memory_s, acc.link_only_s});
    const double host = std::max(acc.host_compute_s, acc.host_memory_s);
    acc.r.time_s = dev + host;
    acc.r.compute_s = acc.dev_compute_s >= acc.dev_memory_s ? dev : 0;
    acc.r.memory_s = acc.dev_compute_s < acc.dev_memory_s ? dev : 0;
    if (acc.link_only_s >= std::max(acc.dev_compute_s, acc.dev_memory_s)) {
      acc.r.link_s = dev;
      acc.r.compute_s = acc.r.memory_s = 0;
    } else {
      acc.r.link_s = 0;
    }
    acc.r.host_s = host;
    acc.r.overhead_s = 0;
  }
  acc.r.limit = LimitOf(acc.r, offloaded);
  return acc.r;
}

PhaseResult RunDecode(const PerfContext& c, const PerfWorkload& w, const Efficiency& eff, bool bound,
                      std::vector<OpCost>* ops) {
  const ModelSpec& s = *c.model.spec;
  Acc acc;
  acc.ops = ops;
  acc.phase = "decode";
  const double B = w.batch;
  // Generation starts after the prompt: the KV holds depth + prompt tokens, then grows by one a step.
  const double mid = static_cast<double>(w.depth) + static_cast<double>(w.prompt) +
                     std::max<double>(static_cast<double>(w.gen), 1.0) / 2.0;
  const double window = s.sliding_window;
  Pass p;
  p.tokens = B;
  p.out_tokens = B;
  p.seqs = B;
  p.ctx_sum_full = B * mid;
  p.ctx_sum_local = B * (window > 0 ? std::min(mid, window) : mid);
  p.kv_tokens_full = p.ctx_sum_full;
  p.kv_tokens_local = p.ctx_sum_local;
  EvalPass(c, w, eff, bound, p, acc);
  return Finish(acc, bound, c.plan.layers_on_device < s.n_layers);
}

// How many times flash attention streams each KV entry for `tokens` queries of one sequence.
// A stated kernel packs query rows per block: q heads sharing a KV head (the largest power of
// two, at most 16, that divides their ratio) times tokens, so with GQA a block covers fewer
// tokens and the KV head is read once per block (llama.cpp CUDA: 64 rows per block, fattn.cu).
double FaKvPasses(const PerfContext& c, double tokens) {
  if (!c.rt.flash_attention) return 1.0;
  const ModelSpec& s = *c.model.spec;
  const double rows = c.rt.kernels.fa_query_rows;
  if (rows <= 0) return std::ceil(tokens / kFaQueryTile);
  const uint32_t ratio = std::max<uint32_t>(s.n_heads / std::max<uint32_t>(s.n_kv_heads, 1), 1);
  uint32_t packed = 1;
  while (packed * 2 <= 16 && packed * 2 <= rows && ratio % (packed * 2) == 0) packed *= 2;
  const double tokens_per_block = std::max(rows / packed, 1.0);
  return std::ceil(tokens / tokens_per_block) * static_cast<double>(ratio / packed);
}

PhaseResult RunPrefill(const PerfContext& c, const PerfWorkload& w, const Efficiency& eff, bool bound,
                       std::vector<OpCost>* ops) {
  const ModelSpec& s = *c.model.spec;
  Acc acc;
  acc.ops = ops;
  acc.phase = "prefill";
  const double B = w.batch;
  const double N = static_cast<double>(std::max<uint64_t>(w.prompt, 1));
  const double U = std::max<double>(w.ubatch ? w.ubatch : c.rt.ubatch_tokens, 1);
  const double window = s.sliding_window;
  // Sequences are processed one after another within ubatches of U tokens.
  const double per_seq_passes = std::ceil(N / U);
  // The pass over `t` tokens from context `start` (`last`: it computes the logits).
  auto pass_at = [&](double start, double t, bool last) {
    Pass p;
    p.prefill = true;
    p.tokens = t * B;
    p.out_tokens = last ? B : 0;
    p.seqs = B;
    p.ctx_sum_full = B * CausalContextSum(start, t, 0);
    p.ctx_sum_local = B * CausalContextSum(start, t, window);
    // Flash attention streams the KV once per tile of queries; without it one GEMM reads it once.
    const double tiles = FaKvPasses(c, t);
    p.kv_tokens_full = B * tiles * (start + t);
    p.kv_tokens_local = B * tiles * (window > 0 ? std::min(start + t, window) : start + t);
    if (bound) {  // the bound reads each KV entry once
      p.kv_tokens_full = B * (start + t);
      p.kv_tokens_local = B * (window > 0 ? std::min(start + t, window) : start + t);
    }
    return p;
  };
  // Every pass but the last is U tokens long, and its time is linear in its start between the
  // few contexts where an operator's bound switches (compute / memory, the sliding window).
  // Many of them (llama-bench -ub 1 over a 4096-token prompt: 4096 passes) are summed block by
  // block: a block's middle pass, at its mean start, times its length; exact where linear, and
  // within 0.01% of the pass-by-pass sum on the shipped rows.
  const double full = per_seq_passes - 1;
  const double blocks = std::min(full, kMaxSummedPasses);
  double first = 0;
  for (double b = 0; b < blocks; ++b) {
    const double last = std::floor(full * (b + 1) / blocks);  // passes [first, last)
    const double m = last - first;
    const double start = static_cast<double>(w.depth) + U * (first + (m - 1) / 2);
    acc.pass = static_cast<int>(first);
    Acc one;
    std::vector<OpCost> one_ops;
    one.ops = ops ? &one_ops : nullptr;
    one.phase = acc.phase;
    EvalPass(c, w, eff, bound, pass_at(start, U, false), one);
    AddScaled(acc, one, m);
    first = last;
  }
  acc.pass = static_cast<int>(full);
  EvalPass(c, w, eff, bound, pass_at(static_cast<double>(w.depth) + U * full, N - U * full, true), acc);
  return Finish(acc, bound, c.plan.layers_on_device < s.n_layers);
}

}  // namespace

namespace {

// The step as one pass: decoding sequences and prefill chunks together.
Pass StepPass(const PerfContext& c, const StepBatch& b, bool bound) {
  const double window = c.model.spec->sliding_window;
  Pass p;
  p.tokens = b.decode_seqs;
  p.out_tokens = b.decode_seqs;
  p.seqs = b.decode_seqs;
  p.ctx_sum_full = b.decode_ctx_sum;
  p.ctx_sum_local = b.decode_ctx_sum_local;
  p.kv_tokens_full = b.decode_ctx_sum;
  p.kv_tokens_local = b.decode_ctx_sum_local;
  for (const auto& ch : b.chunks) {
    if (ch.tokens <= 0) continue;
    p.prefill = true;
    p.tokens += ch.tokens;
    p.out_tokens += ch.last ? 1 : 0;
    p.seqs += 1;
    p.ctx_sum_full += CausalContextSum(ch.start, ch.tokens, 0);
    p.ctx_sum_local += CausalContextSum(ch.start, ch.tokens, window);
    // Flash attention re-reads the KV once per query tile; the bound reads each entry once.
    const double tiles = bound ? 1.0 : FaKvPasses(c, ch.tokens);
    const double end = ch.start + ch.tokens;
    p.kv_tokens_full += tiles * end;
    p.kv_tokens_local += tiles * (window > 0 ? std::min(end, window) : end);
  }
  return p;
}

}  // namespace

double StepTime(const PerfContext& c, const PerfWorkload& w, const StepBatch& b, bool bound) {
  static const Efficiency kBound = BoundEfficiency();
  const Pass p = StepPass(c, b, bound);
  if (p.tokens <= 0) return 0;
  Acc acc;
  EvalPass(c, w, bound ? kBound : c.eff, bound, p, acc);
  return Finish(acc, bound, c.plan.layers_on_device < c.model.spec->n_layers).time_s;
}

StepWork StepWorkAtPeak(const PerfContext& c, const PerfWorkload& w, const StepBatch& b) {
  static const Efficiency kBound = BoundEfficiency();
  const Pass p = StepPass(c, b, true);
  StepWork out;
  if (p.tokens <= 0) return out;
  Acc acc;
  EvalPass(c, w, kBound, true, p, acc);
  out.compute_s = acc.dev_compute_s;
  out.memory_s = acc.dev_memory_s;
  out.link_s = acc.link_only_s;
  out.host_s = std::max(acc.host_compute_s, acc.host_memory_s);
  return out;
}

double ServingThroughputBound(const PerfContext& c, const PerfWorkload& w, uint64_t isl, uint64_t osl,
                              double concurrency) {
  const double B = std::max(concurrency, 1.0);
  const double in = static_cast<double>(std::max<uint64_t>(isl, 1)),
               out = static_cast<double>(std::max<uint64_t>(osl, 1));
  // Decode steps at the concurrency, every sequence at the mean depth of its generation (KV
  // reads and attention FLOPs are linear in depth, so the mean gives the exact sum).
  StepBatch dec;
  dec.decode_seqs = B;
  const double mid = in + out / 2;
  const double window = c.model.spec->sliding_window;
  dec.decode_ctx_sum = B * mid;
  dec.decode_ctx_sum_local = B * (window > 0 ? std::min(mid, window) : mid);
  const StepWork d = StepWorkAtPeak(c, w, dec);
  StepBatch pre;
  pre.chunks.push_back({0, in, true});
  const StepWork p = StepWorkAtPeak(c, w, pre);
  // Per request, with prefill riding along in decode steps (its weight reads shared): FLOPs of
  // its prompt and its share of the decode steps; bytes and link time of its share of the steps.
  const double compute = p.compute_s + out * d.compute_s / B;
  const double memory = out * d.memory_s / B;
  const double link = p.link_s + out * d.link_s / B;
  const double host = p.host_s + out * d.host_s / B;
  const double t = std::max({compute, memory, link}) + host;
  return t > 0 ? out / t : 0;
}

double DistinctExperts(double n_experts, double k, double tokens) {
  if (n_experts <= 0) return 0;
  return n_experts * (1.0 - std::pow(1.0 - k / n_experts, tokens));
}

ExpertParallelLoad BusiestExpertDevice(double n_experts, double k, double tokens, double ep) {
  ExpertParallelLoad out;
  if (n_experts <= 0 || tokens <= 0) return out;
  if (ep <= 1) {
    out.distinct_fraction = DistinctExperts(n_experts, k, tokens) / n_experts;
    return out;
  }
  const double mean = tokens * k / ep;
  double max_load = 0;
  if (mean <= 64) {
    // E[max] = sum over x >= 0 of P(max > x), P(max <= x) = F(x)^ep with F the Poisson CDF.
    double pmf = std::exp(-mean), cdf = pmf;
    for (int x = 0; x < 1000 && cdf < 1.0 - 1e-12; ++x) {
      max_load += 1.0 - std::pow(cdf, ep);
      pmf *= mean / (x + 1);
      cdf += pmf;
    }
  } else {
    max_load = mean + std::sqrt(2.0 * mean * std::log(ep));
  }
  const double total = tokens * k;
  max_load = std::clamp(max_load, mean, total);
  out.flops_factor = max_load / mean;
  const double own = std::max(n_experts / ep, 1.0);
  out.distinct_fraction = 1.0 - std::pow(1.0 - 1.0 / own, max_load);
  return out;
}

bool NativeLowPrecision(const PreparedModel& m, const HardwareSpec& hw) {
  const Precision p = m.weight_compute;
  return (p == Precision::kFp8 || p == Precision::kFp4) && hw.PeakFlops(p).has_value();
}

bool DenseGemm(const PreparedModel& m, const HardwareSpec& hw) {
  return !m.quantized || NativeLowPrecision(m, hw);
}

Efficiency BoundEfficiency() {
  Efficiency e;
  e.memory = e.compute = e.dense_compute = e.attention = e.decode_attention = e.decode_compute = 1.0;
  e.host_memory = e.host_compute = e.link = 1.0;
  e.layer_overhead_s = 0;
  e.alu_per_gemm_flop = 0;
  e.moe_tokens_half = 0;
  e.moe_layer_overhead_s = 0;
  e.dequant_flops_per_weight.clear();
  return e;
}

std::string EfficiencyProfile::KeyFor(const RuntimeProfile& rt, const HardwareSpec& hw) const {
  // Most specific first: this runtime on this class, then the runtime it stands in for on this
  // class, then the defaults for the class. (Another class's fit is not used: validation
  // showed DGX Spark's llama.cpp-cuda fit transfers worse to discrete GPUs than the priors.)
  const std::string cls(ToString(hw.hw_class));
  for (const std::string& id : {rt.id, StandInFor(rt, hw)}) {
    if (id.empty()) continue;
    if (id == rt.id && rt.per_vendor_efficiency) {  // this vendor's own group, or a stand-in
      if (const std::string own = CalibrationKey(rt, hw); entries.count(own)) return own;
      continue;
    }
    if (entries.count(id + "/" + cls)) return id + "/" + cls;
    if (entries.count(id)) return id;
  }
  if (entries.count("default/" + cls)) return "default/" + cls;
  if (entries.count("default")) return "default";
  return "";
}

std::string CalibrationKey(const RuntimeProfile& rt, const HardwareSpec& hw) {
  std::string key = rt.id + "/" + std::string(ToString(hw.hw_class));
  if (rt.per_vendor_efficiency) key += "/" + hw.vendor;
  return key;
}

const std::string& StandInFor(const RuntimeProfile& rt, const HardwareSpec& hw) {
  const std::string cls(ToString(hw.hw_class));
  for (const auto& [on, id] : rt.efficiency_like_by) {
    if (on == cls) return id;
  }
  for (const auto& [on, id] : rt.efficiency_like_by) {
    if (ToLower(on) == ToLower(hw.vendor)) return id;
  }
  return rt.efficiency_like;
}

Efficiency Scaled(const Efficiency& e, const SpeedFactors& f) {
  Efficiency out = e;
  for (double* v : {&out.compute, &out.dense_compute, &out.attention, &out.decode_compute}) {
    *v = std::min(1.0, *v * f.compute);
  }
  out.memory = std::min(1.0, out.memory * f.memory);
  return out;
}

std::vector<std::pair<std::string, SpeedFactors>> EfficiencyProfile::FactorsFor(const RuntimeProfile& rt,
                                                                                const HardwareSpec& hw) const {
  std::vector<std::pair<std::string, SpeedFactors>> out;
  auto add = [&](const std::string& key, double prior_compute, double prior_memory) {
    if (auto it = factors.find(key); it != factors.end()) {
      out.emplace_back(key, it->second);
    } else {
      out.emplace_back(key, SpeedFactors{prior_compute, prior_memory, 0});
    }
  };
  if (rt.relative_speed && KeyFor(rt, hw).rfind(rt.id, 0) != 0) {
    add(rt.id, rt.relative_speed->compute, rt.relative_speed->memory);
  }
  // An era's builds also lack every later era's change: its own factor, then the later ones'.
  bool from_era = false;
  for (const auto& era : rt.eras) {
    from_era |= !rt.era.empty() && era.id == rt.era;
    if (from_era) add(rt.id + "@" + era.id, era.prior_compute, era.prior_memory);
  }
  return out;
}

Efficiency EfficiencyProfile::Effective(const RuntimeProfile& rt, const HardwareSpec& hw) const {
  Efficiency e = For(rt, hw);
  for (const auto& [key, f] : FactorsFor(rt, hw)) e = Scaled(e, f);
  return e;
}

const Efficiency& EfficiencyProfile::For(const RuntimeProfile& rt, const HardwareSpec& hw) const {
  static const Efficiency kFallback;
  const std::string key = KeyFor(rt, hw);
  if (key.empty()) return kFallback;
  return entries.at(key);
}

PreparedModel PrepareModel(const ModelSpec& spec, const std::vector<TensorInfo>& tensors, const QuantRecipe* recipe) {
  PreparedModel pm;
  pm.spec = &spec;
  const uint32_t L = spec.n_layers;
  std::vector<PreparedModel::LayerClass> per_layer(L);
  double quantized_params = 0, all_params = 0;
  for (uint32_t i = 0; i < L; ++i) {
    per_layer[i].moe = spec.IsMoeLayer(i);
    per_layer[i].local = spec.IsLocalLayer(i);
    per_layer[i].mixer = spec.Mixer(i);
    per_layer[i].has_ffn = spec.HasFfn(i);
  }
  for (const auto& t : tensors) {
    if (t.layer >= 0 && static_cast<uint32_t>(t.layer) < L) {
      auto& lc = per_layer[static_cast<size_t>(t.layer)];
      if (t.routed_expert)
        AddTo(lc.experts, t);
      else if (IsAttn(t.role))
        AddTo(lc.attn, t);
      else if (t.role == TensorRole::kFfnGate || t.role == TensorRole::kFfnUp || t.role == TensorRole::kFfnDown)
        AddTo(lc.ffn, t);
      else if (t.role == TensorRole::kFfnGateShexp || t.role == TensorRole::kFfnUpShexp ||
               t.role == TensorRole::kFfnDownShexp)
        AddTo(lc.shared, t);
      else if (t.role == TensorRole::kFfnRouter)
        AddTo(lc.router, t);
      else
        AddTo(lc.norms, t);
    } else if (t.role == TensorRole::kTokenEmbd) {
      AddTo(pm.embedding, t);
    } else {
      AddTo(pm.output, t);
    }
    if (t.role != TensorRole::kTokenEmbd && t.n_elems > 1024) {
      all_params += static_cast<double>(t.n_elems);
      if (Traits(t.type).is_quantized) quantized_params += static_cast<double>(t.n_elems);
    }
  }
  // Tied embeddings: the LM head reads the embedding table.
  if (spec.tied_embeddings) {
    pm.output.bytes += pm.embedding.bytes;
    pm.output.params += pm.embedding.params;
    for (const auto& pt : pm.embedding.params_by_type) pm.output.params_by_type.push_back(pt);
  }
  // Group identical layers.
  std::map<std::string, uint16_t> index;
  pm.class_of_layer.resize(L);
  for (uint32_t i = 0; i < L; ++i) {
    const auto& lc = per_layer[i];
    const std::string key = std::to_string(lc.moe) + std::to_string(lc.local) +
                            std::to_string(static_cast<int>(lc.mixer)) + std::to_string(lc.has_ffn) + "|" +
                            GroupKey(lc.attn) + "|" + GroupKey(lc.ffn) + "|" + GroupKey(lc.experts) + "|" +
                            GroupKey(lc.shared) + "|" + GroupKey(lc.router) + "|" + GroupKey(lc.norms);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, static_cast<uint16_t>(pm.classes.size())).first;
      pm.classes.push_back(lc);
    }
    pm.class_of_layer[i] = it->second;
  }
  const size_t C = pm.classes.size();
  pm.suffix_counts.assign((L + 1) * C, 0);
  for (int64_t i = static_cast<int64_t>(L) - 1; i >= 0; --i) {
    for (size_t c = 0; c < C; ++c)
      pm.suffix_counts[static_cast<size_t>(i) * C + c] = pm.suffix_counts[static_cast<size_t>(i + 1) * C + c];
    pm.suffix_counts[static_cast<size_t>(i) * C + pm.class_of_layer[static_cast<size_t>(i)]] += 1;
  }
  if (spec.mla) {
    pm.kv_bytes_per_token_f16_layer = (spec.mla->kv_lora_rank + spec.mla->qk_rope_head_dim) * 2.0;
    pm.attn_qk_dim = spec.mla->qk_nope_head_dim + spec.mla->qk_rope_head_dim;
    pm.attn_v_dim = spec.mla->v_head_dim;
    pm.attn_qk_dim_decode = spec.mla->kv_lora_rank + spec.mla->qk_rope_head_dim;
    pm.attn_v_dim_decode = spec.mla->kv_lora_rank;
  } else {
    pm.kv_bytes_per_token_f16_layer = static_cast<double>(spec.n_kv_heads) * (spec.head_dim + spec.v_head_dim) * 2.0;
    pm.attn_qk_dim = pm.attn_qk_dim_decode = spec.head_dim;
    pm.attn_v_dim = pm.attn_v_dim_decode = spec.v_head_dim;
  }
  pm.quantized = quantized_params > 0.5 * all_params;
  pm.weight_compute = recipe ? recipe->compute : Precision::kFp16;
  return pm;
}

Prediction Predict(const PerfContext& c, const PerfWorkload& w, const Costing& cost, bool with_ops) {
  Prediction p;
  const Efficiency bound_eff = BoundEfficiency();
  std::vector<OpCost>* ops = with_ops ? &p.ops : nullptr;
  p.prefill = RunPrefill(c, w, c.eff, false, ops);
  p.prefill_bound = RunPrefill(c, w, bound_eff, true, nullptr);
  p.decode = RunDecode(c, w, c.eff, false, ops);
  p.decode_bound = RunDecode(c, w, bound_eff, true, nullptr);
  const double tokens = static_cast<double>(std::max<uint64_t>(w.prompt, 1)) * w.batch;
  p.pp_tok_s = tokens / p.prefill.time_s;
  p.pp_tok_s_bound = tokens / p.prefill_bound.time_s;
  p.tg_tok_s = 1.0 / p.decode.time_s;
  p.tg_tok_s_bound = 1.0 / p.decode_bound.time_s;
  p.tg_batch_tok_s = w.batch / p.decode.time_s;
  p.tg_batch_tok_s_bound = w.batch / p.decode_bound.time_s;
  // Time to first token of one request: its prefill (the last prompt token's logits give the
  // first generated token).
  PerfWorkload one = w;
  one.batch = 1;
  p.ttft_s = w.batch == 1 ? p.prefill.time_s : RunPrefill(c, one, c.eff, false, nullptr).time_s;
  p.ttft_s_bound = w.batch == 1 ? p.prefill_bound.time_s : RunPrefill(c, one, bound_eff, true, nullptr).time_s;
  p.e2e_s = p.ttft_s + static_cast<double>(w.gen) * p.decode.time_s;
  p.e2e_s_bound = p.ttft_s_bound + static_cast<double>(w.gen) * p.decode_bound.time_s;
  const double devices = std::max(w.devices, w.tp);
  if (c.hw.tdp_w) {
    p.power_w = *c.hw.tdp_w * devices;
    p.joules_per_token = p.power_w * p.decode.time_s / w.batch;
  }
  const double s_per_token = p.decode.time_s / w.batch;
  if (cost.rental_usd_per_hour) {
    p.usd_per_mtok = *cost.rental_usd_per_hour * devices / 3600.0 * s_per_token * 1e6;
  } else if (c.hw.price_usd) {
    const double amort_per_s = *c.hw.price_usd * devices / (cost.amortization_years * 365.25 * 24 * 3600);
    const double energy_per_s = p.power_w / 1000.0 * cost.usd_per_kwh / 3600.0;
    p.usd_per_mtok = (amort_per_s + energy_per_s) * s_per_token * 1e6;
  }
  return p;
}

Throughput SaturatedThroughput(const PerfContext& c, uint64_t isl, uint64_t osl, uint32_t batch,
                               const PerfWorkload& base, double bound_concurrency, double step_overhead_s) {
  Throughput out;
  out.batch = std::max<uint32_t>(batch, 1);
  PerfWorkload w = base;
  w.batch = out.batch;
  w.prompt = std::max<uint64_t>(isl, 1);
  w.depth = 0;
  w.gen = osl;
  // Steady state: while `batch` requests decode `osl` steps at a mean depth of isl + osl/2,
  // `batch` new prompts are prefilled.
  PerfWorkload dec = w;
  dec.depth = isl;
  dec.prompt = 0;  // the prompt is the depth
  const Efficiency bound_eff = BoundEfficiency();
  for (int b = 0; b < 2; ++b) {
    const bool bound = b == 1;
    const Efficiency& eff = bound ? bound_eff : c.eff;
    const double t_prefill = RunPrefill(c, w, eff, bound, nullptr).time_s;
    const double t_step = RunDecode(c, dec, eff, bound, nullptr).time_s + (bound ? 0.0 : step_overhead_s);
    const double tok_s = out.batch * static_cast<double>(osl) / (static_cast<double>(osl) * t_step + t_prefill);
    (bound ? out.tok_s_bound : out.tok_s) = tok_s;
  }
  // The bound of the whole overlapped run: no schedule beats all its FLOPs at peak or all its
  // bytes at full bandwidth (a sum of per-phase rooflines would not be a bound).
  out.tok_s_bound = ServingThroughputBound(c, w, isl, osl, bound_concurrency > 0 ? bound_concurrency : out.batch);
  return out;
}

}  // namespace tokcast
