#include "app/plan.h"

#include <algorithm>
#include <cmath>

#include "app/scenario.h"
#include "app/simulate.h"
#include "catalog/error.h"
#include "core/text.h"
#include "report/kinds.h"

namespace tokcast::app {

using nlohmann::json;

namespace {

constexpr size_t kFinalists = 3;  // the cheapest configurations tried in other layouts

struct Candidate {
  const HardwareSpec* hw = nullptr;
  std::string runtime, quant;
};

std::vector<std::string> QuantsFor(const RuntimeProfile& rt, const HardwareSpec& hw) {
  if (rt.engine == "llama.cpp" || rt.engine == "ollama") return {"q8_0", "q4_k_m"};
  if (rt.engine == "mlx") return {"mlx-8bit-g64", "mlx-4bit"};
  std::vector<std::string> q = {"bf16"};
  if (hw.peak_flops.count(Precision::kFp8)) q.push_back("fp8");  // native FP8 tensor cores
  return q;
}

std::vector<Candidate> Candidates(const catalog::Catalog& cat, const PlanRequest& r, const Weights& probe_weights) {
  std::vector<Candidate> out;
  for (const auto& h : r.hardware) {
    const HardwareSpec& hw = cat.Hardware(h);
    std::vector<std::string> rts = r.runtimes;
    if (rts.empty()) rts = {"vllm", "sglang", "trtllm", cat.DefaultRuntimeFor(hw).id, "mlx"};
    for (const auto& id : rts) {
      const RuntimeProfile& rt = cat.Runtime(id);
      try {
        CheckCombination(hw, rt, probe_weights, 1, 1);  // vendor and class; formats per quant below
      } catch (const catalog::InputError&) {
        if (!r.runtimes.empty()) throw;  // asked for: say why it cannot run
        continue;
      }
      for (const auto& q : r.quants.empty() ? QuantsFor(rt, hw) : r.quants) out.push_back({&hw, rt.id, q});
    }
  }
  return out;
}

std::string LayoutLabel(const PlanLayout& l) {
  std::string s = "TP" + std::to_string(l.tp);
  if (l.ep > 1) s += " EP" + std::to_string(l.ep);
  if (l.pp > 1) s += " PP" + std::to_string(l.pp);
  if (l.prefill_replicas)
    s += " disagg " + std::to_string(l.prefill_replicas) + ":" + std::to_string(l.decode_replicas);
  return s;
}

double HourlyUsd(const HardwareSpec& hw, const Costing& c) {
  if (c.rental_usd_per_hour) return *c.rental_usd_per_hour;
  if (!hw.price_usd) return -1;
  const double energy = hw.tdp_w.value_or(0) / 1000.0 * c.usd_per_kwh;
  return *hw.price_usd / (c.amortization_years * 365.25 * 24) + energy;
}

struct Trial {
  bool ok = false;
  serve::ServeMetrics m;
  std::string stand_in;
  double rate = 0;
};

Trial Run(const catalog::Catalog& cat, SimulateRequest s, double rate, const PlanRequest& r) {
  s.workload.rate = rate;
  const SimulateResult res = Simulate(cat, s);
  Trial t;
  t.m = res.metrics;
  t.stand_in = res.stand_in;
  t.ok = t.m.completed == t.m.requests && t.m.ttft_s.p99 <= r.slo_ttft_p99_s && t.m.tpot_s.p99 <= r.slo_tpot_p99_s;
  t.rate = rate;
  return t;
}

// The highest rate one replica (a unit of `lay`) sustains within the SLOs: a bisection on the
// request rate.
PlanRow Evaluate(const catalog::Catalog& cat, const PlanRequest& r, const Candidate& c, const PlanLayout& lay) {
  PlanRow row;
  row.hardware = c.hw->id;
  row.runtime = c.runtime;
  row.quant = c.quant;
  row.tp = lay.tp;
  row.layout = lay;
  const uint32_t tp = lay.Devices();  // devices of one unit
  SimulateRequest s;
  s.model = r.model;
  s.hardware = c.hw->id;
  s.runtime = c.runtime;
  s.quant = c.quant;
  s.tp = lay.tp;
  s.ep = lay.ep;
  s.pp = lay.pp;
  s.devices = lay.tp * lay.pp;
  s.prefill_replicas = lay.prefill_replicas;
  s.decode_replicas = lay.decode_replicas;
  s.workload.isl = r.isl;
  s.workload.osl = r.osl;
  s.workload.seed = r.seed;
  const double mean_osl = (r.osl.min + r.osl.max) / 2.0;
  // An idle server first: when one request alone misses the SLOs, no rate meets them (a
  // disaggregated pool takes open-loop arrivals only: a trickle, 100 s apart).
  if (lay.prefill_replicas) {
    s.workload.arrival = serve::Arrival::kPoisson;
    s.workload.rate = 0.01;
  } else {
    s.workload.arrival = serve::Arrival::kClosedLoop;
    s.workload.concurrency = 1;
  }
  s.workload.num_requests = 8;
  const SimulateResult idle = Simulate(cat, s);
  row.stand_in = idle.stand_in;
  s.workload.arrival = serve::Arrival::kPoisson;
  // As many requests per engine as one replica gets: a unit of several engines (pipeline
  // batches in flight, prefill and decode replicas) splits the trial among them, and a share
  // too short to fill them would judge them on an emptier server.
  const uint32_t engines = lay.pp * (lay.prefill_replicas ? lay.prefill_replicas + lay.decode_replicas : 1);
  s.workload.num_requests = r.requests_per_trial * engines;
  if (idle.metrics.tpot_s.p99 > r.slo_tpot_p99_s || idle.metrics.ttft_s.p99 > r.slo_ttft_p99_s) {
    row.why = "one request alone: TTFT " + FormatFixed(idle.metrics.ttft_s.p99 * 1e3, 0) + " ms, TPOT " +
              FormatFixed(idle.metrics.tpot_s.p99 * 1e3, 1) + " ms";
    return row;
  }
  double lo = 0, hi = std::max(idle.output_throughput_bound / std::max(mean_osl, 1.0), 1e-3);
  Trial best;
  for (int i = 0; i < 8; ++i) {
    const double mid = lo == 0 ? hi / 8 : (lo + hi) / 2;
    const Trial t = Run(cat, s, mid, r);
    if (t.ok) {
      lo = mid;
      best = t;
      row.points.push_back({mid * mean_osl / tp, t.m.tpot_s.median > 0 ? 1.0 / t.m.tpot_s.median : 0.0});
    } else {
      hi = mid;
    }
  }
  if (lo <= 0) {
    row.why = "misses the SLOs at every rate tried";
    return row;
  }
  row.meets = true;
  row.replica_rate = lo;
  row.replicas = static_cast<uint32_t>(std::ceil(r.request_rate / lo - 1e-9));
  row.devices = row.replicas * tp;
  row.ttft_p99_s = best.m.ttft_s.p99;
  row.tpot_p99_s = best.m.tpot_s.p99;
  row.output_tok_s_per_device = lo * mean_osl / tp;
  row.output_tok_s_per_user = best.m.tpot_s.median > 0 ? 1.0 / best.m.tpot_s.median : 0;
  if (const double h = HourlyUsd(*c.hw, r.cost); h >= 0) {
    row.usd_per_hour = h * row.devices;
    row.usd_per_mtok = *row.usd_per_hour / (r.request_rate * mean_osl * 3600) * 1e6;
  }
  if (c.hw->tdp_w) row.power_w = *c.hw->tdp_w * row.devices;
  return row;
}

}  // namespace

PlanResult Plan(const catalog::Catalog& cat, const PlanRequest& r) {
  if (!(r.request_rate > 0 && r.request_rate < 1e7))
    throw catalog::InputError("the request rate must be in (0, 1e7) req/s");
  if (!(r.slo_ttft_p99_s > 0) || !(r.slo_tpot_p99_s > 0)) throw catalog::InputError("the SLOs must be positive");
  if (r.hardware.empty()) throw catalog::InputError("plan needs candidate hardware");
  ScenarioBuilder builder(cat);
  const Weights& probe = builder.Resolve(r.model, "bf16");
  PlanResult out;
  std::vector<Candidate> candidates = Candidates(cat, r, probe);
  for (const auto& c : candidates) {
    std::vector<uint32_t> tps = r.tp;
    const bool linked = c.hw->scaleup_bytes_per_s || c.hw->hw_class == HardwareClass::kDiscreteGpu ||
                        c.hw->hw_class == HardwareClass::kAccelerator;
    const uint32_t max_tp = !cat.Runtime(c.runtime).tensor_parallel || !linked ? 1 : c.hw->max_devices.value_or(8);
    std::vector<uint32_t> tried;
    for (uint32_t tp = 1; tp <= max_tp && tried.size() < (r.tp.empty() ? 2u : r.tp.size()); tp *= 2) {
      if (!r.tp.empty() && std::find(r.tp.begin(), r.tp.end(), tp) == r.tp.end()) continue;
      ++out.candidates;
      try {
        PlanLayout lay;
        lay.tp = tp;
        out.rows.push_back(Evaluate(cat, r, c, lay));
        tried.push_back(tp);
      } catch (const catalog::InputError&) {
        // Does not fit at this degree, or cannot run this quant: the next degree may.
      }
    }
  }
  // Cheapest first when every configuration has a price; otherwise fewest devices first (the
  // catalog has no price for most datacenter parts: --rental-usd-per-hour gives them all one).
  const bool priced =
      std::all_of(out.rows.begin(), out.rows.end(), [](const PlanRow& p) { return !p.meets || p.usd_per_hour; });
  auto rank = [&] {
    std::stable_sort(out.rows.begin(), out.rows.end(), [priced](const PlanRow& a, const PlanRow& b) {
      if (a.meets != b.meets) return a.meets;
      if (priced && a.usd_per_hour && b.usd_per_hour && *a.usd_per_hour != *b.usd_per_hour)
        return *a.usd_per_hour < *b.usd_per_hour;
      return a.devices < b.devices;
    });
  };
  rank();
  // The finalists in other layouts: the simulator's verdict on what the search ranked best.
  const bool moe = probe.spec->moe.has_value();
  std::vector<PlanRow> variants;
  for (size_t i = 0, taken = 0; i < out.rows.size() && taken < kFinalists && out.rows[i].meets; ++i, ++taken) {
    const PlanRow& f = out.rows[i];
    const Candidate* c = nullptr;
    for (const auto& k : candidates) {
      if (k.hw->id == f.hardware && k.runtime == f.runtime && k.quant == f.quant) c = &k;
    }
    if (!c) continue;
    std::vector<PlanLayout> layouts;
    const PlanLayout base = f.layout;
    if (moe && base.tp > 1) {
      PlanLayout l = base;
      l.ep = base.tp;
      layouts.push_back(l);
    }
    const uint32_t max_devices = c->hw->max_devices.value_or(8);
    if (base.tp * 2 <= max_devices) {
      PlanLayout l = base;
      l.pp = 2;
      layouts.push_back(l);
    }
    if (cat.Runtime(f.runtime).scheduler.policy == "continuous") {
      for (auto [p, d] : {std::pair{1u, 1u}, std::pair{1u, 2u}, std::pair{2u, 1u}}) {
        PlanLayout l = base;
        l.prefill_replicas = p;
        l.decode_replicas = d;
        layouts.push_back(l);
      }
    }
    for (const auto& l : layouts) {
      ++out.variants;
      try {
        variants.push_back(Evaluate(cat, r, *c, l));
      } catch (const catalog::InputError&) {
        // This layout cannot run here (heads or experts the degree does not divide, ...).
      }
    }
  }
  out.rows.insert(out.rows.end(), variants.begin(), variants.end());
  rank();
  out.ranked_by_cost = priced;
  // The front: points no other point beats on both axes.
  std::vector<PlanResult::FrontPoint> all;
  for (size_t i = 0; i < out.rows.size(); ++i)
    for (const auto& [dev, user] : out.rows[i].points) all.push_back({i, dev, user});
  for (const auto& p : all) {
    const bool dominated = std::any_of(all.begin(), all.end(), [&](const PlanResult::FrontPoint& q) {
      return q.tok_s_per_device >= p.tok_s_per_device && q.tok_s_per_user >= p.tok_s_per_user &&
             (q.tok_s_per_device > p.tok_s_per_device || q.tok_s_per_user > p.tok_s_per_user);
    });
    if (!dominated) out.front.push_back(p);
  }
  std::sort(out.front.begin(), out.front.end(), [](const auto& a, const auto& b) {
    return a.tok_s_per_device != b.tok_s_per_device ? a.tok_s_per_device > b.tok_s_per_device
                                                    : a.tok_s_per_user > b.tok_s_per_user;
  });
  for (const auto& p : out.front) out.rows[p.row].pareto = true;
  return out;
}

report::Report PlanReport(const PlanRequest& r, const PlanResult& res) {
  report::Report rep;
  rep.schema = &report::kinds::Plan();
  rep.title = r.model + ": " + FormatFixed(r.request_rate, 1) + " req/s, ISL " + std::to_string(r.isl.max) + " / OSL " +
              std::to_string(r.osl.max) + ", TTFT p99 <= " + FormatFixed(r.slo_ttft_p99_s, 2) +
              " s, TPOT p99 <= " + FormatFixed(r.slo_tpot_p99_s * 1e3, 0) + " ms";
  std::vector<std::string> stand_ins;
  for (const auto& p : res.rows) {
    json j = {
        {"hardware", p.hardware}, {"runtime", p.runtime}, {"quant", p.quant}, {"tp", p.tp}, {"meets_slo", p.meets}};
    j["ep"] = p.layout.ep > 1 ? json(p.layout.ep) : json(nullptr);
    j["pp"] = p.layout.pp;
    j["disagg"] = p.layout.prefill_replicas
                      ? json(std::to_string(p.layout.prefill_replicas) + ":" + std::to_string(p.layout.decode_replicas))
                      : json("-");
    if (p.meets) {
      j["replicas"] = p.replicas;
      j["devices"] = p.devices;
      j["replica_rate"] = p.replica_rate;
      j["ttft_p99_ms"] = p.ttft_p99_s * 1e3;
      j["tpot_p99_ms"] = p.tpot_p99_s * 1e3;
      j["tok_s_per_device"] = p.output_tok_s_per_device;
      j["tok_s_per_user"] = p.output_tok_s_per_user;
      if (p.usd_per_hour) j["usd_per_hour"] = *p.usd_per_hour;
      if (p.usd_per_mtok) j["usd_per_mtok"] = *p.usd_per_mtok;
      if (p.power_w) j["power_w"] = *p.power_w;
      j["pareto"] = p.pareto;
    } else {
      j["why"] = p.why;
    }
    if (!p.stand_in.empty()) {
      j["efficiency_from"] = p.stand_in;
      const std::string n = p.runtime + " on " + p.hardware + ": the efficiencies of " + p.stand_in + " stand in";
      if (std::find(stand_ins.begin(), stand_ins.end(), n) == stand_ins.end()) stand_ins.push_back(n);
    }
    rep.rows.push_back(std::move(j));
  }
  rep.notes.push_back(std::to_string(res.candidates) + " configurations simulated, and " +
                      std::to_string(res.variants) + " layouts of the " + std::to_string(kFinalists) +
                      " cheapest (expert parallelism, 2 pipeline stages, P:D prefill and decode replicas; a replica is "
                      "then one such unit), " +
                      std::to_string(r.requests_per_trial) +
                      " requests per trial and engine, 8 bisection steps on the rate. Cost: price amortized over " +
                      FormatFixed(r.cost.amortization_years, 0) +
                      " years plus electricity at TDP, or the rental rate.");
  if (!res.ranked_by_cost) {
    rep.notes.push_back(
        "ranked by devices: some hardware has no price in the catalog (--rental-usd-per-hour prices them all)");
  }
  if (!res.front.empty()) {
    std::string f;
    for (size_t i = 0; i < res.front.size() && i < 8; ++i) {
      const auto& p = res.front[i];
      const auto& row = res.rows[p.row];
      f += (i ? "; " : "") + row.hardware + " " + row.runtime + " " + row.quant + " " + LayoutLabel(row.layout) + " " +
           FormatFixed(p.tok_s_per_device, 0) + " tok/s/dev at " + FormatFixed(p.tok_s_per_user, 1) + " tok/s/user";
    }
    rep.notes.push_back(
        "Pareto front (tokens/s per device against tokens/s per user, every rate that met the SLOs; "
        "the front column marks its configurations): " +
        f + (res.front.size() > 8 ? "; ..." : ""));
  }
  rep.notes.insert(rep.notes.end(), stand_ins.begin(), stand_ins.end());
  return rep;
}

}  // namespace tokcast::app
