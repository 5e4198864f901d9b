#include "core/validation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <set>

namespace tokcast {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(TestKind::kCount)> kKindNames = {"pp",
                                                                                            "tg",
                                                                                            "tg_batch",
                                                                                            "throughput",
                                                                                            "ttft_s",
                                                                                            "ttft_ms_mean",
                                                                                            "ttft_ms_median",
                                                                                            "ttft_ms_p99",
                                                                                            "tpot_ms_mean",
                                                                                            "tpot_ms_median",
                                                                                            "tpot_ms_p99",
                                                                                            "itl_ms_mean",
                                                                                            "itl_ms_median",
                                                                                            "e2e_s_mean",
                                                                                            "e2e_s_median",
                                                                                            "e2e_s_batch",
                                                                                            "request_throughput",
                                                                                            "throughput_per_gpu"};

double Logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double Logit(double p) {
  return std::log(p / (1.0 - p));
}

// Nelder-Mead on an unconstrained vector.
std::vector<double> Minimize(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x0,
                             int max_evals) {
  const size_t n = x0.size();
  std::vector<std::vector<double>> simplex(n + 1, x0);
  std::vector<double> fx(n + 1);
  for (size_t i = 0; i < n; ++i) simplex[i + 1][i] += 0.5;
  for (size_t i = 0; i <= n; ++i) fx[i] = f(simplex[i]);
  int evals = static_cast<int>(n + 1);
  while (evals < max_evals) {
    std::vector<size_t> order(n + 1);
    for (size_t i = 0; i <= n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fx[a] < fx[b]; });
    const size_t best = order[0], worst = order[n], second = order[n - 1];
    if (std::fabs(fx[worst] - fx[best]) < 1e-9) break;
    std::vector<double> centroid(n, 0.0);
    for (size_t i = 0; i <= n; ++i) {
      if (i == worst) continue;
      for (size_t j = 0; j < n; ++j) centroid[j] += simplex[i][j] / static_cast<double>(n);
    }
    auto along = [&](double t) {
      std::vector<double> p(n);
      for (size_t j = 0; j < n; ++j) p[j] = centroid[j] + t * (simplex[worst][j] - centroid[j]);
      return p;
    };
    auto xr = along(-1.0);
    const double fr = f(xr);
    ++evals;
    if (fr < fx[best]) {
      auto xe = along(-2.0);
      const double fe = f(xe);
      ++evals;
      if (fe < fr) {
        simplex[worst] = xe;
        fx[worst] = fe;
      } else {
        simplex[worst] = xr;
        fx[worst] = fr;
      }
    } else if (fr < fx[second]) {
      simplex[worst] = xr;
      fx[worst] = fr;
    } else {
      auto xc = along(0.5);
      const double fc = f(xc);
      ++evals;
      if (fc < fx[worst]) {
        simplex[worst] = xc;
        fx[worst] = fc;
      } else {
        for (size_t i = 0; i <= n; ++i) {
          if (i == best) continue;
          for (size_t j = 0; j < n; ++j) simplex[i][j] = simplex[best][j] + 0.5 * (simplex[i][j] - simplex[best][j]);
          fx[i] = f(simplex[i]);
          ++evals;
        }
      }
    }
  }
  size_t best = 0;
  for (size_t i = 1; i <= n; ++i) {
    if (fx[i] < fx[best]) best = i;
  }
  return simplex[best];
}

// Parameter vector <-> Efficiency for the fitted fields.
struct Param {
  enum Kind { kFraction, kPositive } kind;
  double prior;
  std::function<double&(Efficiency&)> field;
};
constexpr double kPriorWeight = 0.05;         // per parameter, in units of summed |log error|
constexpr double kMinFraction = 0.001;        // the least a profile states (efficiency TOML)
constexpr double kMaxMemoryFraction = 0.95;   // no memory system sustains more of its peak
constexpr uint64_t kAttentionContext = 4096;  // prefill context (depth + prompt) that fits attention

}  // namespace

std::string_view ToString(TestKind k) {
  return kKindNames[static_cast<size_t>(k)];
}
std::optional<TestKind> TestKindFromString(std::string_view s) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == s) return static_cast<TestKind>(i);
  }
  return std::nullopt;
}

bool IsServingKind(TestKind k) {
  return k >= TestKind::kTtftMsMean && k < TestKind::kCount;
}
bool IsLatencyKind(TestKind k) {
  return k == TestKind::kTtft || (k >= TestKind::kTtftMsMean && k <= TestKind::kE2eSBatch);
}
bool MeasuredRow::IsServing() const {
  const auto k = TestKindFromString(test);
  return (k && IsServingKind(*k)) || concurrency.has_value() || request_rate.has_value();
}

std::string EfficiencyKey(const Scenario& s) {
  return CalibrationKey(*s.rt, *s.hw);
}

RowResult Evaluate(const Scenario& s, const EfficiencyProfile& profile) {
  RowResult r;
  r.measured = s.row ? s.row->value : 0;
  if (s.unsupported) {
    r.unsupported = s.unsupported;
    return r;
  }
  // The hot path of every fit: copy the entry only when factors scale it.
  const bool scaled = s.rt->relative_speed || !s.rt->era.empty();
  const Efficiency scaled_eff = scaled ? profile.Effective(*s.rt, *s.hw) : Efficiency{};
  const PerfContext ctx{*s.model, *s.hw, *s.rt, s.plan, scaled ? scaled_eff : profile.For(*s.rt, *s.hw)};
  if (s.kind == TestKind::kThroughput) {
    const Throughput t = SaturatedThroughput(ctx, s.workload.prompt, s.workload.gen, s.workload.batch, s.workload);
    r.predicted = t.tok_s;
    r.bound = t.tok_s_bound;
  } else {
    const Prediction p = Predict(ctx, s.workload);
    switch (s.kind) {
      case TestKind::kPp:
        r.predicted = p.pp_tok_s;
        r.bound = p.pp_tok_s_bound;
        break;
      case TestKind::kTg:
        r.predicted = p.tg_tok_s;
        r.bound = p.tg_tok_s_bound;
        break;
      case TestKind::kTgBatch:
        r.predicted = p.tg_batch_tok_s;
        r.bound = p.tg_batch_tok_s_bound;
        break;
      case TestKind::kTtft:
        r.predicted = p.ttft_s;
        r.bound = p.ttft_s_bound;
        break;
      default:
        break;
    }
  }
  r.ape = r.measured > 0 ? std::fabs(r.predicted - r.measured) / r.measured * 100.0 : 0;
  // For times the bound is a floor; for rates a ceiling.
  r.above_bound = IsLatencyKind(s.kind) ? r.measured < r.bound * (1 - 1e-9) : r.measured > r.bound * (1 + 1e-9);
  return r;
}

std::map<TestKind, KindSummary> Summarize(const std::vector<Scenario>& scenarios,
                                          const std::vector<RowResult>& results) {
  std::map<TestKind, std::vector<double>> apes;
  std::map<TestKind, KindSummary> out;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    auto& k = out[scenarios[i].kind];
    ++k.rows;
    if (results[i].unsupported) continue;
    ++k.predicted;
    k.above_bound += results[i].above_bound ? 1 : 0;
    apes[scenarios[i].kind].push_back(results[i].ape);
  }
  for (auto& [kind, v] : apes) {
    auto& k = out[kind];
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    k.median_ape = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    double sum = 0;
    size_t w10 = 0, w25 = 0;
    for (double a : v) {
      sum += a;
      w10 += a <= 10 ? 1 : 0;
      w25 += a <= 25 ? 1 : 0;
    }
    k.mean_ape = sum / static_cast<double>(n);
    k.within_10 = static_cast<double>(w10) / static_cast<double>(n);
    k.within_25 = static_cast<double>(w25) / static_cast<double>(n);
  }
  return out;
}

namespace {

using Rows = std::vector<const Scenario*>;

bool IsPrefill(TestKind k) {
  return k == TestKind::kPp || k == TestKind::kTtft || k == TestKind::kThroughput;
}

// A prefill in ubatches the runtime's matrix-vector kernels take (llama-bench -ub 1 to 8 on
// CUDA): no GEMM runs, the weights stream as in decode.
bool MatvecPrefill(const Scenario& s) {
  return IsPrefill(s.kind) && s.workload.ubatch > 0 && s.workload.ubatch <= s.rt->kernels.matvec_max_tokens;
}

// Which quantized types these rows use: one dequant cost each.
std::set<std::string> QuantTypes(const Rows& rows) {
  std::set<std::string> types;
  for (const Scenario* s : rows) {
    for (const auto& lc : s->model->classes) {
      for (const auto* g : {&lc.attn, &lc.ffn, &lc.experts, &lc.shared}) {
        for (const auto& [t, n] : g->params_by_type) {
          if (t != TensorType::kF32) types.insert(std::string(ToString(t)));
        }
      }
    }
  }
  return types;
}

// Only parameters the group's rows constrain are fitted; the rest keep their start values.
// Each has a prior (a typical value): a weak penalty on log distance from it keeps parameters
// that the data barely constrains physical.
std::vector<Param> GroupParams(const Rows& rows, const std::set<std::string>& types) {
  bool prefill = false, decode = false, batched = false, moe_prefill = false, quantized_prefill = false,
       long_prefill = false, moe_decode = false, dense_prefill = false, matvec = false, deep_vector_attention = false,
       multi_die_decode = false, single_die_decode = false;
  for (const Scenario* s : rows) {
    const bool p = IsPrefill(s->kind);
    // Prefill in ubatches the runtime's matrix-vector kernels take (llama-bench -ub 1 to 8 on
    // CUDA) runs no GEMM: it streams the weights as decode does, and constrains what decode does.
    const bool matvec_prefill = MatvecPrefill(*s);
    const bool gemm_prefill = p && !matvec_prefill;
    prefill |= p;
    long_prefill |= p && s->workload.depth + s->workload.prompt >= kAttentionContext;
    // Decode (or a prefill in ubatches of a few tokens) at depth through the runtime's vector
    // flash-attention kernel.
    const uint32_t vec_max = s->rt->kernels.fa_vec_max_tokens;
    const uint64_t per_seq = p ? (s->workload.ubatch ? s->workload.ubatch : s->rt->ubatch_tokens) : 1;
    deep_vector_attention |= s->rt->flash_attention && vec_max > 0 && per_seq <= vec_max &&
                             s->workload.depth >= kAttentionContext && s->kind != TestKind::kThroughput;
    const bool decode_row = s->kind == TestKind::kTg || s->kind == TestKind::kTgBatch || matvec_prefill;
    decode |= decode_row;
    batched |= s->kind == TestKind::kTgBatch || s->kind == TestKind::kThroughput;
    // Over several token columns (-ub 2 and up) they measure the kernels as batched decode does.
    matvec |= matvec_prefill && s->workload.ubatch > 1;
    moe_prefill |= p && s->spec->moe.has_value();
    moe_decode |= (!p || matvec_prefill) && s->spec->moe.has_value();
    quantized_prefill |= gemm_prefill && !DenseGemm(*s->model, *s->hw);
    dense_prefill |= gemm_prefill && DenseGemm(*s->model, *s->hw);
    multi_die_decode |= decode_row && s->hw->dies > 1;
    single_die_decode |= decode_row && s->hw->dies <= 1;
  }
  std::vector<Param> params;
  if (decode) {
    params.push_back({Param::kFraction, 0.8, [](Efficiency& e) -> double& { return e.memory; }});
    params.push_back({Param::kPositive, 1.5e-5, [](Efficiency& e) -> double& { return e.layer_overhead_s; }});
    for (const auto& t : types) {
      params.push_back(
          {Param::kPositive, 2.0, [t](Efficiency& e) -> double& { return e.dequant_flops_per_weight[t]; }});
    }
  }
  // Quantized weights (llama.cpp's MMQ, dequantize-then-GEMM) and 16-bit or native FP8 weights
  // (cuBLAS-style tensor-core GEMMs) are different kernels: each is fitted on its own rows only.
  if (quantized_prefill) params.push_back({Param::kFraction, 0.5, [](Efficiency& e) -> double& { return e.compute; }});
  if (dense_prefill)
    params.push_back({Param::kFraction, 0.5, [](Efficiency& e) -> double& { return e.dense_compute; }});
  // Attention's efficiency is fitted only on prefills long enough for attention to weigh: at
  // pp512 from an empty cache it is a few percent of the work, so a fit there only soaks up
  // the GEMMs' error (and then predicts prefill at depth several times too slow). Without such
  // rows the group keeps the prior.
  if (long_prefill) params.push_back({Param::kFraction, 0.4, [](Efficiency& e) -> double& { return e.attention; }});
  if (deep_vector_attention)
    params.push_back({Param::kFraction, 0.2, [](Efficiency& e) -> double& { return e.decode_attention; }});
  if (quantized_prefill)
    params.push_back({Param::kPositive, 0.1, [](Efficiency& e) -> double& { return e.alu_per_gemm_flop; }});
  if (moe_prefill) params.push_back({Param::kPositive, 16, [](Efficiency& e) -> double& { return e.moe_tokens_half; }});
  // Decode is where a MoE layer's fixed work shows (a prefill pass amortizes it over its tokens).
  if (moe_decode)
    params.push_back({Param::kPositive, 3e-5, [](Efficiency& e) -> double& { return e.moe_layer_overhead_s; }});
  // The share of bandwidth efficiency a multi-die part keeps is a ratio between parts: only
  // decode rows on both kinds tell it apart from the memory efficiency itself (rows of an M2
  // Ultra alone would trade one for the other and carry the result to every single-die chip).
  if (multi_die_decode && single_die_decode) {
    params.push_back({Param::kFraction, 0.9, [](Efficiency& e) -> double& { return e.multi_die_memory; }});
  }
  if (batched || matvec) {
    params.push_back({Param::kFraction, 0.3, [](Efficiency& e) -> double& { return e.decode_compute; }});
  }
  // Only batched decode steps take the loss of GEMMs over few token columns.
  if (batched) params.push_back({Param::kPositive, 32, [](Efficiency& e) -> double& { return e.gemm_tokens_half; }});
  return params;
}

double ParamValue(const Param& p, double x) {
  return p.kind == Param::kFraction ? Logistic(x) : std::exp(x);
}

// The efficiency a parameter vector stands for.
Efficiency Decode(const Efficiency& base, const std::vector<Param>& params, const std::vector<double>& x) {
  Efficiency e = base;
  for (size_t i = 0; i < params.size(); ++i) {
    // A fraction never falls below what a profile may state (a parameter the rows barely
    // constrain can drift there).
    const double v = ParamValue(params[i], x[i]);
    params[i].field(e) = params[i].kind == Param::kFraction ? std::max(v, kMinFraction) : v;
  }
  e.memory = std::min(e.memory, kMaxMemoryFraction);
  // Quantized types without data of their own use the geometric mean of the fitted ones.
  double log_sum = 0;
  size_t n = 0;
  for (const auto& [t, v] : e.dequant_flops_per_weight) {
    if (t == "*") continue;
    log_sum += std::log(std::max(v, 1e-6));
    ++n;
  }
  if (n > 0) e.dequant_flops_per_weight["*"] = std::exp(log_sum / static_cast<double>(n));
  return e;
}

// Robust fit of one group: L1 on log error plus the priors' penalty, Nelder-Mead with a restart.
Efficiency FitGroup(const Rows& rows, const std::vector<Param>& params, const Efficiency& base,
                    const std::map<std::string, SpeedFactors>& factors) {
  std::vector<double> x0;
  for (const auto& p : params) {
    Efficiency copy = base;
    const double v = std::max(p.field(copy), 1e-9);
    x0.push_back(p.kind == Param::kFraction ? Logit(std::clamp(v, 0.01, 0.99)) : std::log(v));
  }
  // Every test kind weighs as much as any other, whatever its row count (as many rows in all as
  // there are): seven prefills at depth must not outvote the one decode row that alone says
  // what the memory streams at.
  // Within prefill, rows from a short context (where the GEMMs show) and rows at depth (where
  // attention does) weigh half each: eighteen rows at 32k depth must not decide alone how fast
  // the GEMMs run.
  // A prefill through the matrix-vector kernels (-ub 1 to 8) streams the weights as decode
  // does: it weighs as decode evidence, not as one of the many GEMM prefills.
  auto weight_kind = [](const Scenario* s) {
    if (MatvecPrefill(*s)) return std::pair{TestKind::kTg, false};
    const bool deep = IsPrefill(s->kind) && s->workload.depth + s->workload.prompt >= kAttentionContext;
    return std::pair{s->kind, deep};
  };
  std::map<std::pair<TestKind, bool>, size_t> per_sub;
  for (const Scenario* s : rows) ++per_sub[weight_kind(s)];
  std::map<TestKind, size_t> subs, per_kind;
  for (const auto& [k, n] : per_sub) ++subs[k.first];
  for (const Scenario* s : rows) ++per_kind[weight_kind(s).first];
  auto objective = [&](const std::vector<double>& x) {
    EfficiencyProfile trial;
    trial.entries["default"] = Decode(base, params, x);
    trial.factors = factors;
    double err = 0;
    for (const Scenario* s : rows) {
      const RowResult r = Evaluate(*s, trial);
      if (r.predicted <= 0 || !std::isfinite(r.predicted)) return 1e18;
      const auto wk = weight_kind(s);
      const double weight = static_cast<double>(rows.size()) /
                            (static_cast<double>(per_kind.size()) * static_cast<double>(subs.at(wk.first)) *
                             static_cast<double>(per_sub.at(wk)));
      err += weight * std::fabs(std::log(r.predicted / r.measured));
    }
    for (size_t i = 0; i < params.size(); ++i)
      err += kPriorWeight * std::fabs(std::log(ParamValue(params[i], x[i]) / params[i].prior));
    return err;
  };
  std::vector<double> x = Minimize(objective, x0, 600 + 150 * static_cast<int>(params.size()));
  // The roofline's max() leaves plateaus: an efficiency whose operator another resource bounds
  // at the start (attention's while its KV reads bound it, on a 256 GB/s Strix Halo at 16k
  // depth) moves the error not at all nearby, and the simplex never looks far. Each efficiency
  // is tried once over a wide range of its logit before the restart.
  double fx = objective(x);
  for (size_t i = 0; i < x.size(); ++i) {
    if (params[i].kind != Param::kFraction) continue;
    const double from = x[i];
    for (double step : {-3.0, -2.0, -1.0, 1.0, 2.0}) {
      std::vector<double> trial = x;
      trial[i] = from + step;
      if (const double v = objective(trial); v < fx) {
        fx = v;
        x = std::move(trial);
      }
    }
  }
  x = Minimize(objective, x, 400 + 100 * static_cast<int>(params.size()));  // restart once
  return Decode(base, params, x);
}

// The speed factor a row fits (Calibrate says how): the first of its factors, its own era's or
// the wrapper's; "" for a row of current builds. The first of a row's factors is the one its rows fit (its own era's,
// or the wrapper's); a wrapper's row of an older era would fit two at once, and fits none ("*").
std::string FactorKeyOf(const Scenario& s, const EfficiencyProfile& profile) {
  const auto keys = profile.FactorsFor(*s.rt, *s.hw);
  if (keys.empty()) return "";
  const bool wrapper = keys[0].first == s.rt->id;
  return wrapper && keys.size() > 1 ? "*" : keys[0].first;
}

// Later eras first: an older era's rows are fitted with the later eras' factors known.
std::vector<std::string> FitOrder(const std::map<std::string, Rows>& by_key) {
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [key, rows] : by_key) {
    const RuntimeProfile& rt = *rows.front()->rt;
    int rank = -1;  // wrappers first: their rows take no era factor
    for (size_t i = 0; i < rt.eras.size(); ++i) {
      if (key == rt.id + "@" + rt.eras[i].id) rank = static_cast<int>(rt.eras.size() - i);
    }
    ranked.emplace_back(rank, key);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> out;
  for (auto& [rank, key] : ranked) out.push_back(std::move(key));
  return out;
}

// One compute and one memory factor per key: coordinate descent over a log grid, L1 on log
// error (every test kind weighing the same, one row weighing 1 on average) plus a quadratic
// pull toward the runtime's stated prior: one row moves a factor by up to 1 / (2 x weight) in
// log (22%), several agreeing rows proportionally further.
constexpr double kFactorPriorWeight = 2.0;
void FitFactors(const std::map<std::string, Rows>& by_key, EfficiencyProfile& profile) {
  for (const std::string& key : FitOrder(by_key)) {
    const Rows& rows = by_key.at(key);
    const Scenario& first = *rows.front();
    const auto listed = profile.FactorsFor(*first.rt, *first.hw);
    const SpeedFactors prior = listed.front().second;  // the stated prior: the key was erased
    std::map<TestKind, size_t> per_kind;
    for (const Scenario* s : rows) ++per_kind[s->kind];
    SpeedFactors f = prior;
    auto loss = [&](const SpeedFactors& trial) {
      profile.factors[key] = trial;
      double err = 0;
      for (const Scenario* s : rows) {
        const RowResult r = Evaluate(*s, profile);
        if (r.predicted <= 0 || !std::isfinite(r.predicted)) return 1e18;
        err += static_cast<double>(rows.size()) * std::fabs(std::log(r.predicted / r.measured)) /
               (static_cast<double>(per_kind.size()) * static_cast<double>(per_kind.at(s->kind)));
      }
      auto pull = [](double v, double p) { return kFactorPriorWeight * std::pow(std::log(v / p), 2); };
      return err + pull(trial.compute, prior.compute) + pull(trial.memory, prior.memory);
    };
    for (int round = 0; round < 2; ++round) {
      for (double SpeedFactors::*field : {&SpeedFactors::compute, &SpeedFactors::memory}) {
        double best = f.*field, best_loss = loss(f);
        for (double v = 0.25; v <= 1.6; v *= 1.01) {
          SpeedFactors trial = f;
          trial.*field = v;
          if (const double l = loss(trial); l < best_loss) best = v, best_loss = l;
        }
        f.*field = best;
      }
    }
    f.rows = static_cast<uint32_t>(rows.size());
    profile.factors[key] = f;
  }
}

// A group whose rows are all decode (no prefill through GEMMs) has measured neither its GEMMs
// nor its attention: those efficiencies would sit at generic priors and override the fit the
// runtime stands in with where the group is missing (Vulkan on a Strix Halo with decode rows
// only predicted its prefill 2-3x too fast at the priors, where CUDA's fit on the same class of
// hardware, standing in, was within 12% at depth 0). They take the stand-in's fit instead, and
// the entry says where from; the decode parameters stay its own.
void TakeStandInPrefill(const std::map<std::string, Rows>& groups, EfficiencyProfile& profile) {
  for (const auto& [key, rows] : groups) {
    const Scenario& first = *rows.front();
    if (!key.starts_with(first.rt->id + "/")) continue;  // a wrapper's rows fit the runtime it wraps
    const bool gemm_prefill = std::any_of(rows.begin(), rows.end(),
                                          [](const Scenario* s) { return IsPrefill(s->kind) && !MatvecPrefill(*s); });
    if (gemm_prefill) continue;
    // The key the runtime would use without this group's entry.
    auto own = profile.entries.extract(key);
    const std::string from = profile.KeyFor(*first.rt, *first.hw);
    profile.entries.insert(std::move(own));
    const auto src = profile.entries.find(from);
    if (src == profile.entries.end() || !groups.count(from)) continue;  // a prior stays a prior
    Efficiency& e = profile.entries.at(key);
    e.compute = src->second.compute;
    e.dense_compute = src->second.dense_compute;
    e.attention = src->second.attention;
    e.alu_per_gemm_flop = src->second.alu_per_gemm_flop;
    e.moe_tokens_half = src->second.moe_tokens_half;
    e.prefill_from = from;
  }
}

}  // namespace

EfficiencyProfile Calibrate(const std::vector<Scenario>& scenarios, const EfficiencyProfile& start) {
  EfficiencyProfile profile = start;
  // Every row fits the entry its prediction uses: a wrapper's rows (Ollama) the entry of the
  // runtime it wraps, an older build's rows its runtime's entry, each with its speed factors at
  // the runtime's stated priors; then the factors are fitted on their rows, on top of the fitted
  // entries. Older builds are few and their kernels changed little (about 10% since 2024), and
  // they are often the only rows of a quantized type on their class: left out, the Q4_K decode
  // cost of every discrete GPU fell back to its prior and the CUDA scoreboard's held-out decode
  // error rose from 7% to 12%. Refitting the entries again with the fitted factors moved the
  // discrete-GPU fit into another basin (memory at its cap, a Q4_0 decode cost of 30 FLOPs a
  // weight) that prices prefill at 16k depth 2.7x slower than at 0 on an RTX 4090.
  std::map<std::string, Rows> groups, by_factor;
  for (const auto& s : scenarios) {
    if (s.unsupported || !s.row || !(s.row->value > 0)) continue;
    const std::string cls(ToString(s.hw->hw_class));
    const bool wrapper = s.rt->relative_speed && !profile.KeyFor(*s.rt, *s.hw).starts_with(s.rt->id);
    const std::string group = wrapper ? StandInFor(*s.rt, *s.hw) + "/" + cls : EfficiencyKey(s);
    groups[group].push_back(&s);
    if (const std::string key = FactorKeyOf(s, profile); !key.empty()) {
      if (key != "*") by_factor[key].push_back(&s);  // two unknown factors at once: not fitted on
    }
  }
  for (const auto& [key, rows] : by_factor) profile.factors.erase(key);
  for (const auto& [key, rows] : groups) {
    const auto types = QuantTypes(rows);
    // A group starts from its own entry, else its class's prior, else the default prior: never
    // from another group's fit.
    // ("runtime/class", or "runtime/class/vendor" for a runtime fitted per vendor)
    const auto slash = key.find('/');
    const std::string cls =
        slash == std::string::npos ? "" : key.substr(slash + 1, key.find('/', slash + 1) - slash - 1);
    const Efficiency* from = nullptr;
    for (const std::string& k : {key, "default/" + cls, std::string("default")}) {
      if (auto it = start.entries.find(k); it != start.entries.end()) {
        from = &it->second;
        break;
      }
    }
    Efficiency base = from ? *from : Efficiency{};
    for (const auto& t : types) {
      if (!base.dequant_flops_per_weight.count(t)) base.dequant_flops_per_weight[t] = 1.0;
    }
    Efficiency fitted = FitGroup(rows, GroupParams(rows, types), base, profile.factors);
    std::set<std::string> vendors;
    for (const Scenario* s : rows) vendors.insert(s->hw->vendor);
    fitted.fitted_vendors.assign(vendors.begin(), vendors.end());
    profile.entries[key] = std::move(fitted);
  }
  TakeStandInPrefill(groups, profile);
  FitFactors(by_factor, profile);
  size_t fitted_rows = 0, factor_rows = 0;
  for (const auto& group : groups) fitted_rows += group.second.size();
  for (const auto& [key, rows] : by_factor) factor_rows += rows.size();
  profile.notes.push_back("fitted on " + std::to_string(fitted_rows) + " rows in " + std::to_string(groups.size()) +
                          " runtime x hardware-class groups");
  if (!by_factor.empty()) {
    profile.notes.push_back("speed factors (older build eras, wrappers) fitted on top of the entries, on " +
                            std::to_string(factor_rows) + " rows for " + std::to_string(by_factor.size()) + " keys");
  }
  return profile;
}

const IntervalBand* PredictionIntervals::For(TestKind k, bool want_stand_in) const {
  if (want_stand_in) {
    if (auto it = stand_in.find(k); it != stand_in.end()) return &it->second;
  }
  auto it = kinds.find(k);
  return it == kinds.end() ? nullptr : &it->second;
}

namespace {

std::map<TestKind, IntervalBand> Bands(const std::map<TestKind, std::vector<double>>& ratios, double coverage) {
  std::map<TestKind, IntervalBand> out;
  for (const auto& entry : ratios) {
    const TestKind kind = entry.first;
    std::vector<double> r =
        entry.second;  // a copy to sort (lambdas cannot capture a structured binding before C++20's P1091 in clang 16)
    r.erase(std::remove_if(r.begin(), r.end(), [](double v) { return !(v > 0) || !std::isfinite(v); }), r.end());
    if (r.size() < 10) continue;
    std::sort(r.begin(), r.end());
    // Linear interpolation between order statistics.
    auto quantile = [&](double q) {
      const double pos = q * static_cast<double>(r.size() - 1);
      const size_t i = static_cast<size_t>(pos);
      const double f = pos - static_cast<double>(i);
      return i + 1 < r.size() ? r[i] * (1 - f) + r[i + 1] * f : r[i];
    };
    const double tail = (1 - coverage) / 2;
    out[kind] = {std::min(1.0, quantile(tail)), std::max(1.0, quantile(1 - tail)), r.size()};
  }
  return out;
}

}  // namespace

PredictionIntervals IntervalsFromRatios(const std::map<TestKind, std::vector<double>>& ratios, double coverage,
                                        const std::map<TestKind, std::vector<double>>& stand_in_ratios) {
  PredictionIntervals out;
  out.coverage = coverage;
  out.kinds = Bands(ratios, coverage);
  out.stand_in = Bands(stand_in_ratios, coverage);
  // A stand-in is never surer than the kind as a whole.
  for (auto& [kind, b] : out.stand_in) {
    if (const auto it = out.kinds.find(kind); it != out.kinds.end()) {
      b.low = std::min(b.low, it->second.low);
      b.high = std::max(b.high, it->second.high);
    }
  }
  return out;
}

}  // namespace tokcast
