#include "app/predict.h"

#include <algorithm>

#include "app/scenario.h"
#include "app/session.h"
#include "app/simulate.h"
#include "catalog/error.h"
#include "catalog/measurements.h"
#include "core/text.h"
#include "report/kinds.h"

namespace tokcast::app {

using nlohmann::json;

ClaimCheck CheckClaim(const std::string& metric, double claimed, const Prediction& p) {
  ClaimCheck c;
  c.metric = metric;
  c.claimed = claimed;
  const bool lower_is_better = metric == "ttft";
  c.bound = metric == "tg" ? p.tg_tok_s_bound : metric == "pp" ? p.pp_tok_s_bound : p.ttft_s_bound;
  c.expected = metric == "tg" ? p.tg_tok_s : metric == "pp" ? p.pp_tok_s : p.ttft_s;
  c.possible = lower_is_better ? claimed >= c.bound : claimed <= c.bound;
  if (!c.possible) c.exceeds_bound_by = lower_is_better ? c.bound / claimed : claimed / c.bound;
  return c;
}

namespace {

void CheckRequest(const PredictRequest& r) {
  if (!(r.cost.amortization_years > 0 && r.cost.amortization_years < 100)) {
    throw catalog::InputError("amortization years must be in (0, 100)");
  }
  if (!(r.cost.usd_per_kwh >= 0 && r.cost.usd_per_kwh < 100))
    throw catalog::InputError("USD per kWh must be in [0, 100)");
  if (r.cost.rental_usd_per_hour && !(*r.cost.rental_usd_per_hour >= 0 && *r.cost.rental_usd_per_hour < 1e6)) {
    throw catalog::InputError("rental USD per hour must be in [0, 1e6)");
  }
  for (auto claim : {r.claim_tg, r.claim_pp, r.claim_ttft}) {
    if (claim && !(*claim > 0 && *claim < 1e12))
      throw catalog::InputError("a claimed figure must be a positive number");
  }
}

}  // namespace

bool RowSplitFrom(std::string_view mode, std::string_view where) {
  if (mode != "layer" && mode != "row") {
    throw catalog::InputError(std::string(where) + ": expected layer or row, got '" + std::string(mode) + "'");
  }
  return mode == "row";
}

namespace {

std::vector<std::shared_ptr<const RuntimeProfile>> RuntimesFor(const catalog::Catalog& cat, const PredictRequest& r,
                                                               const HardwareSpec& hw) {
  std::vector<std::shared_ptr<const RuntimeProfile>> out;
  for (const auto& id : r.runtimes)
    out.push_back(AtVersion(cat, cat.Runtime(id), r.runtime_version, "--runtime-version"));
  if (out.empty()) out.push_back(AtVersion(cat, cat.DefaultRuntimeFor(hw), r.runtime_version, "--runtime-version"));
  return out;
}

// The workloads of the sweep, in the order the rows appear, with the device count asked for.
std::vector<std::pair<uint32_t, PerfWorkload>> Workloads(const PredictRequest& r) {
  std::vector<std::pair<uint32_t, PerfWorkload>> out;
  std::vector<TensorType> kv_types = r.kv_types;
  if (kv_types.empty()) kv_types.push_back(TensorType::kF16);  // replaced per scenario (DefaultKvType)
  const std::vector<uint32_t> ubatches = r.ubatch.empty() ? std::vector<uint32_t>{0} : r.ubatch;
  for (auto ub : ubatches)
    for (auto dev : r.devices)
      for (auto tp : r.tp)
        for (auto kv : kv_types)
          for (auto p : r.prompt)
            for (auto g : r.gen)
              for (auto d : r.depth)
                for (auto b : r.batch) {
                  PerfWorkload w;
                  w.prompt = p;
                  w.gen = g;
                  w.depth = d;
                  w.batch = b;
                  w.tp = tp;
                  w.ep = r.expert_parallel ? tp : 1;
                  w.devices = std::max(dev, tp);
                  w.kv_type = kv;
                  w.ubatch = ub;
                  w.row_split = r.row_split;
                  out.emplace_back(dev, w);
                }
  return out;
}

// The KV cache a runtime keeps for these weights unless told: FP8 for FP8/FP4 checkpoints where
// the engine does so (vLLM, SGLang, TensorRT-LLM), else f16.
TensorType DefaultKvType(const Weights& wt, const RuntimeProfile& rt) {
  const bool low = wt.recipe && (wt.recipe->compute == Precision::kFp8 || wt.recipe->compute == Precision::kFp4);
  return low && rt.scheduler.fp8_kv_for_fp8_weights ? TensorType::kFP8_E4M3 : TensorType::kF16;
}

// Saturated throughput at the concurrency the runtime reaches: a paged server's KV pool (every
// TP device, its memory fraction) in its scheduler's limits; a slot server's slots that fit.
Throughput Saturated(const Weights& wt, const HardwareSpec& hw, const RuntimeProfile& rt, const PerfWorkload& w,
                     const PerfContext& pc, const PlanOptions& plan_opt, const PredictRequest& req,
                     const EfficiencyProfile& profile) {
  const uint64_t in = req.isl.value_or(w.prompt), out = req.osl.value_or(std::max<uint64_t>(w.gen, 1));
  PlanOptions opt = plan_opt;
  opt.devices = w.devices;
  opt.tp = w.tp;
  if (rt.scheduler.policy == "continuous") {
    const PlanResult one = PlanMemory(*wt.spec, wt.footprint, hw, rt, Workload{in + out, 1, w.kv_type}, opt);
    const serve::SchedulerConfig sched = SchedulerFor(rt, hw, one.plan.capacity_gib);
    const double pool = static_cast<double>(KvPoolTokens(*wt.spec, one.plan, w.kv_type));
    const double state = StateTokens(*wt.spec, w.kv_type);  // a hybrid's fixed state per sequence
    const uint32_t conc = static_cast<uint32_t>(
        std::clamp(pool / (static_cast<double>(in + out) + state), 1.0, static_cast<double>(sched.max_num_seqs)));
    const double bound_conc = std::clamp(pool / (static_cast<double>(std::max<uint64_t>(in, 1)) + state), 1.0,
                                         static_cast<double>(sched.max_num_seqs));
    // The serving stack's own time in each step (fitted to published runs, or the runtime's priors).
    const ServingOverheads oh = EffectiveOverheads(rt, profile);
    Throughput t = SaturatedThroughput(pc, in, out, conc, w, bound_conc, oh.step_s + oh.seq_s * conc);
    t.batch = conc;
    return t;
  }
  const uint32_t fit = MaxBatchThatFits(*wt.spec, wt.footprint, hw, rt, Workload{in + out, 1, w.kv_type}, opt);
  const uint32_t conc = std::max<uint32_t>(1, std::min(fit, rt.max_batch));
  Throughput t = SaturatedThroughput(pc, in, out, conc, w);
  t.batch = conc;
  return t;
}

PredictRow PredictOne(const ScenarioBuilder& builder, const Weights& wt, const HardwareSpec& hw,
                      const std::shared_ptr<const RuntimeProfile>& rt, PerfWorkload w, const PredictRequest& req,
                      const EfficiencyProfile& profile, uint32_t devices_asked) {
  if (req.kv_types.empty()) w.kv_type = DefaultKvType(wt, *rt);
  CheckCombination(hw, *rt, wt, devices_asked, w.tp, w.ep, w.row_split);
  PlanOptions plan_opt;
  plan_opt.memory_gib = req.memory_gib;
  plan_opt.moe_host_layers = req.n_cpu_moe.value_or(0);
  const Scenario s = builder.Make(wt, hw, rt, w, TestKind::kTg, plan_opt);
  const Efficiency eff = profile.Effective(*rt, hw);
  const PerfContext pc{*s.model, hw, *rt, s.plan, eff};
  PredictRow row;
  row.hardware = hw.id;
  row.model = wt.spec->id;
  row.quant = wt.quant_label;
  row.runtime = rt->id;
  row.workload = w;
  row.plan = s.plan;
  row.p = Predict(pc, w, req.cost, req.with_ops);
  if (hw.price_usd) row.price_usd = *hw.price_usd * w.devices;
  row.price_date = hw.price_date;
  row.stand_in = StandInKey(profile, *rt, hw);
  row.factor_notes = FactorNotes(profile, *rt, hw);
  // The intervals were measured on the built-in profile's held-out error; another profile has none.
  if (req.profile_path.empty() && !catalog::BuiltinIntervals().kinds.empty())
    row.intervals = &catalog::BuiltinIntervals();
  row.warnings = ScenarioWarnings(*wt.spec, w.depth + w.prompt + w.gen);
  if (!req.runtime_version.empty() && req.runtime_version != "latest" && rt->eras.empty()) {
    row.warnings.push_back(rt->id + " declares no build eras (data/runtimes/" + rt->id +
                           ".toml): --runtime-version changes nothing, this is its current builds");
  }
  if (const auto& fv = pc.eff.fitted_vendors;
      row.stand_in.empty() && !fv.empty() && std::find(fv.begin(), fv.end(), hw.vendor) == fv.end()) {
    row.warnings.push_back(rt->id + " on " + hw.id + ": its efficiencies were fitted on " + Join(fv) +
                           " hardware only (expect a wider error)");
  }
  if (req.isl || req.osl) row.saturated = Saturated(wt, hw, *rt, w, pc, plan_opt, req, profile);
  if (req.claim_tg) row.claims.push_back(CheckClaim("tg", *req.claim_tg, row.p));
  if (req.claim_pp) row.claims.push_back(CheckClaim("pp", *req.claim_pp, row.p));
  if (req.claim_ttft) row.claims.push_back(CheckClaim("ttft", *req.claim_ttft, row.p));
  return row;
}

double SortValue(const PredictRow& r, const std::string& key) {
  constexpr double kLast = 1e300;
  if (key == "tg") return -r.p.tg_tok_s;
  if (key == "pp") return -r.p.pp_tok_s;
  if (key == "ttft") return r.p.ttft_s;
  if (key == "cost") return r.p.usd_per_mtok.value_or(kLast);
  if (key == "power") return r.p.power_w > 0 ? r.p.power_w : kLast;
  if (key == "price") return r.price_usd.value_or(kLast);
  if (key == "energy") return r.p.joules_per_token.value_or(kLast);
  throw catalog::InputError("sort key '" + key + "': expected tg, pp, ttft, cost, power, price or energy");
}

}  // namespace

PredictResult Predict(const catalog::Catalog& cat, const PredictRequest& req) {
  CheckRequest(req);
  if (req.models.empty() || req.hardware.empty()) throw catalog::InputError("predict needs a model and a hardware id");
  CheckSweepSize({req.models.size(), req.quants.size(), req.hardware.size(), req.runtimes.size(), req.devices.size(),
                  req.tp.size(), req.kv_types.size(), req.prompt.size(), req.gen.size(), req.depth.size(),
                  req.batch.size(), req.ubatch.size()});
  const EfficiencyProfile profile = LoadProfile(req.profile_path);
  ScenarioBuilder builder(cat);
  const auto workloads = Workloads(req);
  PredictResult out;
  for (const auto& m : req.models) {
    for (const auto& q : req.quants) {
      const Weights& wt = builder.Resolve(m, q);
      if (!wt.recipe && &q != &req.quants.front()) continue;  // a file fixes its own types
      for (const auto& h : req.hardware) {
        const HardwareSpec& hw = cat.Hardware(h);
        for (const auto& rt : RuntimesFor(cat, req, hw)) {
          for (const auto& [dev, w] : workloads)
            out.rows.push_back(PredictOne(builder, wt, hw, rt, w, req, profile, dev));
        }
      }
    }
  }
  if (!req.sort.empty()) {
    for (const auto& r : out.rows) SortValue(r, req.sort);  // rejects an unknown key even with no rows
    std::stable_sort(out.rows.begin(), out.rows.end(), [&](const PredictRow& a, const PredictRow& b) {
      return SortValue(a, req.sort) < SortValue(b, req.sort);
    });
  }
  return out;
}

PredictResult Compare(const catalog::Catalog& cat, PredictRequest req, const std::string& article_id) {
  const bool article_scenario = req.models.empty() && req.hardware.empty();
  const auto articles = cat.AllArticles();
  const catalog::Article* article = !article_id.empty() ? &cat.GetArticle(article_id)
                                    : articles.empty()  ? nullptr
                                                        : articles.front();
  if ((req.models.empty() || req.hardware.empty()) && !article) {
    throw catalog::InputError("compare needs --model and --hw (no article in the catalog to take them from)");
  }
  if (req.models.empty()) req.models = article->models;
  if (req.hardware.empty()) req.hardware = article->hardware;
  const bool article_quant = req.quants.size() == 1 && article && req.quants.front() == article->quant;
  PredictResult out = Predict(cat, req);
  if (article_scenario && article_quant) {
    out.title = article->publisher + ", \"" + article->title + "\": its scenario, with its claims checked";
    for (auto& r : out.rows) {
      for (const auto& c : article->claims) {
        if (r.hardware != c.hardware || r.model != c.model) continue;
        ClaimCheck check = CheckClaim(c.metric, c.value, r.p);
        check.source = article->publisher + " (" + c.text + ")";
        r.claims.push_back(std::move(check));
      }
    }
  }
  return out;
}

ExplainResult Explain(const catalog::Catalog& cat, PredictRequest req) {
  req.with_ops = true;
  PredictResult r = Predict(cat, req);
  if (r.rows.size() != 1) throw catalog::InputError("explain takes one scenario (no comma lists or ranges)");
  return {std::move(r.rows.front())};
}

namespace {

json Pair(double expected, double bound) {
  return json{{"expected", expected}, {"bound", bound}};
}

json ClaimJson(const ClaimCheck& c) {
  json j = {{"metric", c.metric},
            {"claimed", c.claimed},
            {"bound", c.bound},
            {"expected", c.expected},
            {"possible", c.possible}};
  if (c.exceeds_bound_by) j["exceeds_bound_by"] = *c.exceeds_bound_by;
  if (!c.source.empty()) j["source"] = c.source;
  return j;
}

std::string ClaimNote(const PredictRow& r, const ClaimCheck& c) {
  std::string line = r.hardware + " / " + r.model + ": " + (c.source.empty() ? "claimed " : c.source + ": ") +
                     c.metric + " " + FormatFixed(c.claimed, 2) + " vs bound " + FormatFixed(c.bound, 2) +
                     ", expected " + FormatFixed(c.expected, 2) + ": ";
  return line +
         (c.possible ? "possible" : "IMPOSSIBLE (" + FormatFixed(*c.exceeds_bound_by, 2) + "x the physical bound)");
}

json RowJson(const PredictRow& r) {
  const Prediction& p = r.p;
  const MemoryPlan& plan = r.plan;
  const PerfWorkload& w = r.workload;
  json j = {{"hardware", r.hardware},
            {"model", r.model},
            {"quant", r.quant},
            {"runtime", r.runtime},
            {"prompt", w.prompt},
            {"gen", w.gen},
            {"depth", w.depth},
            {"batch", w.batch},
            {"devices", w.devices},
            {"tp", w.tp},
            {"split_mode", w.row_split ? "row"
                           : w.tp > 1  ? "tensor"
                                       : "layer"},
            {"ep", w.ep},
            {"kv_type", ToLower(ToString(w.kv_type))},
            {"ubatch", w.ubatch ? json(w.ubatch) : json(nullptr)},
            {"memory_gib", plan.capacity_gib},
            {"fits", plan.fits()},
            {"verdict", std::string(ToString(plan.verdict))},
            {"layers_on_device", plan.layers_on_device},
            {"moe_host_layers", plan.moe_host_layers ? json(plan.moe_host_layers) : json(nullptr)},
            {"layers_total", plan.layers_total},
            {"weights_bytes", plan.weights_bytes},
            {"ttft_s", Pair(p.ttft_s, p.ttft_s_bound)},
            {"pp_tok_s", Pair(p.pp_tok_s, p.pp_tok_s_bound)},
            {"tg_tok_s", Pair(p.tg_tok_s, p.tg_tok_s_bound)},
            {"batch_tok_s", Pair(p.tg_batch_tok_s, p.tg_batch_tok_s_bound)},
            {"e2e_s", Pair(p.e2e_s, p.e2e_s_bound)},
            {"limits", {{"prefill", p.prefill.limit}, {"decode", p.decode.limit}}},
            {"power_w", p.power_w > 0 ? json(p.power_w) : json(nullptr)},
            {"joules_per_token", p.joules_per_token ? json(*p.joules_per_token) : json(nullptr)},
            {"usd_per_mtok", p.usd_per_mtok ? json(*p.usd_per_mtok) : json(nullptr)},
            {"price_usd", r.price_usd ? json(*r.price_usd) : json(nullptr)},
            {"price_date", r.price_date.empty() ? json(nullptr) : json(r.price_date)},
            {"warnings", r.warnings}};
  if (!r.stand_in.empty()) j["efficiency_from"] = r.stand_in;
  if (!r.factor_notes.empty()) j["speed_factors"] = r.factor_notes;
  if (r.intervals) {
    // Speeds: [expected x low, min(expected x high, bound)]; a time is the inverse of a speed.
    auto speed = [&](TestKind k, double expected, double bound) -> json {
      const IntervalBand* b = r.intervals->For(k, !r.stand_in.empty());
      if (!b || !(expected > 0)) return nullptr;
      return {{"low", expected * b->low}, {"high", std::min(expected * b->high, bound)}};
    };
    j["tg_tok_s_interval"] = speed(TestKind::kTg, p.tg_tok_s, p.tg_tok_s_bound);
    j["pp_tok_s_interval"] = speed(TestKind::kPp, p.pp_tok_s, p.pp_tok_s_bound);
    const bool batched = w.batch > 1 && r.intervals->For(TestKind::kTgBatch);
    j["batch_tok_s_interval"] =
        speed(batched ? TestKind::kTgBatch : TestKind::kTg, p.tg_batch_tok_s, p.tg_batch_tok_s_bound);
    if (const IntervalBand* pb = r.intervals->For(TestKind::kPp, !r.stand_in.empty()); pb && p.ttft_s > 0) {
      j["ttft_s_interval"] = {{"low", std::max(p.ttft_s / pb->high, p.ttft_s_bound)}, {"high", p.ttft_s / pb->low}};
    }
  }
  if (plan.verdict == Verdict::kDoesNotFit)
    j["warning"] = "does not fit: " + plan.reason;
  else if (plan.verdict == Verdict::kFitsWithOffload)
    j["offload"] = plan.reason;
  if (r.saturated) {
    j["throughput_tok_s"] = Pair(r.saturated->tok_s, r.saturated->tok_s_bound);
    j["throughput_concurrency"] = r.saturated->batch;
  }
  if (!r.claims.empty()) {
    j["claims"] = json::array();
    for (const auto& c : r.claims) j["claims"].push_back(ClaimJson(c));
  }
  // A setup that cannot run has no speed, energy or cost: only why.
  if (plan.verdict == Verdict::kDoesNotFit) {
    for (const char* k : {"ttft_s", "pp_tok_s", "tg_tok_s", "batch_tok_s", "e2e_s", "throughput_tok_s",
                          "throughput_concurrency", "limits", "power_w", "joules_per_token", "usd_per_mtok", "claims",
                          "tg_tok_s_interval", "pp_tok_s_interval", "batch_tok_s_interval", "ttft_s_interval"}) {
      j.erase(k);
    }
  }
  return j;
}

}  // namespace

report::Report PredictReport(const PredictResult& result, bool compare) {
  report::Report rep;
  rep.schema = compare ? &report::kinds::Compare() : &report::kinds::Predict();
  rep.title = result.title;
  std::vector<std::string> stand_ins;
  for (const auto& r : result.rows) {
    rep.rows.push_back(RowJson(r));
    const std::string who = r.hardware + " / " + r.model;
    for (const auto& c : r.claims) rep.notes.push_back(ClaimNote(r, c));
    if (r.plan.verdict == Verdict::kFitsWithOffload) rep.notes.push_back(who + ": " + r.plan.reason);
    if (r.plan.verdict == Verdict::kDoesNotFit) rep.notes.push_back(who + ": does not fit: " + r.plan.reason);
    for (const auto& w : r.warnings) rep.notes.push_back(who + ": warning: " + w);
    if (!r.stand_in.empty()) {
      const std::string note = r.runtime + " on " + r.hardware +
                               ": no single-stream measurements of this runtime on this class; "
                               "the efficiencies of " +
                               r.stand_in + " stand in (expect a wider error)";
      if (std::find(stand_ins.begin(), stand_ins.end(), note) == stand_ins.end()) stand_ins.push_back(note);
    }
    for (const auto& note : r.factor_notes) {
      if (std::find(stand_ins.begin(), stand_ins.end(), note) == stand_ins.end()) stand_ins.push_back(note);
    }
  }
  rep.notes.insert(rep.notes.end(), stand_ins.begin(), stand_ins.end());
  rep.notes.push_back(
      "exp = expected with calibrated efficiencies; bound = every efficiency at 1 (no real run can beat it). "
      "Cost: price amortized over the stated years at full use plus electricity at TDP.");
  return rep;
}

report::Report ExplainReport(const ExplainResult& result) {
  const PredictRow& r = result.row;
  report::Report rep;
  rep.schema = &report::kinds::Explain();
  rep.title = r.hardware + " / " + r.model + " / " + r.quant + " / " + r.runtime + ": prefill " +
              std::to_string(r.workload.prompt) + " tokens at depth " + std::to_string(r.workload.depth) +
              ", decode step at batch " + std::to_string(r.workload.batch);
  // One row per (phase, where, operator): layer classes and prefill ubatches summed.
  std::vector<OpCost> agg;
  for (const auto& op : r.p.ops) {
    auto it = std::find_if(agg.begin(), agg.end(), [&](const OpCost& a) {
      return a.phase == op.phase && a.where == op.where && a.name == op.name;
    });
    if (it == agg.end()) {
      agg.push_back(op);
      agg.back().count = 0;
      it = agg.end() - 1;
    } else {
      it->flops += op.flops;
      it->bytes += op.bytes;
      it->time_s += op.time_s;
      if (it->bound != op.bound && op.time_s > it->time_s / 2) it->bound = op.bound;
    }
    if (op.pass == 0 || op.name == "lm_head") it->count += op.count;
  }
  for (const auto& op : agg) {
    const double phase_t = op.phase == "prefill" ? r.p.prefill.time_s : r.p.decode.time_s;
    rep.rows.push_back({{"phase", op.phase},
                        {"where", op.where},
                        {"op", op.name},
                        {"count", op.count},
                        {"gflop", op.flops / 1e9},
                        {"mb", op.bytes / 1e6},
                        {"ms", op.time_s * 1e3},
                        {"share", phase_t > 0 ? 100.0 * op.time_s / phase_t : 0.0},
                        {"bound", op.bound}});
  }
  rep.notes.push_back("prefill: " + FormatFixed(r.p.prefill.time_s * 1e3, 2) + " ms (" + r.p.prefill.limit +
                      " bound), " + FormatFixed(r.p.pp_tok_s, 0) + " tok/s expected, " +
                      FormatFixed(r.p.pp_tok_s_bound, 0) + " bound");
  rep.notes.push_back("decode step: " + FormatFixed(r.p.decode.time_s * 1e3, 3) + " ms (" + r.p.decode.limit +
                      " bound), " + FormatFixed(r.p.tg_tok_s, 1) + " tok/s expected, " +
                      FormatFixed(r.p.tg_tok_s_bound, 1) + " bound");
  if (!r.stand_in.empty())
    rep.notes.push_back("efficiencies of " + r.stand_in + " stand in for " + r.runtime + " here");
  rep.notes.insert(rep.notes.end(), r.factor_notes.begin(), r.factor_notes.end());
  for (const auto& w : r.warnings) rep.notes.push_back("warning: " + w);
  return rep;
}

}  // namespace tokcast::app
