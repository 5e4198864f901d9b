// tokcast predict / compare / explain: speed, energy and cost of a workload, bound vs expected.
#include <algorithm>

#include "app/predict.h"
#include "app/sweep.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

namespace {

struct PredictOptions {
  std::string model, quant = "q4_k_m", hw, runtime, memory_gb, runtime_version, split_mode = "layer";
  std::string prompt = "512", gen = "128", depth = "0", batch = "1", devices = "1", tp = "1", kv_type = "auto";
  std::string profile, isl, osl, sort, article;
  std::optional<double> claim_tg, claim_pp, claim_ttft, rental;
  std::string ubatch;
  std::optional<uint32_t> n_cpu_moe;
  bool cpu_moe = false, expert_parallel = false;
  double amortization_years = 3, usd_per_kwh = 0.15;
};

void AddOptions(CLI::App& app, PredictOptions& o, bool require, bool sort) {
  auto* m = app.add_option("--model", o.model, "Model id(s) or file");
  auto* h = app.add_option("--hw", o.hw, "Hardware id(s)");
  if (require) {
    m->required();
    h->required();
  }
  app.add_option("--quant", o.quant, "Quantization id(s)")->capture_default_str();
  app.add_option("--runtime", o.runtime, "Runtime id(s); default: llama.cpp with the platform's backend");
  app.add_option("--runtime-version", o.runtime_version,
                 "The runtime's build (b3622) or release date (2024-08-26): predicts for that build era; "
                 "default: current builds");
  app.add_option(
         "--split-mode", o.split_mode,
         "How llama.cpp splits a model across --devices (its -sm): layer (whole layers per device) or row (every "
         "dense matrix split by rows, KV on the main device)")
      ->capture_default_str();
  app.add_option("--memory-gb", o.memory_gb, "Memory configuration; default: the largest");
  app.add_option("--prompt", o.prompt, "Prompt tokens (list or range)")->capture_default_str();
  app.add_option("--gen", o.gen, "Generated tokens (list or range)")->capture_default_str();
  app.add_option("--depth", o.depth, "Tokens already in the KV cache (list or range)")->capture_default_str();
  app.add_option("--batch", o.batch, "Concurrent sequences (list or range)")->capture_default_str();
  app.add_option("--ubatch,--ubatch-size", o.ubatch,
                 "Prefill tokens per forward pass (llama.cpp -ub; list; default: the runtime's, 512 for llama.cpp)");
  app.add_option("--n-cpu-moe", o.n_cpu_moe,
                 "llama.cpp --n-cpu-moe: keep the routed experts of the first N layers in host memory (CPU)");
  app.add_flag("--cpu-moe", o.cpu_moe, "llama.cpp --cpu-moe: every layer's routed experts in host memory");
  app.add_option("--devices", o.devices, "Identical devices, layers split across them (list)")->capture_default_str();
  app.add_option("--tp", o.tp, "Tensor-parallel degree (list; all-reduce over NVLink/Infinity Fabric, else PCIe)")
      ->capture_default_str();
  app.add_flag("--expert-parallel", o.expert_parallel,
               "MoE: each --tp group holds whole experts, n_experts/tp per device (vLLM --enable-expert-parallel)");
  app.add_option("--kv-type", o.kv_type,
                 "KV cache type(s) (list); auto: fp8 for FP8/FP4 checkpoints on servers, else f16")
      ->capture_default_str();
  app.add_option("--profile", o.profile, "Efficiency profile TOML (default: the built-in calibrated one)");
  app.add_option("--isl", o.isl, "Saturated throughput: input tokens per request");
  app.add_option("--osl", o.osl, "Saturated throughput: output tokens per request");
  app.add_option("--amortize-years", o.amortization_years, "Years over which the hardware price is amortized")
      ->capture_default_str();
  app.add_option("--usd-per-kwh", o.usd_per_kwh, "Electricity price")->capture_default_str();
  app.add_option("--rental-usd-per-hour", o.rental, "Rental price per device-hour (replaces price amortization)");
  app.add_option("--claim-tg", o.claim_tg, "A published generation speed (tok/s) to check against the bound");
  app.add_option("--claim-pp", o.claim_pp, "A published prompt-processing speed (tok/s) to check");
  app.add_option("--claim-ttft", o.claim_ttft, "A published time to first token (s) to check");
  if (sort) app.add_option("--sort", o.sort, "Sort rows: tg, pp, ttft, cost, power, price, energy");
}

app::PredictRequest Request(const PredictOptions& o) {
  app::PredictRequest r;
  if (!o.model.empty()) r.models = SplitList(o.model, "--model");
  if (!o.hw.empty()) r.hardware = SplitList(o.hw, "--hw");
  r.quants = SplitList(o.quant, "--quant");
  if (!o.runtime.empty()) r.runtimes = SplitList(o.runtime, "--runtime");
  r.runtime_version = o.runtime_version;
  r.row_split = app::RowSplitFrom(o.split_mode, "--split-mode");
  if (!o.memory_gb.empty()) r.memory_gib = ParsePositive(o.memory_gb, "--memory-gb", 1e6);
  r.prompt = ParseIntSweep(o.prompt, "--prompt", 1, 10'000'000);
  r.gen = ParseIntSweep(o.gen, "--gen", 0, 10'000'000);
  r.depth = ParseIntSweep(o.depth, "--depth", 0, 100'000'000);
  r.batch = ParseU32Sweep(o.batch, "--batch", 1, 100'000);
  r.devices = ParseU32Sweep(o.devices, "--devices", 1, 1024);
  r.tp = ParseU32Sweep(o.tp, "--tp", 1, 1024);
  r.expert_parallel = o.expert_parallel;
  if (o.expert_parallel && std::all_of(r.tp.begin(), r.tp.end(), [](uint32_t t) { return t == 1; }))
    throw catalog::InputError("--expert-parallel splits experts across the tensor-parallel group: give --tp 2 or more");
  if (o.kv_type != "auto") r.kv_types = ParseKvTypes(o.kv_type, "--kv-type");
  r.profile_path = o.profile;
  if (!o.isl.empty()) r.isl = ParseIntSweep(o.isl, "--isl", 1, 10'000'000).front();
  if (!o.osl.empty()) r.osl = ParseIntSweep(o.osl, "--osl", 1, 10'000'000).front();
  if (!o.ubatch.empty()) r.ubatch = ParseU32Sweep(o.ubatch, "--ubatch", 1, 1'000'000);
  if (o.cpu_moe && o.n_cpu_moe) throw catalog::InputError("give --n-cpu-moe N or --cpu-moe, not both");
  if (o.n_cpu_moe && *o.n_cpu_moe > 100'000) throw catalog::InputError("--n-cpu-moe must be at most 100000 layers");
  if (o.n_cpu_moe) r.n_cpu_moe = *o.n_cpu_moe;
  if (o.cpu_moe) r.n_cpu_moe = UINT32_MAX;
  r.claim_tg = o.claim_tg;
  r.claim_pp = o.claim_pp;
  r.claim_ttft = o.claim_ttft;
  r.cost.amortization_years = o.amortization_years;
  r.cost.usd_per_kwh = o.usd_per_kwh;
  r.cost.rental_usd_per_hour = o.rental;
  r.sort = o.sort;
  return r;
}

}  // namespace

Runner RegisterPredict(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<PredictOptions>();
  AddOptions(app, *o, true, true);
  return [o, &ctx]() {
    ctx.Emit(app::PredictReport(app::Predict(ctx.Catalog(), Request(*o)), false));
    return 0;
  };
}

Runner RegisterCompare(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<PredictOptions>();
  AddOptions(app, *o, false, true);
  app.add_option("--article", o->article,
                 "Whose scenario and claims to use without --model/--hw (default: the catalog's first)");
  return [o, &ctx]() {
    ctx.Emit(app::PredictReport(app::Compare(ctx.Catalog(), Request(*o), o->article), true));
    return 0;
  };
}

Runner RegisterExplain(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<PredictOptions>();
  AddOptions(app, *o, true, false);
  return [o, &ctx]() {
    ctx.Emit(app::ExplainReport(app::Explain(ctx.Catalog(), Request(*o))));
    return 0;
  };
}

}  // namespace tokcast::cli
