#include <fstream>
#include <iostream>
#include <sstream>

#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

const catalog::Catalog& Context::Catalog() {
  if (!catalog_) {
    catalog_ = catalog::Catalog::Builtin();
    // The profile `tokcast bench machine` wrote, as hardware id "local".
    for (const std::string& path : {LocalHardwarePath(), LocalGpuHardwarePath()}) {
      if (std::ifstream in(path); in) {
        std::stringstream ss;
        ss << in.rdbuf();
        catalog_->AddFile("hardware", path, ss.str());
      }
    }
    for (const auto& dir : catalog_dirs) catalog_->AddDirectory(dir);
    if (!hw_file.empty()) {
      std::ifstream in(hw_file);
      if (!in) throw catalog::InputError(hw_file + ": cannot open");
      std::stringstream ss;
      ss << in.rdbuf();
      catalog_->AddFile("hardware", hw_file, ss.str());
    }
  }
  return *catalog_;
}

report::Format Context::Format() const {
  auto f = report::FormatFromString(format);
  if (!f) throw catalog::InputError("--format '" + format + "': expected table, md, csv or json");
  return *f;
}

std::ostream& Context::Out() {
  if (output_path.empty()) return out_;
  if (!file_) {
    file_ = std::make_unique<std::ofstream>(output_path, std::ios::trunc);
    if (!*file_) throw catalog::InputError(output_path + ": cannot write");
  }
  return *file_;
}

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context ctx(out, err);
  CLI::App app{"tokcast: will this model fit on that hardware, and how fast will it run?", "tokcast"};
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", "tokcast " + report::ToolVersion() + " (commit " + report::GitCommit() +
                                        ", " + report::BuildType() + " build)");
  app.add_option("--catalog", ctx.catalog_dirs, "Directory of extra catalog TOML files (adds or overrides by id)")
      ->type_name("DIR");
  app.add_option("--hw-file", ctx.hw_file, "A hardware TOML to add to the catalog (e.g. a profile from `tokcast bench machine`)")
      ->type_name("FILE");
  app.add_option("--db", ctx.db_path, "Results database (default: <data dir>/results.db)")->type_name("FILE");
  app.add_flag("--no-store", ctx.no_store, "Do not store bench results");
  app.add_option("--format", ctx.format, "Output format: table, md, csv or json")->capture_default_str();
  app.add_option("-o,--output", ctx.output_path, "Write the report to FILE instead of standard output");

  std::vector<std::pair<CLI::App*, Runner>> commands;
  auto add = [&](const char* name, const char* help, Runner (*reg)(CLI::App&, Context&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    commands.emplace_back(sub, reg(*sub, ctx));
  };
  add("list", "List catalog entries: hardware, models, quants or runtimes", RegisterList);
  add("show", "Show everything the catalog knows about one id (or a model file)", RegisterShow);
  add("fit", "Memory plan: does model M at quant Q fit on hardware H?", RegisterFit);
  add("predict", "Time to first token, prefill and decode speed, energy and cost: expected and bound", RegisterPredict);
  add("compare", "One workload side by side over many platforms (no arguments: the seed article's scenario)", RegisterCompare);
  add("explain", "Per-operator breakdown of one scenario: FLOPs, bytes, time and what bounds it", RegisterExplain);
  CLI::App* bench = app.add_subcommand("bench", "Measure this machine: micro-benchmarks and a real forward pass");
  bench->require_subcommand(1);
  commands.emplace_back(bench->add_subcommand("machine", "Memory bandwidth, matmul throughput and host facts; writes --hw local"),
                        nullptr);
  commands.back().second = RegisterBenchMachine(*commands.back().first, ctx);
  commands.emplace_back(bench->add_subcommand("model", "A real forward pass on this CPU, like llama-bench, next to the prediction"),
                        nullptr);
  commands.back().second = RegisterBenchModel(*commands.back().first, ctx);
  add("synth", "Write the probe engine's synthetic model as a GGUF file (with a minimal tokenizer)", RegisterSynth);
  add("results", "Stored runs: list, show ID, export (CSV in the validation schema, or JSON)", RegisterResults);
  CLI::App* imp = app.add_subcommand("import", "Import measurements into the results database");
  imp->require_subcommand(1);
  commands.emplace_back(imp->add_subcommand("llama-bench", "llama-bench -o json|jsonl|csv output"), nullptr);
  commands.back().second = RegisterImportLlamaBench(*commands.back().first, ctx);
  add("validate", "Predict every row of a measurement CSV and report the error", RegisterValidate);
  add("calibrate", "Fit efficiency profiles to measured rows", RegisterCalibrate);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; usage errors exit 2.
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, run] : commands) {
      if (sub->parsed()) {
        const int code = run();
        ctx.Out().flush();
        return code;
      }
    }
  } catch (const catalog::InputError& e) {
    err << "tokcast: error: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    err << "tokcast: error: " << e.what() << '\n';
    return 1;
  }
  return 2;
}

}  // namespace tokcast::cli
