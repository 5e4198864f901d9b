// tokcast plan --model M --hw H1,H2,... --request-rate R --isl N --osl N --slo-ttft-ms X --slo-tpot-ms X
//              [--runtime R,...] [--quant Q,...] [--tp N,...]
#include "app/plan.h"
#include "app/sweep.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

Runner RegisterPlan(CLI::App& app, Context& ctx) {
  struct Opts {
    app::PlanRequest r;
    std::string hw, runtime, quant, tp;
    uint32_t isl = 1000, osl = 200;
    double slo_ttft_ms = 2000, slo_tpot_ms = 50;
    std::optional<double> rental;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->r.model, "Model id or file")->required();
  app.add_option("--hw", o->hw, "Candidate hardware ids (list)")->required();
  app.add_option("--runtime", o->runtime,
                 "Candidate runtimes (list; default: every serving runtime the hardware runs)");
  app.add_option("--quant", o->quant,
                 "Candidate quantizations (list; default: the runtime family's 16-, 8- and 4-bit)");
  app.add_option("--tp", o->tp, "Candidate TP degrees (list; default: the smallest that fits, and twice it)");
  app.add_option("--request-rate", o->r.request_rate, "Requests/s the whole fleet serves")->required();
  app.add_option("--isl", o->isl, "Input tokens per request")->capture_default_str();
  app.add_option("--osl", o->osl, "Output tokens per request")->capture_default_str();
  app.add_option("--slo-ttft-ms", o->slo_ttft_ms, "p99 TTFT at most this")->capture_default_str();
  app.add_option("--slo-tpot-ms", o->slo_tpot_ms, "p99 TPOT at most this")->capture_default_str();
  app.add_option("--requests-per-trial", o->r.requests_per_trial, "Requests each simulation runs")
      ->capture_default_str();
  app.add_option("--amortize-years", o->r.cost.amortization_years, "Years over which prices are amortized")
      ->capture_default_str();
  app.add_option("--usd-per-kwh", o->r.cost.usd_per_kwh, "Electricity price")->capture_default_str();
  app.add_option("--rental-usd-per-hour", o->rental, "Rental price per device-hour (replaces price amortization)");
  return [o, &ctx]() {
    app::PlanRequest r = o->r;
    r.hardware = SplitList(o->hw, "--hw");
    if (!o->runtime.empty()) r.runtimes = SplitList(o->runtime, "--runtime");
    if (!o->quant.empty()) r.quants = SplitList(o->quant, "--quant");
    if (!o->tp.empty()) r.tp = ParseU32Sweep(o->tp, "--tp", 1, 64);
    if (o->isl == 0 || o->osl == 0 || o->isl > 10'000'000 || o->osl > 10'000'000) {
      throw catalog::InputError("--isl and --osl must be in 1..10000000");
    }
    if (!(o->slo_ttft_ms > 0 && o->slo_ttft_ms < 1e9) || !(o->slo_tpot_ms > 0 && o->slo_tpot_ms < 1e9)) {
      throw catalog::InputError("--slo-ttft-ms and --slo-tpot-ms must be positive");
    }
    if (r.requests_per_trial < 20 || r.requests_per_trial > 100000)
      throw catalog::InputError("--requests-per-trial must be in 20..100000");
    r.isl = {o->isl, o->isl};
    r.osl = {o->osl, o->osl};
    r.slo_ttft_p99_s = o->slo_ttft_ms / 1e3;
    r.slo_tpot_p99_s = o->slo_tpot_ms / 1e3;
    r.cost.rental_usd_per_hour = o->rental;
    ctx.Emit(app::PlanReport(r, app::Plan(ctx.Catalog(), r)));
    return 0;
  };
}

}  // namespace tokcast::cli
