// tokcast bench machine | bench model; tokcast synth: measuring this machine.
#include "app/bench.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

Runner RegisterBenchMachine(CLI::App& app, Context& ctx) {
  struct Opts {
    app::BenchMachineRequest r;
    double buffer_mib = 0;
    bool no_profile = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("-t,--threads", o->r.options.threads, "Threads (default: every logical core)");
  app.add_option("-r,--reps", o->r.options.reps, "Timed repetitions per measurement (after one warm-up)")
      ->capture_default_str();
  app.add_option("--rounds", o->r.options.rounds,
                 "Memory bandwidth rounds, a second apart (the profile keeps the median round)")
      ->capture_default_str();
  app.add_option("--buffer-mib", o->buffer_mib,
                 "STREAM array size in MiB (default: 8x the last-level cache, at least 256)");
  app.add_option("--profile-out", o->r.profile_out,
                 "Where to write the hardware profile (default: the data directory)");
  app.add_flag("--no-profile", o->no_profile, "Do not write a hardware profile");
  return [o, &ctx]() {
    if (!(o->buffer_mib >= 0 && o->buffer_mib < 1e7)) throw catalog::InputError("--buffer-mib must be a positive size");
    app::BenchMachineRequest r = o->r;
    r.options.buffer_bytes = static_cast<uint64_t>(o->buffer_mib * 1024 * 1024);
    r.write_profile = !o->no_profile;
    r.store = !ctx.no_store;
    r.db_path = ctx.db_path;
    ctx.Emit(app::BenchMachineReport(app::BenchMachine(r, ctx.ProgressLine())));
    return 0;
  };
}

Runner RegisterBenchModel(CLI::App& app, Context& ctx) {
  auto r = std::make_shared<app::BenchModelRequest>();
  app.add_option("--model", r->model, "Catalog model id (synthetic weights) or a .gguf file")->required();
  app.add_option("--quant", r->quant, "Synthetic weight type: f32, f16, q8_0 or q4_0")->capture_default_str();
  app.add_option("-p,--n-prompt", r->prompt, "Prompt tokens (pp test; 0 skips it)")->capture_default_str();
  app.add_option("-n,--n-gen", r->gen, "Generated tokens (tg test; 0 skips it)")->capture_default_str();
  app.add_option("-d,--depth", r->depth, "Tokens already in the KV cache")->capture_default_str();
  app.add_option("-t,--threads", r->threads, "Threads (default: every logical core)");
  app.add_option("-r,--repetitions", r->reps, "Repetitions (after one warm-up)")->capture_default_str();
  app.add_option("--seed", r->seed, "Seed of the synthetic weights")->capture_default_str();
  app.add_flag("--profile", r->profile,
               "Then one more run of each test timed per operator: the report is where the time goes");
  return [r, &ctx]() {
    app::BenchModelRequest req = *r;
    req.store = !ctx.no_store;
    req.db_path = ctx.db_path;
    ctx.Emit(app::BenchModelReport(app::BenchModel(ctx.Catalog(), req, ctx.ProgressLine())));
    return 0;
  };
}

Runner RegisterSynth(CLI::App& app, Context& ctx) {
  auto r = std::make_shared<app::SynthRequest>();
  app.add_option("--model", r->model, "Catalog model id (dense or plain top-k MoE, GQA)")->required();
  app.add_option("--quant", r->quant, "f32, f16, q8_0 or q4_0")->capture_default_str();
  app.add_option("--gguf-out,--out", r->path, "GGUF file to write (or use the global -o)");
  app.add_option("--seed", r->seed, "Seed of the synthetic weights (the same as tokcast bench model --seed)")
      ->capture_default_str();
  return [r, &ctx]() {
    app::SynthRequest req = *r;
    if (req.path.empty()) {
      req.path = ctx.output_path;  // the GGUF is the output, not a report
      ctx.output_path.clear();
    }
    ctx.Emit(app::SynthReport(app::Synth(ctx.Catalog(), req)));
    return 0;
  };
}

}  // namespace tokcast::cli
