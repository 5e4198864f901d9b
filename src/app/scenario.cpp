#include "app/scenario.h"

#include <algorithm>
#include <regex>

#include "catalog/error.h"
#include "catalog/model_source.h"
#include "core/text.h"
#include "remote/hub.h"

namespace tokcast::app {

namespace {

bool Contains(const std::vector<std::string>& list, std::string_view v) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return ToLower(s) == ToLower(v); });
}

}  // namespace

catalog::ResolvedModel ResolveModelArg(const catalog::Catalog& cat, const std::string& arg) {
  if (remote::IsRemoteModel(arg) && !cat.FindModel(arg)) {
    return remote::ResolveRemoteModel(arg, remote::HubSettings::FromEnvironment());
  }
  return catalog::ResolveModel(cat, arg);
}

const Weights& ScenarioBuilder::Resolve(const std::string& model, const std::string& quant) {
  const std::string key = model + "\n" + quant;
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  catalog::ResolvedModel r = ResolveModelArg(cat_, model);
  Weights w;
  w.spec = std::make_shared<const ModelSpec>(r.spec);
  w.source = r.source;
  if (r.tensors) {
    w.tensors = std::move(*r.tensors);
    w.quant_label = r.weights_label;
    w.file_format = r.weights_label.rfind("GGUF", 0) == 0 ? "gguf" : "safetensors";
  } else {
    w.recipe = &cat_.Quant(quant);
    w.tensors = BuildTensorInventory(*w.spec);
    ApplyRecipe(*w.recipe, *w.spec, w.tensors);
    w.quant_label = w.recipe->id;
  }
  w.prepared = std::make_shared<const PreparedModel>(PrepareModel(*w.spec, w.tensors, w.recipe));
  w.footprint = MakeFootprint(*w.spec, w.tensors);
  return cache_.emplace(key, std::move(w)).first->second;
}

Scenario ScenarioBuilder::Make(const Weights& wt, const HardwareSpec& hw, std::shared_ptr<const RuntimeProfile> rt,
                               const PerfWorkload& w, TestKind kind, const PlanOptions& opt_in) const {
  Scenario s;
  s.kind = kind;
  s.hw = &hw;
  s.rt = rt.get();
  s.rt_owned = std::move(rt);
  s.spec = wt.spec;
  s.model = wt.prepared;
  s.workload = w;
  PlanOptions opt = opt_in;
  opt.devices = std::max(w.devices, w.tp);
  opt.tp = w.tp;
  opt.row_split = w.row_split;
  Workload mw;
  mw.ctx = std::max<uint64_t>(w.depth + w.prompt + w.gen, 1);
  mw.batch = w.batch;
  mw.kv_type = w.kv_type;
  const PlanResult r = PlanMemory(*wt.spec, wt.footprint, hw, *s.rt, mw, opt);
  if (r.error) throw catalog::InputError(*r.error);
  s.plan = r.plan;
  if (s.plan.verdict == Verdict::kDoesNotFit) s.unsupported = "does not fit: " + s.plan.reason;
  return s;
}

Scenario ScenarioBuilder::FromRow(const MeasuredRow& row) {
  static const std::regex kTp(R"(parallel:\s*TP(\d+))");
  static const std::regex kUb(R"(\bub=(\d+))");
  static const std::regex kFa(R"(\bfa=([01])\b)");
  static const std::regex kSmRow(R"(\bsm=row\b)");
  const HardwareSpec& hw = cat_.Hardware(row.hardware);
  auto rt = std::make_shared<RuntimeProfile>(cat_.Runtime(row.runtime));
  const Weights& wt = Resolve(row.model, row.quant);
  const TestKind kind = *TestKindFromString(row.test);
  PerfWorkload w;
  w.devices = row.device_count;
  std::smatch m;
  auto flag = [&](const char* what, uint64_t max) {
    const auto v = ParseDecimal(m[1].str(), max);
    if (!v || *v == 0) {
      throw catalog::InputError(std::string("notes: ") + what + " must be in 1.." + std::to_string(max) + ", got '" +
                                m[1].str() + "'");
    }
    return static_cast<uint32_t>(*v);
  };
  if (std::regex_search(row.notes, m, kTp)) w.tp = flag("TP", 1024);
  if (std::regex_search(row.notes, m, kUb)) w.ubatch = flag("ub", 1'000'000);
  if (std::regex_search(row.notes, m, kFa)) rt->flash_attention = m[1] == "1";
  w.row_split = w.devices > 1 && std::regex_search(row.notes, kSmRow);
  // The era of the build that ran it: its day, else its numbered build's release day.
  std::optional<Day> day = row.day;
  if (row.build) {
    if (auto bd = cat_.BuildDay(rt->engine, *row.build)) day = bd;
  }
  if (day) rt->era = EraOn(*rt, *day);
  w.depth = row.depth.value_or(0);
  w.batch = static_cast<uint32_t>(row.batch.value_or(1));
  switch (kind) {
    case TestKind::kPp:
      w.prompt = row.n_prompt.value_or(512);
      w.gen = 0;
      break;
    case TestKind::kTg:
    case TestKind::kTgBatch:
      w.prompt = 0;
      w.gen = row.n_gen.value_or(128);
      break;
    case TestKind::kTtft:
      w.prompt = row.n_prompt.value_or(512);
      w.gen = 1;
      break;
    case TestKind::kThroughput:
      w.prompt = row.n_prompt.value_or(1024);
      w.gen = row.n_gen.value_or(1024);
      if (!row.batch) w.batch = rt->max_batch;
      break;
    default:  // serving kinds: the simulator predicts them (app/validate.cpp)
      break;
  }
  Scenario s = Make(wt, hw, rt, w, kind);
  s.row = &row;
  if (kind == TestKind::kThroughput && !row.batch) {
    // Concurrency not fixed: as many sequences as memory and the scheduler allow.
    Workload mw{w.prompt + w.gen, 1, w.kv_type};
    const uint32_t fit = MaxBatchThatFits(*wt.spec, wt.footprint, hw, *rt, mw, {});
    s.workload.batch = std::max<uint32_t>(1, std::min(fit, rt->max_batch));
  }
  return s;
}

void CheckCombination(const HardwareSpec& hw, const RuntimeProfile& rt, const Weights& wt, uint32_t devices,
                      uint32_t tp, uint32_t ep, bool row_split) {
  if (ep > 1) {
    if (!wt.spec->moe) throw catalog::InputError("expert parallelism needs a MoE model; " + wt.spec->id + " is dense");
    if (ep != tp) {
      throw catalog::InputError("expert parallelism runs across the tensor-parallel group: ep must be 1 or tp (" +
                                std::to_string(tp) + "); got " + std::to_string(ep));
    }
    if (wt.spec->moe->n_experts % ep != 0) {
      throw catalog::InputError("ep " + std::to_string(ep) + " does not divide " + wt.spec->id + "'s " +
                                std::to_string(wt.spec->moe->n_experts) + " experts");
    }
  }
  if (!rt.vendors.empty() && !Contains(rt.vendors, hw.vendor)) {
    throw catalog::InputError("runtime " + rt.id + " runs on " + Join(rt.vendors) + " hardware; " + hw.id + " is " +
                              hw.vendor);
  }
  if (!rt.classes.empty() && !Contains(rt.classes, ToString(hw.hw_class))) {
    throw catalog::InputError("runtime " + rt.id + " runs on " + Join(rt.classes) + " hardware; " + hw.id + " is " +
                              std::string(ToString(hw.hw_class)));
  }
  const std::string format = wt.recipe ? wt.recipe->format : wt.file_format;
  if (!rt.formats.empty() && !format.empty() && format != "safetensors" && !Contains(rt.formats, format)) {
    throw catalog::InputError("runtime " + rt.id + " cannot load " + wt.quant_label + " (" + format +
                              " weights); it loads " + Join(rt.formats));
  }
  if (wt.recipe && wt.recipe->moe_only && !wt.spec->moe) {
    throw catalog::InputError("quant " + wt.recipe->id + " quantizes only MoE experts; " + wt.spec->id +
                              " is a dense model");
  }
  if (tp > 1) {
    if (!rt.tensor_parallel) {
      throw catalog::InputError("runtime " + rt.id +
                                " has no tensor parallelism (it splits layers across devices): use " + "--devices " +
                                std::to_string(tp) + " without --tp, or vllm, sglang or trtllm");
    }
    // Discrete GPUs reach each other over NVLink/Infinity Fabric or the PCIe host link; a unified
    // SoC's host link joins its own CPU and GPU, so only a scale-up link joins two of them.
    const bool discrete = hw.hw_class == HardwareClass::kDiscreteGpu || hw.hw_class == HardwareClass::kAccelerator;
    if (!hw.scaleup_bytes_per_s && !(discrete && hw.host_link_bytes_per_s)) {
      throw catalog::InputError(hw.id + " has no link between devices for tensor parallelism");
    }
    if (devices > 1 && devices < tp) {
      throw catalog::InputError("--tp " + std::to_string(tp) + " needs at least " + std::to_string(tp) +
                                " devices; --devices is " + std::to_string(devices));
    }
    if (wt.spec->n_heads % tp != 0 ||
        (wt.spec->n_kv_heads > 0 && wt.spec->n_kv_heads < tp && tp % wt.spec->n_kv_heads != 0)) {
      throw catalog::InputError("--tp " + std::to_string(tp) + " does not divide " + wt.spec->id + "'s " +
                                std::to_string(wt.spec->n_heads) + " attention heads");
    }
  }
  if (row_split) {
    if (!rt.row_split) {
      throw catalog::InputError("runtime " + rt.id +
                                " has no row split (llama.cpp's --split-mode row is in its CUDA and HIP backends)");
    }
    if (devices < 2)
      throw catalog::InputError("--split-mode row splits matrices across devices: give --devices 2 or more");
    if (tp > 1) throw catalog::InputError("--split-mode row and --tp are two ways to split a layer: give one");
    if (wt.spec->moe) {
      throw catalog::InputError("--split-mode row splits only dense weights (llama.cpp keeps a MoE's experts whole); " +
                                wt.spec->id + " is a MoE: use the default layer split");
    }
    const bool discrete = hw.hw_class == HardwareClass::kDiscreteGpu || hw.hw_class == HardwareClass::kAccelerator;
    if (!hw.scaleup_bytes_per_s && !(discrete && hw.host_link_bytes_per_s)) {
      throw catalog::InputError(hw.id + " has no link between devices for a row split");
    }
  }
  if (hw.max_devices && std::max(devices, tp) > *hw.max_devices) {
    throw catalog::InputError(hw.id + " takes at most " + std::to_string(*hw.max_devices) +
                              " device(s) per system; asked for " + std::to_string(std::max(devices, tp)));
  }
}

void CheckSweepSize(std::initializer_list<size_t> sizes) {
  double n = 1;
  for (size_t s : sizes) n *= static_cast<double>(std::max<size_t>(s, 1));
  if (n > kMaxScenarios) {
    throw catalog::InputError("the sweep has " + FormatFixed(n, 0) + " scenarios, more than " +
                              FormatFixed(kMaxScenarios, 0) + ": narrow it");
  }
}

std::vector<std::string> ScenarioWarnings(const ModelSpec& spec, uint64_t ctx) {
  std::vector<std::string> w;
  if (spec.max_context && ctx > spec.max_context) {
    w.push_back("context " + std::to_string(ctx) + " exceeds " + spec.id + "'s trained maximum of " +
                std::to_string(spec.max_context) + " tokens: quality degrades beyond it");
  }
  return w;
}

std::string StandInKey(const EfficiencyProfile& profile, const RuntimeProfile& rt, const HardwareSpec& hw) {
  const std::string key = profile.KeyFor(rt, hw);
  if (key == rt.id || key.rfind(rt.id + "/", 0) == 0) {
    const auto it = profile.entries.find(key);
    if (it == profile.entries.end()) return "";
    if (!it->second.prefill_from.empty()) {
      return it->second.prefill_from + " (its GEMM and attention efficiencies: " + key +
             " has decode measurements only)";
    }
    if (it->second.based_on.empty()) return "";
    return it->second.based_on + " (all but the GEMMs, which " + rt.id + "'s serving runs fit)";
  }
  return key.empty() ? "built-in defaults" : key;
}

std::vector<std::string> FactorNotes(const EfficiencyProfile& profile, const RuntimeProfile& rt,
                                     const HardwareSpec& hw) {
  std::vector<std::string> out;
  for (const auto& [key, f] : profile.FactorsFor(rt, hw)) {
    const std::string values =
        "GEMMs and attention x" + FormatFixed(f.compute, 2) + ", memory streaming x" + FormatFixed(f.memory, 2) +
        (f.rows ? " (fitted on " + std::to_string(f.rows) + " rows)" : " (the runtime's stated prior)");
    if (key == rt.id) {
      out.push_back(rt.id + " runs at its own speed relative to " + profile.KeyFor(rt, hw) + ": " + values);
    } else if (const RuntimeEra* era = FindEra(rt, key.substr(key.find('@') + 1))) {
      out.push_back(rt.id + " builds of era " + era->id + " (before " + FormatIsoDay(era->until) + ", when " +
                    era->what + "): " + values);
    }
  }
  return out;
}

std::shared_ptr<RuntimeProfile> AtVersion(const catalog::Catalog& cat, const RuntimeProfile& rt,
                                          std::string_view version, std::string_view where) {
  auto out = std::make_shared<RuntimeProfile>(rt);
  if (version.empty() || version == "latest") return out;
  out->era = EraOn(rt, cat.VersionDay(rt, version, where));
  return out;
}

}  // namespace tokcast::app
