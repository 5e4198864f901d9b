// Turning ids into ready-to-predict scenarios, once for every use case: model + quant -> typed
// tensors and a prepared model (cached), hardware + runtime + workload -> memory plan; and the
// checks that reject combinations that cannot run.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/model_source.h"
#include "core/perf_model.h"
#include "core/validation.h"

namespace tokcast::app {

// The most scenarios one sweep may hold (each is a row in memory and on the screen).
constexpr double kMaxScenarios = 100'000;
// Throws InputError when the product of a sweep's list sizes exceeds kMaxScenarios.
void CheckSweepSize(std::initializer_list<size_t> sizes);

// What --model names: a catalog id, a model file or folder, or a remote model (hf:ORG/NAME,
// https://…/file.gguf; see remote/hub.h). Throws InputError.
catalog::ResolvedModel ResolveModelArg(const catalog::Catalog& cat, const std::string& arg);

struct Weights {
  std::shared_ptr<const ModelSpec> spec;
  std::vector<TensorInfo> tensors;
  const QuantRecipe* recipe = nullptr;  // null for file-based weights
  std::string quant_label;
  std::string source;       // "catalog" or the file
  std::string file_format;  // "gguf", "safetensors" for file-based weights
  std::shared_ptr<const PreparedModel> prepared;
  ModelFootprint footprint;
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

// Throws InputError (one line) when the combination cannot run: a runtime on hardware it does
// not support, a quant it cannot load, an MoE-only recipe on a dense model, tensor parallelism
// on a runtime without it, across devices without a link, or a degree the heads do not divide.
void CheckCombination(const HardwareSpec& hw, const RuntimeProfile& rt, const Weights& wt, uint32_t devices,
                      uint32_t tp, uint32_t ep = 1, bool row_split = false);

// What is unusual but allowed (context beyond the trained maximum, ...).
std::vector<std::string> ScenarioWarnings(const ModelSpec& spec, uint64_t ctx);

// The calibration group whose efficiencies stand in for `rt` on `hw`, or "" when it has its own.
std::string StandInKey(const EfficiencyProfile& profile, const RuntimeProfile& rt, const HardwareSpec& hw);
// One line per speed factor a prediction takes (a wrapper's relative speed, an older build
// era), saying what it is, its values and whether rows fitted them or the runtime's prior stands.
std::vector<std::string> FactorNotes(const EfficiencyProfile& profile, const RuntimeProfile& rt,
                                     const HardwareSpec& hw);
// A copy of `rt` for the builds of `version` ("b3622", "2024-08-26"; empty: current builds).
// Throws InputError naming `where` for a version it cannot place.
std::shared_ptr<RuntimeProfile> AtVersion(const catalog::Catalog& cat, const RuntimeProfile& rt,
                                          std::string_view version, std::string_view where);

}  // namespace tokcast::app
