// libFuzzer target: a measurement CSV (`validate --data FILE`, `calibrate`), each row resolved
// against the catalog and predicted as `validate` does. Any input must load or raise InputError.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "app/scenario.h"
#include "catalog/catalog.h"
#include "catalog/measurements.h"
#include "core/validation.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  static const catalog::Catalog cat = catalog::Catalog::Builtin();
  static const EfficiencyProfile profile = catalog::BuiltinEfficiencyProfile();
  std::vector<MeasuredRow> rows;
  try {
    rows = catalog::ParseMeasurementsCsv(fuzz::Text(data, size), "fuzz.csv");
  } catch (const catalog::InputError&) {
    return 0;
  }
  app::ScenarioBuilder builder(cat);
  for (size_t i = 0; i < rows.size() && i < 4; ++i) {
    try {
      const Scenario s = builder.FromRow(rows[i]);
      if (IsServingKind(s.kind)) continue;  // served rows go through the simulator (trace target)
      const RowResult r = Evaluate(s, profile);
      if (!r.unsupported && (!std::isfinite(r.predicted) || !std::isfinite(r.bound))) __builtin_trap();
      fuzz::ReachedDeepest();
    } catch (const catalog::InputError&) {
    }
  }
  return 0;
}
