// tokcast fit --model M --quant Q --hw H [--memory-gb G] [--ctx N] [--batch B] [--kv-type T]
//             [--runtime R] [--devices N] ...; comma lists and ranges sweep.
#include <cmath>

#include "catalog/error.h"
#include "catalog/model_source.h"
#include "cli/context.h"
#include "cli/sweep.h"
#include "core/memory_plan.h"
#include "core/text.h"

namespace tokcast::cli {
namespace {

using nlohmann::json;

struct FitOptions {
  std::string model, quant = "q4_k_m", hw, memory_gb, ctx = "4096", batch = "1", kv_type = "f16", runtime;
  std::string devices = "1", usable_fraction, host_memory_gb, layers_on_device;
  bool no_search = false;
};

// Quantizations tried, best first, when looking for the best one that fits on a runtime.
std::vector<std::string> QuantLadder(const RuntimeProfile& rt) {
  if (rt.engine == "mlx") return {"bf16", "mlx-8bit-g64", "mlx-6bit-g64", "mlx-4bit", "mlx-3bit-g64"};
  if (rt.engine == "llama.cpp" || rt.engine == "ollama") {
    return {"f16", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q3_k_m", "q2_k", "iq2_xxs"};
  }
  return {"bf16", "fp8", "nvfp4", "awq-4bit"};
}

std::string LayersCell(const json& r) {
  return std::to_string(r["layers_on_device"].get<uint32_t>()) + "/" + std::to_string(r["layers_total"].get<uint32_t>());
}

}  // namespace

Runner RegisterFit(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<FitOptions>();
  app.add_option("--model", o->model, "Model id(s), or a config.json / model folder / .gguf / .safetensors path")->required();
  app.add_option("--quant", o->quant, "Quantization id(s); ignored for GGUF and safetensors files (their own sizes)")
      ->capture_default_str();
  app.add_option("--hw", o->hw, "Hardware id(s)")->required();
  app.add_option("--memory-gb", o->memory_gb, "Memory configuration (must be one the platform is sold with); default: largest");
  app.add_option("--ctx", o->ctx, "Context tokens per sequence (list or range: 4096,32768 or 1k-128k*2)")->capture_default_str();
  app.add_option("--batch", o->batch, "Concurrent sequences (list or range)")->capture_default_str();
  app.add_option("--kv-type", o->kv_type, "KV cache type: f16, bf16, q8_0, q4_0, fp8 (list)")->capture_default_str();
  app.add_option("--runtime", o->runtime, "Runtime id(s); default: llama.cpp with the platform's backend");
  app.add_option("--devices", o->devices, "Identical devices; layers are split across them (list)")->capture_default_str();
  app.add_option("--gpu-usable-fraction", o->usable_fraction, "Override the GPU-usable share of memory (macOS wired limit, Strix Halo GTT)");
  app.add_option("--host-memory-gb", o->host_memory_gb, "Host RAM available for offloaded layers (checked when given)");
  app.add_option("--layers-on-device", o->layers_on_device, "Force the number of layers on the device (like llama.cpp -ngl)");
  app.add_flag("--no-search", o->no_search, "Skip the max-context / max-batch / best-quant searches");

  return [o, &ctx]() {
    const auto& cat = ctx.Catalog();
    const auto format = ctx.Format();
    const auto models = SplitList(o->model, "--model");
    const auto quants = SplitList(o->quant, "--quant");
    const auto hws = SplitList(o->hw, "--hw");
    const auto ctxs = ParseIntSweep(o->ctx, "--ctx", 1, uint64_t{1} << 32);
    const auto batches = ParseIntSweep(o->batch, "--batch", 1, 1'000'000);
    const auto devices = ParseIntSweep(o->devices, "--devices", 1, 1024);
    std::vector<TensorType> kv_types;
    for (const auto& k : SplitList(o->kv_type, "--kv-type")) {
      auto t = TensorTypeFromString(k);
      const bool allowed = t && (*t == TensorType::kF32 || *t == TensorType::kF16 || *t == TensorType::kBF16 ||
                                 *t == TensorType::kQ8_0 || *t == TensorType::kQ4_0 || *t == TensorType::kQ4_1 ||
                                 *t == TensorType::kQ5_0 || *t == TensorType::kQ5_1 || *t == TensorType::kIQ4_NL ||
                                 *t == TensorType::kFP8_E4M3);
      if (!allowed) throw catalog::InputError("--kv-type '" + k + "': expected f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl or fp8");
      kv_types.push_back(*t);
    }
    PlanOptions base;
    if (!o->memory_gb.empty()) base.memory_gib = ParsePositive(o->memory_gb, "--memory-gb", 1e6);
    if (!o->usable_fraction.empty()) base.usable_fraction = ParsePositive(o->usable_fraction, "--gpu-usable-fraction", 1.0);
    if (!o->host_memory_gb.empty()) base.host_memory_gib = ParsePositive(o->host_memory_gb, "--host-memory-gb", 1e7);
    if (!o->layers_on_device.empty()) {
      base.layers_on_device = static_cast<uint32_t>(ParseIntSweep(o->layers_on_device, "--layers-on-device", 0, 100000).front());
    }
    std::vector<const HardwareSpec*> hw_list;
    for (const auto& h : hws) hw_list.push_back(&cat.Hardware(h));
    std::vector<const RuntimeProfile*> rt_list;
    if (!o->runtime.empty()) {
      for (const auto& r : SplitList(o->runtime, "--runtime")) rt_list.push_back(&cat.Runtime(r));
    }

    report::ResultTable table;
    table.columns = {report::TextColumn("hardware", "hardware"),
                     report::TextColumn("model", "model"),
                     report::TextColumn("quant", "quant"),
                     report::IntColumn("ctx", "ctx"),
                     report::IntColumn("batch", "batch"),
                     report::TextColumn("verdict", "verdict"),
                     report::GibColumn("weights_bytes", "weights GiB", 2),
                     report::GibColumn("kv_bytes", "KV GiB", 2),
                     report::GibColumn("overhead_bytes", "overhead GiB", 2),
                     report::GibColumn("device_used_bytes", "used GiB", 1),
                     report::GibColumn("usable_bytes", "usable GiB", 1),
                     report::Column{"layers_on_device", "layers on device", LayersCell, true},
                     report::IntColumn("max_ctx", "max ctx"),
                     report::IntColumn("max_batch", "max batch"),
                     report::TextColumn("best_quant", "best quant")};

    for (const auto& model_arg : models) {
      const auto resolved = catalog::ResolveModel(cat, model_arg);
      const ModelSpec& spec = resolved.spec;
      // File-based weights fix the quantization; otherwise sweep the requested recipes.
      std::vector<std::pair<std::string, std::vector<TensorInfo>>> weight_sets;
      const auto inventory = BuildTensorInventory(spec);  // untyped; recipes type copies of it
      if (resolved.tensors) {
        weight_sets.emplace_back(resolved.weights_label, *resolved.tensors);
      } else {
        for (const auto& q : quants) {
          auto typed = inventory;
          ApplyRecipe(cat.Quant(q), spec.n_layers, typed);
          weight_sets.emplace_back(q, std::move(typed));
        }
      }
      for (const auto& [quant_label, tensors] : weight_sets) {
        const ModelFootprint footprint = MakeFootprint(spec, tensors);
        const ParamCounts counts = CountParams(spec, tensors);
        for (const HardwareSpec* hw : hw_list) {
          std::vector<const RuntimeProfile*> runtimes = rt_list;
          if (runtimes.empty()) runtimes.push_back(&cat.DefaultRuntimeFor(*hw));
          for (const RuntimeProfile* rt : runtimes) {
            for (uint64_t n_dev : devices) {
              for (TensorType kv : kv_types) {
                for (uint64_t c : ctxs) {
                  for (uint64_t b : batches) {
                    PlanOptions opt = base;
                    opt.devices = static_cast<uint32_t>(n_dev);
                    Workload w{c, static_cast<uint32_t>(b), kv};
                    const PlanResult result = PlanMemory(spec, footprint, *hw, *rt, w, opt);
                    if (result.error) throw catalog::InputError(*result.error);
                    const MemoryPlan& p = result.plan;
                    json row = {{"schema_version", 1},
                                {"hardware", hw->id},
                                {"model", spec.id},
                                {"quant", quant_label},
                                {"runtime", rt->id},
                                {"ctx", c},
                                {"batch", b},
                                {"kv_type", ToLower(ToString(kv))},
                                {"devices", n_dev},
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
                                {"params_total", counts.total},
                                {"params_active", counts.active},
                                {"weights_source", resolved.source},
                                {"reason", p.reason}};
                    if (!o->no_search) {
                      row["max_ctx"] = MaxContextThatFits(spec, footprint, *hw, *rt, w, opt);
                      row["max_batch"] = MaxBatchThatFits(spec, footprint, *hw, *rt, w, opt);
                      std::string best;
                      for (const auto& q : QuantLadder(*rt)) {
                        const QuantRecipe* recipe = cat.FindQuant(q);
                        if (!recipe) continue;
                        auto typed = inventory;
                        ApplyRecipe(*recipe, spec.n_layers, typed);
                        auto r2 = PlanMemory(spec, MakeFootprint(spec, typed), *hw, *rt, w, opt);
                        if (!r2.error && r2.plan.fits()) {
                          best = q;
                          break;
                        }
                      }
                      row["best_quant"] = best.empty() ? json(nullptr) : json(best);
                    }
                    table.rows.push_back(std::move(row));
                  }
                }
              }
            }
          }
        }
      }
    }
    for (const auto& r : table.rows) {
      if (!r["reason"].get<std::string>().empty()) {
        table.footnotes.push_back(r["hardware"].get<std::string>() + " / " + r["model"].get<std::string>() + " / " +
                                  r["quant"].get<std::string>() + " @ " + std::to_string(r["ctx"].get<uint64_t>()) +
                                  ": " + r["reason"].get<std::string>());
      }
    }
    table.Render(ctx.Out(), format);
    return 0;
  };
}

}  // namespace tokcast::cli
