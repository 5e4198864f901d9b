#include "app/simulate.h"

#include <algorithm>

#include "app/scenario.h"
#include "app/session.h"
#include "catalog/error.h"
#include "catalog/trace.h"
#include "core/text.h"
#include "report/kinds.h"

namespace tokcast::app {

using nlohmann::json;

serve::SchedulerConfig SchedulerFor(const RuntimeProfile& rt, const HardwareSpec& hw, double capacity_gib) {
  const SchedulerDefaults& d = rt.scheduler;
  serve::SchedulerConfig c;
  c.policy = d.policy == "slots" ? serve::Policy::kSlots : serve::Policy::kContinuous;
  c.block_size = d.block_size;
  c.chunked_prefill = d.chunked_prefill;
  c.max_num_seqs = d.max_num_seqs;
  c.max_batched_tokens = d.max_batched_tokens;
  const std::string name = ToLower(hw.name + " " + hw.id);
  const bool excluded = std::any_of(d.large_gpu_exclude.begin(), d.large_gpu_exclude.end(),
                                    [&](const std::string& x) { return name.find(ToLower(x)) != std::string::npos; });
  if (d.large_gpu_gib > 0 && capacity_gib >= d.large_gpu_gib && !excluded) {
    c.max_num_seqs = d.large_gpu_max_num_seqs;
    c.max_batched_tokens = d.large_gpu_max_batched_tokens;
  }
  c.step_overhead_s = d.step_overhead_s;
  c.request_overhead_s = d.request_overhead_s;
  c.frontend_s = d.frontend_s;
  c.seq_overhead_s = d.seq_overhead_s;
  c.prefix_caching = d.prefix_caching && c.policy == serve::Policy::kContinuous;
  return c;
}

ServingOverheads EffectiveOverheads(const RuntimeProfile& rt, const EfficiencyProfile& profile) {
  if (const auto it = profile.serving.find(rt.id); it != profile.serving.end() && !rt.scheduler.overheads_measured)
    return it->second;
  ServingOverheads o;
  o.step_s = rt.scheduler.step_overhead_s;
  o.seq_s = rt.scheduler.seq_overhead_s;
  o.frontend_s = rt.scheduler.frontend_s;
  o.request_s = rt.scheduler.request_overhead_s;
  return o;
}

namespace {

std::string DefaultQuant(const RuntimeProfile& rt) {
  if (rt.engine == "llama.cpp" || rt.engine == "ollama" || rt.engine == "tokcast") return "q4_k_m";
  if (rt.engine == "mlx") return "mlx-4bit";
  return "bf16";
}

std::vector<serve::Request> Requests(const SimulateRequest& r) {
  if (!r.trace_path.empty()) return catalog::ParseTrace(ReadUserFile(r.trace_path), r.trace_path);
  try {
    return serve::Generate(r.workload);
  } catch (const std::invalid_argument& e) {
    throw catalog::InputError(e.what());
  }
}

}  // namespace

SimulateResult Simulate(const catalog::Catalog& cat, const SimulateRequest& req) {
  if (req.model.empty() || req.hardware.empty()) throw catalog::InputError("simulate needs a model and a hardware id");
  const HardwareSpec& hw = cat.Hardware(req.hardware);
  auto rt = AtVersion(cat, req.runtime.empty() ? cat.DefaultRuntimeFor(hw) : cat.Runtime(req.runtime),
                      req.runtime_version, "--runtime-version");
  ScenarioBuilder builder(cat);
  const Weights& wt = builder.Resolve(req.model, req.quant.empty() ? DefaultQuant(*rt) : req.quant);
  if (req.pp == 0 || req.pp > 1024) throw catalog::InputError("--pp must be in 1..1024");
  CheckCombination(hw, *rt, wt, req.devices, req.tp, req.ep);
  if (req.pp > 1 && rt->scheduler.policy != "continuous")
    throw catalog::InputError(rt->id +
                              " has no pipeline parallelism here (a slot server splits layers with --devices)");
  SimulateResult out;
  out.hardware = hw.id;
  out.model = wt.spec->id;
  out.quant = wt.quant_label;
  out.runtime = rt->id;
  out.tp = req.tp;
  out.ep = req.ep;
  out.pp = req.pp;
  out.devices = std::max(req.devices, req.tp * req.pp);
  out.workload = req.workload;
  out.trace = !req.trace_path.empty();
  out.per_request = req.per_request;
  const bool low_precision =
      wt.recipe && (wt.recipe->compute == Precision::kFp8 || wt.recipe->compute == Precision::kFp4);
  out.kv_type = req.kv_type.value_or(low_precision && rt->scheduler.fp8_kv_for_fp8_weights ? TensorType::kFP8_E4M3
                                                                                           : TensorType::kF16);

  std::vector<serve::Request> requests = Requests(req);
  uint64_t longest = 1;
  double mean_in = 0, mean_out = 0;
  uint32_t min_in = UINT32_MAX;
  for (const auto& q : requests) {
    longest = std::max<uint64_t>(longest, uint64_t{q.input_tokens} + q.output_tokens);
    mean_in += q.input_tokens / static_cast<double>(requests.size());
    mean_out += q.output_tokens / static_cast<double>(requests.size());
    min_in = std::min(min_in, q.input_tokens);
  }
  // What a prefix cache could at best save: every prompt's shared prefix read from the cache
  // (its blocks counted once); with one, the bound is computed on what is left to prefill and hold.
  double mean_unshared_in = 0;
  uint32_t min_unshared_in = UINT32_MAX;
  for (const auto& q : requests) {
    const uint32_t shared = q.prefix_id >= 0 ? std::min(q.prefix_tokens, q.input_tokens - 1) : 0;
    mean_unshared_in += (q.input_tokens - shared) / static_cast<double>(requests.size());
    min_unshared_in = std::min(min_unshared_in, q.input_tokens - shared);
  }
  // Plan the weights and buffers at one sequence; the KV pool is what is left.
  PerfWorkload w;
  w.devices = out.devices;
  w.tp = req.tp;
  w.ep = req.ep;
  w.kv_type = out.kv_type;
  w.prompt = longest;
  w.gen = 0;
  PlanOptions opt;
  opt.memory_gib = req.memory_gib;
  const Scenario s = builder.Make(wt, hw, rt, w, TestKind::kTg, opt);
  if (s.plan.verdict != Verdict::kFits) {
    throw catalog::InputError(out.model + " at " + out.quant + " does not fit on " + hw.id + " with " + rt->id +
                              " for serving: " + s.plan.reason);
  }
  out.scheduler = SchedulerFor(*rt, hw, s.plan.capacity_gib);
  if (req.max_num_seqs) out.scheduler.max_num_seqs = *req.max_num_seqs;
  if (req.max_batched_tokens) out.scheduler.max_batched_tokens = *req.max_batched_tokens;
  if (req.prefix_caching) out.scheduler.prefix_caching = *req.prefix_caching;
  if (out.scheduler.policy != serve::Policy::kContinuous) out.scheduler.prefix_caching = false;
  // Pipeline stages hold every sequence's KV for their layers; each of the pp batches in flight
  // gets its share of the pool.
  out.scheduler.kv_capacity_tokens = KvPoolTokens(*wt.spec, s.plan, out.kv_type) / req.pp;
  out.scheduler.state_tokens = StateTokens(*wt.spec, out.kv_type);
  out.scheduler.sliding_window = wt.spec->sliding_window;
  if (out.scheduler.policy == serve::Policy::kSlots && wt.spec->max_context) {
    out.scheduler.slot_tokens = static_cast<uint32_t>(std::min<uint64_t>(
        wt.spec->max_context, out.scheduler.kv_capacity_tokens / std::max<uint32_t>(out.scheduler.max_num_seqs, 1)));
  }
  const EfficiencyProfile loaded = req.profile ? EfficiencyProfile{} : LoadProfile(req.profile_path);
  const EfficiencyProfile& profile = req.profile ? *req.profile : loaded;
  // Overheads fitted to published serving runs replace the runtime's stated priors.
  out.overheads_fitted = profile.serving.count(rt->id) > 0 && !rt->scheduler.overheads_measured;
  const ServingOverheads oh = req.overheads.value_or(EffectiveOverheads(*rt, profile));
  out.scheduler.step_overhead_s = oh.step_s;
  out.scheduler.seq_overhead_s = oh.seq_s;
  out.scheduler.frontend_s = oh.frontend_s;
  out.scheduler.request_overhead_s = oh.request_s;
  out.stand_in = StandInKey(profile, *rt, hw);
  out.factor_notes = FactorNotes(profile, *rt, hw);
  const bool cached = out.scheduler.prefix_caching;
  const double bound_mean_in = cached ? mean_unshared_in : mean_in;
  const uint32_t bound_min_in = std::max<uint32_t>(cached ? min_unshared_in : min_in, 1);
  const Efficiency eff = profile.Effective(*rt, hw);
  const PerfContext pc{*s.model, hw, *rt, s.plan, eff};
  const serve::StepCost cost = [&](const StepBatch& b) { return StepTime(pc, w, b, false); };
  const bool disagg = req.prefill_replicas > 0 || req.decode_replicas > 0;
  if (req.replicas == 0 || req.replicas > 100'000) throw catalog::InputError("replicas must be in 1..100000");
  if (disagg && (req.prefill_replicas == 0 || req.decode_replicas == 0 || req.prefill_replicas > 100'000 ||
                 req.decode_replicas > 100'000))
    throw catalog::InputError("a disaggregated fleet needs 1..100000 prefill and 1..100000 decode replicas");
  if (disagg && req.replicas > 1) throw catalog::InputError("give --replicas or --disagg, not both");
  if (disagg && req.pp > 1) throw catalog::InputError("--pp with --disagg is not modeled");
  if (disagg && out.scheduler.policy != serve::Policy::kContinuous)
    throw catalog::InputError(rt->id + " has no disaggregated serving (a slot server prefills and decodes in place)");
  const std::optional<uint32_t> closed = req.workload.arrival == serve::Arrival::kClosedLoop && req.trace_path.empty()
                                             ? std::optional(req.workload.concurrency)
                                             : std::nullopt;
  if (disagg && closed) throw catalog::InputError("a disaggregated fleet is simulated under open-loop arrivals");
  out.replicas = req.replicas;
  out.prefill_replicas = req.prefill_replicas;
  out.decode_replicas = req.decode_replicas;
  try {
    if (disagg) {
      // Each prompt's KV (and a hybrid's state) crosses the link from its prefill replica to a
      // decode replica: RDMA between nodes (400 Gb/s a GPU), or the scale-up link within one.
      const double link_gbs = req.kv_link_gbs.value_or(hw.scaleup_bytes_per_s ? *hw.scaleup_bytes_per_s / 1e9 : 50.0);
      if (!(link_gbs > 0 && link_gbs < 1e6)) throw catalog::InputError("--kv-link-gbs must be a positive GB/s");
      out.kv_link_bytes_per_s = link_gbs * 1e9;
      const KvPerToken kv = KvBytesPerToken(*wt.spec, out.kv_type);
      const double per_token = kv.full_layers_bytes + kv.local_layers_bytes, state = kv.state_bytes;
      serve::DisaggConfig dc;
      dc.prefill_replicas = req.prefill_replicas;
      dc.decode_replicas = req.decode_replicas;
      dc.prefill = dc.decode = out.scheduler;
      const double bw = out.kv_link_bytes_per_s;
      dc.kv_transfer_s = [per_token, state, bw](uint32_t tokens) { return (per_token * tokens + state) / bw + 20e-6; };
      out.sim = serve::SimulateDisaggregated(std::move(requests), dc, cost);
    } else {
      out.sim = serve::SimulateReplicas(std::move(requests), out.scheduler, cost, req.replicas * req.pp, closed);
    }
  } catch (const std::invalid_argument& e) {
    throw catalog::InputError(e.what());
  }
  out.metrics = serve::Summarize(out.sim, req.slo);
  // The most sequences any schedule could hold: the scheduler's limit, or every KV token spent on
  // the shortest prompts.
  out.bound_concurrency =
      std::min<double>(out.scheduler.max_num_seqs,
                       std::max<double>(1, static_cast<double>(out.scheduler.kv_capacity_tokens) /
                                               (bound_min_in + static_cast<double>(out.scheduler.state_tokens))));
  // Per replica; the fleet's devices together can do no better than that many times one.
  const double fleet = disagg ? req.prefill_replicas + req.decode_replicas : req.replicas;
  out.output_throughput_bound = fleet * req.pp *
                                ServingThroughputBound(pc, w, static_cast<uint64_t>(bound_mean_in),
                                                       static_cast<uint64_t>(mean_out), out.bound_concurrency);
  out.devices *= static_cast<uint32_t>(fleet);
  // Latency floors: one prefill of the shortest prompt alone, one decode step alone, at peak.
  StepBatch prefill, decode;
  prefill.chunks.push_back({0, static_cast<double>(bound_min_in), true});
  decode.decode_seqs = 1;
  decode.decode_ctx_sum = decode.decode_ctx_sum_local = min_in;
  out.ttft_bound_s = StepTime(pc, w, prefill, true);
  out.tpot_bound_s = StepTime(pc, w, decode, true);
  return out;
}

namespace {

json DistJson(const serve::Distribution& d, double scale) {
  return {{"mean", d.mean * scale}, {"median", d.median * scale}, {"p90", d.p90 * scale},
          {"p95", d.p95 * scale},   {"p99", d.p99 * scale},       {"max", d.max * scale}};
}

json SummaryJson(const SimulateResult& r) {
  const auto& m = r.metrics;
  const auto& wl = r.workload;
  json j = {
      {"hardware", r.hardware},
      {"model", r.model},
      {"quant", r.quant},
      {"runtime", r.runtime},
      {"devices", r.devices},
      {"tp", r.tp},
      {"ep", r.ep > 1 ? json(r.ep) : json(nullptr)},
      {"replicas", r.replicas > 1 ? json(r.replicas) : json(nullptr)},
      {"pp", r.pp > 1 ? json(r.pp) : json(nullptr)},
      {"disagg", r.prefill_replicas ? json(std::to_string(r.prefill_replicas) + ":" + std::to_string(r.decode_replicas))
                                    : json(nullptr)},
      {"kv_type", ToLower(ToString(r.kv_type))},
      {"arrival", std::string(r.trace ? "trace" : ToString(wl.arrival))},
      {"requests", m.requests},
      {"completed", m.completed},
      {"failed", m.failed},
      {"duration_s", m.duration_s},
      {"request_throughput", m.request_throughput},
      {"output_throughput", m.output_throughput},
      {"output_throughput_bound", r.output_throughput_bound},
      {"total_throughput", m.total_throughput},
      {"goodput", m.goodput},
      {"slo_attainment", m.slo_attainment},
      {"ttft_ms", DistJson(m.ttft_s, 1e3)},
      {"tpot_ms", DistJson(m.tpot_s, 1e3)},
      {"itl_ms", DistJson(m.itl_s, 1e3)},
      {"e2e_s", DistJson(m.e2e_s, 1)},
      {"preemptions", m.preemptions},
      {"prefix_caching", r.scheduler.prefix_caching},
      {"prefix_cache_hit_rate",
       r.sim.prompt_tokens ? static_cast<double>(r.sim.cached_prompt_tokens) / static_cast<double>(r.sim.prompt_tokens)
                           : 0.0},
      {"steps", m.steps},
      {"peak_waiting", m.peak_waiting},
      {"peak_kv_used", m.peak_kv_used_fraction},
      {"kv_pool_tokens", r.scheduler.kv_capacity_tokens},
      {"max_num_seqs", r.scheduler.max_num_seqs},
      {"max_batched_tokens", r.scheduler.max_batched_tokens},
      {"confidence", m.near_saturation ? "low: " + m.confidence_note : "normal"}};
  if (!r.trace) {
    if (wl.arrival == serve::Arrival::kPoisson || wl.arrival == serve::Arrival::kGamma) j["request_rate"] = wl.rate;
    if (wl.arrival == serve::Arrival::kClosedLoop) j["concurrency"] = wl.concurrency;
  }
  if (!r.stand_in.empty()) j["efficiency_from"] = r.stand_in;
  // The timeline, thinned to at most 200 points (the peaks kept: each point is the busiest of
  // its stretch).
  const auto& series = r.sim.series;
  if (!series.empty()) {
    json timeline = json::array();
    const size_t stride = (series.size() + 199) / 200;
    for (size_t i = 0; i < series.size(); i += stride) {
      serve::TimePoint busiest = series[i];
      for (size_t k = i; k < std::min(series.size(), i + stride); ++k) {
        if (series[k].waiting + series[k].running > busiest.waiting + busiest.running) busiest = series[k];
        busiest.kv_used_fraction = std::max(busiest.kv_used_fraction, series[k].kv_used_fraction);
      }
      timeline.push_back({{"t_s", series[i].t_s},
                          {"running", busiest.running},
                          {"waiting", busiest.waiting},
                          {"kv_used", busiest.kv_used_fraction}});
    }
    j["timeline"] = std::move(timeline);
  }
  return j;
}

}  // namespace

report::Report SimulateSweepReport(const std::vector<SimulateResult>& runs) {
  report::Report rep;
  rep.schema = &report::kinds::Simulate();
  std::vector<std::string> loads;
  for (const auto& r : runs) {
    report::Report one = SimulateReport(r);
    rep.rows.push_back(std::move(one.rows.front()));
    const bool closed = r.workload.arrival == serve::Arrival::kClosedLoop;
    loads.push_back(closed ? std::to_string(r.workload.concurrency) : FormatFixed(r.workload.rate, 2));
    for (auto& n : one.notes) {
      // What one run says about itself names its load.
      if (n.rfind("low confidence", 0) == 0)
        n = "at " + (closed ? "concurrency " + loads.back() : loads.back() + " req/s") + ": " + n;
      if (std::find(rep.notes.begin(), rep.notes.end(), n) == rep.notes.end()) rep.notes.push_back(std::move(n));
    }
  }
  if (runs.empty()) return rep;
  const auto& f = runs.front();
  std::string joined;
  for (const auto& l : loads) joined += (joined.empty() ? "" : ", ") + l;
  rep.title = f.hardware + " / " + f.model + " / " + f.quant + " / " + f.runtime +
              (f.tp > 1 ? " / TP" + std::to_string(f.tp) : "") + (f.ep > 1 ? " EP" + std::to_string(f.ep) : "") + ": " +
              std::to_string(f.metrics.requests) + " requests each, " +
              (f.workload.arrival == serve::Arrival::kClosedLoop
                   ? "concurrency " + joined
                   : std::string(ToString(f.workload.arrival)) + " at " + joined + " req/s");
  return rep;
}

report::Report SimulateReport(const SimulateResult& r) {
  report::Report rep;
  const json summary = SummaryJson(r);
  if (r.per_request) {
    rep.schema = &report::kinds::SimulatedRequest();
    rep.summary_schema = &report::kinds::Simulate();
    rep.summary = summary;
    for (const auto& q : r.sim.requests) {
      json row = {{"id", q.id},
                  {"arrival_s", q.arrival_s},
                  {"input_tokens", q.input_tokens},
                  {"completed", q.completed},
                  {"preemptions", q.preemptions}};
      if (q.completed) {
        row["output_tokens"] = q.output_tokens;
        row["ttft_ms"] = (q.first_token_s - q.arrival_s) * 1e3;
        row["e2e_s"] = q.finish_s - q.arrival_s;
        if (q.output_tokens > 1) row["tpot_ms"] = (q.finish_s - q.first_token_s) / (q.output_tokens - 1) * 1e3;
      }
      rep.rows.push_back(std::move(row));
    }
  } else {
    rep.schema = &report::kinds::Simulate();
    rep.rows.push_back(summary);
  }
  rep.title = r.hardware + " / " + r.model + " / " + r.quant + " / " + r.runtime +
              (r.tp > 1 ? " / TP" + std::to_string(r.tp) : "") + (r.ep > 1 ? " EP" + std::to_string(r.ep) : "") + ": " +
              std::to_string(r.metrics.requests) + " requests, " + summary["arrival"].get<std::string>() +
              (summary.contains("request_rate") ? " at " + FormatFixed(r.workload.rate, 2) + " req/s" : "") +
              (summary.contains("concurrency") ? " at concurrency " + std::to_string(r.workload.concurrency) : "");
  if (r.metrics.near_saturation) {
    rep.notes.push_back("low confidence: near saturation (" + r.metrics.confidence_note +
                        "); the simulator's scheduler is idealized there and real tails are longer");
  }
  if (!r.stand_in.empty()) {
    rep.notes.push_back(r.runtime + " on " + r.hardware +
                        ": no single-stream measurements of this runtime on this class; the efficiencies of " +
                        r.stand_in + " stand in (expect a wider error)");
  }
  rep.notes.insert(rep.notes.end(), r.factor_notes.begin(), r.factor_notes.end());
  const auto& sc = r.scheduler;
  rep.notes.push_back(
      std::string(r.overheads_fitted ? "Overheads fitted to published " + r.runtime + " runs (tokcast calibrate)"
                                     : "Overheads: " + r.runtime + "'s") +
      ": " + FormatFixed(sc.frontend_s * 1e3, 2) + " ms a request through the API server one at a time, " +
      FormatFixed(sc.request_overhead_s * 1e3, 1) + " ms more before its first step, " +
      FormatFixed(sc.step_overhead_s * 1e3, 2) + " ms a step plus " + FormatFixed(sc.seq_overhead_s * 1e6, 0) +
      " us per sequence in it.");
  rep.notes.push_back(
      "TTFT includes queueing and the request overheads; TPOT = (E2E - TTFT) / (output tokens - 1); ITL over every "
      "token gap "
      "(vllm bench serve's definitions). Bound: no schedule on this hardware beats " +
      FormatFixed(r.output_throughput_bound, 0) + " output tok/s at up to " + FormatFixed(r.bound_concurrency, 0) +
      " sequences.");
  return rep;
}

nlohmann::json SimulateRequestJson(const SimulateRequest& r) {
  const auto& w = r.workload;
  nlohmann::json j = {{"model", r.model},
                      {"hardware", r.hardware},
                      {"quant", r.quant},
                      {"runtime", r.runtime},
                      {"devices", r.devices},
                      {"tp", r.tp},
                      {"trace_path", r.trace_path},
                      {"workload",
                       {{"arrival", std::string(serve::ToString(w.arrival))},
                        {"rate", w.rate},
                        {"burstiness", w.burstiness},
                        {"concurrency", w.concurrency},
                        {"num_requests", w.num_requests},
                        {"isl", {w.isl.min, w.isl.max}},
                        {"osl", {w.osl.min, w.osl.max}},
                        {"shared_prefix", w.shared_prefix},
                        {"prefix_groups", w.prefix_groups},
                        {"seed", w.seed}}}};
  if (r.prefix_caching) j["prefix_caching"] = *r.prefix_caching;
  if (r.ep > 1) j["ep"] = r.ep;
  if (r.replicas > 1) j["replicas"] = r.replicas;
  if (r.pp > 1) j["pp"] = r.pp;
  if (r.prefill_replicas) j["prefill_replicas"] = r.prefill_replicas, j["decode_replicas"] = r.decode_replicas;
  if (r.kv_link_gbs) j["kv_link_gbs"] = *r.kv_link_gbs;
  if (r.kv_type) j["kv_type"] = std::string(ToString(*r.kv_type));
  if (r.max_num_seqs) j["max_num_seqs"] = *r.max_num_seqs;
  if (r.max_batched_tokens) j["max_batched_tokens"] = *r.max_batched_tokens;
  return j;
}

SimulateRequest SimulateRequestFromJson(const nlohmann::json& j) {
  SimulateRequest r;
  try {
    r.model = j.at("model").get<std::string>();
    r.hardware = j.at("hardware").get<std::string>();
    r.quant = j.value("quant", "");
    r.runtime = j.value("runtime", "");
    r.devices = j.value("devices", 1u);
    r.tp = j.value("tp", 1u);
    r.ep = j.value("ep", 1u);
    r.trace_path = j.value("trace_path", "");
    if (j.contains("max_num_seqs")) r.max_num_seqs = j["max_num_seqs"].get<uint32_t>();
    if (j.contains("max_batched_tokens")) r.max_batched_tokens = j["max_batched_tokens"].get<uint32_t>();
    if (j.contains("prefix_caching")) r.prefix_caching = j["prefix_caching"].get<bool>();
    r.replicas = j.value("replicas", 1u);
    r.pp = j.value("pp", 1u);
    r.prefill_replicas = j.value("prefill_replicas", 0u);
    r.decode_replicas = j.value("decode_replicas", 0u);
    if (j.contains("kv_link_gbs")) r.kv_link_gbs = j["kv_link_gbs"].get<double>();
    if (j.contains("kv_type")) {
      const auto t = TensorTypeFromString(j["kv_type"].get<std::string>());
      if (!t) throw catalog::InputError("stored request: unknown kv_type");
      r.kv_type = *t;
    }
    const auto& w = j.at("workload");
    const std::string arrival = w.at("arrival").get<std::string>();
    bool known = false;
    for (auto a : {serve::Arrival::kPoisson, serve::Arrival::kGamma, serve::Arrival::kClosedLoop,
                   serve::Arrival::kOffline, serve::Arrival::kTrace}) {
      if (serve::ToString(a) == arrival) {
        r.workload.arrival = a;
        known = true;
      }
    }
    if (!known) throw catalog::InputError("stored request: unknown arrival '" + arrival + "'");
    r.workload.rate = w.at("rate").get<double>();
    r.workload.burstiness = w.at("burstiness").get<double>();
    r.workload.concurrency = w.at("concurrency").get<uint32_t>();
    r.workload.num_requests = w.at("num_requests").get<uint64_t>();
    r.workload.shared_prefix = w.value("shared_prefix", 0u);
    r.workload.prefix_groups = w.value("prefix_groups", 1u);
    r.workload.isl = {w.at("isl").at(0).get<uint32_t>(), w.at("isl").at(1).get<uint32_t>()};
    r.workload.osl = {w.at("osl").at(0).get<uint32_t>(), w.at("osl").at(1).get<uint32_t>()};
    r.workload.seed = w.at("seed").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw catalog::InputError(std::string("stored request: ") + e.what());
  }
  return r;
}

}  // namespace tokcast::app
