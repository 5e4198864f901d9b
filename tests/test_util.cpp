#include "test_util.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "cli/context.h"
#include "store/results_store.h"

namespace tokcast::test {

nlohmann::json Rows(const std::string& json_report) {
  const auto j = nlohmann::json::parse(json_report);
  if (!j.is_object() || !j.contains("rows"))
    throw std::runtime_error("not a tokcast JSON report: " + json_report.substr(0, 200));
  return j["rows"];
}

CliResult RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "tokcast");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = cli::Run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

void StoreEmptyRuns(const std::string& db, size_t n) {
  store::ResultsStore s(db);
  std::vector<store::StoredRun> runs(n);
  for (auto& r : runs) {
    r.kind = "bench-model";
    r.host_json = r.result_json = "{}";
  }
  s.InsertMany(runs);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tokcast-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace tokcast::test
