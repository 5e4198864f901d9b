// tokcast validate [--data FILE] [--profile P] [--max-median-ape PCT] [--source S] [--exclude-source S]
//                  [--leave-one-source-out]
// tokcast calibrate [--data FILE] [--profile-out FILE] [--exclude-source S]
// tokcast calibrate --serving [--runtimes-out DIR]   (the serving runs in --db)
#include "app/serving_calibration.h"
#include "app/session.h"
#include "app/sweep.h"
#include "app/validate.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

namespace {

struct DataOptions {
  std::string data, source, exclude_source;
};

void AddDataOptions(CLI::App& app, DataOptions& o) {
  app.add_option("--data", o.data,
                 "Measurement CSV (the validation schema); default: the built-in measurements "
                 "(with the global --db: the rows stored in the results database)");
  app.add_option("--source", o.source, "Keep only rows of these source ids (comma list)");
  app.add_option("--exclude-source", o.exclude_source, "Drop rows of these source ids (leave-one-source-out)");
}

app::DataRequest Data(const DataOptions& o, const Context& ctx) {
  app::DataRequest r;
  r.data_path = o.data;
  r.db_path = ctx.db_path;
  if (!o.source.empty()) r.sources = SplitList(o.source, "--source");
  if (!o.exclude_source.empty()) r.exclude_sources = SplitList(o.exclude_source, "--exclude-source");
  return r;
}

}  // namespace

Runner RegisterValidate(CLI::App& app, Context& ctx) {
  struct Opts : DataOptions {
    std::string profile;
    std::optional<double> max_median_ape;
    bool loso = false;
    std::string intervals_out;
  };
  auto o = std::make_shared<Opts>();
  AddDataOptions(app, *o);
  app.add_option("--profile", o->profile, "Efficiency profile TOML (default: the built-in calibrated profile)");
  app.add_option("--max-median-ape", o->max_median_ape, "Exit 1 when any test kind's median APE (%) exceeds this");
  app.add_flag("--leave-one-source-out", o->loso, "For each source S: calibrate on the other sources, validate on S");
  app.add_option("--intervals-out", o->intervals_out,
                 "With --leave-one-source-out: write the held-out prediction intervals (TOML) to FILE");
  return [o, &ctx]() {
    if (!o->intervals_out.empty() && !o->loso)
      throw catalog::InputError("--intervals-out needs --leave-one-source-out");
    if (o->loso) {
      const auto r = app::LeaveOneSourceOut(ctx.Catalog(), Data(*o, ctx));
      if (!o->intervals_out.empty()) app::WriteUserFile(o->intervals_out, r.intervals_toml);
      ctx.Emit(app::LeaveOneSourceOutReport(r));
      return 0;
    }
    const auto v = app::Validate(ctx.Catalog(), {Data(*o, ctx), o->profile, o->max_median_ape});
    ctx.Emit(app::ValidateReport(v));
    if (v.over_threshold) {
      ctx.Err() << "tokcast: median APE above --max-median-ape " << *o->max_median_ape << "%\n";
      return 1;
    }
    return 0;
  };
}

Runner RegisterCalibrate(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DataOptions>();
  AddDataOptions(app, *o);
  auto out = std::make_shared<std::string>();
  app.add_option("-p,--profile-out", *out, "Write the fitted profile TOML to FILE");
  auto serving = std::make_shared<bool>(false);
  auto runtimes_out = std::make_shared<std::string>();
  app.add_flag("--serving", *serving,
               "Fit each runtime's per-step and per-request overheads to the serving runs in the results database "
               "(bench serve --predict, import serve --hw --model)");
  app.add_option("--runtimes-out", *runtimes_out,
                 "With --serving: write each fitted runtime as a TOML file in DIR (use with tokcast --catalog DIR)");
  return [o, out, serving, runtimes_out, &ctx]() {
    if (*serving) {
      if (!out->empty() || !o->data.empty())
        throw catalog::InputError("--serving fits the stored serving runs: no --data or --profile-out");
      ctx.Emit(app::ServingCalibrationReport(app::CalibrateServing(ctx.Catalog(), {ctx.db_path, *runtimes_out})));
      return 0;
    }
    if (!runtimes_out->empty()) throw catalog::InputError("--runtimes-out needs --serving");
    const auto c = app::Calibrate(ctx.Catalog(), Data(*o, ctx));
    if (!out->empty()) app::WriteUserFile(*out, c.toml);
    // Without --profile-out or --format, the profile itself is the output.
    if (out->empty() && !ctx.FormatGiven())
      ctx.EmitText(c.toml);
    else
      ctx.Emit(app::CalibrateReport(c));
    return 0;
  };
}

}  // namespace tokcast::cli
