#include "app/results.h"

#include <filesystem>

#include "app/session.h"
#include "catalog/error.h"
#include "catalog/llama_bench.h"
#include "catalog/serve_import.h"
#include "core/text.h"
#include "report/kinds.h"

namespace tokcast::app {

using nlohmann::json;

std::unique_ptr<store::ResultsStore> OpenStore(const std::string& path_in) {
  const std::string path = path_in.empty() ? DefaultDatabasePath() : path_in;
  std::error_code ec;
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
  try {
    return std::make_unique<store::ResultsStore>(path);
  } catch (const std::runtime_error& e) {
    throw catalog::InputError(e.what());
  }
}

int64_t StoreRun(const std::string& db_path, const std::string& kind, const json& host, const json& result,
                 std::vector<MeasuredRow> rows) {
  const report::ReportContext c = report::ToolContext();
  store::StoredRun run;
  run.kind = kind;
  run.tool_version = c.tool_version;
  run.git_commit = c.git_commit;
  run.build_type = c.build_type;
  run.host_json = host.dump();
  run.result_json = result.dump();
  run.rows = std::move(rows);
  return OpenStore(db_path)->Insert(run);
}

ResultsListResult ListResults(const ResultsRequest& r) {
  auto db = OpenStore(r.db_path);
  return {db->List(r.kind, /*payload=*/false, r.limit), db->path(), db->Count(r.kind)};
}

report::Report ResultsListReport(const ResultsListResult& r) {
  report::Report rep;
  rep.schema = &report::kinds::ResultsList();
  for (const auto& run : r.runs) {
    std::string tests, hw, model, quant;
    for (const auto& m : run.rows) {
      tests += (tests.empty() ? "" : ", ") + m.test + " " + FormatFixed(m.value, 2);
      hw = m.hardware;
      model = m.model;
      quant = m.quant;
    }
    json row = {{"id", run.id}, {"created_at", run.created_at}, {"kind", run.kind}, {"git_commit", run.git_commit}};
    if (!hw.empty()) row["hardware"] = hw;
    if (!model.empty()) row["model"] = model;
    if (!quant.empty()) row["quant"] = quant;
    if (!tests.empty()) row["tests"] = tests;
    rep.rows.push_back(std::move(row));
  }
  if (r.runs.size() < r.total) {
    rep.notes.push_back("the newest " + std::to_string(r.runs.size()) + " of " + std::to_string(r.total) +
                        " runs (--limit 0 lists them all)");
  }
  rep.notes.push_back(r.database);
  return rep;
}

store::StoredRun ShowStoredRun(const ResultsRequest& r, int64_t id) {
  auto db = OpenStore(r.db_path);
  auto run = db->Get(id);
  if (!run) throw catalog::InputError("no run " + std::to_string(id) + " in " + db->path());
  return *run;
}

namespace {
json OptJson(const std::optional<uint64_t>& v) {
  return v ? json(*v) : json(nullptr);
}
json RowJson(const MeasuredRow& r) {
  return {{"hardware", r.hardware},
          {"device_count", r.device_count},
          {"runtime", r.runtime},
          {"model", r.model},
          {"quant", r.quant},
          {"test", r.test},
          {"n_prompt", OptJson(r.n_prompt)},
          {"n_gen", OptJson(r.n_gen)},
          {"depth", OptJson(r.depth)},
          {"batch", OptJson(r.batch)},
          {"value", r.value},
          {"unit", r.unit},
          {"source_id", r.source_id},
          {"source_url", r.source_url},
          {"notes", r.notes}};
}
}  // namespace

report::Report StoredRunReport(const store::StoredRun& run) {
  report::Report rep;
  rep.schema = &report::kinds::StoredRun();
  json rows = json::array();
  for (const auto& m : run.rows) rows.push_back(RowJson(m));
  rep.rows.push_back({{"id", run.id},
                      {"created_at", run.created_at},
                      {"kind", run.kind},
                      {"tool_version", run.tool_version},
                      {"git_commit", run.git_commit},
                      {"build_type", run.build_type},
                      {"host", json::parse(run.host_json, nullptr, false)},
                      {"result", json::parse(run.result_json, nullptr, false)},
                      {"rows", rows},
                      {"measurements", run.rows.size()}});
  return rep;
}

std::vector<MeasuredRow> ExportResults(const ResultsRequest& r) {
  std::vector<MeasuredRow> rows;
  for (const auto& run : OpenStore(r.db_path)->List(r.kind, /*payload=*/false)) {
    rows.insert(rows.end(), run.rows.begin(), run.rows.end());
  }
  return rows;
}

report::Report MeasurementReport(const std::vector<MeasuredRow>& rows) {
  report::Report rep;
  rep.schema = &report::kinds::Measurement();
  for (const auto& r : rows) {
    json j = RowJson(r);
    for (auto it = j.begin(); it != j.end();) {
      if (it->is_null() || (it->is_string() && it->get<std::string>().empty()))
        it = j.erase(it);
      else
        ++it;
    }
    rep.rows.push_back(std::move(j));
  }
  return rep;
}

namespace {

// Stores imported measurement rows as one run of `kind`.
void StoreImported(const ImportRequest& r, const std::string& kind, const std::string& text,
                   std::vector<MeasuredRow> rows, ImportResult& out) {
  out.rows = rows.size();
  out.run_id = StoreRun(r.db_path, kind, json{{"imported_from", r.file}},
                        text.size() < (1 << 20) ? json{{"raw", text}} : json::object(), std::move(rows));
  out.database = OpenStore(r.db_path)->path();
}

}  // namespace

ImportResult ImportLlamaBench(const catalog::Catalog& cat, const ImportRequest& r) {
  catalog::LlamaBenchIds ids{cat.Hardware(r.hardware).id, cat.Model(r.model).spec.id, "", ""};
  if (!r.quant.empty()) ids.quant = cat.Quant(r.quant).id;
  if (!r.runtime.empty()) ids.runtime = cat.Runtime(r.runtime).id;
  const std::string text = ReadUserFile(r.file);
  auto rows = catalog::ParseLlamaBench(text, r.file, ids);
  ImportResult out;
  out.file = r.file;
  std::vector<MeasuredRow> kept;
  for (auto& row : rows) {
    if (row.test == "pp+tg") {
      ++out.skipped;
      continue;
    }
    cat.Quant(row.quant);
    cat.Runtime(row.runtime);
    row.source_url = std::filesystem::absolute(r.file).string();
    kept.push_back(std::move(row));
  }
  if (kept.empty()) throw catalog::InputError(r.file + ": only combined pp+tg tests; nothing to import");
  StoreImported(r, "llama-bench", text, std::move(kept), out);
  return out;
}

ImportResult ImportLlamaBatchedBench(const catalog::Catalog& cat, const ImportRequest& r) {
  if (r.quant.empty() || r.runtime.empty()) {
    throw catalog::InputError(r.file +
                              ": llama-batched-bench output names neither the weights nor the backend: give "
                              "--quant and --runtime");
  }
  const std::string hw = cat.Hardware(r.hardware).id, model = cat.Model(r.model).spec.id;
  const std::string quant = cat.Quant(r.quant).id, runtime = cat.Runtime(r.runtime).id;
  const std::string text = ReadUserFile(r.file);
  ImportResult out;
  out.file = r.file;
  out.tool = "llama-batched-bench";
  out.skipped_what = "prefills of several prompts at once (B > 1)";
  std::vector<MeasuredRow> rows;
  size_t line = 0;
  for (const auto& b : catalog::ParseLlamaBatchedBench(text, r.file)) {
    ++line;
    auto base = [&] {
      MeasuredRow m;
      m.line = line;
      m.hardware = hw;
      m.model = model;
      m.quant = quant;
      m.runtime = runtime;
      m.unit = "tok/s";
      m.source_id = "llama-batched-bench";
      m.source_url = std::filesystem::absolute(r.file).string();
      return m;
    };
    if (b.batch == 1 && b.pp > 0 && b.speed_pp > 0) {
      MeasuredRow pp = base();
      pp.test = "pp";
      pp.n_prompt = b.pp;
      pp.value = b.speed_pp;
      rows.push_back(pp);
    } else if (b.pp > 0) {
      ++out.skipped;  // the prefill of B prompts at once: not a row tokcast predicts
    }
    if (b.tg > 0 && b.speed_tg > 0) {
      MeasuredRow tg = base();
      tg.test = b.batch == 1 ? "tg" : "tg_batch";
      tg.n_gen = b.tg;
      tg.depth = b.pp;
      if (b.batch > 1) tg.batch = b.batch;
      tg.value = b.speed_tg;
      tg.notes = b.pp_shared ? "prompt shared by the batch" : "";
      rows.push_back(tg);
    }
  }
  if (rows.empty()) throw catalog::InputError(r.file + ": no rows to import");
  StoreImported(r, "llama-batched-bench", text, std::move(rows), out);
  return out;
}

report::Report ImportReport(const ImportResult& r) {
  report::Report rep;
  rep.schema = &report::kinds::Imported();
  rep.rows.push_back(
      {{"file", r.file}, {"run_id", r.run_id}, {"rows", r.rows}, {"skipped", r.skipped}, {"database", r.database}});
  rep.notes.push_back("imported " + std::to_string(r.rows) + " " + r.tool + " results as run " +
                      std::to_string(r.run_id) + " into " + r.database +
                      (r.skipped ? " (" + std::to_string(r.skipped) + " " + r.skipped_what + " skipped)" : ""));
  return rep;
}

}  // namespace tokcast::app
