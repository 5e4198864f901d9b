// The serving model: the simulator's mechanics on hand-made costs, its metrics' definitions, and
// its properties against the core roofline (never above the bound; at low load it is the
// single-request prefill and the batch-1 decode step).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/session.h"
#include "app/simulate.h"
#include "serve/metrics.h"
#include "serve/simulator.h"
#include "test_util.h"

namespace tokcast {
namespace {

using serve::Request;
using serve::SchedulerConfig;

// A step costs 1 ms plus 1 us per token: easy to reason about by hand.
double LinearCost(const StepBatch& b) {
  double tokens = b.decode_seqs;
  for (const auto& c : b.chunks) tokens += c.tokens;
  return 1e-3 + 1e-6 * tokens;
}

SchedulerConfig Config() {
  SchedulerConfig c;
  c.max_num_seqs = 64;
  c.max_batched_tokens = 512;
  c.block_size = 16;
  c.kv_capacity_tokens = 1 << 20;
  return c;
}

TEST(Serve, OneRequestByHand) {
  // 1000 prompt tokens in chunks of 512: two steps; the second yields the first token, then 9
  // decode steps for the other 9 tokens.
  const auto r = serve::Simulate({Request{0, 0.0, 1000, 10}}, Config(), LinearCost);
  ASSERT_EQ(r.requests.size(), 1u);
  const auto& q = r.requests[0];
  ASSERT_TRUE(q.completed);
  EXPECT_EQ(q.output_tokens, 10u);
  EXPECT_NEAR(q.first_token_s, (1e-3 + 512e-6) + (1e-3 + 488e-6), 1e-12);
  EXPECT_NEAR(q.finish_s - q.first_token_s, 9 * (1e-3 + 1e-6), 1e-12);
  EXPECT_EQ(r.steps, 11u);
  EXPECT_EQ(r.itl_s.size(), 9u);
  const auto m = serve::Summarize(r, {});
  EXPECT_NEAR(m.tpot_s.mean, 1e-3 + 1e-6, 1e-12);  // (E2E - TTFT) / (out - 1)
  EXPECT_NEAR(m.ttft_s.mean, q.first_token_s, 1e-12);
}

TEST(Serve, TheFrontendTakesRequestsOneAtATime) {
  // 100 requests at once through a frontend of 10 ms each: the engine sees one every 10 ms, so
  // the last one's TTFT includes a second of frontend queue, and requests finish no faster than
  // 100/s however fast the engine is.
  SchedulerConfig c = Config();
  c.frontend_s = 0.01;
  c.request_overhead_s = 0.002;
  std::vector<Request> reqs;
  for (uint64_t i = 0; i < 100; ++i) reqs.push_back(Request{i, 0.0, 10, 2});
  const auto r = serve::Simulate(reqs, c, LinearCost);
  ASSERT_TRUE(r.requests[99].completed);
  EXPECT_GE(r.requests[99].first_token_s, 100 * 0.01 + 0.002);
  EXPECT_LT(r.requests[99].first_token_s, 100 * 0.01 + 0.002 + 0.003);  // then one step
  EXPECT_GE(r.requests[0].first_token_s, 0.012);
  const auto m = serve::Summarize(r, {});
  EXPECT_LE(m.request_throughput, 100.0 + 1e-9);
}

TEST(Serve, EverySequenceInAStepAddsItsCpuCost) {
  // Two requests decoding together: each step costs the batch plus 0.5 ms per sequence.
  SchedulerConfig c = Config();
  c.seq_overhead_s = 5e-4;
  const auto one = serve::Simulate({Request{0, 0.0, 10, 11}}, c, LinearCost);
  const auto two = serve::Simulate({Request{0, 0.0, 10, 11}, Request{1, 0.0, 10, 11}}, c, LinearCost);
  const double step1 = 1e-3 + 1e-6 + 5e-4, step2 = 1e-3 + 2e-6 + 2 * 5e-4;
  EXPECT_NEAR(one.requests[0].finish_s - one.requests[0].first_token_s, 10 * step1, 1e-12);
  EXPECT_NEAR(two.requests[0].finish_s - two.requests[0].first_token_s, 10 * step2, 1e-12);
}

TEST(Serve, RunningRequestsGoFirstAndShareSteps) {
  // A second request arriving while the first decodes joins its steps (continuous batching).
  const auto r = serve::Simulate({Request{0, 0.0, 100, 50}, Request{1, 0.01, 100, 50}}, Config(), LinearCost);
  const auto& a = r.requests[0];
  const auto& b = r.requests[1];
  ASSERT_TRUE(a.completed && b.completed);
  EXPECT_LT(b.first_token_s, a.finish_s);
  EXPECT_LT(r.steps, 2u * 51u);  // shared steps, not one after the other
}

TEST(Serve, ASmallKvPoolPreemptsAndStillFinishesEverything) {
  SchedulerConfig c = Config();
  c.kv_capacity_tokens = 4096;  // room for ~3 requests of 1000 + 300
  std::vector<Request> reqs;
  for (uint64_t i = 0; i < 16; ++i) reqs.push_back({i, 0.0, 1000, 300});
  const auto r = serve::Simulate(reqs, c, LinearCost);
  for (const auto& q : r.requests) EXPECT_TRUE(q.completed);
  EXPECT_GT(r.preemptions, 0u);
  EXPECT_LE(r.peak_kv_used_fraction, 1.0);
  const auto m = serve::Summarize(r, {});
  EXPECT_TRUE(m.near_saturation);
  // A request that can never fit is an error, not a hang.
  EXPECT_THROW(serve::Simulate({Request{0, 0.0, 5000, 10}}, c, LinearCost), std::invalid_argument);
}

TEST(Serve, APrefixCacheComputesASharedPrefixOnce) {
  // Four requests with the same 1000-token prefix, one after the other: the first prefills all
  // 1100 tokens; the rest read the prefix's 62 full blocks (992 tokens) and prefill 108.
  SchedulerConfig c = Config();
  c.prefix_caching = true;
  std::vector<Request> reqs;
  for (uint64_t i = 0; i < 4; ++i) reqs.push_back({i, 10.0 * i, 1100, 5, 7, 1000});
  const auto r = serve::Simulate(reqs, c, LinearCost);
  EXPECT_EQ(r.prompt_tokens, 4u * 1100u);
  EXPECT_EQ(r.cached_prompt_tokens, 3u * 992u);
  const auto& first = r.requests[0];
  EXPECT_NEAR(first.first_token_s, (1e-3 + 512e-6) + (1e-3 + 512e-6) + (1e-3 + 76e-6), 1e-12);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_NEAR(r.requests[i].first_token_s - r.requests[i].arrival_s, 1e-3 + 108e-6, 1e-12);
  }
  // Off, or without a prefix id, every prompt is prefilled whole.
  c.prefix_caching = false;
  EXPECT_EQ(serve::Simulate(reqs, c, LinearCost).cached_prompt_tokens, 0u);
  c.prefix_caching = true;
  for (auto& q : reqs) q.prefix_id = -1;
  EXPECT_EQ(serve::Simulate(reqs, c, LinearCost).cached_prompt_tokens, 0u);
}

TEST(Serve, CachedPrefixesAreEvictedBeforeAnythingIsPreempted) {
  // A pool of 4096 tokens and 12 distinct 1000-token prefixes: each finished request leaves its
  // prefix cached until a later one needs the room.
  SchedulerConfig c = Config();
  c.prefix_caching = true;
  c.kv_capacity_tokens = 4096;
  std::vector<Request> reqs;
  for (uint64_t i = 0; i < 24; ++i) reqs.push_back({i, 0.5 * i, 1200, 20, static_cast<int64_t>(i % 12), 1000});
  const auto r = serve::Simulate(reqs, c, LinearCost);
  for (const auto& q : r.requests) EXPECT_TRUE(q.completed);
  EXPECT_GT(r.prefix_evictions, 0u);
  EXPECT_EQ(r.preemptions, 0u);
  EXPECT_LE(r.peak_kv_used_fraction, 1.0);
  // Under pressure (everything at once) it still finishes everything.
  for (auto& q : reqs) q.arrival_s = 0;
  const auto burst = serve::Simulate(reqs, c, LinearCost);
  for (const auto& q : burst.requests) EXPECT_TRUE(q.completed);
}

TEST(Serve, ReplicasBehindARoundRobinBalancerEachServeTheirShare) {
  std::vector<Request> reqs;
  for (uint64_t i = 0; i < 40; ++i) reqs.push_back({i, 0.01 * i, 300, 40});
  const auto fleet = serve::SimulateReplicas(reqs, Config(), LinearCost, 2);
  ASSERT_EQ(fleet.requests.size(), 40u);
  // Replica 1 serves the odd requests, exactly as a server of its own would.
  std::vector<Request> odd;
  for (uint64_t i = 1; i < 40; i += 2) odd.push_back({odd.size(), 0.01 * i, 300, 40});
  const auto alone = serve::Simulate(odd, Config(), LinearCost);
  for (size_t k = 0; k < odd.size(); ++k) {
    EXPECT_DOUBLE_EQ(fleet.requests[2 * k + 1].first_token_s, alone.requests[k].first_token_s);
    EXPECT_DOUBLE_EQ(fleet.requests[2 * k + 1].finish_s, alone.requests[k].finish_s);
  }
  // Saturated (a closed loop of 64 split 32 + 32): twice one replica's throughput, at 32.
  std::vector<Request> many;
  for (uint64_t i = 0; i < 400; ++i) many.push_back({i, 0.0, 300, 40});
  const auto two = serve::Summarize(serve::SimulateReplicas(many, Config(), LinearCost, 2, 64u), {});
  many.resize(200);
  const auto one = serve::Summarize(serve::Simulate(many, Config(), LinearCost, 32u), {});
  EXPECT_NEAR(two.output_throughput, 2 * one.output_throughput, 0.02 * two.output_throughput);
}

TEST(Serve, DisaggregatedServingByHand) {
  // 1000 prompt tokens prefill in two steps on the prefill replica (chunks of 512); the KV takes
  // 5 ms to the decode replica, which makes the other 9 tokens in 9 steps.
  serve::DisaggConfig d;
  d.prefill = d.decode = Config();
  d.kv_transfer_s = [](uint32_t tokens) { return 5e-6 * tokens; };
  const auto r = serve::SimulateDisaggregated({Request{0, 0.0, 1000, 10}}, d, LinearCost);
  ASSERT_EQ(r.requests.size(), 1u);
  const auto& q = r.requests[0];
  ASSERT_TRUE(q.completed);
  EXPECT_EQ(q.output_tokens, 10u);
  const double t1 = (1e-3 + 512e-6) + (1e-3 + 488e-6);
  EXPECT_NEAR(q.first_token_s, t1, 1e-12);
  // The decode replica's steps price the KV the request brought: 1 token each.
  EXPECT_NEAR(q.finish_s, t1 + 5e-3 + 9 * (1e-3 + 1e-6), 1e-12);
  ASSERT_EQ(r.itl_s.size(), 9u);
  const double first_gap = *std::max_element(r.itl_s.begin(), r.itl_s.end());
  EXPECT_NEAR(first_gap, 5e-3 + 1e-3 + 1e-6, 1e-7);  // the transfer is in the first gap
  const auto m = serve::Summarize(r, {});
  EXPECT_NEAR(m.tpot_s.mean, (5e-3 + 9 * (1e-3 + 1e-6)) / 9, 1e-9);
  // One output token: done at the prefill replica.
  EXPECT_TRUE(serve::SimulateDisaggregated({Request{0, 0.0, 100, 1}}, d, LinearCost).requests[0].completed);
}

TEST(Serve, ClosedLoopKeepsTheConcurrency) {
  std::vector<Request> reqs;
  for (uint64_t i = 0; i < 40; ++i) reqs.push_back({i, 0.0, 200, 20});
  const auto r = serve::Simulate(reqs, Config(), LinearCost, 4);
  for (const auto& p : r.series) EXPECT_LE(p.running + p.waiting, 4u);
  for (const auto& q : r.requests) EXPECT_TRUE(q.completed);
}

TEST(Serve, SlotServersRejectWhatExceedsASlot) {
  SchedulerConfig c = Config();
  c.policy = serve::Policy::kSlots;
  c.max_num_seqs = 2;
  c.slot_tokens = 1024;
  const auto r =
      serve::Simulate({Request{0, 0.0, 900, 50}, Request{1, 0.0, 2000, 50}, Request{2, 0.0, 100, 10}}, c, LinearCost);
  EXPECT_TRUE(r.requests[0].completed);
  EXPECT_FALSE(r.requests[1].completed);
  EXPECT_TRUE(r.requests[2].completed);
  EXPECT_EQ(serve::Summarize(r, {}).failed, 1u);
}

TEST(Serve, GoodputCountsRequestsMeetingEverySlo) {
  serve::SimResult r;
  r.requests = {{0, 0.0, 0.1, 1.0, 10, 11, 0, true}, {1, 0.0, 0.5, 1.0, 10, 11, 0, true}};
  const auto m = serve::Summarize(r, {0.2, 0.1});  // TTFT <= 200 ms, TPOT <= 100 ms
  EXPECT_DOUBLE_EQ(m.duration_s, 1.0);
  EXPECT_DOUBLE_EQ(m.goodput, 1.0);  // the first only: TTFT 0.1, TPOT 0.09
  EXPECT_DOUBLE_EQ(m.slo_attainment, 0.5);
  EXPECT_DOUBLE_EQ(m.output_throughput, 22.0);
}

TEST(Serve, GeneratedWorkloadsHaveTheirRate) {
  serve::WorkloadSpec s;
  s.rate = 20;
  s.num_requests = 20000;
  s.isl = {500, 1500};
  const auto reqs = serve::Generate(s);
  ASSERT_EQ(reqs.size(), 20000u);
  EXPECT_NEAR(static_cast<double>(reqs.size()) / reqs.back().arrival_s, 20.0, 0.5);
  for (const auto& q : reqs) EXPECT_TRUE(q.input_tokens >= 500 && q.input_tokens <= 1500);
  s.arrival = serve::Arrival::kGamma;
  s.burstiness = 0.25;  // burstier: the same mean rate, larger spread of gaps
  const auto bursty = serve::Generate(s);
  EXPECT_NEAR(static_cast<double>(bursty.size()) / bursty.back().arrival_s, 20.0, 1.0);
  s.rate = 0;
  EXPECT_THROW(serve::Generate(s), std::invalid_argument);
}

// ---- against the core roofline, through the app ----

app::SimulateRequest Vllm8b() {
  app::SimulateRequest r;
  r.model = "llama-3.1-8b";
  r.hardware = "nvidia-h100-sxm";
  r.runtime = "vllm";
  r.workload.isl = {1000, 1000};
  r.workload.osl = {200, 200};
  return r;
}

TEST(Serve, AtVeryLowRateTtftIsOnePrefillAndTpotTheBatchOneStep) {
  app::SimulateRequest r = Vllm8b();
  r.workload.rate = 0.05;  // one request every 20 s: never two at once
  r.workload.num_requests = 20;
  const auto s = app::Simulate(test::BuiltinCatalog(), r);
  // The same steps, priced by hand through the core.
  const auto& cat = test::BuiltinCatalog();
  const auto& hw = cat.Hardware("nvidia-h100-sxm");
  const auto& rt = cat.Runtime("vllm");
  std::vector<TensorInfo> tensors = BuildTensorInventory(cat.Model("llama-3.1-8b").spec);
  ApplyRecipe(cat.Quant("bf16"), 32, tensors);
  const ModelSpec& spec = cat.Model("llama-3.1-8b").spec;
  const PreparedModel pm = PrepareModel(spec, tensors, &cat.Quant("bf16"));
  const MemoryPlan plan =
      PlanMemory(spec, MakeFootprint(spec, tensors), hw, rt, Workload{1200, 1, TensorType::kF16}, {}).plan;
  const EfficiencyProfile profile = app::LoadProfile("");
  const PerfContext pc{pm, hw, rt, plan, profile.For(rt, hw)};
  PerfWorkload w;
  StepBatch prefill;
  prefill.chunks.push_back({0, 1000, true});
  const double ttft = s.scheduler.frontend_s + s.scheduler.request_overhead_s + StepTime(pc, w, prefill, false) +
                      s.scheduler.step_overhead_s + s.scheduler.seq_overhead_s;
  EXPECT_NEAR(s.metrics.ttft_s.median, ttft, 1e-9 * ttft + 1e-12);
  // TPOT: the batch-1 decode step at the mean depth of generation (attention is linear in depth).
  PerfWorkload dec;
  dec.batch = 1;
  dec.prompt = 0;
  dec.depth = 1000;
  dec.gen = 199;
  const double step =
      tokcast::Predict(pc, dec).decode.time_s + s.scheduler.step_overhead_s + s.scheduler.seq_overhead_s;
  EXPECT_NEAR(s.metrics.tpot_s.median, step, 0.01 * step);
  EXPECT_EQ(s.metrics.preemptions, 0u);
  EXPECT_FALSE(s.metrics.near_saturation);
}

TEST(Serve, SimulatedThroughputNeverBeatsTheBound) {
  std::mt19937 rng(7);
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> setups = {
      {"llama-3.1-8b", "nvidia-h100-sxm", "vllm", "bf16"},
      {"llama-3.1-8b", "nvidia-h100-sxm", "trtllm", "fp8"},
      {"qwen3-30b-a3b", "nvidia-h100-sxm", "sglang", "bf16"},
      {"llama-3.1-8b", "nvidia-rtx-4090", "llama.cpp-cuda", "q4_k_m"},
      {"llama-3.1-8b", "apple-m4-max-40c", "mlx", "mlx-4bit"}};
  for (const auto& [model, hw, rt, quant] : setups) {
    for (int trial = 0; trial < 4; ++trial) {
      app::SimulateRequest r;
      r.model = model;
      r.hardware = hw;
      r.runtime = rt;
      r.quant = quant;
      const uint32_t isl = 64 + rng() % 2000, osl = 16 + rng() % 500;
      r.workload.isl = {isl / 2, isl};
      r.workload.osl = {osl / 2, osl};
      r.workload.num_requests = 300;
      r.workload.seed = trial;
      if (trial % 2 == 1) {  // a shared prefix: with the runtime's prefix caching where it has one
        r.workload.shared_prefix = 32 + rng() % 1500;
        r.workload.prefix_groups = 1 + rng() % 8;
      }
      switch (trial) {
        case 0:
          r.workload.arrival = serve::Arrival::kOffline;
          break;
        case 1:
          r.workload.rate = 1000;
          break;
        case 2:
          r.workload.arrival = serve::Arrival::kClosedLoop;
          r.workload.concurrency = 1 + rng() % 256;
          break;
        default:
          r.workload.arrival = serve::Arrival::kGamma;
          r.workload.rate = 5;
          r.workload.burstiness = 0.3;
      }
      const bool server = rt == "vllm" || rt == "sglang" || rt == "trtllm";
      if (server && trial == 1) r.prefill_replicas = 1, r.decode_replicas = 2;  // disaggregated, open loop
      if (server && trial == 2) r.replicas = 3;
      if (server && trial == 3) r.pp = 2;
      const auto s = app::Simulate(test::BuiltinCatalog(), r);
      SCOPED_TRACE(model + " " + hw + " " + rt + " trial " + std::to_string(trial));
      EXPECT_GT(s.metrics.output_throughput, 0);
      EXPECT_LE(s.metrics.output_throughput, s.output_throughput_bound);
    }
  }
}

TEST(Serve, SimulateFromTheCliInEveryFormat) {
  const auto r = test::RunCli({"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm",
                               "--request-rate", "5", "--num-requests", "200", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto row = test::Rows(r.out)[0];
  EXPECT_EQ(row["completed"], 200);
  for (const char* k : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_s"}) EXPECT_TRUE(row[k].contains("p99")) << k;
  EXPECT_LE(row["output_throughput"].get<double>(), row["output_throughput_bound"].get<double>());
  const auto per = test::RunCli({"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm",
                                 "--concurrency", "4", "--num-requests", "12", "--per-request", "--format", "json"});
  ASSERT_EQ(per.code, 0) << per.err;
  EXPECT_EQ(test::Rows(per.out).size(), 12u);
  // Bad input: one line, exit 1.
  test::TempDir dir;
  std::ofstream(dir.File("t.jsonl"))
      << "{\"arrival_s\": 0, \"input_tokens\": 10, \"output_tokens\": 5}\n{\"arrival_s\": -1}\n";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--request-rate", "2", "--concurrency",
            "3"},
           {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--request-rate", "-2"},
           {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--isl", "0"},
           {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm", "--trace",
            dir.File("t.jsonl")},
           {"simulate", "--model", "llama-3.1-70b", "--hw", "nvidia-rtx-4090", "--runtime", "vllm"}}) {
    const auto bad = test::RunCli(args);
    EXPECT_EQ(bad.code, 1) << args.back() << bad.out;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  }
}

}  // namespace
}  // namespace tokcast

namespace tokcast {
namespace {

TEST(Serve, PipelineStagesAddLatencyAndBatchesInFlight) {
  // One request at a time: a token crosses all four stages, each at one device's bandwidth, so
  // TPOT is that of the whole model on one device (~141 GB / 3.35 TB/s), not TP 4's quarter.
  auto run = [](uint32_t tp, uint32_t pp, uint32_t conc, uint64_t n) {
    app::SimulateRequest r;
    r.model = "llama-3.1-70b";
    r.hardware = "nvidia-h100-sxm";
    r.runtime = "vllm";
    r.quant = "bf16";
    r.tp = tp;
    r.pp = pp;
    r.workload.arrival = serve::Arrival::kClosedLoop;
    r.workload.concurrency = conc;
    r.workload.num_requests = n;
    r.workload.isl = {500, 500};
    r.workload.osl = {100, 100};
    return app::Simulate(test::BuiltinCatalog(), r);
  };
  const auto pp1 = run(4, 1, 1, 4), pp4 = run(1, 4, 1, 4);
  EXPECT_EQ(pp4.devices, 4u);
  EXPECT_GT(pp4.metrics.tpot_s.median, 2.0 * pp1.metrics.tpot_s.median);
  EXPECT_GT(pp4.metrics.tpot_s.median, 141e9 / 3.35e12);
  // Loaded, the four stages work on four batches at once: about four times one at a time.
  const auto busy = run(1, 4, 64, 256);
  EXPECT_GT(busy.metrics.output_throughput, 3.0 * pp4.metrics.output_throughput);
  EXPECT_LE(busy.metrics.output_throughput, busy.output_throughput_bound);
}

TEST(Serve, FleetOptionsThatCannotBeAreOneLineErrors) {
  const std::vector<std::string> base = {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm"};
  for (const auto& extra :
       std::vector<std::vector<std::string>>{{"--runtime", "vllm", "--disagg", "3"},
                                             {"--runtime", "vllm", "--disagg", "0:2"},
                                             {"--runtime", "vllm", "--disagg", "1:2", "--replicas", "2"},
                                             {"--runtime", "vllm", "--disagg", "1:2", "--concurrency", "8"},
                                             {"--runtime", "llama.cpp-cuda", "--disagg", "1:1"},
                                             {"--runtime", "vllm", "--replicas", "0"},
                                             {"--runtime", "llama.cpp-cuda", "--pp", "2"},
                                             {"--runtime", "vllm", "--pp", "2", "--disagg", "1:1"},
                                             {"--runtime", "vllm", "--disagg", "1:1", "--kv-link-gbs", "-5"}}) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::RunCli(args);
    EXPECT_EQ(r.code, 1) << extra.back();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const auto ok = test::RunCli({"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm",
                                "--disagg", "1:2", "--request-rate", "5", "--num-requests", "200", "--format", "json"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  const auto row = test::Rows(ok.out)[0];
  EXPECT_EQ(row["disagg"], "1:2");
  EXPECT_EQ(row["devices"], 3);
}

TEST(Serve, PlanRanksConfigurationsThatMeetTheSlos) {
  const auto r = test::RunCli({"plan",
                               "--model",
                               "llama-3.1-8b",
                               "--hw",
                               "nvidia-h100-sxm,nvidia-rtx-4090",
                               "--runtime",
                               "vllm",
                               "--quant",
                               "bf16",
                               "--request-rate",
                               "50",
                               "--isl",
                               "500",
                               "--osl",
                               "100",
                               "--slo-ttft-ms",
                               "2000",
                               "--slo-tpot-ms",
                               "80",
                               "--requests-per-trial",
                               "60",
                               "--rental-usd-per-hour",
                               "2",
                               "--format",
                               "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = test::Rows(r.out);
  ASSERT_FALSE(rows.empty());
  // The cheapest are tried in other layouts too: a disaggregated unit counts every device of its
  // prefill and decode replicas.
  size_t disagg = 0;
  for (const auto& row : rows) {
    if (!row["meets_slo"].get<bool>() || row["disagg"] == "-") continue;
    ++disagg;
    const std::string pd = row["disagg"];
    const int unit = std::stoi(pd.substr(0, pd.find(':'))) + std::stoi(pd.substr(pd.find(':') + 1));
    EXPECT_EQ(row["devices"].get<int>(),
              row["replicas"].get<int>() * row["tp"].get<int>() * row["pp"].get<int>() * unit);
  }
  EXPECT_GT(disagg, 0u);
  double last = 0;
  for (const auto& row : rows) {
    if (!row["meets_slo"].get<bool>()) continue;
    EXPECT_LE(row["ttft_p99_ms"].get<double>(), 2000);
    EXPECT_LE(row["tpot_p99_ms"].get<double>(), 80);
    // Enough replicas for the rate, and cheapest first.
    EXPECT_GE(row["replicas"].get<double>() * row["replica_rate"].get<double>(), 50 - 1e-6);
    EXPECT_GE(row["usd_per_hour"].get<double>(), last);
    last = row["usd_per_hour"].get<double>();
  }
  // The Pareto front: configurations whose best point no other configuration beats on both
  // tokens/s per device and tokens/s per user are on it; one that is beaten on both is not.
  size_t on_front = 0;
  for (const auto& a : rows) {
    if (!a["meets_slo"].get<bool>()) continue;
    on_front += a["pareto"].get<bool>() ? 1 : 0;
    for (const auto& b : rows) {
      if (!b["meets_slo"].get<bool>()) continue;
      if (b["tok_s_per_device"].get<double>() > a["tok_s_per_device"].get<double>() &&
          b["tok_s_per_user"].get<double>() > a["tok_s_per_user"].get<double>())
        EXPECT_FALSE(a["pareto"].get<bool>()) << a.dump();
    }
  }
  EXPECT_GE(on_front, 1u);
  EXPECT_EQ(test::RunCli({"plan", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--request-rate", "0"}).code,
            1);
}

}  // namespace
}  // namespace tokcast
