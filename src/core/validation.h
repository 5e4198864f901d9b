// Validation and calibration against measured rows: per-row prediction, error statistics and
// a robust fit of efficiency profiles (few parameters per runtime x hardware class, fitted on
// log error; never one per row). Pure: the CLI resolves rows against the catalog.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/perf_model.h"

namespace tokcast {

// Single-stream kinds (llama-bench) first, then serving kinds (vllm bench serve): latencies in ms
// or s, throughputs per second. Serialized names are only ever appended.
enum class TestKind : uint8_t {
  kPp,
  kTg,
  kTgBatch,
  kThroughput,
  kTtft,
  kTtftMsMean,
  kTtftMsMedian,
  kTtftMsP99,
  kTpotMsMean,
  kTpotMsMedian,
  kTpotMsP99,
  kItlMsMean,
  kItlMsMedian,
  kE2eSMean,
  kE2eSMedian,
  kE2eSBatch,
  kRequestThroughput,
  kThroughputPerGpu,
  kCount
};
// A kind measured on a serving run (the simulator predicts it); throughput counts as serving
// when the row names a concurrency or a request rate.
bool IsServingKind(TestKind k);
// Lower is better (a latency): its bound is a floor, not a ceiling.
bool IsLatencyKind(TestKind k);
std::string_view ToString(TestKind k);
std::optional<TestKind> TestKindFromString(std::string_view s);

// One measurement, as in shared/validation/*.csv.
struct MeasuredRow {
  size_t line = 0;
  std::string hardware, runtime, model, quant, test, unit, source_id, source_url, notes;
  uint32_t device_count = 1;
  std::optional<uint64_t> n_prompt, n_gen, depth, batch;
  double value = 0;
  // Serving columns (optional, by header name): parallelism, load, KV cache type.
  std::optional<uint32_t> tp, pp, ep;
  std::optional<double> concurrency;   // closed loop; infinity = all at once
  std::optional<double> request_rate;  // req/s; infinity = all at once
  std::optional<uint64_t> num_requests;
  std::optional<uint64_t> n_gen_min;  // output lengths uniform in [n_gen_min, n_gen] (outputs that end early)
  std::string kv_type;
  // The engine build that ran it: a numbered build (llama.cpp's 3622) and/or the day it was
  // released or measured. From the optional build and date columns, else from the notes
  // ("build: 93bc3839 (3622)", "2024-08-26").
  std::optional<uint32_t> build;
  std::optional<Day> day;
  bool IsServing() const;
};

// A row resolved against the catalog, ready to predict.
struct Scenario {
  const MeasuredRow* row = nullptr;
  TestKind kind = TestKind::kTg;
  const HardwareSpec* hw = nullptr;
  const RuntimeProfile* rt = nullptr;
  std::shared_ptr<const RuntimeProfile> rt_owned;  // when the row's flags change the runtime
  std::shared_ptr<const ModelSpec> spec;
  std::shared_ptr<const PreparedModel> model;
  MemoryPlan plan;
  PerfWorkload workload;
  std::optional<std::string> unsupported;  // why it cannot be predicted
};

struct RowResult {
  double predicted = 0, bound = 0, measured = 0;
  double ape = 0;  // |predicted - measured| / measured, in percent
  bool above_bound = false;
  std::optional<std::string> unsupported;
};

RowResult Evaluate(const Scenario& s, const EfficiencyProfile& profile);

struct KindSummary {
  size_t rows = 0, predicted = 0, above_bound = 0;
  double median_ape = 0, mean_ape = 0, within_10 = 0, within_25 = 0;
};
std::map<TestKind, KindSummary> Summarize(const std::vector<Scenario>& scenarios,
                                          const std::vector<RowResult>& results);

// How far real runs fall from the expectation on data the calibration did not see: quantiles of
// measured / predicted over held-out sources (leave one source out), per test kind. A prediction
// interval is [expected x low, min(expected x high, bound)].
struct IntervalBand {
  double low = 1, high = 1;  // ratio quantiles
  size_t rows = 0;           // held-out rows behind them
};
struct PredictionIntervals {
  double coverage = 0.8;  // the share of held-out rows inside [low, high]
  std::map<TestKind, IntervalBand> kinds;
  // From the held-out rows whose calibration group had no rows of its own once their source
  // was left out, so that another group's efficiencies (or the priors) stood in: wider.
  std::map<TestKind, IntervalBand> stand_in;
  // The stand-in band when `stand_in` and there is one, else the kind's band (nullptr: none).
  const IntervalBand* For(TestKind k, bool stand_in = false) const;
};
// The central `coverage` quantiles of each kind's ratios (kinds with fewer than 10 left out);
// `stand_in_ratios`, the subset predicted by a stand-in, gives the stand-in bands.
PredictionIntervals IntervalsFromRatios(const std::map<TestKind, std::vector<double>>& ratios, double coverage,
                                        const std::map<TestKind, std::vector<double>>& stand_in_ratios = {});

// The efficiency key a scenario is fitted under ("llama.cpp-metal/unified_soc").
std::string EfficiencyKey(const Scenario& s);

// Fits one Efficiency per key present in `scenarios`, starting from `start` (or defaults).
// Returns the profile with fitted entries plus a "default" entry for runtimes without data.
EfficiencyProfile Calibrate(const std::vector<Scenario>& scenarios, const EfficiencyProfile& start);

}  // namespace tokcast
