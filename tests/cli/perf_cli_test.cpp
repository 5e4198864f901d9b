// End-to-end checks of predict, compare, explain, validate and calibrate.
#include <fstream>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/error.h"
#include "catalog/measurements.h"
#include "cli/context.h"
#include "core/validation.h"
#include "test_util.h"

namespace tokcast {
namespace {

using nlohmann::json;

using test::RunCli;

// The acceptance thresholds of the performance-model issue, on the shipped data and profile.
TEST(PerfCli, ValidateMeetsTheThresholdsOnThePublicData) {
  const auto r = RunCli({"validate", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_TRUE(j.contains("rows") && j.contains("summary"));
  for (const auto& row : j["rows"]) {
    EXPECT_FALSE(row.contains("unsupported")) << row.dump();
    EXPECT_TRUE(row.contains("predicted") && row.contains("bound") && row.contains("measured") && row.contains("ape"));
  }
  const json& s = j["summary"];
  for (const auto& [kind, k] : s.items()) {
    EXPECT_EQ(k["above_bound"], 0) << kind;
    EXPECT_EQ(k["rows"], k["predicted"]) << kind;
  }
  EXPECT_LE(s["tg"]["median_ape"].get<double>(), 12.0);
  EXPECT_LE(s["pp"]["median_ape"].get<double>(), 20.0);
  EXPECT_GE(s["tg"]["within_10"].get<double>(), 0.70);
  EXPECT_EQ(s["tg"]["rows"], 206);  // public.csv 167 + gathered.csv 39
  EXPECT_EQ(s["pp"]["rows"], 289);  // public.csv 167 + gathered.csv 122
}

TEST(PerfCli, MaxMedianApeGatesTheExitCode) {
  // The single-stream sources meet 25%; the serving source's TTFT does not yet (README).
  EXPECT_EQ(RunCli({"validate", "--source", "S01,S02,S05,S07", "--max-median-ape", "25"}).code, 0);
  EXPECT_EQ(RunCli({"validate", "--max-median-ape", "25"}).code, 1);
  const auto r = RunCli({"validate", "--max-median-ape", "0.5"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("median APE above"), std::string::npos);
}

TEST(PerfCli, CalibrateReproducesTheShippedProfile) {
  if (test::kSanitized) GTEST_SKIP() << "release build only: a whole calibration (ServingOverheads* covers the path)";
  const auto r = RunCli({"calibrate"});
  ASSERT_EQ(r.code, 0) << r.err;
  const EfficiencyProfile fresh = catalog::ParseEfficiencyProfile(r.out, "fresh");
  const EfficiencyProfile shipped = catalog::BuiltinEfficiencyProfile();
  ASSERT_EQ(fresh.entries.size(), shipped.entries.size());
  for (const auto& [key, e] : shipped.entries) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(fresh.entries.count(key));
    const Efficiency& f = fresh.entries.at(key);
    // Same data, same deterministic fit: equal up to floating-point differences between
    // compilers and CPUs.
    EXPECT_NEAR(f.memory, e.memory, 0.02 * e.memory);
    EXPECT_NEAR(f.compute, e.compute, 0.02 * e.compute);
    EXPECT_NEAR(f.attention, e.attention, 0.05 * e.attention);
    EXPECT_NEAR(f.layer_overhead_s, e.layer_overhead_s, 0.05 * e.layer_overhead_s + 1e-7);
  }
  ASSERT_EQ(fresh.factors.size(), shipped.factors.size());
  for (const auto& [key, f] : shipped.factors) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(fresh.factors.count(key));
    EXPECT_EQ(fresh.factors.at(key).rows, f.rows);
    EXPECT_NEAR(fresh.factors.at(key).compute, f.compute, 0.03 * f.compute);
    EXPECT_NEAR(fresh.factors.at(key).memory, f.memory, 0.03 * f.memory);
  }
  // The serving overheads: a grid search, so a floating-point tie may pick a neighbouring point;
  // the error it reaches is what must agree.
  ASSERT_EQ(fresh.serving.size(), shipped.serving.size());
  for (const auto& [rt, o] : shipped.serving) {
    SCOPED_TRACE(rt);
    ASSERT_TRUE(fresh.serving.count(rt));
    EXPECT_EQ(fresh.serving.at(rt).runs, o.runs);
    EXPECT_NEAR(fresh.serving.at(rt).loss_after, o.loss_after, 0.02 * o.loss_after);
    EXPECT_LE(o.loss_after, o.loss_before);
  }
}

TEST(PerfCli, ServingOverheadsAreFittedToPublishedRuns) {
  // SV01's five vLLM runs on an RTX 4090: the fit never ends worse than the priors it starts
  // from, and the simulator then uses it.
  test::TempDir dir;
  const auto r = RunCli({"calibrate", "--source", "S01,SV01", "--profile-out", dir.File("p.toml")});
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(dir.File("p.toml"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const EfficiencyProfile p = catalog::ParseEfficiencyProfile(text, "p.toml");
  ASSERT_TRUE(p.serving.count("vllm"));
  const ServingOverheads& o = p.serving.at("vllm");
  EXPECT_EQ(o.runs, 5u);
  EXPECT_LT(o.loss_after, o.loss_before);
  // vLLM's own GEMMs are fitted on its runs too: an entry of its own that says which entry it
  // copies the rest from.
  if (p.entries.count("vllm/discrete_gpu")) {
    const Efficiency& e = p.entries.at("vllm/discrete_gpu");
    EXPECT_GT(e.dense_compute, 0.0);
    EXPECT_LT(e.dense_compute, 1.0);
    EXPECT_FALSE(e.based_on.empty());
    EXPECT_EQ(e.based_on.rfind("vllm", 0), std::string::npos) << e.based_on;
  }
  // The same efficiencies without the fitted overheads: the simulator's difference is theirs.
  EfficiencyProfile p0 = p;
  p0.serving.clear();
  {
    std::ofstream out(dir.File("p0.toml"));
    out << catalog::SerializeEfficiencyProfile(p0, {});
  }
  const std::vector<std::string> sim = {
      "simulate",       "--model", "mistral-7b-v0.3", "--hw", "nvidia-rtx-4090", "--runtime", "vllm", "--quant", "bf16",
      "--request-rate", "0.01",    "--num-requests",  "5",    "--format",        "json"};
  std::vector<std::string> priors = sim, fitted = sim;
  priors.insert(priors.end(), {"--profile", dir.File("p0.toml")});
  fitted.insert(fitted.end(), {"--profile", dir.File("p.toml")});
  const auto a = RunCli(priors), b = RunCli(fitted);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  // At a trickle TTFT is the prefill plus the overheads: the fitted ones instead of vLLM's
  // stated priors (data/runtimes/vllm.toml: 0.3 ms a step, 2 ms a request).
  const double ttft_a = test::Rows(a.out)[0]["ttft_ms"]["median"].get<double>();
  const double ttft_b = test::Rows(b.out)[0]["ttft_ms"]["median"].get<double>();
  EXPECT_NEAR(ttft_b - ttft_a, (o.frontend_s + o.request_s + o.step_s + o.seq_s - (0 + 2e-3 + 3e-4 + 0)) * 1e3,
              1e-6 + 1e-3 * ttft_b);
}

TEST(PerfCli, ShippedIntervalsAreTheHeldOutErrorOfTheShippedData) {
  if (test::kSanitized) GTEST_SKIP() << "release build only: a calibration per source (App.* covers the path)";
  test::TempDir dir;
  const auto r =
      RunCli({"validate", "--leave-one-source-out", "--intervals-out", dir.File("i.toml"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The 80% interval holds within 10 points on sources it did not see: each source is checked
  // against the interval the other sources' held-out rows give.
  double inside = 0, all = 0;
  for (const auto& row : test::Rows(r.out)) {
    if (row["interval_coverage"].is_null()) continue;
    inside += row["interval_coverage"].get<double>() * row["rows"].get<double>();
    all += row["rows"].get<double>();
  }
  ASSERT_GT(all, 300);
  EXPECT_NEAR(inside / all, 0.8, 0.1);
  std::ifstream in(dir.File("i.toml"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const PredictionIntervals fresh = catalog::ParseIntervals(text, "fresh");
  const PredictionIntervals& shipped = catalog::BuiltinIntervals();
  ASSERT_EQ(fresh.kinds.size(), shipped.kinds.size())
      << "regenerate: tokcast validate --leave-one-source-out --intervals-out data/efficiency/intervals.toml";
  for (const auto& [kind, b] : shipped.kinds) {
    SCOPED_TRACE(std::string(ToString(kind)));
    ASSERT_TRUE(fresh.kinds.count(kind));
    EXPECT_NEAR(fresh.kinds.at(kind).low, b.low, 0.02);
    EXPECT_NEAR(fresh.kinds.at(kind).high, b.high, 0.02 * b.high);
    EXPECT_EQ(fresh.kinds.at(kind).rows, b.rows);
  }
  ASSERT_EQ(fresh.stand_in.size(), shipped.stand_in.size());
  for (const auto& [kind, b] : shipped.stand_in) {
    SCOPED_TRACE("stand-in " + std::string(ToString(kind)));
    ASSERT_TRUE(fresh.stand_in.count(kind));
    EXPECT_NEAR(fresh.stand_in.at(kind).low, b.low, 0.02);
    EXPECT_NEAR(fresh.stand_in.at(kind).high, b.high, 0.02 * b.high);
    // A borrowed calibration is never surer than the kind as a whole.
    EXPECT_LE(b.low, shipped.kinds.at(kind).low);
    EXPECT_GE(b.high, shipped.kinds.at(kind).high);
  }
}

TEST(PerfCli, StandInRowsGetTheirOwnWiderBand) {
  std::map<TestKind, std::vector<double>> all, stand_in;
  for (int i = 0; i < 40; ++i) {
    const double own = 0.95 + 0.0025 * i;  // 0.95 .. 1.0475
    all[TestKind::kPp].push_back(own);
    if (i % 4 == 0) {
      const double borrowed = 0.5 + 0.05 * i;  // 0.5 .. 2.45
      all[TestKind::kPp].push_back(borrowed);
      stand_in[TestKind::kPp].push_back(borrowed);
    }
  }
  all[TestKind::kTg] = all[TestKind::kPp];
  stand_in[TestKind::kTg] = {0.9, 1.1};  // fewer than 10: no band of its own
  const PredictionIntervals iv = IntervalsFromRatios(all, 0.8, stand_in);
  ASSERT_TRUE(iv.For(TestKind::kPp) && iv.For(TestKind::kPp, true));
  EXPECT_LT(iv.For(TestKind::kPp, true)->low, iv.For(TestKind::kPp)->low);
  EXPECT_GT(iv.For(TestKind::kPp, true)->high, iv.For(TestKind::kPp)->high);
  EXPECT_EQ(iv.For(TestKind::kPp, true)->rows, 10u);
  EXPECT_EQ(iv.For(TestKind::kTg, true), iv.For(TestKind::kTg));  // falls back to the kind's band
  // Round trip through the TOML file predict reads.
  const PredictionIntervals back = catalog::ParseIntervals(catalog::SerializeIntervals(iv, {"test"}), "t");
  ASSERT_EQ(back.stand_in.size(), 1u);
  EXPECT_NEAR(back.stand_in.at(TestKind::kPp).high, iv.stand_in.at(TestKind::kPp).high, 1e-4);
  EXPECT_THROW(catalog::ParseIntervals("[kinds.pp]\nlow = 0.9\nhigh = 1.1\n[stand_in.pp]\nlow = 2\nhigh = 3\n", "x"),
               catalog::InputError);
}

TEST(PerfCli, PredictionIntervalsHoldTheExpectationAndNeverPassTheBound) {
  const auto rows =
      test::Rows(RunCli({"predict", "--model", "llama-3.1-8b,llama-3.1-70b", "--hw",
                         "nvidia-rtx-4090,apple-m4-max-40c,nvidia-h100-sxm", "--batch", "1,16", "--format", "json"})
                     .out);
  ASSERT_EQ(rows.size(), 12u);
  for (const auto& r : rows) {
    for (const char* k : {"tg_tok_s", "pp_tok_s", "batch_tok_s"}) {
      const auto& i = r[std::string(k) + "_interval"];
      const double e = r[k]["expected"].get<double>(), b = r[k]["bound"].get<double>();
      EXPECT_LE(i["low"].get<double>(), e) << k;
      EXPECT_GE(i["high"].get<double>(), e - 1e-9) << k;
      EXPECT_LE(i["high"].get<double>(), b + 1e-9) << k;
    }
    EXPECT_GE(r["ttft_s_interval"]["low"].get<double>(), r["ttft_s"]["bound"].get<double>() - 1e-12);
  }
}

TEST(PerfCli, CompareWithNoArgumentsIsTheSeedScenario) {
  const auto r = RunCli({"compare", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = test::Rows(r.out);
  ASSERT_EQ(j.size(), 14u);  // 2 models x 7 platforms
  bool saw_m4 = false, saw_4090 = false;
  for (const auto& row : j) {
    if (row["hardware"] == "apple-m4-max-40c" && row["model"] == "llama-3.1-70b") {
      saw_m4 = true;
      EXPECT_LT(row["tg_tok_s"]["bound"].get<double>(), 14.0);
      ASSERT_TRUE(row.contains("claims"));
      EXPECT_EQ(row["claims"][0]["claimed"], 28.0);
      EXPECT_FALSE(row["claims"][0]["possible"].get<bool>());
    }
    if (row["hardware"] == "nvidia-rtx-4090" && row["model"] == "llama-3.1-70b") {
      saw_4090 = true;
      EXPECT_FALSE(row["fits"].get<bool>());
      EXPECT_LT(row["layers_on_device"].get<int>(), 80);
      EXPECT_TRUE(row.contains("offload"));
      EXPECT_TRUE(row["usd_per_mtok"].is_number());
      EXPECT_TRUE(row["power_w"].is_number());
    }
  }
  EXPECT_TRUE(saw_m4 && saw_4090);
  const auto table = RunCli({"compare"});
  EXPECT_NE(table.out.find("IMPOSSIBLE"), std::string::npos);
  EXPECT_NE(table.out.find("$/Mtok"), std::string::npos);
}

TEST(PerfCli, PredictJsonAndClaims) {
  const auto r = RunCli({"predict", "--model", "llama-3.1-8b", "--quant", "q4_k_m", "--hw", "nvidia-rtx-4090",
                         "--batch", "1,8", "--claim-tg", "1000", "--claim-ttft", "0.0001", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = test::Rows(r.out);
  ASSERT_EQ(j.size(), 2u);
  for (const auto& o : j) {
    for (const char* k : {"ttft_s", "pp_tok_s", "tg_tok_s"}) {
      ASSERT_TRUE(o[k].contains("expected") && o[k].contains("bound")) << k;
      EXPECT_LE(o[k]["expected"].get<double>(), o[k]["bound"].get<double>() * (std::string(k) == "ttft_s" ? 1e9 : 1.0));
    }
    EXPECT_GE(o["ttft_s"]["expected"].get<double>(), o["ttft_s"]["bound"].get<double>());
    EXPECT_TRUE(o.contains("limits") && o.contains("joules_per_token") && o.contains("usd_per_mtok"));
    // Batch 1 streams the weights (at batch 8 the 4090's FP32 rate and its bandwidth are close
    // to a tie; the 3090, below, is not).
    if (o["batch"] == 1) EXPECT_EQ(o["limits"]["decode"], "memory");
    ASSERT_EQ(o["claims"].size(), 2u);
    EXPECT_EQ(o["claims"][0]["metric"], "tg");
    EXPECT_FALSE(o["claims"][0]["possible"].get<bool>());
    EXPECT_FALSE(o["claims"][1]["possible"].get<bool>());
  }
  EXPECT_GT(j[1]["batch_tok_s"]["expected"].get<double>(), 4 * j[0]["batch_tok_s"]["expected"].get<double>());
  // At batch 8 llama.cpp's mmvq does eight dot products per weight on the CUDA cores, which on
  // an RTX 3090 takes longer than the streaming (it prefills at -ub 8 only 3.7x faster than at
  // -ub 1: gathered rows G14).
  const auto b8 = RunCli({"predict", "--model", "llama-3.1-8b", "--quant", "q4_0", "--hw", "nvidia-rtx-3090", "--batch",
                          "8", "--format", "json"});
  ASSERT_EQ(b8.code, 0) << b8.err;
  EXPECT_EQ(test::Rows(b8.out)[0]["limits"]["decode"], "compute");
}

TEST(PerfCli, ExplainListsOperators) {
  const auto r = RunCli({"explain", "--model", "qwen3-30b-a3b", "--hw", "apple-m4-max-40c", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = test::Rows(r.out);
  std::set<std::string> ops;
  for (const auto& row : j) ops.insert(row["op"].get<std::string>());
  for (const char* op : {"attn_proj", "attention", "moe_router", "moe_experts", "lm_head"})
    EXPECT_TRUE(ops.count(op)) << op;
  EXPECT_EQ(RunCli({"explain", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090,nvidia-rtx-5090"}).code, 1);
}

// The measurement CSV header, and the shipped profile's predictions for rows of these shapes
// (everything up to the value column) with these notes.
const std::string kCsvHeader =
    "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,"
    "notes\n";

std::vector<double> ShippedPredictions(test::TempDir& dir, const std::vector<std::string>& shapes,
                                       const std::string& notes) {
  {
    std::ofstream f(dir.File("probe.csv"));
    f << kCsvHeader;
    for (const auto& s : shapes) f << s << ",1,tok/s,X,,\"" << notes << "\"\n";
  }
  const auto r = RunCli({"validate", "--data", dir.File("probe.csv"), "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<double> out;
  const json j = json::parse(r.out);  // named: a range-for over a temporary's member dangles
  for (const auto& row : j["rows"]) out.push_back(row["predicted"].get<double>());
  EXPECT_EQ(out.size(), shapes.size());
  out.resize(shapes.size());
  return out;
}

// The profile `calibrate` writes for a measurement CSV.
EfficiencyProfile Calibrated(test::TempDir& dir, const std::string& csv, std::string* text = nullptr) {
  const auto r = RunCli({"calibrate", "--data", csv, "--profile-out", dir.File("p.toml")});
  EXPECT_EQ(r.code, 0) << r.err;
  std::ifstream in(dir.File("p.toml"));
  std::stringstream ss;
  ss << in.rdbuf();
  if (text) *text = ss.str();
  return catalog::ParseEfficiencyProfile(ss.str(), "p.toml");
}

// A prefill at -ub 1 runs no GEMM: it streams the weights as decode does, so calibrate fits
// the decode parameters on it (a group of such rows alone has no decode row to fit them on),
// and leaves the GEMMs' efficiencies, which it cannot see, at their priors (a fit of a
// parameter no row constrains once drifted to 0.0006, a profile the parser then refused).
TEST(PerfCli, CalibrateTakesSingleTokenPrefillsAsDecodeEvidence) {
  test::TempDir dir;
  const std::vector<std::string> shapes = {"nvidia-rtx-4090,1,llama.cpp-cuda,llama-3.1-8b,bf16,pp,512,,0,1",
                                           "nvidia-rtx-3090,1,llama.cpp-cuda,llama-3.2-1b,f16,pp,512,,0,1",
                                           "nvidia-rtx-5090,1,llama.cpp-cuda,llama-3.2-1b,bf16,pp,512,,0,1",
                                           "nvidia-rtx-3090,1,llama.cpp-cuda,llama-3.1-8b,q4_0,pp,512,,0,1",
                                           "nvidia-rtx-4090,1,llama.cpp-cuda,llama-3.1-8b,q4_0,pp,512,,0,1"};
  const std::vector<double> probe = ShippedPredictions(dir, shapes, "flags: ub=1");
  {
    std::ofstream f(dir.File("ub1.csv"));
    f << kCsvHeader;
    for (size_t i = 0; i < shapes.size(); ++i)
      f << shapes[i] << "," << 1.2 * probe[i] << ",tok/s,X,,\"2026-03-01; flags: ub=1\"\n";
  }
  std::string text;
  const EfficiencyProfile p = Calibrated(dir, dir.File("ub1.csv"), &text);
  const EfficiencyProfile builtin = catalog::BuiltinEfficiencyProfile();  // by value: keep it named
  const Efficiency& shipped = builtin.entries.at("llama.cpp-cuda/discrete_gpu");
  const Efficiency& fitted = p.entries.at("llama.cpp-cuda/discrete_gpu");
  EXPECT_DOUBLE_EQ(fitted.dense_compute, 0.5) << text;  // the prior: no row runs a 16-bit GEMM
  EXPECT_DOUBLE_EQ(fitted.compute, 0.5) << text;
  EXPECT_NE(fitted.memory, shipped.memory) << text;
  const auto r =
      RunCli({"validate", "--data", dir.File("ub1.csv"), "--profile", dir.File("p.toml"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json held = json::parse(r.out);
  for (const auto& row : held["rows"]) EXPECT_LT(row["ape"].get<double>(), 6) << row.dump();
}

// A group whose rows are all decode has measured no GEMM and no attention: its prefill takes
// the fit the runtime would stand in with (CUDA's on the same class), and says so, instead of
// generic priors that predicted a Strix Halo's Vulkan prefill 2-3x too fast (llama.cpp #16900's
// decode rows there; DGX Spark rows made from the shipped profile's predictions).
TEST(PerfCli, CalibrateGivesADecodeOnlyGroupTheStandInsPrefill) {
  test::TempDir dir;
  const std::vector<std::string> spark = {"nvidia-dgx-spark,1,llama.cpp-cuda,llama-3.1-8b,q4_0,pp,512,,0,1",
                                          "nvidia-dgx-spark,1,llama.cpp-cuda,llama-3.1-8b,q4_0,pp,512,,8192,1",
                                          "nvidia-dgx-spark,1,llama.cpp-cuda,llama-3.1-8b,q4_0,tg,,128,0,1"};
  const std::vector<double> probe = ShippedPredictions(dir, spark, "");
  {
    std::ofstream f(dir.File("mix.csv"));
    f << kCsvHeader;
    for (size_t i = 0; i < spark.size(); ++i) f << spark[i] << "," << probe[i] << ",tok/s,X,,\n";
    const std::string sh = "amd-ryzen-ai-max-395,1,llama.cpp-vulkan,llama-3.1-8b,";
    for (const auto& [q, v] :
         std::vector<std::pair<std::string, double>>{{"q2_k", 60.17}, {"q3_k_s", 48.09}, {"q4_k_s", 43.42}})
      f << sh << q << ",tg,,128,0,1," << v << ",tok/s,G30,,\n";
  }
  std::string text;
  const EfficiencyProfile p = Calibrated(dir, dir.File("mix.csv"), &text);
  const Efficiency& cuda = p.entries.at("llama.cpp-cuda/unified_soc");
  const Efficiency& vulkan = p.entries.at("llama.cpp-vulkan/unified_soc/AMD");
  EXPECT_EQ(vulkan.prefill_from, "llama.cpp-cuda/unified_soc") << text;
  EXPECT_DOUBLE_EQ(vulkan.compute, cuda.compute) << text;
  EXPECT_DOUBLE_EQ(vulkan.attention, cuda.attention) << text;
  EXPECT_NE(vulkan.memory, cuda.memory) << text;  // its decode is its own
  EXPECT_TRUE(cuda.prefill_from.empty()) << text;
  const auto r = RunCli({"predict", "--model", "llama-3.1-8b", "--quant", "q4_k_s", "--hw", "amd-ryzen-ai-max-395",
                         "--runtime", "llama.cpp-vulkan", "--profile", dir.File("p.toml")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("llama.cpp-cuda/unified_soc (its GEMM and attention efficiencies"), std::string::npos) << r.out;
}

// The roofline's max() leaves plateaus the simplex does not leave: at the prior attention
// efficiency (0.4) a 512-token pass at 16k depth on a Strix Halo is bound by its KV reads, so a
// lower efficiency changes nothing nearby, while the measured rows (llama.cpp #22880, ROCm on the
// Radeon 8060S, -ub 16 to 512) run at 0.53-0.75 of that speed: their attention runs at ~6% of
// the FP16 peak. The fit tries each efficiency over a wide range before its restart, and finds it.
TEST(PerfCli, CalibrateLeavesARooflinePlateau) {
  test::TempDir dir;
  {
    std::ofstream f(dir.File("sh.csv"));
    f << kCsvHeader;
    const std::string hw = "amd-ryzen-ai-max-395,1,llama.cpp-rocm,llama-3.1-8b,";
    for (const auto& [ub, v] : std::vector<std::pair<int, double>>{{2, 58.29},
                                                                   {4, 106.31},
                                                                   {8, 167.97},
                                                                   {16, 286.63},
                                                                   {32, 282.63},
                                                                   {64, 363.79},
                                                                   {128, 257.61},
                                                                   {256, 271.95},
                                                                   {512, 289.23}})
      f << hw << "q4_0,pp,512,,16384,1," << v << ",tok/s,G26,,\"flags: ub=" << ub << "\"\n";
    // llama.cpp #18749's ROCm column and #18666's IQ2_XXS sweep on the same GPU.
    for (const auto& [q, d, v] : std::vector<std::tuple<std::string, int, double>>{{"q4_0", 0, 815.22},
                                                                                   {"q4_0", 8192, 321.66},
                                                                                   {"q4_k_s", 0, 995.81},
                                                                                   {"q4_k_s", 8192, 352.08},
                                                                                   {"q8_0", 0, 755.86},
                                                                                   {"q8_0", 8192, 317.44}})
      f << hw << q << ",pp,512,," << d << ",1," << v << ",tok/s,G25,,\n";
    for (const auto& [ub, v] :
         std::vector<std::pair<int, double>>{{256, 1003.37}, {512, 1024.84}, {1024, 1075.43}, {2048, 1085.14}})
      f << hw << "iq2_xxs,pp,2048,,0,1," << v << ",tok/s,G27,,\"flags: ub=" << ub << "\"\n";
  }
  std::string text;
  const EfficiencyProfile p = Calibrated(dir, dir.File("sh.csv"), &text);
  EXPECT_LT(p.entries.at("llama.cpp-rocm/unified_soc").attention, 0.2) << text;
  const auto r =
      RunCli({"validate", "--data", dir.File("sh.csv"), "--profile", dir.File("p.toml"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json v = json::parse(r.out);  // named: a loop over a temporary's member would dangle
  for (const auto& row : v["rows"]) {
    if (row["source"] == "G26") EXPECT_LT(row["ape"].get<double>(), 25) << row.dump();
  }
}

// Rows of an older build fit that era's two speed factors on top of the entries: measured
// values made from the shipped profile's own predictions, the 2024 builds' at 0.7x its prefill
// and 0.8x its decode, one old row for every four of today's. The entries are fitted on every
// row with the factors at their priors (validation.cpp says why), so the entries take a share
// of the difference as large as the old rows' share of the group, and the factors the rest (in
// the shipped data the old rows are 6 of 200).
TEST(PerfCli, CalibrateFitsABuildEraOnItsRows) {
  test::TempDir dir;
  const std::vector<std::string> shapes = {"nvidia-rtx-4090,1,llama.cpp-cuda,llama-3.1-8b,q4_0,pp,512,,0,1",
                                           "nvidia-rtx-4090,1,llama.cpp-cuda,llama-3.1-8b,q4_0,tg,,128,0,1",
                                           "nvidia-rtx-3090,1,llama.cpp-cuda,llama-3.1-8b,q4_k_m,pp,512,,0,1",
                                           "nvidia-rtx-3090,1,llama.cpp-cuda,llama-3.1-8b,q4_k_m,tg,,128,0,1",
                                           "nvidia-rtx-3080-10,1,llama.cpp-cuda,mistral-7b-v0.3,q8_0,pp,512,,0,1",
                                           "nvidia-rtx-3080-10,1,llama.cpp-cuda,mistral-7b-v0.3,q8_0,tg,,128,0,1"};
  const std::vector<double> probe = ShippedPredictions(dir, shapes, "");
  {
    std::ofstream f(dir.File("eras.csv"));
    f << kCsvHeader;
    for (size_t i = 0; i < shapes.size(); ++i) {
      const double p = probe[i];
      const bool pp = shapes[i].find(",pp,") != std::string::npos;
      for (int copy = 0; copy < 4; ++copy) f << shapes[i] << "," << p << ",tok/s,NOW,,\"2026-03-01\"\n";
      f << shapes[i] << "," << p * (pp ? 0.7 : 0.8) << ",tok/s,OLD,,\"build: 93bc3839 (3622)\"\n";
    }
  }
  std::string text;
  const EfficiencyProfile p = Calibrated(dir, dir.File("eras.csv"), &text);
  ASSERT_TRUE(p.factors.count("llama.cpp-cuda@2024")) << text;
  const SpeedFactors& f = p.factors.at("llama.cpp-cuda@2024");
  EXPECT_EQ(f.rows, 6u);
  EXPECT_LT(f.compute, 0.95);
  EXPECT_LT(f.memory, 0.95);
  EXPECT_GT(f.memory, 0.7);
  // Held to that profile, today's rows and the old build's are both close.
  auto r = RunCli({"validate", "--data", dir.File("eras.csv"), "--profile", dir.File("p.toml"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json held = json::parse(r.out);  // a named object: a range-for over a temporary's member dangles
  for (const auto& row : held["rows"]) EXPECT_LT(row["ape"].get<double>(), 15) << row.dump();
  // predict at that build says which era and what it takes.
  r = RunCli({"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--quant", "q4_0", "--profile",
              dir.File("p.toml"), "--runtime-version", "b3622", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json row = test::Rows(r.out)[0];
  ASSERT_TRUE(row.contains("speed_factors")) << row.dump();
  EXPECT_NE(row["speed_factors"][0].get<std::string>().find("era 2024"), std::string::npos);
  EXPECT_NE(row["speed_factors"][0].get<std::string>().find("fitted on 6 rows"), std::string::npos);
  const auto now = RunCli({"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--quant", "q4_0",
                           "--profile", dir.File("p.toml"), "--format", "json"});
  ASSERT_EQ(now.code, 0) << now.err;
  const json current = test::Rows(now.out)[0];
  EXPECT_FALSE(current.contains("speed_factors"));
  EXPECT_LT(row["tg_tok_s"]["expected"].get<double>(), current["tg_tok_s"]["expected"].get<double>());
  // A version it cannot place is a one-line error.
  const auto bad =
      RunCli({"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--runtime-version", "v1.2"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--runtime-version: 'v1.2' is not a version"), std::string::npos) << bad.err;
  // A runtime without eras says the version changed nothing, rather than ignoring it.
  const auto metal = RunCli({"predict", "--model", "llama-3.1-8b", "--hw", "apple-m4-max-40c", "--runtime-version",
                             "2024-03", "--format", "json"});
  ASSERT_EQ(metal.code, 0) << metal.err;
  const json warned = test::Rows(metal.out)[0];
  ASSERT_EQ(warned["warnings"].size(), 1u) << warned.dump();
  EXPECT_NE(warned["warnings"][0].get<std::string>().find("declares no build eras"), std::string::npos);
}

TEST(PerfCli, BadMeasurementFilesAreOneLineErrors) {
  test::TempDir dir;
  { std::ofstream(dir.File("bad.csv")) << "hardware,runtime\nx,y\n"; }
  auto r = RunCli({"validate", "--data", dir.File("bad.csv")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing column"), std::string::npos) << r.err;
  {
    std::ofstream f(dir.File("val.csv"));
    f << "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,"
         "notes\n";
    f << "nvidia-rtx-4090,1,llama.cpp-cuda,llama-2-7b,q4_0,tg,,128,0,1,abc,tok/s,X,,\n";
  }
  r = RunCli({"validate", "--data", dir.File("val.csv")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("val.csv:2: column value"), std::string::npos) << r.err;
  {
    std::ofstream f(dir.File("unknown.csv"));
    f << "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,"
         "notes\n";
    f << "nvidia-rtx-9999,1,llama.cpp-cuda,llama-2-7b,q4_0,tg,,128,0,1,100,tok/s,X,,\n";
    f << "nvidia-rtx-4090,2,llama.cpp-cuda,llama-3.1-70b,q4_k_m,tg,,128,0,1,18,tok/s,X,,\"flags: fa=1\"\n";
  }
  r = RunCli({"validate", "--data", dir.File("unknown.csv"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_NE(j["rows"][0]["unsupported"].get<std::string>().find("unknown hardware"), std::string::npos);
  EXPECT_TRUE(j["rows"][1].contains("predicted"));  // two GPUs, layer split
}

}  // namespace
}  // namespace tokcast
