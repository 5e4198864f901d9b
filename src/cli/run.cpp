// argv -> subcommand -> exit code: 0 ok, 1 bad input or runtime error, 2 usage error.
#include <set>

#include "catalog/error.h"
#include "cli/context.h"
#include "core/text.h"
#include "report/schema.h"

namespace tokcast::cli {

namespace {

// The first word that is not a global option (or its value): the subcommand the user typed.
std::string TypedCommand(int argc, const char* const* argv) {
  static const std::set<std::string> kWithValue = {"--catalog", "--hw-file", "--db",   "--format",
                                                   "-o",        "--output",  "--width"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (kWithValue.count(a)) {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return a;
  }
  return "";
}

}  // namespace

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context ctx(out, err);
  const report::ReportContext tool = report::ToolContext();
  CLI::App app{"tokcast: will this model fit on that hardware, and how fast will it run?", "tokcast"};
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", "tokcast " + tool.tool_version + " (commit " + tool.git_commit + ", " + tool.build_type + " build)");
  app.add_option("--catalog", ctx.catalog_dirs, "Directory of extra catalog TOML files (adds or overrides by id)")
      ->type_name("DIR");
  app.add_option("--hw-file", ctx.hw_file,
                 "A hardware TOML to add to the catalog (e.g. a profile from `tokcast bench machine`)")
      ->type_name("FILE");
  app.add_option("--db", ctx.db_path, "Results database (default: <data dir>/results.db)")->type_name("FILE");
  app.add_flag("--no-store", ctx.no_store, "Do not store bench results");
  auto* format = app.add_option("--format", ctx.format, "Output format: table, md, csv, json, jsonl, svg or html")
                     ->capture_default_str();
  app.add_option("-o,--output", ctx.output_path, "Write the report to FILE instead of standard output");
  app.add_flag("--wide", ctx.wide, "Tables: every column, whatever the terminal's width");
  app.add_option("--width", ctx.width, "Tables: fit this many columns (default: the terminal's, else 120)");
  app.add_option("--chart", ctx.chart, "SVG: only the Nth chart (from 1)")->check(CLI::Range(1, 1000));

  std::vector<std::pair<CLI::App*, Runner>> commands;
  auto add = [&](CLI::App* parent, const char* name, const char* help, Runner (*reg)(CLI::App&, Context&)) {
    CLI::App* sub = parent->add_subcommand(name, help);
    commands.emplace_back(sub, reg(*sub, ctx));
  };
  add(&app, "list", "List catalog entries: hardware, models, quants or runtimes", RegisterList);
  add(&app, "show", "Show everything the catalog knows about one id (or a model file)", RegisterShow);
  add(&app, "fit", "Memory plan: does model M at quant Q fit on hardware H?", RegisterFit);
  add(&app, "predict", "Time to first token, prefill and decode speed, energy and cost: expected and bound",
      RegisterPredict);
  add(&app, "compare",
      "One workload side by side over many platforms (no arguments: the scenario of Skorppio's \"Apple M5 Max vs "
      "NVIDIA\")",
      RegisterCompare);
  add(&app, "explain", "Per-operator breakdown of one scenario: FLOPs, bytes, time and what bounds it",
      RegisterExplain);
  CLI::App* bench =
      app.add_subcommand("bench", "Measure: this machine (micro-benchmarks, a real forward pass) and real servers");
  bench->require_subcommand(1);
  add(bench, "machine", "Memory bandwidth, matmul throughput and host facts; writes --hw local", RegisterBenchMachine);
  add(bench, "model", "A real forward pass on this CPU, like llama-bench, next to the prediction", RegisterBenchModel);
  add(bench, "serve",
      "A real OpenAI-compatible server under load (TTFT/TPOT/ITL as vllm bench serve), beside the simulator",
      RegisterBenchServe);
  add(&app, "synth", "Write the probe engine's synthetic model as a GGUF file (with a minimal tokenizer)",
      RegisterSynth);
  add(&app, "results", "Stored runs: list, show ID, export (CSV in the validation schema, or JSON)", RegisterResults);
  CLI::App* imp = app.add_subcommand("import", "Import measurements into the results database");
  imp->require_subcommand(1);
  add(imp, "llama-bench", "llama-bench -o json|jsonl|csv|md output", RegisterImportLlamaBench);
  add(imp, "llama-batched-bench", "llama-batched-bench output (table or -o jsonl)", RegisterImportLlamaBatchedBench);
  add(imp, "serve", "Serving benchmark results: vllm bench serve, SGLang bench_serving, GenAI-Perf, AIPerf, GuideLLM",
      RegisterImportServe);
  add(&app, "simulate",
      "Serve a workload: a step-level simulation of continuous batching (TTFT/TPOT/ITL percentiles, goodput)",
      RegisterSimulate);
  add(&app, "plan", "Fleet sizing: the cheapest hardware, runtime, quant and TP that serve a request rate within SLOs",
      RegisterPlan);
  add(&app, "web", "The local web app and JSON API (http://127.0.0.1:8080/ unless --host/--port say otherwise)",
      RegisterWeb);
  add(&app, "validate", "Predict every row of a measurement CSV and report the error", RegisterValidate);
  add(&app, "calibrate", "Fit efficiency profiles to measured rows", RegisterCalibrate);

  if (const std::string typed = TypedCommand(argc, argv); !typed.empty()) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), typed) == names.end()) {
      const auto close = ClosestMatches(typed, names, 1);
      err << "tokcast: error: unknown command '" << typed << "'"
          << (close.empty() ? "" : "; did you mean '" + close[0] + "'?") << " (tokcast --help lists them)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; usage errors exit 2.
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }
  ctx.SetFormatGiven(format->count() > 0);
  try {
    for (auto& [sub, run] : commands) {
      if (sub->parsed()) {
        const int code = run();
        ctx.Finish();
        return code;
      }
    }
  } catch (const catalog::InputError& e) {
    err << "tokcast: error: " << e.what() << '\n';
    return 1;
  } catch (const std::bad_alloc&) {
    err << "tokcast: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    err << "tokcast: error: " << e.what() << '\n';
    return 1;
  }
  return 2;
}

}  // namespace tokcast::cli
