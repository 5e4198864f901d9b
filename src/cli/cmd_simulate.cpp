// tokcast simulate --model M --hw H [--runtime R] [--quant Q] [--tp N] --isl N --osl N
//                  [--request-rate R [--burstiness B] | --concurrency C | --offline | --trace FILE]
//                  [--num-requests N] [--duration S] [--seed N] [--slo-ttft-ms X] [--slo-tpot-ms X] [--per-request]
//                  [--shared-prefix N [--prefix-groups G]] [--prefix-caching on|off]
//                  [--replicas N | --disagg P:D [--kv-link-gbs X]]
#include "app/simulate.h"
#include "app/sweep.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

namespace {
serve::LengthDist ToDist(std::pair<uint32_t, uint32_t> range) {
  return {range.first, range.second};
}
}  // namespace

Runner RegisterSimulate(CLI::App& app, Context& ctx) {
  struct Opts {
    app::SimulateRequest r;
    std::string isl = "1000", osl = "200", kv_type;
    std::optional<double> duration, slo_ttft_ms, slo_tpot_ms, burstiness;
    std::string rate, concurrency, prefix_caching, disagg;
    bool offline = false, expert_parallel = false;
    uint64_t num_requests = 1000;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->r.model, "Model id or file")->required();
  app.add_option("--hw", o->r.hardware, "Hardware id")->required();
  app.add_option("--quant", o->r.quant,
                 "Quantization (default: bf16 on servers, q4_k_m on llama.cpp, mlx-4bit on MLX)");
  app.add_option("--runtime", o->r.runtime, "Runtime id (vllm, sglang, trtllm, llama.cpp-*, ollama, mlx)");
  app.add_option("--runtime-version", o->r.runtime_version,
                 "The runtime's build (b3622) or release date (2024-08-26): simulates that build era");
  app.add_option("--devices", o->r.devices, "Devices")->capture_default_str();
  app.add_option("--tp", o->r.tp, "Tensor-parallel degree")->capture_default_str();
  app.add_flag("--expert-parallel", o->expert_parallel,
               "MoE: the TP group holds whole experts, n_experts/tp per device (vLLM --enable-expert-parallel)");
  app.add_option("--kv-type", o->kv_type, "KV cache type (default: fp8 for FP8/FP4 checkpoints on servers, else f16)");
  app.add_option("--memory-gb", o->r.memory_gib, "Memory configuration per device");
  app.add_option("--isl", o->isl, "Input tokens per request: N or MIN-MAX (uniform)")->capture_default_str();
  app.add_option("--osl", o->osl, "Output tokens per request: N or MIN-MAX (uniform)")->capture_default_str();
  app.add_option("--request-rate", o->rate,
                 "Poisson arrivals at R requests/s (the default: 1); a list (1,2,4,8) runs one simulation each");
  app.add_option("--burstiness", o->burstiness,
                 "Gamma arrivals: shape (1 = Poisson, < 1 burstier), with --request-rate");
  app.add_option("--concurrency", o->concurrency, "Closed loop: C requests in flight; a list or sweep runs each");
  app.add_flag("--offline", o->offline, "Every request at once");
  app.add_option("--trace", o->r.trace_path,
                 "Requests from a JSON Lines trace (arrival_s, input_tokens, output_tokens)");
  app.add_option("--num-requests", o->num_requests, "Requests")->capture_default_str();
  app.add_option("--duration", o->duration, "Stop arrivals after S seconds (open loop)");
  app.add_option("--seed", o->r.workload.seed, "Seed of the workload")->capture_default_str();
  app.add_option(
      "--shared-prefix", o->r.workload.shared_prefix,
      "Tokens of a shared prefix before every prompt (on top of --isl; vllm bench serve --random-prefix-len)");
  app.add_option("--prefix-groups", o->r.workload.prefix_groups,
                 "Distinct shared prefixes, one drawn per request (with --shared-prefix)")
      ->capture_default_str();
  app.add_option("--prefix-caching", o->prefix_caching,
                 "on or off: reuse cached prefixes (default: the runtime's; on for vLLM, SGLang, TensorRT-LLM)");
  app.add_option("--pp", o->r.pp, "Pipeline-parallel stages per replica (devices = tp x pp)")->capture_default_str();
  app.add_option("--replicas", o->r.replicas, "Data-parallel replicas behind a round-robin load balancer")
      ->capture_default_str();
  app.add_option("--disagg", o->disagg, "Disaggregated serving: P:D prefill and decode replicas (e.g. 1:3)");
  app.add_option("--kv-link-gbs", o->r.kv_link_gbs,
                 "With --disagg: GB/s that carry a prompt's KV to its decode replica (default: NVLink, else 50)");
  app.add_option("--max-num-seqs", o->r.max_num_seqs, "Override the runtime's limit on running requests");
  app.add_option("--max-batched-tokens", o->r.max_batched_tokens, "Override the tokens per step");
  app.add_option("--slo-ttft-ms", o->slo_ttft_ms, "Goodput: TTFT at most this");
  app.add_option("--slo-tpot-ms", o->slo_tpot_ms, "Goodput: TPOT at most this");
  app.add_option("--profile", o->r.profile_path, "Efficiency profile TOML");
  app.add_flag("--per-request", o->r.per_request, "One row per request (the run's metrics as the summary)");
  return [o, &ctx]() {
    app::SimulateRequest r = o->r;
    auto& wl = r.workload;
    const int modes = (!o->rate.empty() || o->burstiness ? 1 : 0) + (o->concurrency.empty() ? 0 : 1) +
                      (o->offline ? 1 : 0) + (r.trace_path.empty() ? 0 : 1);
    if (modes > 1) throw catalog::InputError("give one of --request-rate, --concurrency, --offline, --trace");
    wl.isl = ToDist(ParseLengthRange(o->isl, "--isl"));
    wl.osl = ToDist(ParseLengthRange(o->osl, "--osl"));
    wl.num_requests = o->num_requests;
    wl.duration_s = o->duration;
    // One simulation per offered load (a sweep draws latency against load).
    std::vector<double> loads = {1.0};
    if (!o->concurrency.empty()) {
      wl.arrival = serve::Arrival::kClosedLoop;
      loads.clear();
      for (uint32_t c : ParseU32Sweep(o->concurrency, "--concurrency", 1, 1'000'000)) loads.push_back(c);
    } else if (o->offline) {
      wl.arrival = serve::Arrival::kOffline;
    } else {
      wl.arrival = o->burstiness ? serve::Arrival::kGamma : serve::Arrival::kPoisson;
      if (!o->rate.empty()) loads = ParsePositiveList(o->rate, "--request-rate", 1e6);
      wl.burstiness = o->burstiness.value_or(1.0);
    }
    if (loads.size() > 64) throw catalog::InputError("at most 64 loads in one simulate sweep");
    if (loads.size() > 1 && r.per_request) throw catalog::InputError("--per-request shows one run: give one load");
    if (!o->disagg.empty()) {
      const auto colon = o->disagg.find(':');
      if (colon == std::string::npos) throw catalog::InputError("--disagg must be P:D, like 1:3");
      r.prefill_replicas = ParseU32Sweep(o->disagg.substr(0, colon), "--disagg", 1, 100'000).front();
      r.decode_replicas = ParseU32Sweep(o->disagg.substr(colon + 1), "--disagg", 1, 100'000).front();
    }
    if (!o->prefix_caching.empty()) {
      if (o->prefix_caching != "on" && o->prefix_caching != "off")
        throw catalog::InputError("--prefix-caching must be on or off, not '" + o->prefix_caching + "'");
      r.prefix_caching = o->prefix_caching == "on";
    }
    if (wl.prefix_groups == 0 || wl.prefix_groups > 1'000'000)
      throw catalog::InputError("--prefix-groups must be in 1..1000000");
    if (wl.shared_prefix > 10'000'000) throw catalog::InputError("--shared-prefix must be at most 10000000 tokens");
    if (!o->kv_type.empty()) r.kv_type = ParseKvTypes(o->kv_type, "--kv-type").front();
    for (auto [v, flag] : {std::pair{o->slo_ttft_ms, "--slo-ttft-ms"}, std::pair{o->slo_tpot_ms, "--slo-tpot-ms"}}) {
      if (v && !(*v > 0 && *v < 1e9)) throw catalog::InputError(std::string(flag) + " must be a positive number of ms");
    }
    if (o->slo_ttft_ms) r.slo.ttft_s = *o->slo_ttft_ms / 1e3;
    if (o->slo_tpot_ms) r.slo.tpot_s = *o->slo_tpot_ms / 1e3;
    if (r.tp == 0 || r.tp > 1024 || r.devices == 0 || r.devices > 1024)
      throw catalog::InputError("--tp and --devices must be in 1..1024");
    if (o->expert_parallel && r.tp == 1)
      throw catalog::InputError(
          "--expert-parallel splits experts across the tensor-parallel group: give --tp 2 or more");
    r.ep = o->expert_parallel ? r.tp : 1;
    std::vector<app::SimulateResult> runs;
    for (double load : loads) {
      if (wl.arrival == serve::Arrival::kClosedLoop)
        r.workload.concurrency = static_cast<uint32_t>(load);
      else
        r.workload.rate = load;
      runs.push_back(app::Simulate(ctx.Catalog(), r));
    }
    ctx.Emit(runs.size() == 1 ? app::SimulateReport(runs.front()) : app::SimulateSweepReport(runs));
    return 0;
  };
}

}  // namespace tokcast::cli
