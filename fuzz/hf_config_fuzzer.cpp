// libFuzzer target: a Hugging Face config.json, imported, its tensors inventoried and its memory
// planned as `fit --model config.json` does. Any input must import or raise InputError.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "catalog/catalog.h"
#include "catalog/error.h"
#include "catalog/hf_config.h"
#include "core/memory_plan.h"
#include "core/model.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokcast;
  try {
    const ModelSpec spec = catalog::ParseHfConfig(fuzz::Text(data, size), "config.json");
    auto tensors = BuildTensorInventory(spec);
    QuantRecipe recipe;
    recipe.default_type = TensorType::kQ4_0;
    ApplyRecipe(recipe, spec.n_layers, tensors);
    const ParamCounts counts = CountParams(spec, tensors);
    if (counts.total == 0) __builtin_trap();
    static const catalog::Catalog cat = catalog::Catalog::Builtin();
    const auto& hw = cat.Hardware("nvidia-rtx-4090");
    const auto& rt = cat.Runtime("llama.cpp-cuda");
    const ModelFootprint fp = MakeFootprint(spec, tensors);
    const PlanResult plan = PlanMemory(spec, fp, hw, rt, Workload{4096, 1, TensorType::kF16}, {});
    if (!plan.error && plan.plan.verdict != Verdict::kDoesNotFit && plan.plan.weights_bytes == 0) __builtin_trap();
    (void)MaxContextThatFits(spec, fp, hw, rt, Workload{}, {});
    fuzz::ReachedDeepest();
  } catch (const catalog::InputError&) {
  }
  return 0;
}
