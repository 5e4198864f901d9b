// The results store: every bench run and imported measurement, with host facts, tool version,
// git commit and build type, in a SQLite database. Each write is one transaction (WAL journal,
// synchronous=FULL): a process killed halfway leaves the database valid and loses no earlier
// result. Rows use the shared/validation schema so validate and calibrate read them directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/validation.h"

struct sqlite3;

namespace tokcast::store {

struct StoredRun {
  int64_t id = 0;
  std::string created_at;  // ISO 8601 UTC
  std::string kind;        // bench-machine | bench-model | llama-bench
  std::string tool_version, git_commit, build_type;
  std::string host_json;          // host facts
  std::string result_json;        // the full result as reported
  std::vector<MeasuredRow> rows;  // measurements in the validation schema (may be empty)
};

class ResultsStore {
 public:
  // Opens (creating if needed) the database; one the user cannot write opens for reading, and
  // storing into it is an error saying so. Throws std::runtime_error with a one-line message.
  explicit ResultsStore(const std::string& path);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  // Stores one run and its rows atomically; returns the run id.
  int64_t Insert(const StoredRun& run);
  // Stores many runs in one transaction (all or none); returns their ids.
  std::vector<int64_t> InsertMany(const std::vector<StoredRun>& runs);

  // Every run (of one kind), with its measurements; `payload`: also host_json and result_json.
  // `limit` > 0: only the newest that many runs (still in id order).
  std::vector<StoredRun> List(const std::string& kind_filter = "", bool payload = true, size_t limit = 0) const;
  size_t Count(const std::string& kind_filter = "") const;
  std::optional<StoredRun> Get(int64_t id) const;
  // Every measurement row of every run (for validate --db / calibrate --db / export).
  std::vector<MeasuredRow> AllRows() const;
  // PRAGMA integrity_check == "ok".
  bool IntegrityOk() const;
  const std::string& path() const { return path_; }

 private:
  void Exec(const char* sql) const;
  int64_t InsertOne(const StoredRun& run);  // inside a transaction
  sqlite3* db_ = nullptr;
  std::string path_;
  bool read_only_ = false;  // the file (or its folder) cannot be written: reading still works
};

std::string NowIso8601();

}  // namespace tokcast::store
