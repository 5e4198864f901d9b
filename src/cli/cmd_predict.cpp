// tokcast predict / explain / compare: speed, energy and cost of a workload, bound vs expected.
#include <algorithm>
#include <cmath>

#include "catalog/error.h"
#include "cli/context.h"
#include "cli/scenario.h"
#include "cli/sweep.h"
#include "core/text.h"

namespace tokcast::cli {
namespace {

using nlohmann::json;

struct PredictOptions {
  std::string model, quant = "q4_k_m", hw, runtime, memory_gb;
  std::string prompt = "512", gen = "128", depth = "0", batch = "1", devices = "1", tp = "1", kv_type = "f16";
  std::string profile;
  std::string isl, osl;  // saturated throughput
  double claim_tg = -1, claim_pp = -1, claim_ttft = -1;
  double amortization_years = 3, usd_per_kwh = 0.15, rental = -1;
  std::string sort;
};

json Pair(double expected, double bound) { return json{{"expected", expected}, {"bound", bound}}; }

std::string Num(const json& v, int decimals) {
  return v.is_number() ? FormatFixed(v.get<double>(), decimals) : "";
}

// One claim against a prediction: possible when it does not beat the physical bound.
json Claim(const char* metric, double claimed, double bound, double expected, bool lower_is_better) {
  const bool possible = lower_is_better ? claimed >= bound : claimed <= bound;
  json c = {{"metric", metric}, {"claimed", claimed}, {"bound", bound}, {"expected", expected}, {"possible", possible}};
  if (!possible) c["exceeds_bound_by"] = lower_is_better ? bound / claimed : claimed / bound;
  return c;
}

void AddCommonOptions(CLI::App& app, PredictOptions& o, bool require) {
  auto* m = app.add_option("--model", o.model, "Model id(s) or file");
  auto* h = app.add_option("--hw", o.hw, "Hardware id(s)");
  if (require) {
    m->required();
    h->required();
  }
  app.add_option("--quant", o.quant, "Quantization id(s)")->capture_default_str();
  app.add_option("--runtime", o.runtime, "Runtime id(s); default: llama.cpp with the platform's backend");
  app.add_option("--memory-gb", o.memory_gb, "Memory configuration; default: the largest");
  app.add_option("--prompt", o.prompt, "Prompt tokens (list or range)")->capture_default_str();
  app.add_option("--gen", o.gen, "Generated tokens (list or range)")->capture_default_str();
  app.add_option("--depth", o.depth, "Tokens already in the KV cache (list or range)")->capture_default_str();
  app.add_option("--batch", o.batch, "Concurrent sequences (list or range)")->capture_default_str();
  app.add_option("--devices", o.devices, "Identical devices, layers split across them")->capture_default_str();
  app.add_option("--tp", o.tp, "Tensor-parallel degree (all-reduce over NVLink/Infinity Fabric, else PCIe)")->capture_default_str();
  app.add_option("--kv-type", o.kv_type, "KV cache type")->capture_default_str();
  app.add_option("--profile", o.profile, "Efficiency profile TOML (default: the built-in calibrated one)");
  app.add_option("--isl", o.isl, "Saturated throughput: input tokens per request");
  app.add_option("--osl", o.osl, "Saturated throughput: output tokens per request");
  app.add_option("--amortize-years", o.amortization_years, "Years over which the hardware price is amortized")->capture_default_str();
  app.add_option("--usd-per-kwh", o.usd_per_kwh, "Electricity price")->capture_default_str();
  app.add_option("--rental-usd-per-hour", o.rental, "Rental price per device-hour (replaces price amortization)");
  app.add_option("--claim-tg", o.claim_tg, "A published generation speed (tok/s) to check against the bound");
  app.add_option("--claim-pp", o.claim_pp, "A published prompt-processing speed (tok/s) to check");
  app.add_option("--claim-ttft", o.claim_ttft, "A published time to first token (s) to check");
}

struct Row {
  json j;
  Prediction p;
};

std::vector<Row> RunScenarios(Context& ctx, const PredictOptions& o, bool with_ops) {
  const auto& cat = ctx.Catalog();
  ScenarioBuilder builder(cat);
  const EfficiencyProfile profile = LoadProfile(o.profile);
  const auto models = SplitList(o.model, "--model");
  const auto quants = SplitList(o.quant, "--quant");
  const auto hws = SplitList(o.hw, "--hw");
  const auto prompts = ParseIntSweep(o.prompt, "--prompt", 1, 10'000'000);
  const auto gens = ParseIntSweep(o.gen, "--gen", 0, 10'000'000);
  const auto depths = ParseIntSweep(o.depth, "--depth", 0, 100'000'000);
  const auto batches = ParseIntSweep(o.batch, "--batch", 1, 100'000);
  const auto devices = ParseIntSweep(o.devices, "--devices", 1, 1024);
  const auto tps = ParseIntSweep(o.tp, "--tp", 1, 64);
  auto kv = TensorTypeFromString(o.kv_type);
  if (!kv) throw catalog::InputError("--kv-type '" + o.kv_type + "': expected f16, bf16, q8_0, q4_0 or fp8");
  if (!(o.amortization_years > 0 && o.amortization_years < 100)) throw catalog::InputError("--amortize-years must be in (0, 100)");
  if (!(o.usd_per_kwh >= 0 && o.usd_per_kwh < 100)) throw catalog::InputError("--usd-per-kwh must be in [0, 100)");
  Costing cost;
  cost.amortization_years = o.amortization_years;
  cost.usd_per_kwh = o.usd_per_kwh;
  if (o.rental >= 0) cost.rental_usd_per_hour = o.rental;
  PlanOptions plan_opt;
  if (!o.memory_gb.empty()) plan_opt.memory_gib = ParsePositive(o.memory_gb, "--memory-gb", 1e6);
  std::optional<uint64_t> isl, osl;
  if (!o.isl.empty()) isl = ParseIntSweep(o.isl, "--isl", 1, 10'000'000).front();
  if (!o.osl.empty()) osl = ParseIntSweep(o.osl, "--osl", 1, 10'000'000).front();

  std::vector<Row> rows;
  for (const auto& m : models) {
    for (const auto& q : quants) {
      const Weights& wt = builder.Resolve(m, q);
      for (const auto& h : hws) {
        const HardwareSpec& hw = cat.Hardware(h);
        std::vector<std::shared_ptr<const RuntimeProfile>> rts;
        if (o.runtime.empty()) rts.push_back(std::make_shared<RuntimeProfile>(cat.DefaultRuntimeFor(hw)));
        else for (const auto& r : SplitList(o.runtime, "--runtime")) rts.push_back(std::make_shared<RuntimeProfile>(cat.Runtime(r)));
        for (const auto& rt : rts) {
          for (auto dev : devices) for (auto tp : tps) for (auto p : prompts) for (auto g : gens) for (auto d : depths) for (auto b : batches) {
            PerfWorkload w;
            w.prompt = p;
            w.gen = g;
            w.depth = d;
            w.batch = static_cast<uint32_t>(b);
            w.devices = static_cast<uint32_t>(dev);
            w.tp = static_cast<uint32_t>(tp);
            w.kv_type = *kv;
            if (w.tp > 1 && w.devices < w.tp) w.devices = w.tp;
            const Scenario s = builder.Make(wt, hw, rt, w, TestKind::kTg, plan_opt);
            const PerfContext pc{*s.model, hw, *rt, s.plan, profile.For(*rt, hw)};
            Row row;
            row.p = Predict(pc, w, cost, with_ops);
            const Prediction& pr = row.p;
            const MemoryPlan& plan = s.plan;
            json j = {{"schema_version", 1}, {"hardware", hw.id}, {"model", wt.spec->id}, {"quant", wt.quant_label},
                      {"runtime", rt->id}, {"prompt", p}, {"gen", g}, {"depth", d}, {"batch", b}, {"devices", w.devices},
                      {"tp", w.tp}, {"memory_gib", plan.capacity_gib}, {"fits", plan.fits()},
                      {"verdict", std::string(ToString(plan.verdict))}, {"layers_on_device", plan.layers_on_device},
                      {"layers_total", plan.layers_total}, {"weights_bytes", plan.weights_bytes},
                      {"ttft_s", Pair(pr.ttft_s, pr.ttft_s_bound)}, {"pp_tok_s", Pair(pr.pp_tok_s, pr.pp_tok_s_bound)},
                      {"tg_tok_s", Pair(pr.tg_tok_s, pr.tg_tok_s_bound)},
                      {"batch_tok_s", Pair(pr.tg_batch_tok_s, pr.tg_batch_tok_s_bound)},
                      {"e2e_s", Pair(pr.e2e_s, pr.e2e_s_bound)},
                      {"limits", {{"prefill", pr.prefill.limit}, {"decode", pr.decode.limit}}},
                      {"power_w", pr.power_w > 0 ? json(pr.power_w) : json(nullptr)},
                      {"joules_per_token", pr.joules_per_token ? json(*pr.joules_per_token) : json(nullptr)},
                      {"usd_per_mtok", pr.usd_per_mtok ? json(*pr.usd_per_mtok) : json(nullptr)},
                      {"price_usd", hw.price_usd ? json(*hw.price_usd * w.devices) : json(nullptr)},
                      {"price_date", hw.price_date}};
            if (plan.verdict == Verdict::kDoesNotFit) j["warning"] = "does not fit: " + plan.reason;
            else if (plan.verdict == Verdict::kFitsWithOffload) j["offload"] = plan.reason;
            if (isl || osl) {
              const uint64_t in = isl.value_or(p), out = osl.value_or(std::max<uint64_t>(g, 1));
              Workload mw{in + out, 1, *kv};
              const uint32_t fit = MaxBatchThatFits(*wt.spec, MakeFootprint(*wt.spec, wt.tensors), hw, *rt, mw, plan_opt);
              const uint32_t conc = std::max<uint32_t>(1, std::min(fit, rt->max_batch));
              const Throughput t = SaturatedThroughput(pc, in, out, conc, w);
              j["throughput_tok_s"] = Pair(t.tok_s, t.tok_s_bound);
              j["throughput_concurrency"] = conc;
            }
            json claims = json::array();
            if (o.claim_tg >= 0) claims.push_back(Claim("tg", o.claim_tg, pr.tg_tok_s_bound, pr.tg_tok_s, false));
            if (o.claim_pp >= 0) claims.push_back(Claim("pp", o.claim_pp, pr.pp_tok_s_bound, pr.pp_tok_s, false));
            if (o.claim_ttft >= 0) claims.push_back(Claim("ttft", o.claim_ttft, pr.ttft_s_bound, pr.ttft_s, true));
            if (!claims.empty()) j["claims"] = claims;
            row.j = std::move(j);
            rows.push_back(std::move(row));
          }
        }
      }
    }
  }
  return rows;
}

std::string ExpectedBound(const json& r, const char* key, int decimals) {
  return Num(r[key]["expected"], decimals) + " / " + Num(r[key]["bound"], decimals);
}

report::ResultTable SpeedTable(const std::vector<Row>& rows, bool compare) {
  report::ResultTable t;
  t.columns = {report::TextColumn("hardware", "hardware"), report::TextColumn("model", "model"),
               report::TextColumn("quant", "quant")};
  if (!compare) {
    t.columns.push_back(report::IntColumn("prompt", "prompt"));
    t.columns.push_back(report::IntColumn("depth", "depth"));
    t.columns.push_back(report::IntColumn("batch", "batch"));
  }
  t.columns.push_back({"layers", "layers on device",
                       [](const json& r) {
                         return std::to_string(r["layers_on_device"].get<uint32_t>()) + "/" +
                                std::to_string(r["layers_total"].get<uint32_t>()) +
                                (r["verdict"] == "does not fit" ? " (no fit)" : "");
                       },
                       true});
  t.columns.push_back({"tg", "tg tok/s exp / bound", [](const json& r) { return ExpectedBound(r, "tg_tok_s", 1); }, true});
  t.columns.push_back({"pp", "pp tok/s exp / bound", [](const json& r) { return ExpectedBound(r, "pp_tok_s", 0); }, true});
  t.columns.push_back({"ttft", "TTFT s", [](const json& r) { return Num(r["ttft_s"]["expected"], 2); }, true});
  if (!compare) {
    t.columns.push_back({"batch_tok_s", "batch tok/s", [](const json& r) { return Num(r["batch_tok_s"]["expected"], 1); }, true});
  }
  t.columns.push_back({"limit", "decode limit", [](const json& r) { return r["limits"]["decode"].get<std::string>(); }, false});
  t.columns.push_back(report::NumberColumn("power_w", "W", 0));
  t.columns.push_back({"jpt", "J/tok", [](const json& r) { return Num(r["joules_per_token"], 2); }, true});
  t.columns.push_back(report::NumberColumn("price_usd", "price $", 0));
  t.columns.push_back({"cost", "$/Mtok", [](const json& r) { return Num(r["usd_per_mtok"], 2); }, true});
  for (const auto& r : rows) {
    t.rows.push_back(r.j);
    if (r.j.contains("claims")) {
      for (const auto& c : r.j["claims"]) {
        std::string line = r.j["hardware"].get<std::string>() + " / " + r.j["model"].get<std::string>() + ": claimed " +
                           c["metric"].get<std::string>() + " " + FormatFixed(c["claimed"].get<double>(), 2) +
                           " vs bound " + FormatFixed(c["bound"].get<double>(), 2) + ", expected " +
                           FormatFixed(c["expected"].get<double>(), 2) + ": ";
        line += c["possible"].get<bool>() ? "possible" : "IMPOSSIBLE (" + FormatFixed(c["exceeds_bound_by"].get<double>(), 2) + "x the physical bound)";
        t.footnotes.push_back(line);
      }
    }
    if (r.j.contains("offload")) {
      t.footnotes.push_back(r.j["hardware"].get<std::string>() + " / " + r.j["model"].get<std::string>() + ": " +
                            r.j["offload"].get<std::string>());
    }
    if (r.j.contains("warning")) {
      t.footnotes.push_back(r.j["hardware"].get<std::string>() + " / " + r.j["model"].get<std::string>() + ": " +
                            r.j["warning"].get<std::string>());
    }
  }
  t.footnotes.push_back("exp = expected with calibrated efficiencies; bound = every efficiency at 1 (no real run can beat it). "
                        "Cost: price amortized over the stated years at full use plus electricity at TDP.");
  return t;
}

void SortRows(std::vector<Row>& rows, const std::string& key) {
  if (key.empty()) return;
  auto val = [&](const Row& r) -> double {
    if (key == "tg") return -r.j["tg_tok_s"]["expected"].get<double>();
    if (key == "pp") return -r.j["pp_tok_s"]["expected"].get<double>();
    if (key == "ttft") return r.j["ttft_s"]["expected"].get<double>();
    if (key == "cost") return r.j["usd_per_mtok"].is_number() ? r.j["usd_per_mtok"].get<double>() : 1e300;
    if (key == "power") return r.j["power_w"].is_number() ? r.j["power_w"].get<double>() : 1e300;
    if (key == "price") return r.j["price_usd"].is_number() ? r.j["price_usd"].get<double>() : 1e300;
    if (key == "energy") return r.j["joules_per_token"].is_number() ? r.j["joules_per_token"].get<double>() : 1e300;
    throw catalog::InputError("--sort '" + key + "': expected tg, pp, ttft, cost, power, price or energy");
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return val(a) < val(b); });
}

void Render(Context& ctx, std::vector<Row>& rows, bool compare) {
  if (ctx.Format() == report::Format::kJson) {
    json arr = json::array();
    for (const auto& r : rows) arr.push_back(r.j);
    ctx.Out() << arr.dump(2) << '\n';
    return;
  }
  SpeedTable(rows, compare).Render(ctx.Out(), ctx.Format());
}

// The seed article's scenario (shared/seed: "Apple M5 Max vs NVIDIA"), with its claims.
struct SeedClaim {
  const char* hardware;
  const char* model;
  double tg;
  const char* text;
};
constexpr SeedClaim kSeedClaims[] = {
    {"apple-m4-max-40c", "llama-3.1-70b", 28, "70B Q4 on M4 Max: ~28 tok/s"},
    {"apple-m5-max-40c", "llama-3.1-70b", 30, "70B Q4 on M5 Max: ~30-35 tok/s (est.)"},
    {"nvidia-rtx-4090", "llama-3.1-70b", 10, "70B Q4 on RTX 4090 with offload: ~10 tok/s"},
    {"nvidia-rtx-4090", "llama-3.1-8b", 100, "7-13B on RTX 4090: 100-150 tok/s"},
    {"apple-m5-max-40c", "llama-3.1-8b", 40, "7-13B on M5 Max: est. 40-50 tok/s"},
};

}  // namespace

Runner RegisterPredict(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<PredictOptions>();
  AddCommonOptions(app, *o, true);
  app.add_option("--sort", o->sort, "Sort rows: tg, pp, ttft, cost, power, price, energy");
  return [o, &ctx]() {
    auto rows = RunScenarios(ctx, *o, false);
    SortRows(rows, o->sort);
    Render(ctx, rows, false);
    return 0;
  };
}

Runner RegisterExplain(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<PredictOptions>();
  AddCommonOptions(app, *o, true);
  return [o, &ctx]() {
    auto rows = RunScenarios(ctx, *o, true);
    if (rows.size() != 1) throw catalog::InputError("explain takes one scenario (no comma lists or ranges)");
    const Row& r = rows.front();
    report::ResultTable t;
    t.title = r.j["hardware"].get<std::string>() + " / " + r.j["model"].get<std::string>() + " / " +
              r.j["quant"].get<std::string>() + " / " + r.j["runtime"].get<std::string>() + ": prefill " +
              std::to_string(r.j["prompt"].get<uint64_t>()) + " tokens at depth " + std::to_string(r.j["depth"].get<uint64_t>()) +
              ", decode step at batch " + std::to_string(r.j["batch"].get<uint64_t>());
    t.columns = {report::TextColumn("phase", "phase"), report::TextColumn("where", "where"), report::TextColumn("op", "operator"),
                 report::NumberColumn("count", "layers", 0), report::NumberColumn("gflop", "GFLOP", 3),
                 report::NumberColumn("mb", "MB moved", 2), report::NumberColumn("ms", "time ms", 3),
                 report::NumberColumn("share", "% of phase", 1), report::TextColumn("bound", "bound by")};
    // One row per (phase, where, operator): layer classes and prefill ubatches summed.
    std::vector<OpCost> agg;
    std::vector<std::pair<double, double>> limits;  // compute / memory time per row, for "bound by"
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
      t.rows.push_back({{"phase", op.phase}, {"where", op.where}, {"op", op.name}, {"count", op.count},
                        {"gflop", op.flops / 1e9}, {"mb", op.bytes / 1e6}, {"ms", op.time_s * 1e3},
                        {"share", 100.0 * op.time_s / phase_t}, {"bound", op.bound}});
    }
    t.footnotes.push_back("prefill: " + FormatFixed(r.p.prefill.time_s * 1e3, 2) + " ms (" + r.p.prefill.limit + " bound), " +
                          FormatFixed(r.p.pp_tok_s, 0) + " tok/s expected, " + FormatFixed(r.p.pp_tok_s_bound, 0) + " bound");
    t.footnotes.push_back("decode step: " + FormatFixed(r.p.decode.time_s * 1e3, 3) + " ms (" + r.p.decode.limit + " bound), " +
                          FormatFixed(r.p.tg_tok_s, 1) + " tok/s expected, " + FormatFixed(r.p.tg_tok_s_bound, 1) + " bound");
    t.Render(ctx.Out(), ctx.Format());
    return 0;
  };
}

Runner RegisterCompare(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<PredictOptions>();
  AddCommonOptions(app, *o, false);
  app.add_option("--sort", o->sort, "Sort rows: tg, pp, ttft, cost, power, price, energy");
  return [o, &ctx]() {
    const bool seed = o->model.empty() && o->hw.empty();
    PredictOptions opt = *o;
    if (opt.model.empty()) opt.model = "llama-3.1-70b,llama-3.1-8b";
    if (opt.hw.empty()) {
      opt.hw = "apple-m4-max-40c,apple-m5-max-40c,nvidia-rtx-4090,nvidia-rtx-5090,nvidia-rtx-pro-6000,nvidia-h100-sxm,nvidia-dgx-spark";
    }
    auto rows = RunScenarios(ctx, opt, false);
    if (seed && opt.quant == "q4_k_m") {
      for (auto& r : rows) {
        for (const auto& c : kSeedClaims) {
          if (r.j["hardware"] == c.hardware && r.j["model"] == c.model) {
            json claim = Claim("tg", c.tg, r.p.tg_tok_s_bound, r.p.tg_tok_s, false);
            claim["source"] = std::string("seed article: ") + c.text;
            r.j["claims"] = json::array({claim});
          }
        }
      }
    }
    SortRows(rows, opt.sort);
    Render(ctx, rows, true);
    return 0;
  };
}

}  // namespace tokcast::cli
