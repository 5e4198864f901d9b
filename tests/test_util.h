// Shared helpers for the test suite.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"

#if defined(__SANITIZE_ADDRESS__)
#define TOKCAST_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOKCAST_TEST_SANITIZED 1
#endif
#endif

namespace tokcast::test {

// Built with ASan/UBSan: the checks that only re-derive shipped data from the shipped data
// (whole calibrations, minutes there) run in the release build; their code paths are covered
// under the sanitizers by smaller cases.
#ifdef TOKCAST_TEST_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

inline const catalog::Catalog& BuiltinCatalog() {
  static const catalog::Catalog c = catalog::Catalog::Builtin();
  return c;
}

inline std::string TestDataPath(const std::string& rel) {
  return std::string(TOKCAST_TEST_DIR) + "/" + rel;
}

// Reads a whitespace-separated golden file: '#' starts a comment, blank lines are skipped.
inline std::vector<std::vector<std::string>> ReadGolden(const std::string& rel) {
  std::ifstream in(TestDataPath(rel));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ss(line);
    std::vector<std::string> fields;
    for (std::string f; ss >> f;) fields.push_back(f);
    if (!fields.empty()) rows.push_back(std::move(fields));
  }
  return rows;
}

// The rows of a JSON report ({"schema_version", "kind", "context", "rows", ...}).
nlohmann::json Rows(const std::string& json_report);

// Runs the CLI in process (the same entry point as the binary) and captures its output.
struct CliResult {
  int code;
  std::string out, err;
};
CliResult RunCli(std::vector<std::string> args);

// A temporary directory removed at scope exit.
// Stores `n` empty bench-model runs in the results database at `db` (created if needed).
void StoreEmptyRuns(const std::string& db, size_t n);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace tokcast::test
