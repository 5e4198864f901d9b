// tokcast fit --model M --quant Q --hw H [--memory-gb G] [--ctx N] [--batch B] [--kv-type T]
//             [--runtime R] [--devices N] ...; comma lists and ranges sweep.
#include "app/fit.h"
#include "app/sweep.h"
#include "cli/context.h"

namespace tokcast::cli {

Runner RegisterFit(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string model, quant = "q4_k_m", hw, memory_gb, ctx = "4096", batch = "1", kv_type = "f16", runtime;
    std::string devices = "1", usable_fraction, host_memory_gb, layers_on_device;
    bool no_search = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->model, "Model id(s), or a config.json / model folder / .gguf / .safetensors path")
      ->required();
  app.add_option("--quant", o->quant, "Quantization id(s); ignored for GGUF and safetensors files (their own sizes)")
      ->capture_default_str();
  app.add_option("--hw", o->hw, "Hardware id(s)")->required();
  app.add_option("--memory-gb", o->memory_gb,
                 "Memory configuration (must be one the platform is sold with); default: largest");
  app.add_option("--ctx", o->ctx, "Context tokens per sequence (list or range: 4096,32768 or 1k-128k*2)")
      ->capture_default_str();
  app.add_option("--batch", o->batch, "Concurrent sequences (list or range)")->capture_default_str();
  app.add_option("--kv-type", o->kv_type, "KV cache type(s): f16, bf16, q8_0, q4_0, fp8 (list)")->capture_default_str();
  app.add_option("--runtime", o->runtime, "Runtime id(s); default: llama.cpp with the platform's backend");
  app.add_option("--devices", o->devices, "Identical devices; layers are split across them (list)")
      ->capture_default_str();
  app.add_option("--gpu-usable-fraction", o->usable_fraction,
                 "GPU-usable share(s) of memory (macOS wired limit, Strix Halo GTT)");
  app.add_option("--host-memory-gb", o->host_memory_gb, "Host RAM available for offloaded layers (checked when given)");
  app.add_option("--layers-on-device", o->layers_on_device,
                 "Force the layers on the device, like llama.cpp -ngl (list)");
  app.add_flag("--no-search", o->no_search, "Skip the max-context / max-batch / best-quant searches");
  return [o, &ctx]() {
    app::FitRequest r;
    r.models = SplitList(o->model, "--model");
    r.quants = SplitList(o->quant, "--quant");
    r.hardware = SplitList(o->hw, "--hw");
    if (!o->runtime.empty()) r.runtimes = SplitList(o->runtime, "--runtime");
    r.ctx = ParseIntSweep(o->ctx, "--ctx", 1, uint64_t{1} << 32);
    r.batch = ParseIntSweep(o->batch, "--batch", 1, 1'000'000);
    r.kv_types = ParseKvTypes(o->kv_type, "--kv-type");
    r.devices = ParseU32Sweep(o->devices, "--devices", 1, 1024);
    if (!o->usable_fraction.empty())
      r.usable_fractions = ParsePositiveList(o->usable_fraction, "--gpu-usable-fraction", 1.0);
    if (!o->layers_on_device.empty())
      r.layers_on_device = ParseU32Sweep(o->layers_on_device, "--layers-on-device", 0, 100000);
    if (!o->memory_gb.empty()) r.memory_gib = ParsePositive(o->memory_gb, "--memory-gb", 1e6);
    if (!o->host_memory_gb.empty()) r.host_memory_gib = ParsePositive(o->host_memory_gb, "--host-memory-gb", 1e7);
    r.search = !o->no_search;
    ctx.Emit(app::FitReport(app::Fit(ctx.Catalog(), r)));
    return 0;
  };
}

}  // namespace tokcast::cli
