#include "app/fit.h"

#include "app/scenario.h"
#include "catalog/error.h"
#include "core/text.h"
#include "report/kinds.h"

namespace tokcast::app {

using nlohmann::json;

bool IsKvType(TensorType t) {
  switch (t) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kIQ4_NL:
    case TensorType::kFP8_E4M3:
      return true;
    default:
      return false;
  }
}

namespace {

std::vector<const RuntimeProfile*> RuntimesFor(const catalog::Catalog& cat, const FitRequest& r,
                                               const HardwareSpec& hw) {
  std::vector<const RuntimeProfile*> out;
  for (const auto& id : r.runtimes) out.push_back(&cat.Runtime(id));
  if (out.empty()) out.push_back(&cat.DefaultRuntimeFor(hw));
  return out;
}

// The highest-precision recipe of the runtime's family that fits; "" when none does.
std::string BestQuant(const catalog::Catalog& cat, const ModelSpec& spec, const HardwareSpec& hw,
                      const RuntimeProfile& rt, const Workload& w, const PlanOptions& opt) {
  const auto inventory = BuildTensorInventory(spec);
  for (const auto& q : cat.QuantLadder(rt)) {
    const QuantRecipe* recipe = cat.FindQuant(q);
    if (!recipe || (recipe->moe_only && !spec.moe)) continue;
    auto typed = inventory;
    ApplyRecipe(*recipe, spec, typed);
    auto r = PlanMemory(spec, MakeFootprint(spec, typed), hw, rt, w, opt);
    if (!r.error && r.plan.fits()) return q;
  }
  return "";
}

}  // namespace

FitResult Fit(const catalog::Catalog& cat, const FitRequest& req) {
  for (TensorType kv : req.kv_types) {
    if (!IsKvType(kv))
      throw catalog::InputError("KV cache type " + ToLower(ToString(kv)) + " is not one a runtime stores KV in");
  }
  std::vector<std::optional<double>> fractions(req.usable_fractions.begin(), req.usable_fractions.end());
  if (fractions.empty()) fractions.push_back(std::nullopt);
  std::vector<std::optional<uint32_t>> splits(req.layers_on_device.begin(), req.layers_on_device.end());
  if (splits.empty()) splits.push_back(std::nullopt);
  CheckSweepSize({req.models.size(), req.quants.size(), req.hardware.size(), req.runtimes.size(), req.devices.size(),
                  req.kv_types.size(), fractions.size(), splits.size(), req.ctx.size(), req.batch.size()});
  ScenarioBuilder builder(cat);
  FitResult out;
  for (const auto& model : req.models) {
    for (const auto& quant : req.quants) {
      const Weights& wt = builder.Resolve(model, quant);
      if (!wt.recipe && &quant != &req.quants.front()) continue;  // a file fixes its own types
      const ParamCounts counts = CountParams(*wt.spec, wt.tensors);
      for (const auto& hw_id : req.hardware) {
        const HardwareSpec& hw = cat.Hardware(hw_id);
        for (const RuntimeProfile* rt : RuntimesFor(cat, req, hw)) {
          for (uint32_t dev : req.devices) {
            CheckCombination(hw, *rt, wt, dev, 1);
            for (TensorType kv : req.kv_types) {
              for (const auto& fraction : fractions) {
                for (const auto& split : splits) {
                  for (uint64_t c : req.ctx) {
                    for (uint64_t b : req.batch) {
                      PlanOptions opt;
                      opt.memory_gib = req.memory_gib;
                      opt.host_memory_gib = req.host_memory_gib;
                      opt.usable_fraction = fraction;
                      opt.layers_on_device = split;
                      opt.devices = dev;
                      const Workload w{c, static_cast<uint32_t>(b), kv};
                      const PlanResult plan = PlanMemory(*wt.spec, wt.footprint, hw, *rt, w, opt);
                      if (plan.error) throw catalog::InputError(*plan.error);
                      FitRow row;
                      row.hardware = hw.id;
                      row.model = wt.spec->id;
                      row.quant = wt.quant_label;
                      row.runtime = rt->id;
                      row.weights_source = wt.source;
                      row.ctx = c;
                      row.batch = b;
                      row.kv_type = kv;
                      row.devices = dev;
                      row.plan = plan.plan;
                      row.counts = counts;
                      row.warnings = ScenarioWarnings(*wt.spec, c);
                      if (req.search) {
                        row.max_ctx = MaxContextThatFits(*wt.spec, wt.footprint, hw, *rt, w, opt);
                        row.max_batch = MaxBatchThatFits(*wt.spec, wt.footprint, hw, *rt, w, opt);
                        row.best_quant = BestQuant(cat, *wt.spec, hw, *rt, w, opt);
                      }
                      out.rows.push_back(std::move(row));
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

report::Report FitReport(const FitResult& result) {
  report::Report rep;
  rep.schema = &report::kinds::Fit();
  for (const auto& r : result.rows) {
    const MemoryPlan& p = r.plan;
    json j = {{"hardware", r.hardware},
              {"model", r.model},
              {"quant", r.quant},
              {"runtime", r.runtime},
              {"ctx", r.ctx},
              {"batch", r.batch},
              {"kv_type", ToLower(ToString(r.kv_type))},
              {"devices", r.devices},
              {"memory_gib", p.capacity_gib},
              {"fits", p.fits()},
              {"verdict", std::string(ToString(p.verdict))},
              {"weights_bytes", p.weights_bytes},
              {"weights_device_bytes", p.weights_device_bytes},
              {"weights_host_bytes", p.weights_host_bytes},
              {"kv_bytes", p.kv_bytes},
              {"kv_device_bytes", p.kv_device_bytes},
              {"kv_host_bytes", p.kv_host_bytes},
              {"overhead_bytes", p.overhead_bytes},
              {"compute_buffer_bytes", p.compute_buffer_bytes},
              {"usable_bytes", p.usable_bytes},
              {"usable_fraction", p.usable_fraction},
              {"device_used_bytes", p.device_used_bytes},
              {"headroom_bytes", p.headroom_bytes},
              {"host_bytes", p.host_bytes},
              {"layers_total", p.layers_total},
              {"layers_on_device", p.layers_on_device},
              {"layers_per_device", p.layers_per_device},
              {"output_on_device", p.output_on_device},
              {"params_total", r.counts.total},
              {"params_active", r.counts.active},
              {"weights_source", r.weights_source},
              {"reason", p.reason},
              {"warnings", r.warnings}};
    if (r.max_ctx) j["max_ctx"] = *r.max_ctx;
    if (r.max_batch) j["max_batch"] = *r.max_batch;
    if (r.best_quant) j["best_quant"] = r.best_quant->empty() ? json(nullptr) : json(*r.best_quant);
    if (!p.reason.empty()) {
      rep.notes.push_back(r.hardware + " / " + r.model + " / " + r.quant + " @ " + std::to_string(r.ctx) + ": " +
                          p.reason);
    }
    for (const auto& w : r.warnings) rep.notes.push_back("warning: " + w);
    rep.rows.push_back(std::move(j));
  }
  return rep;
}

}  // namespace tokcast::app
