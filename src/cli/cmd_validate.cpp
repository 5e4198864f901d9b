// tokcast validate [--data FILE] [--profile P] [--max-median-ape PCT] [--source S] [--exclude-source S]
// tokcast calibrate [--data FILE] -o profile.toml [--exclude-source S]
#include <cmath>
#include <fstream>
#include <set>

#include "catalog/error.h"
#include "cli/context.h"
#include "cli/scenario.h"
#include "cli/sweep.h"
#include "core/text.h"
#include "store/results_store.h"

namespace tokcast::cli {
namespace {

using nlohmann::json;

struct DataOptions {
  std::string data, profile, source, exclude_source;
};

std::vector<MeasuredRow> LoadRows(Context& ctx, const DataOptions& o) {
  if (!o.data.empty() && !ctx.db_path.empty()) throw catalog::InputError("give --data or --db, not both");
  auto rows = !ctx.db_path.empty() ? OpenStore(ctx)->AllRows()
                                   : (o.data.empty() ? catalog::BuiltinMeasurements() : catalog::LoadMeasurementsCsv(o.data));
  std::vector<MeasuredRow> kept;
  std::set<std::string> only, skip;
  if (!o.source.empty()) for (auto& s : SplitList(o.source, "--source")) only.insert(s);
  if (!o.exclude_source.empty()) for (auto& s : SplitList(o.exclude_source, "--exclude-source")) skip.insert(s);
  for (auto& r : rows) {
    if (!only.empty() && !only.count(r.source_id)) continue;
    if (skip.count(r.source_id)) continue;
    kept.push_back(std::move(r));
  }
  if (kept.empty()) throw catalog::InputError("no measurement rows left to use");
  return kept;
}

std::vector<Scenario> Resolve(ScenarioBuilder& b, const std::vector<MeasuredRow>& rows) {
  std::vector<Scenario> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    try {
      out.push_back(b.FromRow(r));
    } catch (const catalog::InputError& e) {
      Scenario s;
      s.row = &r;
      s.kind = TestKindFromString(r.test).value_or(TestKind::kTg);
      s.unsupported = e.what();
      out.push_back(std::move(s));
    }
  }
  return out;
}

void AddDataOptions(CLI::App& app, DataOptions& o) {
  app.add_option("--data", o.data, "Measurement CSV (shared/validation schema); default: the built-in data/validation/public.csv "
                                  "(with the global --db: the rows stored in the results database)");
  app.add_option("--source", o.source, "Keep only rows of these source ids (comma list)");
  app.add_option("--exclude-source", o.exclude_source, "Drop rows of these source ids (leave-one-source-out)");
}

// Calibrates without each source in turn and validates on it.
int LeaveOneSourceOut(Context& ctx, const std::vector<MeasuredRow>& rows) {
  std::set<std::string> sources;
  for (const auto& r : rows) sources.insert(r.source_id);
  report::ResultTable t;
  t.title = "Leave one source out: calibrate on the other sources, validate on the held-out one";
  t.columns = {report::TextColumn("source", "held out"), report::TextColumn("test", "test"),
               report::IntColumn("rows", "rows"), report::NumberColumn("median_ape", "median APE %", 1),
               report::NumberColumn("mean_ape", "mean APE %", 1), report::NumberColumn("within_10", "within 10%", 2),
               report::NumberColumn("within_25", "within 25%", 2), report::IntColumn("above_bound", "above bound"),
               report::NumberColumn("in_sample_median_ape", "in-sample median %", 1)};
  ScenarioBuilder builder(ctx.Catalog());
  const auto all = Resolve(builder, rows);
  const EfficiencyProfile full = Calibrate(all, catalog::PriorEfficiencyProfile());
  for (const auto& src : sources) {
    std::vector<Scenario> train, test;
    for (const auto& s : all) (s.row->source_id == src ? test : train).push_back(s);
    EfficiencyProfile p = Calibrate(train, catalog::PriorEfficiencyProfile());
    if (p.entries.count("llama.cpp-cuda/discrete_gpu")) p.entries["default"] = p.entries["llama.cpp-cuda/discrete_gpu"];
    std::vector<RowResult> res, res_in;
    for (const auto& s : test) {
      res.push_back(Evaluate(s, p));
      res_in.push_back(Evaluate(s, full));
    }
    const auto sum = Summarize(test, res);
    const auto sum_in = Summarize(test, res_in);
    for (const auto& [kind, k] : sum) {
      t.rows.push_back({{"source", src}, {"test", std::string(ToString(kind))}, {"rows", k.predicted},
                        {"median_ape", k.median_ape}, {"mean_ape", k.mean_ape}, {"within_10", k.within_10},
                        {"within_25", k.within_25}, {"above_bound", k.above_bound},
                        {"in_sample_median_ape", sum_in.at(kind).median_ape}});
    }
  }
  t.footnotes.push_back("A held-out source whose runtime x hardware class has no other data gets the priors of "
                        "data/efficiency/priors.toml: that row is the error on unseen hardware.");
  t.Render(ctx.Out(), ctx.Format());
  return 0;
}

}  // namespace

Runner RegisterValidate(CLI::App& app, Context& ctx) {
  struct Opts : DataOptions {
    double max_median_ape = -1;
    bool loso = false;
  };
  auto o = std::make_shared<Opts>();
  AddDataOptions(app, *o);
  app.add_option("--profile", o->profile, "Efficiency profile TOML (default: the built-in calibrated profile)");
  app.add_option("--max-median-ape", o->max_median_ape, "Exit 1 when any test kind's median APE (%) exceeds this");
  app.add_flag("--leave-one-source-out", o->loso,
               "For each source S: calibrate on the other sources, validate on S (error on unseen data)");
  return [o, &ctx]() {
    const auto rows = LoadRows(ctx, *o);
    if (o->loso) return LeaveOneSourceOut(ctx, rows);
    const EfficiencyProfile profile = LoadProfile(o->profile);
    ScenarioBuilder builder(ctx.Catalog());
    const auto scenarios = Resolve(builder, rows);
    std::vector<RowResult> results;
    results.reserve(scenarios.size());
    for (const auto& s : scenarios) results.push_back(Evaluate(s, profile));
    const auto summary = Summarize(scenarios, results);
    const auto format = ctx.Format();

    json jrows = json::array();
    report::ResultTable table;
    table.columns = {report::IntColumn("line", "line"),      report::TextColumn("source", "src"),
                     report::TextColumn("hardware", "hardware"), report::TextColumn("model", "model"),
                     report::TextColumn("quant", "quant"),    report::TextColumn("test", "test"),
                     report::TextColumn("shape", "shape"),
                     report::NumberColumn("measured", "measured", 2), report::NumberColumn("predicted", "predicted", 2),
                     report::NumberColumn("bound", "bound", 2), report::NumberColumn("ape", "APE %", 1),
                     report::TextColumn("flag", "")};
    for (size_t i = 0; i < scenarios.size(); ++i) {
      const auto& r = *scenarios[i].row;
      const auto& res = results[i];
      json row = {{"line", r.line}, {"source", r.source_id}, {"hardware", r.hardware}, {"device_count", r.device_count},
                  {"runtime", r.runtime}, {"model", r.model}, {"quant", r.quant}, {"test", r.test},
                  {"measured", res.measured}};
      std::string shape;
      if (r.n_prompt) shape += "p" + std::to_string(*r.n_prompt);
      if (r.n_gen) shape += "n" + std::to_string(*r.n_gen);
      if (r.depth && *r.depth) shape += "@d" + std::to_string(*r.depth);
      if (r.batch && *r.batch > 1) shape += " b" + std::to_string(*r.batch);
      row["shape"] = shape;
      if (res.unsupported) {
        row["unsupported"] = *res.unsupported;
        row["flag"] = "unsupported";
      } else {
        row["predicted"] = res.predicted;
        row["bound"] = res.bound;
        row["ape"] = res.ape;
        row["above_bound"] = res.above_bound;
        row["flag"] = res.above_bound ? "ABOVE BOUND" : "";
      }
      table.rows.push_back(row);
      jrows.push_back(row);
    }
    json jsum = json::object();
    bool over = false;
    for (const auto& [kind, k] : summary) {
      jsum[std::string(ToString(kind))] = {{"rows", k.rows}, {"predicted", k.predicted}, {"median_ape", k.median_ape},
                                           {"mean_ape", k.mean_ape}, {"within_10", k.within_10},
                                           {"within_25", k.within_25}, {"above_bound", k.above_bound}};
      if (o->max_median_ape >= 0 && k.predicted > 0 && k.median_ape > o->max_median_ape) over = true;
      table.footnotes.push_back(std::string(ToString(kind)) + ": " + std::to_string(k.predicted) + "/" +
                                std::to_string(k.rows) + " predicted, median APE " + FormatFixed(k.median_ape, 1) +
                                "%, mean " + FormatFixed(k.mean_ape, 1) + "%, within 10%: " +
                                FormatFixed(100 * k.within_10, 0) + "%, within 25%: " + FormatFixed(100 * k.within_25, 0) +
                                "%, above the physical bound: " + std::to_string(k.above_bound));
    }
    if (format == report::Format::kJson) {
      ctx.Out() << json{{"schema_version", 1}, {"rows", jrows}, {"summary", jsum}}.dump(2) << '\n';
    } else {
      table.Render(ctx.Out(), format);
    }
    if (over) {
      ctx.Err() << "tokcast: median APE above --max-median-ape " << o->max_median_ape << "%\n";
      return 1;
    }
    return 0;
  };
}

Runner RegisterCalibrate(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DataOptions>();
  AddDataOptions(app, *o);
  auto out = std::make_shared<std::string>();
  app.add_option("-p,--profile-out", *out, "Write the fitted profile TOML to FILE (default: standard output)");
  return [o, out, &ctx]() {
    const auto rows = LoadRows(ctx, *o);
    ScenarioBuilder builder(ctx.Catalog());
    const auto scenarios = Resolve(builder, rows);
    // Start from the priors (not the shipped profile), so the fit depends only on the data.
    EfficiencyProfile fitted = Calibrate(scenarios, catalog::PriorEfficiencyProfile());
    // Runtimes and classes without measurements fall back to the closest fitted entry.
    if (fitted.entries.count("llama.cpp-cuda/discrete_gpu")) fitted.entries["default"] = fitted.entries["llama.cpp-cuda/discrete_gpu"];
    std::set<std::string> sources;
    for (const auto& r : rows) sources.insert(r.source_id + " " + r.source_url);
    std::vector<std::string> header = {"Efficiency profile written by `tokcast calibrate` (do not edit by hand).",
                                       "Regenerate: tokcast calibrate --profile-out data/efficiency/default.toml" +
                                           std::string(o->data.empty() ? "" : " --data " + o->data) +
                                           (o->exclude_source.empty() ? "" : " --exclude-source " + o->exclude_source),
                                       "Measurements (" + std::to_string(rows.size()) + " rows) from:"};
    for (const auto& s : sources) header.push_back("  " + s);
    const std::string text = catalog::SerializeEfficiencyProfile(fitted, header);
    if (out->empty()) {
      ctx.Out() << text;
    } else {
      std::ofstream f(*out, std::ios::trunc);
      if (!f || !(f << text)) throw catalog::InputError(*out + ": cannot write");
    }
    return 0;
  };
}

}  // namespace tokcast::cli
