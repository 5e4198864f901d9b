// tokcast results list/show/export and tokcast import llama-bench: the results database.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/validation.h"
#include "report/schema.h"
#include "store/results_store.h"

namespace tokcast::app {

// Opens (creating if needed) the database at `path` ("" = the default under the data
// directory). Throws InputError.
std::unique_ptr<store::ResultsStore> OpenStore(const std::string& path);
// Stores a measured result with this build's identity and the host facts; returns the run id.
int64_t StoreRun(const std::string& db_path, const std::string& kind, const nlohmann::json& host,
                 const nlohmann::json& result, std::vector<MeasuredRow> rows);

struct ResultsRequest {
  std::string db_path;
  std::string kind;  // only runs of this kind
  size_t limit = 0;  // list: only the newest that many (0: all)
};
struct ResultsListResult {
  std::vector<store::StoredRun> runs;
  std::string database;
  size_t total = 0;  // runs stored (of the kind)
};
ResultsListResult ListResults(const ResultsRequest& request);
report::Report ResultsListReport(const ResultsListResult& result);

// Throws InputError for an unknown id.
store::StoredRun ShowStoredRun(const ResultsRequest& request, int64_t id);
report::Report StoredRunReport(const store::StoredRun& run);

// Every stored measurement, in the validation CSV schema.
std::vector<MeasuredRow> ExportResults(const ResultsRequest& request);
report::Report MeasurementReport(const std::vector<MeasuredRow>& rows);

struct ImportRequest {
  std::string db_path, file;
  std::string hardware, model, quant, runtime;  // catalog ids (quant, runtime: from the file when empty)
};
struct ImportResult {
  std::string file, database;
  int64_t run_id = 0;
  size_t rows = 0, skipped = 0;
  std::string tool = "llama-bench", skipped_what = "pp+tg tests";
};
ImportResult ImportLlamaBench(const catalog::Catalog& cat, const ImportRequest& request);
// llama-batched-bench output (its table or -o jsonl): tg / tg_batch rows at depth PP, pp rows
// for B = 1. The output names neither weights nor backend: quant and runtime are required.
ImportResult ImportLlamaBatchedBench(const catalog::Catalog& cat, const ImportRequest& request);
report::Report ImportReport(const ImportResult& result);

}  // namespace tokcast::app
