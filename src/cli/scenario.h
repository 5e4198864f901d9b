// Turning names into ready-to-predict scenarios: model + quant -> typed tensors and a prepared
// model (cached), hardware + runtime + workload -> memory plan and performance context.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "catalog/measurements.h"
#include "core/perf_model.h"
#include "core/validation.h"

namespace tokcast::cli {

struct Weights {
  std::shared_ptr<const ModelSpec> spec;
  std::vector<TensorInfo> tensors;
  const QuantRecipe* recipe = nullptr;  // null for file-based weights
  std::string quant_label;
  std::shared_ptr<const PreparedModel> prepared;
};

class ScenarioBuilder {
 public:
  explicit ScenarioBuilder(const catalog::Catalog& cat) : cat_(cat) {}

  // Model id or file, quant id (ignored for files). Cached. Throws InputError.
  const Weights& Resolve(const std::string& model, const std::string& quant);

  // A scenario for one workload: plans memory for depth + prompt + gen tokens per sequence.
  Scenario Make(const Weights& wt, const HardwareSpec& hw, std::shared_ptr<const RuntimeProfile> rt,
                const PerfWorkload& w, TestKind kind, const PlanOptions& opt = {}) const;

  // A measured row resolved against the catalog (unknown ids throw InputError).
  Scenario FromRow(const MeasuredRow& row);

  const catalog::Catalog& catalog() const { return cat_; }

 private:
  const catalog::Catalog& cat_;
  std::map<std::string, Weights> cache_;
};

// Loads the efficiency profile: the built-in one, or FILE.
EfficiencyProfile LoadProfile(const std::string& path);

}  // namespace tokcast::cli
