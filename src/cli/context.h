// What every subcommand shares: global options, the catalog (loaded once, after --catalog is
// known), the output format and stream.
#pragma once

#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "catalog/catalog.h"
#include "core/validation.h"
#include "report/result_table.h"

namespace tokcast::store {
class ResultsStore;
}

namespace tokcast::cli {

class Context {
 public:
  Context(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  std::vector<std::string> catalog_dirs;
  std::string hw_file;  // --hw-file: one extra hardware TOML
  std::string db_path;  // --db
  bool no_store = false;  // --no-store
  nlohmann::json last_result;  // what a bench command measured, for the results store
  std::string format = "table";
  std::string output_path;

  const catalog::Catalog& Catalog();
  report::Format Format() const;  // throws catalog::InputError for an unknown format
  std::ostream& Out();            // -o FILE or standard output
  std::ostream& Err() { return err_; }

 private:
  std::ostream& out_;
  std::ostream& err_;
  std::optional<catalog::Catalog> catalog_;
  std::unique_ptr<std::ofstream> file_;
};

// A subcommand registers its options and returns the function that runs it.
using Runner = std::function<int()>;
Runner RegisterList(CLI::App& app, Context& ctx);
Runner RegisterShow(CLI::App& app, Context& ctx);
Runner RegisterFit(CLI::App& app, Context& ctx);
Runner RegisterValidate(CLI::App& app, Context& ctx);
Runner RegisterCalibrate(CLI::App& app, Context& ctx);
Runner RegisterPredict(CLI::App& app, Context& ctx);
Runner RegisterExplain(CLI::App& app, Context& ctx);
Runner RegisterCompare(CLI::App& app, Context& ctx);
Runner RegisterBenchMachine(CLI::App& app, Context& ctx);
Runner RegisterBenchModel(CLI::App& app, Context& ctx);
Runner RegisterResults(CLI::App& app, Context& ctx);
Runner RegisterSynth(CLI::App& app, Context& ctx);
Runner RegisterImportLlamaBench(CLI::App& app, Context& ctx);

// The results database (--db, default DefaultDataDir()/results.db). Throws InputError.
std::unique_ptr<store::ResultsStore> OpenStore(Context& ctx);
// Stores a bench result (unless --no-store); returns the run id.
int64_t StoreRun(Context& ctx, const std::string& kind, const nlohmann::json& result, std::vector<MeasuredRow> rows);

// Where tokcast keeps user data (TOKCAST_HOME, else XDG_DATA_HOME/tokcast, else
// ~/.local/share/tokcast; ~/Library/Application Support/tokcast on macOS).
std::string DefaultDataDir();
std::string LocalHardwarePath();     // written by `tokcast bench machine`
std::string LocalGpuHardwarePath();  // the same for the GPU, when there is one (id local-gpu)

// Entry point used by main() and the end-to-end tests.
int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tokcast::cli
