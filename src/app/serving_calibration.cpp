#include "app/serving_calibration.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "app/results.h"
#include "app/session.h"
#include "app/simulate.h"
#include "catalog/builtin_catalog.h"
#include "catalog/error.h"
#include "core/text.h"
#include "report/kinds.h"

namespace tokcast::app {
namespace {

using nlohmann::json;

struct Observed {
  int64_t run_id = 0;
  SimulateRequest request;
  double ttft_s = 0, tpot_s = 0;  // measured medians
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Errors {
  double ttft_ape = 0, tpot_ape = 0;
  std::vector<double> ttft_residual, tpot_residual;  // measured - predicted, seconds
};

Errors Evaluate(const catalog::Catalog& cat, const std::vector<Observed>& obs, ServingOverheads base, double step_s,
                double request_s) {
  Errors e;
  std::vector<double> ttft_ape, tpot_ape;
  base.step_s = step_s;
  base.request_s = request_s;
  for (const auto& o : obs) {
    SimulateRequest r = o.request;
    r.overheads = base;
    const SimulateResult p = Simulate(cat, r);
    const double pt = p.metrics.ttft_s.median, pp = p.metrics.tpot_s.median;
    e.ttft_residual.push_back(o.ttft_s - pt);
    e.tpot_residual.push_back(o.tpot_s - pp);
    ttft_ape.push_back(100 * std::abs(pt - o.ttft_s) / o.ttft_s);
    tpot_ape.push_back(100 * std::abs(pp - o.tpot_s) / o.tpot_s);
  }
  e.ttft_ape = Median(ttft_ape);
  e.tpot_ape = Median(tpot_ape);
  return e;
}

// The built-in runtime file with its two overhead keys replaced.
std::string RuntimeToml(const std::string& id, const RuntimeOverheadFit& f) {
  for (const auto& file : catalog::BuiltinFiles()) {
    if (file.path != "runtimes/" + id + ".toml") continue;
    // (Written from the built-in file, whose [scheduler] holds each key once.)
    std::string text(file.content);
    const std::regex step(R"((^|\n)step_overhead_s\s*=[^\n]*)"), request(R"((^|\n)request_overhead_s\s*=[^\n]*)");
    text = std::regex_replace(text, step, "$1step_overhead_s = " + FormatFixed(f.step_s, 6));
    // The other two as the fit held them, and a mark that these were measured: a runtime's own
    // measured overheads take precedence over those the shipped profile fitted to published runs.
    text = std::regex_replace(text, request,
                              "$1request_overhead_s = " + FormatFixed(f.request_s, 6) +
                                  "\nfrontend_s = " + FormatFixed(f.frontend_s, 6) +
                                  "\nseq_overhead_s = " + FormatFixed(f.seq_s, 7) + "\noverheads_measured = true");
    std::string runs;
    for (auto r : f.run_ids) runs += (runs.empty() ? "" : ", ") + std::to_string(r);
    return "# " + id + " with its serving overheads fitted by `tokcast calibrate --serving` to " +
           std::to_string(f.runs) + " stored runs (" + runs + "): step " + FormatFixed(f.step_prior_s * 1e3, 3) +
           " -> " + FormatFixed(f.step_s * 1e3, 3) + " ms, request " + FormatFixed(f.request_prior_s * 1e3, 3) +
           " -> " + FormatFixed(f.request_s * 1e3, 3) + " ms. Use with tokcast --catalog DIR.\n" + text;
  }
  throw catalog::InputError("runtime '" + id + "' is not a built-in runtime file; cannot write its override");
}

}  // namespace

ServingCalibration CalibrateServing(const catalog::Catalog& cat, const ServingCalibrationRequest& req) {
  auto db = OpenStore(req.db_path);
  ServingCalibration out;
  std::map<std::string, std::vector<Observed>> by_runtime;
  for (const auto& run : db->List("bench-serve")) {
    const json j = json::parse(run.result_json, nullptr, false);
    if (!j.is_object() || !j.contains("predict_request") || !j.contains("rows") || !j["rows"].is_array()) {
      ++out.skipped;
      continue;
    }
    const json* measured = nullptr;
    for (const auto& row : j["rows"]) {
      if (row.value("source", "") == "measured") measured = &row;
    }
    if (!measured || !measured->contains("ttft_ms") || !measured->contains("tpot_ms")) {
      ++out.skipped;
      continue;
    }
    Observed o;
    o.run_id = run.id;
    o.request = SimulateRequestFromJson(j["predict_request"]);
    o.ttft_s = (*measured)["ttft_ms"].value("median", 0.0) / 1e3;
    o.tpot_s = (*measured)["tpot_ms"].value("median", 0.0) / 1e3;
    if (!(o.ttft_s > 0) || !(o.tpot_s > 0)) {
      ++out.skipped;
      continue;
    }
    const std::string runtime = (*measured).value("runtime", "");
    if (o.request.runtime.empty()) o.request.runtime = runtime;
    by_runtime[cat.Runtime(o.request.runtime).id].push_back(std::move(o));
  }
  if (by_runtime.empty()) {
    throw catalog::InputError(db->path() +
                              ": no serving run with a prediction to fit (bench serve --predict, or import serve "
                              "with --hw and --model)");
  }
  for (auto& [id, obs] : by_runtime) {
    RuntimeOverheadFit f;
    f.runtime = id;
    f.runs = obs.size();
    std::vector<double> tpots;
    for (const auto& o : obs) {
      f.run_ids.push_back(o.run_id);
      tpots.push_back(o.tpot_s);
    }
    f.median_tpot_s = Median(tpots);
    const RuntimeProfile& rt = cat.Runtime(id);
    // The other two overheads stay as the shipped profile (or the runtime) has them.
    const ServingOverheads base = EffectiveOverheads(rt, LoadProfile(obs.front().request.profile_path));
    f.step_prior_s = base.step_s;
    f.request_prior_s = base.request_s;
    f.frontend_s = base.frontend_s;
    f.seq_s = base.seq_s;
    Errors e = Evaluate(cat, obs, base, f.step_prior_s, f.request_prior_s);
    f.ttft_ape_before = e.ttft_ape;
    f.tpot_ape_before = e.tpot_ape;
    f.step_s = f.step_prior_s;
    f.request_s = f.request_prior_s;
    for (int round = 0; round < 4; ++round) {
      // TPOT first (the step overhead also delays every prefill step, hence TTFT).
      f.step_s = std::clamp(f.step_s + Median(e.tpot_residual), 0.0, 1.0);
      e = Evaluate(cat, obs, base, f.step_s, f.request_s);
      f.request_s = std::clamp(f.request_s + Median(e.ttft_residual), 0.0, 10.0);
      e = Evaluate(cat, obs, base, f.step_s, f.request_s);
    }
    f.ttft_ape_after = e.ttft_ape;
    f.tpot_ape_after = e.tpot_ape;
    if (!req.runtimes_out.empty()) {
      const auto dir = std::filesystem::path(req.runtimes_out) / "runtimes";
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) throw catalog::InputError(dir.string() + ": cannot create: " + ec.message());
      const std::string path = (dir / (id + ".toml")).string();
      WriteUserFile(path, RuntimeToml(id, f));
      f.written = path;
    }
    out.fits.push_back(std::move(f));
  }
  return out;
}

report::Report ServingCalibrationReport(const ServingCalibration& r) {
  report::Report rep;
  rep.schema = &report::kinds::ServingCalibration();
  for (const auto& f : r.fits) {
    json row = {{"runtime", f.runtime},
                {"runs", f.runs},
                {"step_overhead_prior_ms", f.step_prior_s * 1e3},
                {"step_overhead_ms", f.step_s * 1e3},
                {"request_overhead_prior_ms", f.request_prior_s * 1e3},
                {"request_overhead_ms", f.request_s * 1e3},
                {"ttft_ape_before", f.ttft_ape_before},
                {"ttft_ape_after", f.ttft_ape_after},
                {"tpot_ape_before", f.tpot_ape_before},
                {"tpot_ape_after", f.tpot_ape_after}};
    if (!f.written.empty()) row["written"] = f.written;
    rep.rows.push_back(std::move(row));
  }
  rep.title = "Serving overheads fitted to stored runs";
  if (r.skipped) {
    rep.notes.push_back(std::to_string(r.skipped) +
                        " serving runs have no stored prediction request (run them with --predict) and were skipped");
  }
  rep.notes.push_back(
      "each run re-simulated with its own workload; APE = |predicted - measured| / measured of the run's median "
      "TTFT and TPOT, median over the runs");
  for (const auto& f : r.fits) {
    if (!f.written.empty()) rep.notes.push_back("wrote " + f.written + " (use: tokcast --catalog DIR simulate ...)");
    // Overheads only add time: a prediction that is too slow even without them is a rate error.
    if (f.request_s == 0 && f.ttft_ape_after > 25) {
      rep.notes.push_back(f.runtime + ": TTFT stays " + FormatFixed(f.ttft_ape_after, 0) +
                          "% off with no request overhead at all: the prefill itself is predicted too slow, which "
                          "the efficiency profile (tokcast calibrate) or the hardware's ceilings must fix, not "
                          "overheads");
    }
    if (f.step_s > 0.2 * f.median_tpot_s && f.step_s > 10 * f.step_prior_s) {
      rep.notes.push_back(f.runtime + ": the fitted step overhead is " +
                          FormatFixed(100 * f.step_s / f.median_tpot_s, 0) +
                          "% of the measured TPOT: more likely the step time itself is mispredicted (batched "
                          "decode, say) than a real per-step overhead; check the runs' shapes with tokcast validate "
                          "before using it");
    }
    if (f.step_s == 0 && f.tpot_ape_after > 25) {
      rep.notes.push_back(f.runtime + ": TPOT stays " + FormatFixed(f.tpot_ape_after, 0) +
                          "% off with no step overhead: the decode step itself is predicted too slow");
    }
  }
  return rep;
}

}  // namespace tokcast::app
