// tokcast plan: the cheapest ways to serve a workload within its SLOs. For every candidate
// (hardware x runtime x quantization x TP degree) the serving simulator finds the highest request
// rate one replica sustains with p99 TTFT and TPOT within the SLOs (a bisection on the rate);
// replicas = the workload's rate over that; cost = replicas x devices x the hourly cost. The
// cheapest few (the finalists) are then tried in other layouts: expert parallelism (MoE),
// two pipeline stages, and disaggregated prefill and decode pools.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/perf_model.h"
#include "report/schema.h"
#include "serve/workload.h"

namespace tokcast::app {

struct PlanRequest {
  std::string model;
  std::vector<std::string> hardware;
  std::vector<std::string> runtimes;  // empty: every serving runtime that runs on the hardware
  std::vector<std::string> quants;    // empty: the runtime family's 16-bit, 8-bit and 4-bit recipes
  std::vector<uint32_t> tp;           // empty: the smallest degree that fits, and twice it
  double request_rate = 1;            // the whole fleet's
  serve::LengthDist isl{1000, 1000}, osl{200, 200};
  double slo_ttft_p99_s = 2, slo_tpot_p99_s = 0.05;
  Costing cost;
  uint64_t requests_per_trial = 300;  // requests each simulation runs
  uint64_t seed = 0;
};

// How one serving unit is laid out: TP (with expert parallelism across it), PP stages, and
// aggregated (one replica) or disaggregated (prefill and decode replicas, each tp x pp devices).
struct PlanLayout {
  uint32_t tp = 1, ep = 1, pp = 1;
  uint32_t prefill_replicas = 0, decode_replicas = 0;  // 0: aggregated
  uint32_t Devices() const { return tp * pp * (prefill_replicas ? prefill_replicas + decode_replicas : 1); }
};

struct PlanRow {
  std::string hardware, runtime, quant;
  uint32_t tp = 1;
  PlanLayout layout;
  bool meets = false;       // one replica (unit) meets the SLOs at some rate
  double replica_rate = 0;  // requests/s one replica (unit: layout.Devices() devices) sustains within the SLOs
  uint32_t replicas = 0, devices = 0;
  double ttft_p99_s = 0, tpot_p99_s = 0;  // at the replica's sustained rate
  double output_tok_s_per_device = 0, output_tok_s_per_user = 0;
  std::optional<double> usd_per_hour, usd_per_mtok, power_w;
  std::string stand_in, why;  // why it cannot meet the SLOs
  // Every rate tried that met the SLOs: (output tok/s per device, tok/s per user).
  std::vector<std::pair<double, double>> points;
  bool pareto = false;  // one of its points is on the front of every candidate's points
};

struct PlanResult {
  std::vector<PlanRow> rows;  // cheapest first; those that cannot meet the SLOs last
  size_t candidates = 0;
  size_t variants = 0;         // layouts tried on the finalists (EP, PP, disaggregated)
  bool ranked_by_cost = true;  // false: some hardware has no price, ranked by devices
  // The Pareto front over every operating point that met the SLOs: no other point gives more
  // tokens/s per device and more tokens/s per user. Best per-device throughput first.
  struct FrontPoint {
    size_t row = 0;  // into rows
    double tok_s_per_device = 0, tok_s_per_user = 0;
  };
  std::vector<FrontPoint> front;
};

PlanResult Plan(const catalog::Catalog& cat, const PlanRequest& request);
report::Report PlanReport(const PlanRequest& request, const PlanResult& result);

}  // namespace tokcast::app
