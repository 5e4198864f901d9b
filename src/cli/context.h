// The CLI front-end: global options, the catalog (loaded once, after --catalog is known), and
// the one place reports are rendered and written. Subcommand files only turn options into an
// app request and hand the result to Emit.
#pragma once

#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/bench.h"
#include "app/simulate.h"
#include "app/sweep.h"
#include "catalog/catalog.h"
#include "report/schema.h"

namespace tokcast::cli {

// The sweep syntax lives in the application layer (the web API parses the same way).
using app::ParseIntSweep;
using app::ParseKvTypes;
using app::ParseLengthRange;
using app::ParsePositive;
using app::ParsePositiveList;
using app::ParseU32Sweep;
using app::SplitList;

class Context {
 public:
  Context(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  std::vector<std::string> catalog_dirs;
  std::string hw_file;    // --hw-file: one extra hardware TOML
  std::string db_path;    // --db
  bool no_store = false;  // --no-store
  std::string format = "table";
  std::string output_path;  // -o
  bool wide = false;        // --wide
  size_t width = 0;         // --width (0: the terminal's, else 120)
  size_t chart = 0;         // --chart (0: every chart)

  const catalog::Catalog& Catalog();
  std::shared_ptr<const catalog::Catalog> SharedCatalog();
  report::Format Format() const;  // throws InputError for an unknown format
  bool FormatGiven() const { return format_given_; }
  void SetFormatGiven(bool given) { format_given_ = given; }
  // Renders a report to -o FILE or standard output.
  void Emit(const report::Report& report);
  // Raw text (a TOML profile) to -o FILE or standard output.
  void EmitText(const std::string& text);
  // Closes -o FILE; a failed write is an error (InputError).
  void Finish();
  std::ostream& Err() { return err_; }
  // Progress lines on a terminal's standard error; nothing in a pipe.
  app::Progress ProgressLine();

 private:
  std::ostream& Out();
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<const catalog::Catalog> catalog_;
  std::unique_ptr<std::ofstream> file_;
  bool format_given_ = false;
};

// A subcommand registers its options and returns the function that runs it.
using Runner = std::function<int()>;
// The options naming what a measured server runs (--hw, --model, --runtime, --quant, --tp), as
// the simulator's request for the prediction beside it. Throws InputError unless both hardware
// and model are given.
struct PredictionTarget {
  std::string hw, model, runtime, quant;
  uint32_t tp = 1;
  void AddOptions(CLI::App& app, const std::string& prefix);
  app::SimulateRequest Request() const;
};

Runner RegisterList(CLI::App& app, Context& ctx);
Runner RegisterShow(CLI::App& app, Context& ctx);
Runner RegisterFit(CLI::App& app, Context& ctx);
Runner RegisterPredict(CLI::App& app, Context& ctx);
Runner RegisterCompare(CLI::App& app, Context& ctx);
Runner RegisterExplain(CLI::App& app, Context& ctx);
Runner RegisterValidate(CLI::App& app, Context& ctx);
Runner RegisterCalibrate(CLI::App& app, Context& ctx);
Runner RegisterBenchMachine(CLI::App& app, Context& ctx);
Runner RegisterBenchModel(CLI::App& app, Context& ctx);
Runner RegisterSynth(CLI::App& app, Context& ctx);
Runner RegisterResults(CLI::App& app, Context& ctx);
Runner RegisterImportLlamaBench(CLI::App& app, Context& ctx);
Runner RegisterImportLlamaBatchedBench(CLI::App& app, Context& ctx);
Runner RegisterImportServe(CLI::App& app, Context& ctx);
Runner RegisterSimulate(CLI::App& app, Context& ctx);
Runner RegisterPlan(CLI::App& app, Context& ctx);
Runner RegisterWeb(CLI::App& app, Context& ctx);
Runner RegisterBenchServe(CLI::App& app, Context& ctx);

// Entry point used by main() and the end-to-end tests.
int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tokcast::cli
