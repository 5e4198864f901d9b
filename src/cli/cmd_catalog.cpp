// tokcast list hardware|models|quants|runtimes [--filter T] [--vendor V] [--class C]; tokcast show ID
#include "app/catalog_views.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

Runner RegisterList(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string what, filter, vendor, cls;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("what", o->what, "hardware, models, quants or runtimes")->required();
  app.add_option("--filter", o->filter, "Keep entries whose id or name contains TEXT");
  app.add_option("--vendor", o->vendor, "hardware: keep one vendor (NVIDIA, Apple, AMD, ...)");
  app.add_option("--class", o->cls, "hardware: discrete_gpu, unified_soc, cpu or accelerator");
  return [o, &ctx]() {
    const auto what = app::ListWhatFromString(o->what);
    if (!what)
      throw catalog::InputError("tokcast list '" + o->what + "': expected hardware, models, quants or runtimes");
    const auto& cat = ctx.Catalog();
    ctx.Emit(app::ListReport(cat, app::List(cat, {*what, o->filter, o->vendor, o->cls})));
    return 0;
  };
}

Runner RegisterShow(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  app.add_option("id", *id, "Hardware, model, quant or runtime id, or a model file")->required();
  return [id, &ctx]() {
    const auto& cat = ctx.Catalog();
    ctx.Emit(app::ShowReport(cat, app::Show(cat, *id)));
    return 0;
  };
}

}  // namespace tokcast::cli
