// libFuzzer target: one catalog TOML file (first line: hardware, models, quants or runtimes;
// the rest: the file) added to the built-in catalog, then every entry it defines used the way
// `fit` and `predict` use it. Any input must load or raise InputError, and a loaded entry must
// plan and predict (where the combination can run) without crashing, without a non-finite number, and never above its
// bound.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "app/predict.h"
#include "catalog/catalog.h"
#include "fuzz_target.h"

namespace {

using namespace tokcast;

void Check(double v) {
  if (!std::isfinite(v)) __builtin_trap();
}

void Use(const catalog::Catalog& cat, app::PredictRequest r) {
  try {
    r.prompt = {512};
    r.gen = {16};
    const auto result = app::Predict(cat, r);
    for (const auto& row : result.rows) {
      if (row.plan.verdict == Verdict::kDoesNotFit) continue;
      for (double v :
           {row.p.tg_tok_s, row.p.tg_tok_s_bound, row.p.pp_tok_s, row.p.pp_tok_s_bound, row.p.ttft_s, row.p.power_w}) {
        Check(v);
      }
      // The expectation never beats the physical bound.
      if (row.p.tg_tok_s > row.p.tg_tok_s_bound * (1 + 1e-9) || row.p.pp_tok_s > row.p.pp_tok_s_bound * (1 + 1e-9))
        __builtin_trap();
    }
    fuzz::ReachedDeepest();
  } catch (const catalog::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const catalog::Catalog base = catalog::Catalog::Builtin();
  const auto [kind, text] = fuzz::FirstLine(fuzz::Text(data, size));
  if (kind != "hardware" && kind != "models" && kind != "quants" && kind != "runtimes") return 0;
  catalog::Catalog cat = base;
  try {
    cat.AddFile(kind, "fuzz.toml", text);
  } catch (const catalog::InputError&) {
    return 0;
  }
  // The new entry in three settings a real catalog entry of its kind is used in.
  const struct {
    const char *model, *hardware, *runtime;
  } settings[] = {{"llama-3.1-8b", "nvidia-rtx-4090", "llama.cpp-cuda"},
                  {"gpt-oss-20b", "nvidia-h100-sxm", "vllm"},
                  {"qwen3-30b-a3b", "apple-m4-max-40c", "mlx"}};
  for (const auto& setting : settings) {
    app::PredictRequest r;
    r.models = {setting.model};
    r.hardware = {setting.hardware};
    r.runtimes = {setting.runtime};
    r.quants = {std::string(setting.runtime) == "vllm"  ? "bf16"
                : std::string(setting.runtime) == "mlx" ? "mlx-4bit"
                                                        : "q4_k_m"};
    if (kind == "hardware") {
      for (const auto* hw : cat.AllHardware())
        if (!base.FindHardware(hw->id)) r.hardware = {hw->id};
    } else if (kind == "models") {
      for (const auto* m : cat.AllModels())
        if (!base.FindModel(m->spec.id)) r.models = {m->spec.id};
    } else if (kind == "quants") {
      for (const auto* q : cat.AllQuants())
        if (!base.FindQuant(q->id)) r.quants = {q->id};
    } else {
      for (const auto* rt : cat.AllRuntimes())
        if (!base.FindRuntime(rt->id)) r.runtimes = {rt->id};
    }
    Use(cat, r);
  }
  return 0;
}
