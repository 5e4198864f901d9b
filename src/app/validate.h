// tokcast validate / calibrate: the model checked against measured rows, and fitted to them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/validation.h"
#include "report/schema.h"

namespace tokcast::app {

// Which measurement rows: a CSV, the results database, or the built-in set; then filtered.
struct DataRequest {
  std::string data_path;  // a measurement CSV
  std::string db_path;    // the results database (not with data_path)
  std::vector<std::string> sources, exclude_sources;
};
// Throws InputError (unreadable file, nothing left after filtering).
std::vector<MeasuredRow> LoadRows(const DataRequest& request);

struct ValidateRequest {
  DataRequest data;
  std::string profile_path;  // empty: the built-in profile
  std::optional<double> max_median_ape;
};

struct ValidateResult {
  std::vector<MeasuredRow> rows;
  std::vector<RowResult> results;
  std::map<TestKind, KindSummary> summary;
  bool over_threshold = false;  // some kind's median APE above max_median_ape
  std::optional<double> max_median_ape;
};
ValidateResult Validate(const catalog::Catalog& cat, const ValidateRequest& request);
report::Report ValidateReport(const ValidateResult& result);

// For each source S: calibrate on the others, validate on S.
struct SourceHeldOut {
  std::string source;
  TestKind kind = TestKind::kTg;
  KindSummary held_out, in_sample;
  // The share of its rows inside the 80% prediction interval built from the OTHER sources'
  // held-out rows (nullopt: too few of them for an interval of this kind).
  std::optional<double> coverage;
};
struct LeaveOneSourceOutResult {
  std::vector<SourceHeldOut> rows;
  PredictionIntervals intervals;  // from every held-out row's measured / predicted
  std::string intervals_toml;     // the same as data/efficiency/intervals.toml
  // Over every held-out row that had an interval: inside it / all (the stated coverage is 0.8).
  size_t covered = 0, covered_of = 0;
};
LeaveOneSourceOutResult LeaveOneSourceOut(const catalog::Catalog& cat, const DataRequest& request);
report::Report LeaveOneSourceOutReport(const LeaveOneSourceOutResult& result);

struct CalibrateResult {
  EfficiencyProfile profile;
  std::string toml;  // the profile as data/efficiency/*.toml
  size_t rows = 0;
};
CalibrateResult Calibrate(const catalog::Catalog& cat, const DataRequest& request);
report::Report CalibrateReport(const CalibrateResult& result);

}  // namespace tokcast::app
