#include "app/validate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <variant>

#include "app/scenario.h"
#include "app/session.h"
#include "app/simulate.h"
#include "catalog/error.h"
#include "catalog/measurements.h"
#include "core/text.h"
#include "report/kinds.h"
#include "store/results_store.h"

namespace tokcast::app {

using nlohmann::json;

std::vector<MeasuredRow> LoadRows(const DataRequest& r) {
  if (!r.data_path.empty() && !r.db_path.empty())
    throw catalog::InputError("give a measurement file or a database, not both");
  std::vector<MeasuredRow> rows;
  if (!r.db_path.empty()) {
    try {
      rows = store::ResultsStore(r.db_path).AllRows();
    } catch (const std::runtime_error& e) {
      throw catalog::InputError(e.what());
    }
  } else if (!r.data_path.empty()) {
    rows = catalog::ParseMeasurementsCsv(ReadUserFile(r.data_path), r.data_path);
  } else {
    rows = catalog::BuiltinMeasurements();
  }
  const std::set<std::string> only(r.sources.begin(), r.sources.end()),
      skip(r.exclude_sources.begin(), r.exclude_sources.end());
  std::vector<MeasuredRow> kept;
  for (auto& row : rows) {
    if (!only.empty() && !only.count(row.source_id)) continue;
    if (skip.count(row.source_id)) continue;
    kept.push_back(std::move(row));
  }
  if (kept.empty()) throw catalog::InputError("no measurement rows left to use");
  return kept;
}

namespace {

std::vector<Scenario> Resolve(ScenarioBuilder& b, const std::vector<MeasuredRow>& rows) {
  std::vector<Scenario> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    if (r.IsServing()) {  // the simulator predicts these (EvaluateServing); calibration skips them
      Scenario s;
      s.row = &r;
      s.kind = TestKindFromString(r.test).value_or(TestKind::kThroughput);
      s.unsupported = "a serving run: the simulator predicts it (FitServing fits the overheads to these)";
      out.push_back(std::move(s));
      continue;
    }
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

// A serving row, predicted by the simulator: the same model, hardware, runtime and workload.
// Simulations already run for this profile, by request: a published run gives several rows
// (throughput, TTFT, TPOT, ... of one workload), and they share one simulation.
using SimCache = std::map<std::string, std::variant<SimulateResult, std::string>>;

RowResult EvaluateServing(const catalog::Catalog& cat, const MeasuredRow& row, const EfficiencyProfile& profile,
                          SimCache& cache) {
  RowResult out;
  out.measured = row.value;
  const TestKind kind = TestKindFromString(row.test).value_or(TestKind::kThroughput);
  SimulateRequest q;
  q.model = row.model;
  q.hardware = row.hardware;
  q.runtime = row.runtime;
  q.quant = row.quant;
  q.tp = row.tp.value_or(1);
  q.ep = row.ep.value_or(1);
  q.devices = std::max(row.device_count, q.tp);
  if (!row.kv_type.empty()) {
    const auto kv = TensorTypeFromString(row.kv_type);
    if (!kv) {
      out.unsupported = "unknown KV type '" + row.kv_type + "'";
      return out;
    }
    q.kv_type = *kv;
  }
  auto& w = q.workload;
  const uint32_t isl = static_cast<uint32_t>(row.n_prompt.value_or(1000)),
                 osl = static_cast<uint32_t>(row.n_gen.value_or(200));
  w.isl = {isl, isl};
  w.osl = {static_cast<uint32_t>(row.n_gen_min.value_or(osl)), osl};
  w.num_requests = std::min<uint64_t>(row.num_requests.value_or(1000), 2000);
  if (row.concurrency && std::isfinite(*row.concurrency)) {
    w.arrival = serve::Arrival::kClosedLoop;
    w.concurrency = static_cast<uint32_t>(std::max(1.0, *row.concurrency));
  } else if (row.request_rate && std::isfinite(*row.request_rate)) {
    w.rate = *row.request_rate;
  } else {
    w.arrival = serve::Arrival::kOffline;
  }
  if (kind == TestKind::kE2eSBatch) {  // one static batch from start to finish
    w.arrival = serve::Arrival::kOffline;
    w.num_requests = row.batch.value_or(static_cast<uint64_t>(row.concurrency.value_or(1)));
  }
  q.profile = &profile;
  const std::string key = SimulateRequestJson(q).dump();
  auto it = cache.find(key);
  if (it == cache.end()) {
    try {
      it = cache.emplace(key, Simulate(cat, q)).first;
    } catch (const catalog::InputError& e) {
      it = cache.emplace(key, std::string(e.what())).first;
    }
  }
  if (const auto* why = std::get_if<std::string>(&it->second)) {
    out.unsupported = *why;
    return out;
  }
  const SimulateResult& sim = std::get<SimulateResult>(it->second);
  const auto& m = sim.metrics;
  const double ms = 1e3, e2e_floor = sim.ttft_bound_s + (osl - 1.0) * sim.tpot_bound_s;
  // Each latency kind: which distribution, which statistic, in what unit, against which floor.
  using serve::Distribution;
  struct Latency {
    TestKind kind;
    const Distribution* dist;
    double Distribution::*stat;
    double scale, floor;
  };
  const Latency latencies[] = {
      {TestKind::kTtftMsMean, &m.ttft_s, &Distribution::mean, ms, sim.ttft_bound_s * ms},
      {TestKind::kTtftMsMedian, &m.ttft_s, &Distribution::median, ms, sim.ttft_bound_s * ms},
      {TestKind::kTtftMsP99, &m.ttft_s, &Distribution::p99, ms, sim.ttft_bound_s * ms},
      {TestKind::kTpotMsMean, &m.tpot_s, &Distribution::mean, ms, sim.tpot_bound_s * ms},
      {TestKind::kTpotMsMedian, &m.tpot_s, &Distribution::median, ms, sim.tpot_bound_s * ms},
      {TestKind::kTpotMsP99, &m.tpot_s, &Distribution::p99, ms, sim.tpot_bound_s * ms},
      {TestKind::kItlMsMean, &m.itl_s, &Distribution::mean, ms, sim.tpot_bound_s * ms},
      {TestKind::kItlMsMedian, &m.itl_s, &Distribution::median, ms, sim.tpot_bound_s * ms},
      {TestKind::kE2eSMean, &m.e2e_s, &Distribution::mean, 1, e2e_floor},
      {TestKind::kE2eSMedian, &m.e2e_s, &Distribution::median, 1, e2e_floor},
  };
  const auto lat =
      std::find_if(std::begin(latencies), std::end(latencies), [&](const Latency& l) { return l.kind == kind; });
  if (lat != std::end(latencies)) {
    out.predicted = lat->dist->*lat->stat * lat->scale;
    out.bound = lat->floor;
  } else if (kind == TestKind::kE2eSBatch) {
    out.predicted = m.duration_s, out.bound = e2e_floor;
  } else if (kind == TestKind::kRequestThroughput) {
    // Requests/s at the bound's output rate: over the workload's mean output length (outputs
    // uniform in [n_gen_min, n_gen]), not its longest.
    const double mean_osl = (w.osl.min + w.osl.max) / 2.0;
    out.predicted = m.request_throughput, out.bound = sim.output_throughput_bound / mean_osl;
  } else if (kind == TestKind::kThroughputPerGpu) {
    out.predicted = m.output_throughput / sim.devices, out.bound = sim.output_throughput_bound / sim.devices;
  } else {  // throughput: output tokens/s
    out.predicted = m.output_throughput, out.bound = sim.output_throughput_bound;
  }
  out.ape = std::fabs(out.predicted - out.measured) / out.measured * 100.0;
  out.above_bound = IsLatencyKind(kind) ? out.measured < out.bound * (1 - 1e-9) : out.measured > out.bound * (1 + 1e-9);
  return out;
}

// Every row: serving rows through the simulator, the rest through the core.
std::vector<RowResult> EvaluateAll(const catalog::Catalog& cat, const std::vector<Scenario>& scenarios,
                                   const EfficiencyProfile& profile) {
  std::vector<RowResult> out;
  out.reserve(scenarios.size());
  SimCache cache;
  for (const auto& s : scenarios) {
    out.push_back(s.row && s.row->IsServing() ? EvaluateServing(cat, *s.row, profile, cache) : Evaluate(s, profile));
  }
  return out;
}

// The error of a runtime's serving rows with overheads `o`: the median |ln(predicted /
// measured)| of each test kind, averaged over kinds (so that ten latency statistics of a run do
// not outweigh its throughput); and how many published runs (simulations) the rows came from.
std::pair<double, size_t> ServingLoss(const catalog::Catalog& cat, const std::vector<const MeasuredRow*>& rows,
                                      EfficiencyProfile& p, const std::string& runtime, const ServingOverheads& o) {
  p.serving[runtime] = o;
  SimCache cache;
  std::map<std::string, std::vector<double>> by_kind;
  for (const MeasuredRow* row : rows) {
    const RowResult r = EvaluateServing(cat, *row, p, cache);
    if (r.unsupported || !(r.predicted > 0) || !(r.measured > 0)) continue;
    by_kind[row->test].push_back(std::fabs(std::log(r.predicted / r.measured)));
  }
  double loss = 0;
  for (auto& [kind, v] : by_kind) {
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    loss += v[v.size() / 2] / static_cast<double>(by_kind.size());
  }
  return {loss, cache.size()};
}

// Each serving runtime's overheads fitted to its published runs, on top of the core's fitted
// efficiencies: a coordinate search over a grid of each overhead, then a finer one around the
// best, minimizing ServingLoss. A runtime with fewer than three runs keeps its stated priors.
void FitServing(const catalog::Catalog& cat, const std::vector<Scenario>& scenarios, EfficiencyProfile& p) {
  std::map<std::string, std::vector<const MeasuredRow*>> by_runtime;
  for (const auto& s : scenarios) {
    if (s.row && s.row->IsServing()) by_runtime[s.row->runtime].push_back(s.row);
  }
  for (const auto& [runtime, rows] : by_runtime) {
    const RuntimeProfile* rt = nullptr;
    try {
      rt = &cat.Runtime(runtime);
    } catch (const catalog::InputError&) {
      continue;  // validate says so row by row
    }
    p.serving.erase(runtime);
    ServingOverheads best = EffectiveOverheads(*rt, p);
    auto [best_loss, runs] = ServingLoss(cat, rows, p, runtime, best);
    p.serving.erase(runtime);
    if (runs < 3) continue;
    const double before = best_loss;
    // The engine's own GEMMs (cuBLAS or CUTLASS on 16-bit and FP8 weights) are not llama.cpp's:
    // their efficiency is fitted on its runs too, written as the runtime's own entries
    // ("vllm/accelerator"), each a copy of the entry it stood in with before.
    std::map<std::string, Efficiency> bases;
    for (const MeasuredRow* row : rows) {
      try {
        const HardwareSpec& hw = cat.Hardware(row->hardware);
        const std::string key = runtime + "/" + std::string(ToString(hw.hw_class));
        if (!bases.count(key)) {
          bases[key] = p.For(*rt, hw);
          bases[key].based_on = p.KeyFor(*rt, hw);
        }
      } catch (const catalog::InputError&) {
        // an unknown hardware id: validate reports it on its row
      }
    }
    auto set_compute = [&](double v) {
      for (const auto& [key, base] : bases) {
        if (v <= 0) {
          p.entries.erase(key);
        } else {
          Efficiency e = base;
          e.dense_compute = v;
          p.entries[key] = e;
        }
      }
    };
    double best_compute = 0;
    auto try_compute = [&](const std::vector<double>& values) {
      for (double v : values) {
        if (v == best_compute || v <= 0 || v > 0.95) continue;
        set_compute(v);
        const double loss = ServingLoss(cat, rows, p, runtime, best).first;
        if (loss < best_loss - 1e-9) best_loss = loss, best_compute = v;
      }
      set_compute(best_compute);
    };
    try_compute({0.35, 0.45, 0.55, 0.65, 0.75, 0.85});
    double ServingOverheads::*fields[] = {&ServingOverheads::frontend_s, &ServingOverheads::seq_s,
                                          &ServingOverheads::step_s, &ServingOverheads::request_s};
    // Each overhead's grid ends at what a server's own CPU work can plausibly cost (an HTTP
    // request and its tokenization on one event loop: 5 ms; a sequence's sampling and output
    // processing: 20 us a step; a step's scheduling and launches: 3 ms; a request's setup before
    // its first step: 20 ms). What a published run shows beyond these is not the engine's (its
    // benchmark client or host, or the kernels' own error) and is left to the error bars.
    const std::vector<double> grids[] = {{0, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3},
                                         {0, 2e-6, 5e-6, 1e-5, 2e-5},
                                         {0, 1e-4, 3e-4, 1e-3, 3e-3},
                                         {0, 1e-3, 3e-3, 1e-2, 2e-2}};
    auto try_values = [&](size_t i, const std::vector<double>& values) {
      for (double v : values) {
        v = std::min(v, grids[i].back());
        if (v == best.*fields[i]) continue;
        ServingOverheads o = best;
        o.*fields[i] = v;
        const double loss = ServingLoss(cat, rows, p, runtime, o).first;
        if (loss < best_loss - 1e-9) best_loss = loss, best = o;
      }
    };
    for (size_t i = 0; i < 4; ++i) try_values(i, grids[i]);
    for (size_t i = 0; i < 4; ++i) {
      const double v = best.*fields[i];
      if (v > 0) try_values(i, {0.5 * v, 0.7 * v, 1.4 * v, 2 * v});
    }
    if (best_compute > 0) try_compute({best_compute - 0.05, best_compute + 0.05});
    best.runs = static_cast<uint32_t>(runs);
    best.loss_before = before;
    best.loss_after = best_loss;
    p.serving[runtime] = best;
  }
}

// Runtimes and classes without measurements fall back to the closest fitted entry; serving
// runtimes get their overheads fitted on top (`serving_from`: reuse another fit's, for a
// training set whose serving rows are the same).
EfficiencyProfile Fit(const catalog::Catalog& cat, const std::vector<Scenario>& scenarios,
                      const EfficiencyProfile* serving_from = nullptr) {
  EfficiencyProfile p = tokcast::Calibrate(scenarios, catalog::PriorEfficiencyProfile());
  if (p.entries.count("llama.cpp-cuda/discrete_gpu")) p.entries["default"] = p.entries["llama.cpp-cuda/discrete_gpu"];
  if (serving_from)
    p.serving = serving_from->serving;
  else
    FitServing(cat, scenarios, p);
  return p;
}

json SummaryJson(const KindSummary& k) {
  return {
      {"rows", k.rows},           {"predicted", k.predicted}, {"median_ape", k.median_ape},  {"mean_ape", k.mean_ape},
      {"within_10", k.within_10}, {"within_25", k.within_25}, {"above_bound", k.above_bound}};
}

}  // namespace

ValidateResult Validate(const catalog::Catalog& cat, const ValidateRequest& req) {
  if (req.max_median_ape && !(*req.max_median_ape >= 0)) throw catalog::InputError("the median APE limit must be >= 0");
  ValidateResult out;
  out.rows = LoadRows(req.data);
  out.max_median_ape = req.max_median_ape;
  const EfficiencyProfile profile = LoadProfile(req.profile_path);
  ScenarioBuilder builder(cat);
  const auto scenarios = Resolve(builder, out.rows);
  out.results = EvaluateAll(cat, scenarios, profile);
  out.summary = Summarize(scenarios, out.results);
  size_t predicted = 0;
  for (const auto& [kind, k] : out.summary) {
    predicted += k.predicted;
    if (req.max_median_ape && k.predicted > 0 && k.median_ape > *req.max_median_ape) out.over_threshold = true;
  }
  // A gate that predicted nothing has checked nothing.
  if (req.max_median_ape && predicted == 0) out.over_threshold = true;
  return out;
}

report::Report ValidateReport(const ValidateResult& v) {
  report::Report rep;
  rep.schema = &report::kinds::ValidateRow();
  rep.summary_schema = &report::kinds::ValidateSummary();
  rep.summary_in_table = false;  // the notes say the same in words
  for (size_t i = 0; i < v.rows.size(); ++i) {
    const auto& r = v.rows[i];
    const auto& res = v.results[i];
    std::string shape;
    if (r.n_prompt) shape += "p" + std::to_string(*r.n_prompt);
    if (r.n_gen) shape += "n" + std::to_string(*r.n_gen);
    if (r.depth && *r.depth) shape += "@d" + std::to_string(*r.depth);
    if (r.batch && *r.batch > 1) shape += " b" + std::to_string(*r.batch);
    json row = {
        {"line", r.line},           {"source", r.source_id}, {"hardware", r.hardware}, {"device_count", r.device_count},
        {"runtime", r.runtime},     {"model", r.model},      {"quant", r.quant},       {"test", r.test},
        {"measured", res.measured}, {"shape", shape}};
    if (res.unsupported) {
      row["unsupported"] = *res.unsupported;
      row["flag"] = "unsupported";
    } else {
      row["predicted"] = res.predicted;
      row["bound"] = res.bound;
      row["ape"] = res.ape;
      row["above_bound"] = res.above_bound;
      if (res.above_bound) row["flag"] = "ABOVE BOUND";
    }
    rep.rows.push_back(std::move(row));
  }
  rep.summary = json::object();
  for (const auto& [kind, k] : v.summary) {
    rep.summary[std::string(ToString(kind))] = SummaryJson(k);
    rep.notes.push_back(std::string(ToString(kind)) + ": " + std::to_string(k.predicted) + "/" +
                        std::to_string(k.rows) + " predicted, median APE " + FormatFixed(k.median_ape, 1) + "%, mean " +
                        FormatFixed(k.mean_ape, 1) + "%, within 10%: " + FormatFixed(100 * k.within_10, 0) +
                        "%, within 25%: " + FormatFixed(100 * k.within_25, 0) +
                        "%, above the physical bound: " + std::to_string(k.above_bound));
  }
  if (v.over_threshold) rep.notes.push_back("median APE above the limit of " + FormatFixed(*v.max_median_ape, 1) + "%");
  return rep;
}

LeaveOneSourceOutResult LeaveOneSourceOut(const catalog::Catalog& cat, const DataRequest& req) {
  const auto rows = LoadRows(req);
  std::set<std::string> sources;
  for (const auto& r : rows) sources.insert(r.source_id);
  ScenarioBuilder builder(cat);
  const auto all = Resolve(builder, rows);
  const EfficiencyProfile full = Fit(cat, all);
  std::set<std::string> serving_sources;
  for (const auto& r : rows) {
    if (r.IsServing()) serving_sources.insert(r.source_id);
  }
  LeaveOneSourceOutResult out;
  // measured / predicted per kind, all held-out rows and those predicted by a stand-in.
  std::map<TestKind, std::vector<double>> ratios, stand_in_ratios;
  struct Held {
    double ratio;
    bool stand_in;
  };
  std::map<std::string, std::map<TestKind, std::vector<Held>>> by_source;
  for (const auto& src : sources) {
    std::vector<Scenario> train, test;
    for (const auto& s : all) (s.row->source_id == src ? test : train).push_back(s);
    // Holding out a source without serving rows leaves the serving fit as it was.
    const EfficiencyProfile p = Fit(cat, train, serving_sources.count(src) ? nullptr : &full);
    const std::vector<RowResult> res = EvaluateAll(cat, test, p), res_in = EvaluateAll(cat, test, full);
    const auto sum = Summarize(test, res);
    const auto sum_in = Summarize(test, res_in);
    for (const auto& [kind, k] : sum) out.rows.push_back({src, kind, k, sum_in.at(kind), std::nullopt});
    for (size_t i = 0; i < test.size(); ++i) {
      if (res[i].unsupported || !(res[i].predicted > 0)) continue;
      const double ratio = res[i].measured / res[i].predicted;
      // (Serving rows resolve in the simulator, not here: their kinds have bands of their own.)
      const bool stand_in = test[i].rt && test[i].hw && !StandInKey(p, *test[i].rt, *test[i].hw).empty();
      ratios[test[i].kind].push_back(ratio);
      if (stand_in) stand_in_ratios[test[i].kind].push_back(ratio);
      by_source[src][test[i].kind].push_back({ratio, stand_in});
    }
  }
  out.intervals = IntervalsFromRatios(ratios, 0.8, stand_in_ratios);
  // How often the interval holds on a source it did not see: each source against the interval
  // the other sources' held-out rows give.
  for (auto& row : out.rows) {
    std::map<TestKind, std::vector<double>> others, others_stand_in;
    for (const auto& [src, kinds] : by_source) {
      if (src == row.source || !kinds.count(row.kind)) continue;
      for (const Held& h : kinds.at(row.kind)) {
        others[row.kind].push_back(h.ratio);
        if (h.stand_in) others_stand_in[row.kind].push_back(h.ratio);
      }
    }
    const PredictionIntervals iv = IntervalsFromRatios(others, 0.8, others_stand_in);
    const auto mine = by_source[row.source].find(row.kind);
    if (!iv.For(row.kind) || mine == by_source[row.source].end() || mine->second.empty()) continue;
    size_t in = 0;
    for (const Held& h : mine->second) {
      const IntervalBand* band = iv.For(row.kind, h.stand_in);
      in += h.ratio >= band->low && h.ratio <= band->high ? 1 : 0;
    }
    row.coverage = static_cast<double>(in) / static_cast<double>(mine->second.size());
    out.covered += in;
    out.covered_of += mine->second.size();
  }
  out.intervals_toml = catalog::SerializeIntervals(
      out.intervals,
      {"Prediction intervals: the central 80% of measured / predicted over held-out sources (each source's rows",
       "predicted by a calibration fitted without it), per test kind; [stand_in.KIND] from the rows whose",
       "group had no rows once their source was left out (another group's efficiencies stood in). predict reports",
       "[expected x low, min(expected x high, bound)]. Generated, not edited:",
       "  tokcast validate --leave-one-source-out --intervals-out data/efficiency/intervals.toml"});
  return out;
}

report::Report LeaveOneSourceOutReport(const LeaveOneSourceOutResult& r) {
  report::Report rep;
  rep.schema = &report::kinds::LeaveOneSourceOut();
  rep.title = "Leave one source out: calibrate on the other sources, validate on the held-out one";
  for (const auto& s : r.rows) {
    rep.rows.push_back({{"source", s.source},
                        {"test", std::string(ToString(s.kind))},
                        {"rows", s.held_out.predicted},
                        {"median_ape", s.held_out.median_ape},
                        {"mean_ape", s.held_out.mean_ape},
                        {"within_10", s.held_out.within_10},
                        {"within_25", s.held_out.within_25},
                        {"above_bound", s.held_out.above_bound},
                        {"in_sample_median_ape", s.in_sample.median_ape},
                        {"interval_coverage", s.coverage ? json(*s.coverage) : json(nullptr)}});
  }
  if (r.covered_of > 0) {
    rep.notes.push_back(
        "80% prediction intervals (each source's built from the other sources' held-out rows) hold on " +
        FormatFixed(100.0 * static_cast<double>(r.covered) / static_cast<double>(r.covered_of), 0) + "% of " +
        std::to_string(r.covered_of) + " held-out rows");
  }
  rep.notes.push_back(
      "A held-out source whose runtime x hardware class has no other data gets the stated priors "
      "(data/efficiency/priors.toml): that row is the error on unseen hardware.");
  return rep;
}

CalibrateResult Calibrate(const catalog::Catalog& cat, const DataRequest& req) {
  const auto rows = LoadRows(req);
  ScenarioBuilder builder(cat);
  const auto scenarios = Resolve(builder, rows);
  size_t usable = 0;
  for (const auto& s : scenarios) usable += s.unsupported ? 0 : 1;
  if (usable == 0) throw catalog::InputError("no measurement row can be predicted: nothing to calibrate on");
  CalibrateResult out;
  // Start from the priors (not the shipped profile), so the fit depends only on the data.
  out.profile = Fit(cat, scenarios);
  // The header names the rows each part of the fit saw: single-stream rows for the efficiencies,
  // serving rows (one source URL per page for some sources) for the runtimes' overheads.
  std::set<std::string> sources, serving_sources;
  size_t serving_rows = 0;
  for (const auto& r : rows) {
    if (r.IsServing()) {
      ++serving_rows;
      serving_sources.insert(r.source_id);
      continue;
    }
    ++out.rows;
    sources.insert(r.source_id + " " + r.source_url);
  }
  std::vector<std::string> header = {"Efficiency profile written by `tokcast calibrate` (do not edit by hand).",
                                     "Regenerate: tokcast calibrate --profile-out data/efficiency/default.toml" +
                                         std::string(req.data_path.empty() ? "" : " --data " + req.data_path),
                                     "Efficiencies from " + std::to_string(out.rows) + " single-stream rows:"};
  for (const auto& s : sources) header.push_back("  " + s);
  if (serving_rows) {
    std::string list;
    for (const auto& s : serving_sources) list += (list.empty() ? "" : ", ") + s;
    header.push_back("Serving overheads from " + std::to_string(serving_rows) + " serving rows (" + list +
                     "; data/validation/README.md names their pages)");
  }
  out.toml = catalog::SerializeEfficiencyProfile(out.profile, header);
  return out;
}

report::Report CalibrateReport(const CalibrateResult& r) {
  report::Report rep;
  rep.schema = &report::kinds::Calibrate();
  for (const auto& [key, e] : r.profile.entries) {
    rep.rows.push_back({{"key", key},
                        {"memory", e.memory},
                        {"compute", e.compute},
                        {"dense_compute", e.dense_compute},
                        {"attention", e.attention},
                        {"decode_attention", e.decode_attention},
                        {"decode_compute", e.decode_compute},
                        {"alu_per_gemm_flop", e.alu_per_gemm_flop},
                        {"layer_overhead_s", e.layer_overhead_s},
                        {"multi_die_memory", e.multi_die_memory},
                        {"moe_tokens_half", e.moe_tokens_half},
                        {"gemm_tokens_half", e.gemm_tokens_half},
                        {"moe_layer_overhead_s", e.moe_layer_overhead_s},
                        {"host_memory", e.host_memory},
                        {"host_compute", e.host_compute},
                        {"link", e.link}});
  }
  rep.notes.push_back("fitted on " + std::to_string(r.rows) +
                      " measurement rows; --profile-out FILE writes the profile TOML");
  return rep;
}

}  // namespace tokcast::app
