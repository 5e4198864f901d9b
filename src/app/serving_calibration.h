// tokcast calibrate --serving: the per-step and per-request overheads of each runtime, fitted to
// the serving runs in the results database (bench serve, or import serve with --hw/--model),
// each re-simulated with the workload it ran.
//
// TPOT is the step time plus the step overhead, so the step overhead moves by the median TPOT
// residual; TTFT carries the request overhead (HTTP, tokenization) once, so it moves by the
// median TTFT residual. A few rounds settle both (each round re-simulates every run); neither goes
// below zero. The fit is reported beside the priors with the error before and after, and can be
// written as runtime TOML files for `tokcast --catalog DIR`.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "report/schema.h"

namespace tokcast::app {

struct ServingCalibrationRequest {
  std::string db_path;
  std::string runtimes_out;  // a catalog folder: runtimes/ID.toml per fitted runtime (overrides by id)
};

struct RuntimeOverheadFit {
  std::string runtime;
  size_t runs = 0;
  double step_prior_s = 0, request_prior_s = 0;
  double step_s = 0, request_s = 0;
  double frontend_s = 0, seq_s = 0;  // held where the shipped profile (or the runtime) has them
  double median_tpot_s = 0;          // of the runs, measured
  // Median absolute percentage error of the runs' median TTFT and TPOT, before and after.
  double ttft_ape_before = 0, ttft_ape_after = 0, tpot_ape_before = 0, tpot_ape_after = 0;
  std::vector<int64_t> run_ids;
  std::string written;  // the TOML file written, if any
};

struct ServingCalibration {
  std::vector<RuntimeOverheadFit> fits;
  size_t skipped = 0;  // serving runs without a stored prediction request
};

// Throws InputError when the database holds no serving run with a prediction.
ServingCalibration CalibrateServing(const catalog::Catalog& cat, const ServingCalibrationRequest& request);
report::Report ServingCalibrationReport(const ServingCalibration& result);

}  // namespace tokcast::app
