#include "cli/scenario.h"

#include <fstream>
#include <regex>
#include <sstream>

#include "catalog/error.h"
#include "catalog/model_source.h"

namespace tokcast::cli {

const Weights& ScenarioBuilder::Resolve(const std::string& model, const std::string& quant) {
  const std::string key = model + "\n" + quant;
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  catalog::ResolvedModel r = catalog::ResolveModel(cat_, model);
  Weights w;
  w.spec = std::make_shared<const ModelSpec>(r.spec);
  if (r.tensors) {
    w.tensors = std::move(*r.tensors);
    w.quant_label = r.weights_label;
  } else {
    w.recipe = &cat_.Quant(quant);
    w.tensors = BuildTensorInventory(*w.spec);
    ApplyRecipe(*w.recipe, w.spec->n_layers, w.tensors);
    w.quant_label = w.recipe->id;
  }
  w.prepared = std::make_shared<const PreparedModel>(PrepareModel(*w.spec, w.tensors, w.recipe));
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
  Workload mw;
  mw.ctx = std::max<uint64_t>(w.depth + w.prompt + w.gen, 1);
  mw.batch = w.batch;
  mw.kv_type = w.kv_type;
  const ModelFootprint fp = MakeFootprint(*wt.spec, wt.tensors);
  const PlanResult r = PlanMemory(*wt.spec, fp, hw, *s.rt, mw, opt);
  if (r.error) throw catalog::InputError(*r.error);
  s.plan = r.plan;
  if (s.plan.verdict == Verdict::kDoesNotFit) {
    s.unsupported = "does not fit: " + s.plan.reason;
  }
  return s;
}

Scenario ScenarioBuilder::FromRow(const MeasuredRow& row) {
  static const std::regex kTp(R"(parallel:\s*TP(\d+))");
  static const std::regex kUb(R"(\bub=(\d+))");
  static const std::regex kFa(R"(\bfa=([01])\b)");
  const HardwareSpec& hw = cat_.Hardware(row.hardware);
  auto rt = std::make_shared<RuntimeProfile>(cat_.Runtime(row.runtime));
  const Weights& wt = Resolve(row.model, row.quant);
  const TestKind kind = *TestKindFromString(row.test);
  PerfWorkload w;
  w.devices = row.device_count;
  std::smatch m;
  if (std::regex_search(row.notes, m, kTp)) w.tp = static_cast<uint32_t>(std::stoul(m[1]));
  if (std::regex_search(row.notes, m, kUb)) w.ubatch = static_cast<uint32_t>(std::stoul(m[1]));
  if (std::regex_search(row.notes, m, kFa)) rt->flash_attention = m[1] == "1";
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
    case TestKind::kCount:
      break;
  }
  Scenario s = Make(wt, hw, rt, w, kind);
  s.row = &row;
  if (kind == TestKind::kThroughput && !row.batch) {
    // Concurrency not fixed: as many sequences as memory and the scheduler allow.
    Workload mw{w.prompt + w.gen, 1, w.kv_type};
    const uint32_t fit = MaxBatchThatFits(*wt.spec, MakeFootprint(*wt.spec, wt.tensors), hw, *rt, mw, {});
    s.workload.batch = std::max<uint32_t>(1, std::min(fit, rt->max_batch));
  }
  return s;
}

EfficiencyProfile LoadProfile(const std::string& path) {
  if (path.empty()) return catalog::BuiltinEfficiencyProfile();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw catalog::InputError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return catalog::ParseEfficiencyProfile(ss.str(), path);
}

}  // namespace tokcast::cli
