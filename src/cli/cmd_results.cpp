// tokcast results list|show ID|export; tokcast import llama-bench|llama-batched-bench|serve FILE.
#include "app/bench_serve.h"
#include "app/results.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

Runner RegisterResults(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string what, kind;
    int64_t id = 0;
    size_t limit = 1000;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("what", o->what, "list, show or export")->required();
  app.add_option("id", o->id, "Run id (show)");
  app.add_option("--kind", o->kind, "Only runs of this kind: bench-machine, bench-model, llama-bench");
  app.add_option("--limit", o->limit, "list: the newest N runs (0: all)")->capture_default_str();
  return [o, &ctx]() {
    const app::ResultsRequest r{ctx.db_path, o->kind, o->what == "list" ? o->limit : 0};
    if (o->what == "list")
      ctx.Emit(app::ResultsListReport(app::ListResults(r)));
    else if (o->what == "show")
      ctx.Emit(app::StoredRunReport(app::ShowStoredRun(r, o->id)));
    else if (o->what == "export") {
      if (!ctx.FormatGiven()) ctx.format = "csv";  // an export is the validation CSV unless asked otherwise
      ctx.Emit(app::MeasurementReport(app::ExportResults(r)));
    } else
      throw catalog::InputError("tokcast results '" + o->what + "': expected list, show or export");
    return 0;
  };
}

Runner RegisterImportLlamaBench(CLI::App& app, Context& ctx) {
  auto r = std::make_shared<app::ImportRequest>();
  app.add_option("file", r->file, "llama-bench output: -o json, -o jsonl or -o csv")->required();
  app.add_option("--hw", r->hardware, "Catalog hardware id of the machine it ran on")->required();
  app.add_option("--model", r->model, "Catalog model id")->required();
  app.add_option("--quant", r->quant, "Catalog quant id (default: from model_type)");
  app.add_option("--runtime", r->runtime, "Runtime id (default: from backends)");
  return [r, &ctx]() {
    app::ImportRequest req = *r;
    req.db_path = ctx.db_path;
    ctx.Emit(app::ImportReport(app::ImportLlamaBench(ctx.Catalog(), req)));
    return 0;
  };
}

Runner RegisterImportLlamaBatchedBench(CLI::App& app, Context& ctx) {
  auto r = std::make_shared<app::ImportRequest>();
  app.add_option("file", r->file, "llama-batched-bench output: its table, or -o jsonl")->required();
  app.add_option("--hw", r->hardware, "Catalog hardware id of the machine it ran on")->required();
  app.add_option("--model", r->model, "Catalog model id")->required();
  app.add_option("--quant", r->quant, "Catalog quant id of the weights")->required();
  app.add_option("--runtime", r->runtime, "Runtime id of the backend (llama.cpp-cuda, llama.cpp-cpu, ...)")->required();
  return [r, &ctx]() {
    app::ImportRequest req = *r;
    req.db_path = ctx.db_path;
    ctx.Emit(app::ImportReport(app::ImportLlamaBatchedBench(ctx.Catalog(), req)));
    return 0;
  };
}

Runner RegisterImportServe(CLI::App& app, Context& ctx) {
  struct Opts {
    app::ImportServeRequest r;
    PredictionTarget target;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("file", o->r.file,
                 "A serving benchmark's result: vllm bench serve JSON, SGLang bench_serving JSONL, GenAI-Perf or "
                 "AIPerf profile export JSON, GuideLLM benchmarks.json")
      ->required();
  app.add_option("--tool", o->r.tool, "auto (from the content), vllm, sglang, genai-perf, aiperf or guidellm")
      ->capture_default_str();
  o->target.AddOptions(app, "The simulator's prediction beside each run: ");
  return [o, &ctx]() {
    app::ImportServeRequest r = o->r;
    if (!o->target.hw.empty() || !o->target.model.empty()) r.predict = o->target.Request();
    r.store = !ctx.no_store;
    r.db_path = ctx.db_path;
    ctx.Emit(app::ImportServeReport(app::ImportServe(ctx.Catalog(), r)));
    return 0;
  };
}

}  // namespace tokcast::cli
