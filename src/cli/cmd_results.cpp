// tokcast results list|show|export, tokcast import llama-bench FILE.
#include <fstream>
#include <sstream>

#include "catalog/error.h"
#include "catalog/llama_bench.h"
#include "cli/context.h"
#include "core/text.h"
#include "store/results_store.h"

namespace tokcast::cli {
namespace {

using nlohmann::json;

json RowJson(const MeasuredRow& r) {
  json j = {{"hardware", r.hardware}, {"device_count", r.device_count}, {"runtime", r.runtime}, {"model", r.model},
            {"quant", r.quant}, {"test", r.test}, {"value", r.value}, {"unit", r.unit}, {"source_id", r.source_id},
            {"source_url", r.source_url}, {"notes", r.notes}};
  j["n_prompt"] = r.n_prompt ? json(*r.n_prompt) : json(nullptr);
  j["n_gen"] = r.n_gen ? json(*r.n_gen) : json(nullptr);
  j["depth"] = r.depth ? json(*r.depth) : json(nullptr);
  j["batch"] = r.batch ? json(*r.batch) : json(nullptr);
  return j;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string Opt(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : ""; }

}  // namespace

std::unique_ptr<store::ResultsStore> OpenStore(Context& ctx) {
  const std::string path = ctx.db_path.empty() ? DefaultDataDir() + "/results.db" : ctx.db_path;
  std::error_code ec;
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
  try {
    return std::make_unique<store::ResultsStore>(path);
  } catch (const std::runtime_error& e) {
    throw catalog::InputError(e.what());
  }
}

int64_t StoreRun(Context& ctx, const std::string& kind, const nlohmann::json& result, std::vector<MeasuredRow> rows) {
  store::StoredRun run;
  run.kind = kind;
  run.tool_version = report::ToolVersion();
  run.git_commit = report::GitCommit();
  run.build_type = report::BuildType();
  run.host_json = result.contains("host") ? result["host"].dump() : "{}";
  run.result_json = result.dump();
  run.rows = std::move(rows);
  return OpenStore(ctx)->Insert(run);
}

Runner RegisterResults(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string what, kind;
    int64_t id = 0;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("what", o->what, "list, show or export")->required();
  app.add_option("id", o->id, "Run id (show)");
  app.add_option("--kind", o->kind, "Only runs of this kind: bench-machine, bench-model, llama-bench");
  return [o, &ctx]() {
    auto db = OpenStore(ctx);
    const auto format = ctx.Format();
    if (o->what == "list") {
      report::ResultTable t;
      t.columns = {report::IntColumn("id", "run"), report::TextColumn("created_at", "created (UTC)"),
                   report::TextColumn("kind", "kind"), report::TextColumn("hardware", "hardware"),
                   report::TextColumn("model", "model"), report::TextColumn("quant", "quant"),
                   report::TextColumn("tests", "tests"), report::TextColumn("git_commit", "commit")};
      for (const auto& r : db->List(o->kind)) {
        std::string tests, hw, model, quant;
        for (const auto& m : r.rows) {
          tests += (tests.empty() ? "" : ", ") + m.test + " " + FormatFixed(m.value, 2);
          hw = m.hardware;
          model = m.model;
          quant = m.quant;
        }
        t.rows.push_back({{"id", r.id}, {"created_at", r.created_at}, {"kind", r.kind}, {"hardware", hw}, {"model", model},
                          {"quant", quant}, {"tests", tests}, {"git_commit", r.git_commit}});
      }
      t.footnotes.push_back(db->path());
      t.Render(ctx.Out(), format);
    } else if (o->what == "show") {
      auto r = db->Get(o->id);
      if (!r) throw catalog::InputError("no run " + std::to_string(o->id) + " in " + db->path());
      json rows = json::array();
      for (const auto& m : r->rows) rows.push_back(RowJson(m));
      json j = {{"id", r->id}, {"created_at", r->created_at}, {"kind", r->kind}, {"tool_version", r->tool_version},
                {"git_commit", r->git_commit}, {"build_type", r->build_type},
                {"host", json::parse(r->host_json, nullptr, false)}, {"result", json::parse(r->result_json, nullptr, false)},
                {"rows", rows}};
      ctx.Out() << j.dump(2) << '\n';
    } else if (o->what == "export") {
      std::vector<MeasuredRow> rows;
      for (const auto& r : db->List(o->kind)) rows.insert(rows.end(), r.rows.begin(), r.rows.end());
      if (format == report::Format::kJson) {
        json a = json::array();
        for (const auto& r : rows) a.push_back(RowJson(r));
        ctx.Out() << a.dump(2) << '\n';
      } else {  // the shared/validation CSV schema: feed it to validate --data or calibrate --data
        auto& out = ctx.Out();
        out << "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,notes\n";
        for (const auto& r : rows) {
          char v[64];
          std::snprintf(v, sizeof(v), "%.10g", r.value);
          out << Csv(r.hardware) << ',' << r.device_count << ',' << Csv(r.runtime) << ',' << Csv(r.model) << ','
              << Csv(r.quant) << ',' << Csv(r.test) << ',' << Opt(r.n_prompt) << ',' << Opt(r.n_gen) << ','
              << Opt(r.depth) << ',' << Opt(r.batch) << ',' << v << ',' << Csv(r.unit) << ',' << Csv(r.source_id) << ','
              << Csv(r.source_url) << ',' << Csv(r.notes) << '\n';
        }
      }
    } else {
      throw catalog::InputError("tokcast results '" + o->what + "': expected list, show or export");
    }
    return 0;
  };
}

Runner RegisterImportLlamaBench(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string file;
    catalog::LlamaBenchIds ids;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("file", o->file, "llama-bench output: -o json, -o jsonl or -o csv")->required();
  app.add_option("--hw", o->ids.hardware, "Catalog hardware id of the machine it ran on")->required();
  app.add_option("--model", o->ids.model, "Catalog model id")->required();
  app.add_option("--quant", o->ids.quant, "Catalog quant id (default: from model_type)");
  app.add_option("--runtime", o->ids.runtime, "Runtime id (default: from backends)");
  return [o, &ctx]() {
    const auto& cat = ctx.Catalog();
    cat.Hardware(o->ids.hardware);
    cat.Model(o->ids.model);
    if (!o->ids.quant.empty()) cat.Quant(o->ids.quant);
    if (!o->ids.runtime.empty()) cat.Runtime(o->ids.runtime);
    std::ifstream in(o->file, std::ios::binary);
    if (!in) throw catalog::InputError(o->file + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    auto rows = catalog::ParseLlamaBench(ss.str(), o->file, o->ids);
    std::vector<MeasuredRow> kept;
    size_t skipped = 0;
    for (auto& r : rows) {
      if (r.test == "pp+tg") {
        ++skipped;
        continue;
      }
      cat.Quant(r.quant);
      cat.Runtime(r.runtime);
      r.source_url = std::filesystem::absolute(o->file).string();
      kept.push_back(std::move(r));
    }
    if (kept.empty()) throw catalog::InputError(o->file + ": only combined pp+tg tests; nothing to import");
    store::StoredRun run;
    run.kind = "llama-bench";
    run.tool_version = report::ToolVersion();
    run.git_commit = report::GitCommit();
    run.build_type = report::BuildType();
    run.host_json = json{{"imported_from", o->file}}.dump();
    run.result_json = ss.str().size() < (1 << 20) ? json{{"raw", ss.str()}}.dump() : "{}";
    run.rows = kept;
    auto db = OpenStore(ctx);
    const int64_t id = db->Insert(run);
    ctx.Out() << "imported " << kept.size() << " llama-bench results as run " << id << " into " << db->path()
              << (skipped ? " (" + std::to_string(skipped) + " pp+tg tests skipped)" : "") << '\n';
    return 0;
  };
}

}  // namespace tokcast::cli
