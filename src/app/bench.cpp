#include "app/bench.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <tuple>

#include "app/results.h"
#include "app/session.h"
#include "catalog/error.h"
#include "catalog/gguf.h"
#include "catalog/hardware_profile.h"
#include "catalog/model_source.h"
#include "core/memory_plan.h"
#include "core/perf_model.h"
#include "core/text.h"
#include "measure/model_bench.h"
#include "measure/probe.h"
#include "measure/thread_pool.h"
#include "report/kinds.h"

namespace tokcast::app {

using nlohmann::json;

json HostJson(const measure::HostFacts& h) {
  return {{"cpu_model", h.cpu_model},
          {"arch", h.arch},
          {"os", h.os},
          {"logical_cores", h.logical_cores},
          {"simd", h.simd},
          {"kernel_path", h.kernel_path},
          {"l1d_bytes", h.l1d_bytes},
          {"l2_bytes", h.l2_bytes},
          {"l3_bytes", h.l3_bytes},
          {"memory_bytes", h.memory_bytes},
          {"cpu_governor", h.cpu_governor},
          {"load_average", h.load_average},
          {"debug_build", h.debug_build}};
}

namespace {

json StatJson(const measure::Stat& s) {
  return {{"median", s.median}, {"min", s.min},       {"max", s.max},
          {"mean", s.mean},     {"stddev", s.stddev}, {"reps", s.reps}};
}

void MakeParentDir(const std::string& path) {
  std::error_code ec;
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
}

// This CPU as hardware "local": measured bandwidth and GEMM peaks, not datasheet values.
HardwareSpec LocalCpuSpec(const measure::MachineBenchResult& m) {
  HardwareSpec h;
  h.id = "local";
  h.name = m.host.cpu_model.empty() ? "this machine" : m.host.cpu_model + " (measured)";
  h.vendor = "local";
  h.hw_class = HardwareClass::kCpu;
  h.notes = "measured with " + std::to_string(m.threads) + " threads, kernels: " + m.host.kernel_path +
            "; bandwidth = median over " + std::to_string(m.rounds.size()) +
            " rounds of STREAM's best rate of read/copy/triad; peaks = the instruction sets' ceilings (" +
            m.ceilings.fp32_isa + ", " + m.ceilings.int8_isa +
            (m.ceilings.bf16_flops_per_s ? ", " + m.ceilings.bf16_isa : std::string()) +
            ", register-only loops on every thread), or tokcast's GEMMs where faster";
  h.sources = {"tokcast bench machine"};
  h.memory_options_gib = {std::max(1.0, std::floor(static_cast<double>(m.host.memory_bytes) / (1ull << 30)))};
  h.bandwidth_bytes_per_s = m.bandwidth_bytes_per_s;
  h.measured_bandwidth_bytes_per_s = m.bandwidth_bytes_per_s;
  h.gpu_usable = {{std::nullopt, 0.9}};
  h.peak_flops = {{Precision::kFp32, m.fp32_flops_per_s},
                  {Precision::kFp16, m.fp16_flops_per_s},
                  {Precision::kInt8, m.int8_flops_per_s}};
  if (m.matrix_int8_flops_per_s > 0) h.matrix_unit_flops[Precision::kInt8] = m.matrix_int8_flops_per_s;
  if (m.matrix_bf16_flops_per_s > 0) h.matrix_unit_flops[Precision::kFp16] = m.matrix_bf16_flops_per_s;
  h.host_link = "none (the CPU is the host)";
  h.host_memory_bandwidth_bytes_per_s = m.bandwidth_bytes_per_s;
  h.host_cpu_flops_per_s = m.fp32_flops_per_s;
  return h;
}

// The GPU as hardware "local-gpu": measured device bandwidth, cuBLAS rates, host link.
HardwareSpec LocalGpuSpec(const measure::MachineBenchResult& m) {
  const measure::GpuResult& g = *m.gpu;
  HardwareSpec h;
  h.id = "local-gpu";
  h.name = g.name + " (measured)";
  h.vendor = "NVIDIA";
  h.hw_class = HardwareClass::kDiscreteGpu;
  h.notes = "device copy bandwidth and cuBLAS GEMM rates measured by tokcast bench machine";
  h.sources = {"tokcast bench machine"};
  h.memory_options_gib = {std::floor(g.memory_bytes / (1ull << 30))};
  h.bandwidth_bytes_per_s = g.device_copy.median;
  h.measured_bandwidth_bytes_per_s = g.device_copy.median;
  h.gpu_usable = {{std::nullopt, 0.97}};
  for (const auto& [k, v] : g.gemm_flops) {
    if (auto p = PrecisionFromString(k)) h.peak_flops[*p] = v.median;
  }
  h.host_link = "PCIe (measured)";
  h.host_link_bytes_per_s = g.host_to_device.median;
  h.host_memory_bandwidth_bytes_per_s = m.bandwidth.read.median;
  h.host_cpu_flops_per_s = m.fp32_flops_per_s;
  return h;
}

// The machine's int8 ceiling: the AMX tile unit's where measured, else the vector units'.
double Int8Ceiling(const measure::MachineBenchResult& m) {
  return std::max(m.int8_flops_per_s, m.matrix_int8_flops_per_s);
}

// The instruction sets' peaks beside tokcast's GEMMs, and the GEMMs' fraction of them.
json CeilingsJson(const measure::MachineBenchResult& m) {
  const auto& c = m.ceilings;
  json j = {{"fp32_flops_per_s", StatJson(c.fp32_flops_per_s)},
            {"fp32_isa", c.fp32_isa},
            {"int8_ops_per_s", StatJson(c.int8_ops_per_s)},
            {"int8_isa", c.int8_isa},
            {"bf16_flops_per_s", c.bf16_flops_per_s ? StatJson(*c.bf16_flops_per_s) : json(nullptr)},
            {"bf16_isa", c.bf16_isa.empty() ? json(nullptr) : json(c.bf16_isa)},
            {"amx",
             {{"tile", c.amx_tile},
              {"int8", c.amx_int8},
              {"bf16", c.amx_bf16},
              {"permitted", c.amx_permitted},
              {"measured", c.amx_int8_ops_per_s.has_value()},
              {"int8_ops_per_s", c.amx_int8_ops_per_s ? StatJson(*c.amx_int8_ops_per_s) : json(nullptr)},
              {"bf16_flops_per_s", c.amx_bf16_flops_per_s ? StatJson(*c.amx_bf16_flops_per_s) : json(nullptr)}}}};
  auto frac = [](double kernel, double peak) { return peak > 0 ? json(kernel / peak) : json(nullptr); };
  j["tokcast_gemm_fraction"] = {{"fp32", frac(m.kernel_fp32_flops_per_s, m.fp32_flops_per_s)},
                                {"fp16", frac(m.kernel_fp16_flops_per_s, m.fp16_flops_per_s)},
                                {"int8", frac(m.kernel_int8_flops_per_s, Int8Ceiling(m))}};
  return j;
}

json MachineSummary(const BenchMachineResult& r) {
  const auto& m = r.m;
  json matmul = json::object();
  for (const auto& mm : m.matmul) {
    matmul[std::string(ToString(mm.type))] = StatJson(mm.flops_per_s);
    matmul[std::string(ToString(mm.type))]["shape"] = {mm.rows, mm.in, mm.tokens};
  }
  std::vector<double> round_best;
  for (const auto& b : m.rounds) round_best.push_back(std::max({b.read.max, b.copy.max, b.triad.max}));
  const std::string simd = Join(m.host.simd);
  json j = {
      {"host_text", m.host.cpu_model + " (" + m.host.arch + ", " + std::to_string(m.host.logical_cores) +
                        " logical cores, " + FormatFixed(static_cast<double>(m.host.memory_bytes) / (1ull << 30), 1) +
                        " GiB; SIMD " + simd + "; kernels " + m.host.kernel_path + ")"},
      {"host", HostJson(m.host)},
      {"threads", m.threads},
      {"memory_bandwidth_bytes_per_s", m.bandwidth_bytes_per_s},
      {"bandwidth",
       {{"read", StatJson(m.bandwidth.read)},
        {"copy", StatJson(m.bandwidth.copy)},
        {"triad", StatJson(m.bandwidth.triad)},
        {"buffer_bytes", m.bandwidth.buffer_bytes},
        {"round_best_rates", round_best}}},
      {"matmul_flops_per_s", matmul},
      {"ceilings", CeilingsJson(m)},
      {"warnings", m.warnings}};
  if (m.gpu) {
    const auto& g = *m.gpu;
    json gj = {{"name", g.name},
               {"compute_capability", g.compute_capability},
               {"sm_count", g.sm_count},
               {"memory_bytes", g.memory_bytes},
               {"memory_bandwidth_bytes_per_s", g.device_copy.median},
               {"device_copy", StatJson(g.device_copy)},
               {"host_to_device", StatJson(g.host_to_device)},
               {"device_to_host", StatJson(g.device_to_host)}};
    json gm = json::object();
    for (const auto& [k, v] : g.gemm_flops) gm[k] = StatJson(v);
    gj["matmul_flops_per_s"] = gm;
    j["gpu"] = gj;
  } else {
    j["gpu_note"] = m.gpu_note;
  }
  if (!r.profile_path.empty()) j["hardware_profile"] = r.profile_path;
  if (!r.gpu_profile_path.empty()) j["gpu_hardware_profile"] = r.gpu_profile_path;
  if (r.run_id) j["run_id"] = *r.run_id;
  return j;
}

}  // namespace

BenchMachineResult BenchMachine(const BenchMachineRequest& req, const Progress& progress) {
  BenchMachineResult r;
  try {
    r.m = measure::RunMachineBenchmark(req.options, progress);
  } catch (const std::invalid_argument& e) {
    throw catalog::InputError(e.what());
  }
  if (req.write_profile) {
    r.profile_path = req.profile_out.empty() ? LocalHardwarePath() : req.profile_out;
    MakeParentDir(r.profile_path);
    WriteUserFile(r.profile_path, catalog::HardwareProfileToml(LocalCpuSpec(r.m),
                                                               "Written by `tokcast bench machine` on this "
                                                               "host; measured, not datasheet values."));
    if (r.m.gpu && r.m.gpu->gemm_flops.count("fp16")) {
      r.gpu_profile_path = LocalGpuHardwarePath();
      MakeParentDir(r.gpu_profile_path);
      WriteUserFile(r.gpu_profile_path, catalog::HardwareProfileToml(LocalGpuSpec(r.m),
                                                                     "Written by `tokcast bench machine` on "
                                                                     "this host; measured, not datasheet values."));
    }
  }
  if (req.store) r.run_id = StoreRun(req.db_path, "bench-machine", HostJson(r.m.host), MachineSummary(r), {});
  return r;
}

report::Report BenchMachineReport(const BenchMachineResult& r) {
  report::Report rep;
  rep.schema = &report::kinds::BenchMachine();
  rep.summary_schema = &report::kinds::BenchMachineSummary();
  rep.summary = MachineSummary(r);
  const auto& m = r.m;
  auto add = [&](const std::string& what, const measure::Stat& s, double scale, const char* unit) {
    rep.rows.push_back({{"what", what},
                        {"median", s.median / scale},
                        {"min", s.min / scale},
                        {"max", s.max / scale},
                        {"mean", s.mean / scale},
                        {"stddev", s.stddev / scale},
                        {"reps", s.reps},
                        {"unit", unit}});
  };
  add("memory read (" + std::to_string(m.threads) + " threads)", m.bandwidth.read, 1e9, "GB/s");
  add("memory copy", m.bandwidth.copy, 1e9, "GB/s");
  add("memory triad", m.bandwidth.triad, 1e9, "GB/s");
  add("memory best rate, per round (" + std::to_string(m.rounds.size()) + ")", m.round_best, 1e9, "GB/s");
  for (const auto& mm : m.matmul) {
    add("matmul " + std::string(ToString(mm.type)) + " " + std::to_string(mm.rows) + "x" + std::to_string(mm.in) +
            " x" + std::to_string(mm.tokens),
        mm.flops_per_s, 1e9, "GFLOP/s");
  }
  const auto& c = m.ceilings;
  add("ceiling fp32, " + c.fp32_isa, c.fp32_flops_per_s, 1e9, "GFLOP/s");
  add("ceiling int8, " + c.int8_isa, c.int8_ops_per_s, 1e9, "GOP/s");
  if (c.bf16_flops_per_s) add("ceiling bf16, " + c.bf16_isa, *c.bf16_flops_per_s, 1e9, "GFLOP/s");
  if (c.amx_int8_ops_per_s) add("ceiling int8, amx (tdpbsud)", *c.amx_int8_ops_per_s, 1e9, "GOP/s");
  if (c.amx_bf16_flops_per_s) add("ceiling bf16, amx (tdpbf16ps)", *c.amx_bf16_flops_per_s, 1e9, "GFLOP/s");
  std::string amx = "absent";
  if (c.amx_int8_ops_per_s) {
    amx =
        "measured: the profile keeps the vector units' peaks (what calibrated efficiencies refer to) and the "
        "tile unit's as its matrix-unit peaks (the bound's); int8 fractions are of the tile unit's";
  } else if (c.amx_tile) {
    amx = c.amx_permitted ? "present, turned off (TOKCAST_AMX=0)" : "present, not permitted by the OS";
  }
  rep.notes.push_back(
      "ceilings: register-only multiply-add loops on every thread, the peaks the profile keeps; tokcast's GEMMs "
      "reach " +
      FormatFixed(100 * m.kernel_int8_flops_per_s / std::max(Int8Ceiling(m), 1.0), 0) + "% (int8) and " +
      FormatFixed(100 * m.kernel_fp32_flops_per_s / std::max(m.fp32_flops_per_s, 1.0), 0) + "% (fp32) of them; AMX " +
      amx);
  if (m.gpu) {
    add("GPU " + m.gpu->name + " device copy", m.gpu->device_copy, 1e9, "GB/s");
    add("GPU host-to-device (pinned)", m.gpu->host_to_device, 1e9, "GB/s");
    add("GPU device-to-host (pinned)", m.gpu->device_to_host, 1e9, "GB/s");
    for (const auto& [k, v] : m.gpu->gemm_flops) add("GPU cuBLAS GEMM " + k, v, 1e12, "TFLOP/s");
  }
  for (const auto& w : m.warnings) rep.notes.push_back("warning: " + w);
  if (!r.profile_path.empty())
    rep.notes.push_back("hardware profile written to " + r.profile_path + " (use --hw local)");
  if (!r.gpu_profile_path.empty())
    rep.notes.push_back("GPU hardware profile written to " + r.gpu_profile_path + " (use --hw local-gpu)");
  return rep;
}

namespace {

class GgufWeightSource : public measure::WeightSource {
 public:
  GgufWeightSource(std::shared_ptr<const void> owner, const catalog::GgufHeader& header, std::span<const uint8_t> bytes)
      : owner_(std::move(owner)), header_(header), bytes_(bytes) {
    for (const auto& t : header_.tensors) byname_[t.name] = &t;
  }
  std::optional<measure::StoredTensor> Tensor(const std::string& name) const override {
    auto it = byname_.find(name);
    if (it == byname_.end()) return std::nullopt;
    const auto& g = *it->second;
    if (header_.data_offset > bytes_.size() || g.offset > bytes_.size() - header_.data_offset) return std::nullopt;
    const uint64_t available = bytes_.size() - header_.data_offset - g.offset;
    return measure::StoredTensor{g.type, bytes_.data() + header_.data_offset + g.offset, g.dims,
                                 std::min(g.bytes, available)};
  }

 private:
  std::shared_ptr<const void> owner_;  // keeps header_ and bytes_ alive
  const catalog::GgufHeader& header_;
  std::span<const uint8_t> bytes_;
  std::map<std::string, const catalog::GgufTensorInfo*> byname_;
};

struct ModelUnderTest {
  std::unique_ptr<measure::ProbeModel> probe;
  ModelSpec spec;
  std::vector<TensorInfo> tensors;  // as the planner sees them
  std::string label;
};

std::optional<TensorType> ProbeType(const std::string& quant) {
  auto t = TensorTypeFromString(quant);
  if (!t || !(*t == TensorType::kF32 || *t == TensorType::kF16 || *t == TensorType::kQ8_0 || *t == TensorType::kQ4_0)) {
    return std::nullopt;
  }
  return t;
}

ModelUnderTest Load(const catalog::Catalog& cat, const BenchModelRequest& r, size_t ctx) {
  ModelUnderTest m;
  if (r.model.ends_with(".gguf")) {
    auto file = std::make_shared<catalog::GgufFile>(catalog::GgufFile::Open(r.model));
    m.spec = catalog::ModelSpecFromGguf(file->header(), file->bytes(), r.model);
    cat.FillRopeDefaults(m.spec);
    m.tensors = catalog::TensorsFromGguf(file->header());
    try {
      m.probe = measure::ProbeModel::FromWeights(GgufWeights(file), m.spec, ctx);
    } catch (const std::invalid_argument& e) {
      throw catalog::InputError(r.model + ": " + e.what());
    }
    m.label = "GGUF";
    return m;
  }
  m.spec = cat.Model(r.model).spec;
  cat.FillRopeDefaults(m.spec);
  const auto type = ProbeType(r.quant);
  if (!type) throw catalog::InputError("quant '" + r.quant + "': the probe engine runs f32, f16, q8_0 and q4_0");
  try {
    m.probe = measure::ProbeModel::Synthesize(m.spec, *type, r.seed, ctx);
  } catch (const std::invalid_argument& e) {
    throw catalog::InputError(e.what());
  }
  // The planner's view: every matrix at this type, norms and biases F32 (what was synthesized).
  QuantRecipe recipe;
  recipe.id = ToLower(ToString(*type));
  recipe.default_type = *type;
  recipe.compute = *type == TensorType::kF32 ? Precision::kFp32 : Precision::kFp16;
  m.tensors = BuildTensorInventory(m.spec);
  ApplyRecipe(recipe, m.spec.n_layers, m.tensors);
  m.label = "synthetic " + std::string(ToString(*type));
  return m;
}

// The prediction for this machine, from the profile `tokcast bench machine` wrote.
void AddPrediction(const catalog::Catalog& cat, const BenchModelRequest& r, const ModelUnderTest& m, size_t ctx_len,
                   json& s) {
  const HardwareSpec* local = cat.FindHardware("local");
  if (!local) return;
  const RuntimeProfile& rt = cat.Runtime("tokcast-probe");
  PerfWorkload w;
  w.prompt = std::max<uint64_t>(r.prompt, 1);
  w.gen = std::max<uint64_t>(r.gen, 1);
  w.depth = r.depth;
  const PreparedModel pm = PrepareModel(m.spec, m.tensors, nullptr);
  const auto plan =
      PlanMemory(m.spec, MakeFootprint(m.spec, m.tensors), *local, rt, Workload{ctx_len, 1, TensorType::kF16}, {}).plan;
  const EfficiencyProfile profile = LoadProfile("");
  const Efficiency eff = profile.Effective(rt, *local);
  const Prediction p = Predict(PerfContext{pm, *local, rt, plan, eff}, w);
  if (r.prompt > 0) {
    s["predicted_pp_tok_s"] = p.pp_tok_s;
    s["predicted_pp_tok_s_bound"] = p.pp_tok_s_bound;
    s["pp_error_pct"] = (p.pp_tok_s / s["pp_tok_s"].get<double>() - 1) * 100;
    const auto counts = CountParams(m.spec, m.tensors);
    const double flops_per_token = 2.0 * static_cast<double>(counts.active - counts.embedding);
    const Precision prec = pm.quantized ? Precision::kInt8 : Precision::kFp16;
    std::optional<double> peak = local->PeakFlops(prec);
    if (auto unit = local->matrix_unit_flops.find(prec); peak && unit != local->matrix_unit_flops.end()) {
      peak = std::max(*peak, unit->second);  // the fraction of the machine's fastest unit
    }
    if (peak) {
      s["prefill_flops_per_s"] = flops_per_token * s["pp_tok_s"].get<double>();
      s["prefill_matmul_fraction"] = flops_per_token * s["pp_tok_s"].get<double>() / *peak;
    }
  }
  if (r.gen > 0) {
    const double tg = s["tg_tok_s"].get<double>();
    s["predicted_tg_tok_s"] = p.tg_tok_s;
    s["predicted_tg_tok_s_bound"] = p.tg_tok_s_bound;
    s["tg_error_pct"] = (p.tg_tok_s / tg - 1) * 100;
    // The same prediction at the bandwidth this run's pages gave: the model's own error, apart
    // from the machine's drift since `bench machine`.
    if (s.contains("weights_read_bytes_per_s")) {
      HardwareSpec now = *local;
      now.bandwidth_bytes_per_s = now.host_memory_bandwidth_bytes_per_s = s["weights_read_bytes_per_s"].get<double>();
      const Efficiency eff_now = profile.Effective(rt, now);
      const Prediction pn = Predict(PerfContext{pm, now, rt, plan, eff_now}, w);
      s["predicted_tg_tok_s_at_run_bandwidth"] = pn.tg_tok_s;
      s["tg_error_pct_at_run_bandwidth"] = (pn.tg_tok_s / tg - 1) * 100;
    }
    if (local->measured_bandwidth_bytes_per_s) {
      s["decode_bandwidth_fraction"] = s["decode_bytes_per_s"].get<double>() / *local->measured_bandwidth_bytes_per_s;
    }
  }
}

// One row per operator that took time: its time per token, its share of the run, and the
// bytes it read per token and at what rate.
std::vector<json> ProfileRows(const measure::ProbeProfile& p, const std::string& test) {
  double total = 0;
  for (double v : p.seconds) total += v;
  std::vector<json> rows;
  const double tokens = static_cast<double>(std::max<uint64_t>(p.tokens, 1));
  for (size_t i = 0; i < measure::ProbeProfile::kOps; ++i) {
    if (p.seconds[i] <= 0) continue;
    json j = {{"test", test},
              {"op", measure::ToString(static_cast<measure::ProbeOp>(i))},
              {"ms_per_token", p.seconds[i] * 1e3 / tokens},
              {"share", total > 0 ? p.seconds[i] / total : 0.0}};
    if (p.bytes[i] > 0) {
      j["bytes_per_token"] = static_cast<double>(p.bytes[i]) / tokens;
      j["read_bytes_per_s"] = static_cast<double>(p.bytes[i]) / p.seconds[i];
    }
    rows.push_back(std::move(j));
  }
  return rows;
}

std::vector<std::string> BenchNotes(const catalog::Catalog& cat, const json& s) {
  std::vector<std::string> notes;
  const HardwareSpec* local = cat.FindHardware("local");
  if (!local) notes.push_back("no prediction: run `tokcast bench machine` first to write the local hardware profile");
  if (!s.contains("decode_weights_read_fraction")) return notes;
  const double read = s["weights_read_bytes_per_s"].get<double>();
  notes.push_back("decode read its weights at " + FormatFixed(s["decode_bytes_per_s"].get<double>() / 1e9, 1) +
                  " GB/s: " + FormatFixed(100 * s["decode_weights_read_fraction"].get<double>(), 0) +
                  "% of the read bandwidth of the same pages around each run (" + FormatFixed(read / 1e9, 1) +
                  " GB/s)");
  if (s.contains("predicted_tg_tok_s_at_run_bandwidth")) {
    notes.push_back("predicted tg at the bandwidth of this run's pages: " +
                    FormatFixed(s["predicted_tg_tok_s_at_run_bandwidth"].get<double>(), 2) + " t/s (" +
                    FormatFixed(s["tg_error_pct_at_run_bandwidth"].get<double>(), 0) + "% vs measured)");
  }
  if (local && local->measured_bandwidth_bytes_per_s) {
    const double ratio = read / *local->measured_bandwidth_bytes_per_s;
    if (ratio < 0.8 || ratio > 1.25) {
      notes.push_back(
          "warning: this run's memory read at " + FormatFixed(100 * ratio, 0) +
          "% of the bandwidth `tokcast bench machine` measured: the machine's bandwidth moved (other tenants, "
          "page placement), and the ceiling ratios move with it");
    }
  }
  return notes;
}

std::vector<MeasuredRow> BenchRows(const BenchModelRequest& r, const ModelUnderTest& m, const json& s,
                                   unsigned threads) {
  std::vector<MeasuredRow> rows;
  const std::string quant = m.label.rfind("synthetic ", 0) == 0 ? ToLower(m.label.substr(10)) : "";
  if (quant.empty()) return rows;
  for (const bool pp : {true, false}) {
    if ((pp && r.prompt == 0) || (!pp && r.gen == 0)) continue;
    MeasuredRow row;
    row.hardware = "local";
    row.runtime = "tokcast-probe";
    row.model = m.spec.id;
    row.quant = quant;
    row.test = pp ? "pp" : "tg";
    if (pp)
      row.n_prompt = r.prompt;
    else
      row.n_gen = r.gen;
    row.depth = r.depth;
    row.batch = 1;
    row.value = s[pp ? "pp_tok_s" : "tg_tok_s"].get<double>();
    row.unit = "tok/s";
    row.source_id = "tokcast-bench";
    row.notes = "sd: " + FormatFixed(s[pp ? "pp_tok_s_sd" : "tg_tok_s_sd"].get<double>(), 3) +
                "; threads: " + std::to_string(threads) + "; weights: " + m.label;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::shared_ptr<const measure::WeightSource> GgufWeights(std::shared_ptr<const catalog::GgufFile> file) {
  const auto& header = file->header();
  const auto bytes = file->bytes();
  return std::make_shared<GgufWeightSource>(std::move(file), header, bytes);
}

std::shared_ptr<const measure::WeightSource> GgufWeights(std::shared_ptr<const void> owner,
                                                         const catalog::GgufHeader& header,
                                                         std::span<const uint8_t> bytes) {
  return std::make_shared<GgufWeightSource>(std::move(owner), header, bytes);
}

BenchModelResult BenchModel(const catalog::Catalog& cat, const BenchModelRequest& r, const Progress& progress) {
  if (r.reps < 1 || r.reps > 1000) throw catalog::InputError("repetitions must be in 1..1000");
  if (r.prompt > 1'000'000 || r.gen > 1'000'000 || r.depth > 10'000'000)
    throw catalog::InputError("-p, -n, -d are absurd");
  if (r.prompt == 0 && r.gen == 0) throw catalog::InputError("nothing to run: -p and -n are both 0");
  const measure::HostFacts host = measure::ProbeHost();
  const unsigned threads = r.threads ? r.threads : host.logical_cores;
  if (threads == 0 || threads > 1024) throw catalog::InputError("threads must be in 1..1024");
  const size_t ctx_len = r.depth + std::max(r.prompt, r.gen) + 1;
  ModelUnderTest m = Load(cat, r, ctx_len);
  measure::ThreadPool pool(threads);
  const auto run = measure::RunModelBenchmark(*m.probe, pool, {r.prompt, r.gen, r.depth, r.reps, r.profile}, progress);
  const auto pps = measure::Summarize(run.pp_tok_s), tgs = measure::Summarize(run.tg_tok_s);
  json s = {{"host", HostJson(host)},
            {"model", m.spec.id},
            {"weights", m.label},
            {"n_prompt", r.prompt},
            {"n_gen", r.gen},
            {"depth", r.depth},
            {"threads", threads},
            {"repetitions", r.reps},
            {"weights_bytes", m.probe->weights_bytes()},
            {"decode_bytes_per_token", m.probe->DecodeBytesPerToken(r.depth + r.gen / 2)}};
  if (r.prompt > 0) {
    s["pp_tok_s"] = pps.mean;
    s["pp_tok_s_sd"] = pps.stddev;
  }
  if (r.gen > 0) {
    s["tg_tok_s"] = tgs.mean;
    s["tg_tok_s_sd"] = tgs.stddev;
    const double decode_bytes = static_cast<double>(m.probe->DecodeBytesPerToken(r.depth + r.gen / 2));
    s["decode_bytes_per_s"] = tgs.mean * decode_bytes;
    const auto& read = run.weights_read_bytes_per_s;
    if (!read.empty() && read.size() == run.tg_tok_s.size()) {
      double mean_read = 0, fraction = 0;
      for (size_t i = 0; i < read.size(); ++i) {
        mean_read += read[i] / static_cast<double>(read.size());
        fraction += run.tg_tok_s[i] * decode_bytes / read[i] / static_cast<double>(read.size());
      }
      s["weights_read_bytes_per_s"] = mean_read;
      s["decode_weights_read_fraction"] = fraction;
    }
  }
  AddPrediction(cat, r, m, ctx_len, s);
  BenchModelResult out;
  for (const auto& [test, n, prof] :
       {std::tuple{"pp", r.prompt, &run.pp_profile}, std::tuple{"tg", r.gen, &run.tg_profile}}) {
    if (!*prof) continue;
    const std::string name = test + std::to_string(n);
    for (json& row : ProfileRows(**prof, name)) out.profile_rows.push_back(std::move(row));
  }
  if (!out.profile_rows.empty()) s["profile"] = out.profile_rows;
  out.notes = BenchNotes(cat, s);
  for (const auto& w : measure::ReliabilityWarnings(host, std::max(pps.Spread(), tgs.Spread())))
    out.notes.push_back("warning: " + w);
  if (r.store) {
    json stored = s;
    stored["notes"] = out.notes;
    s["run_id"] = StoreRun(r.db_path, "bench-model", HostJson(host), stored, BenchRows(r, m, s, threads));
  }
  out.summary = std::move(s);
  return out;
}

report::Report BenchModelReport(const BenchModelResult& r) {
  report::Report rep;
  rep.schema = &report::kinds::BenchModel();
  rep.summary_schema = &report::kinds::BenchModelSummary();
  rep.summary = r.summary;
  rep.notes = r.notes;
  const json& s = r.summary;
  if (!r.profile_rows.empty()) {  // the profile is the table; the rates go under it
    rep.schema = &report::kinds::BenchModelProfile();
    rep.rows = r.profile_rows;
    std::string rates;
    if (s.contains("pp_tok_s"))
      rates += "pp" + std::to_string(s["n_prompt"].get<uint64_t>()) + " " +
               FormatFixed(s["pp_tok_s"].get<double>(), 2) + " t/s";
    if (s.contains("tg_tok_s"))
      rates += std::string(rates.empty() ? "" : ", ") + "tg" + std::to_string(s["n_gen"].get<uint64_t>()) + " " +
               FormatFixed(s["tg_tok_s"].get<double>(), 2) + " t/s";
    rep.notes.insert(rep.notes.begin(),
                     "measured over the timed repetitions: " + rates +
                         "; the profile is one more run of each test, timed per operator (the calling "
                         "thread's time from each operator's start to its end)");
    return rep;
  }
  const std::string dep = s["depth"].get<uint64_t>() ? " @ d" + std::to_string(s["depth"].get<uint64_t>()) : "";
  auto row = [&](const char* test, const char* n_key, const char* mean, const char* sd, const char* pred,
                 const char* bound, const char* frac) {
    if (!s.contains(mean)) return;
    json j = {{"model", s["model"]},
              {"weights", s["weights"]},
              {"weights_bytes", s["weights_bytes"]},
              {"threads", s["threads"]},
              {"test", test + std::to_string(s[n_key].get<uint64_t>()) + dep},
              {"tok_s", s[mean]},
              {"tok_s_sd", s[sd]}};
    if (s.contains(pred)) j["predicted_tok_s"] = {{"expected", s[pred]}, {"bound", s[bound]}};
    if (s.contains(frac)) j["ceiling_fraction"] = s[frac];
    rep.rows.push_back(std::move(j));
  };
  row("pp", "n_prompt", "pp_tok_s", "pp_tok_s_sd", "predicted_pp_tok_s", "predicted_pp_tok_s_bound",
      "prefill_matmul_fraction");
  row("tg", "n_gen", "tg_tok_s", "tg_tok_s_sd", "predicted_tg_tok_s", "predicted_tg_tok_s_bound",
      "decode_bandwidth_fraction");
  rep.notes.insert(rep.notes.begin(),
                   "% of machine ceiling: decode bytes/s over the measured memory bandwidth; prefill FLOP/s "
                   "over the measured matmul throughput (tokcast bench machine)");
  return rep;
}

}  // namespace tokcast::app
