// The memory planner against hand-derived numbers.
#include <gtest/gtest.h>

#include "core/memory_plan.h"
#include "test_util.h"

namespace tokcast {
namespace {

using test::BuiltinCatalog;
constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

struct Scenario {
  ModelSpec spec;
  std::vector<TensorInfo> tensors;
  ModelFootprint fp;
};

Scenario Make(const std::string& model, const std::string& quant) {
  Scenario s;
  s.spec = BuiltinCatalog().Model(model).spec;
  s.tensors = BuildTensorInventory(s.spec);
  ApplyRecipe(BuiltinCatalog().Quant(quant), s.spec.n_layers, s.tensors);
  s.fp = MakeFootprint(s.spec, s.tensors);
  return s;
}

MemoryPlan Plan(const Scenario& s, const std::string& hw, const std::string& rt, uint64_t ctx, uint32_t batch = 1,
                PlanOptions opt = {}) {
  Workload w{ctx, batch, TensorType::kF16};
  auto r = PlanMemory(s.spec, s.fp, BuiltinCatalog().Hardware(hw), BuiltinCatalog().Runtime(rt), w, opt);
  EXPECT_FALSE(r.error) << *r.error;
  return r.plan;
}

TEST(MemoryPlan, Llama70bQ4OnRtx4090SpillsLayersToTheHost) {
  const auto s = Make("llama-3.1-70b", "q4_k_m");
  const MemoryPlan p = Plan(s, "nvidia-rtx-4090", "llama.cpp-cuda", 8192);
  EXPECT_FALSE(p.fits());
  EXPECT_EQ(p.verdict, Verdict::kFitsWithOffload);
  EXPECT_EQ(p.layers_total, 80u);
  // Hand derivation: usable = 24 GiB x 0.97 = 23.28 GiB. Fixed: CUDA context 0.35 GB and the
  // activation buffer. Each layer holds its weights (~0.49 GiB at Q4_K_M) and 8192 tokens of
  // KV (8 heads x 128 x 2 x 2 B = 4 KiB/token = 32 MiB), ~0.52 GiB: about (23.28 - 0.33 - 0.02)
  // / 0.52 = 44 layers.
  // llama.cpp offloads the last n layers: count them from the end (Q4_K_M's Q6_K layers are
  // heavier, so the exact count depends on which layers they are).
  double budget = 24 * kGib * 0.97 - 0.35e9 - static_cast<double>(p.compute_buffer_bytes);
  uint32_t expected = 0;
  for (int i = 79; i >= 0; --i) {
    budget -= static_cast<double>(s.fp.layer_weight_bytes[static_cast<size_t>(i)]) + 8192.0 * 4096;
    if (budget < 0) break;
    ++expected;
  }
  EXPECT_EQ(p.layers_on_device, expected);
  EXPECT_GE(p.layers_on_device, 40u);
  EXPECT_LE(p.layers_on_device, 48u);
  EXPECT_FALSE(p.output_on_device);
  EXPECT_GT(p.weights_host_bytes, 0u);
  EXPECT_LE(p.device_used_bytes, p.usable_bytes);
  EXPECT_EQ(p.weights_device_bytes + p.weights_host_bytes, p.weights_bytes);
  EXPECT_EQ(p.kv_bytes, 2560ull * 1024 * 1024);
  EXPECT_NE(p.reason.find("run on the host CPU"), std::string::npos);
}

TEST(MemoryPlan, ExpertsOfTheFirstLayersCanStayInHostMemory) {
  const auto s = Make("gpt-oss-120b", "mxfp4");
  PlanOptions opt;
  opt.moe_host_layers = 30;
  const MemoryPlan p = Plan(s, "nvidia-rtx-4090", "llama.cpp-cuda", 4096, 1, opt);
  uint64_t experts = 0;
  for (uint32_t i = 0; i < 30; ++i) experts += s.fp.layer_expert_bytes[i];
  EXPECT_EQ(p.moe_host_layers, 30u);
  EXPECT_EQ(p.experts_host_bytes, experts);
  EXPECT_EQ(p.layers_on_device, 36u);
  EXPECT_TRUE(p.output_on_device);
  EXPECT_EQ(p.weights_host_bytes, experts + s.fp.token_embd_bytes);  // llama.cpp keeps token_embd on the host too
  EXPECT_EQ(p.weights_device_bytes + p.weights_host_bytes, p.weights_bytes);
  EXPECT_EQ(p.verdict, Verdict::kFitsWithOffload);
  EXPECT_NE(p.reason.find("routed experts of 30 of 36 layers"), std::string::npos) << p.reason;
  // More layers than the model has: all of them.
  opt.moe_host_layers = 1000;
  EXPECT_EQ(Plan(s, "nvidia-rtx-4090", "llama.cpp-cuda", 4096, 1, opt).moe_host_layers, 36u);
  // Host memory too small for the experts: does not fit.
  opt.moe_host_layers = 30;
  opt.host_memory_gib = 16;
  const MemoryPlan tight = Plan(s, "nvidia-rtx-4090", "llama.cpp-cuda", 4096, 1, opt);
  EXPECT_EQ(tight.verdict, Verdict::kDoesNotFit);
}

TEST(MemoryPlan, ATensorParallelGroupCopiesKvHeadsItCannotSplit) {
  const auto& cat = BuiltinCatalog();
  EXPECT_DOUBLE_EQ(KvReplication(cat.Model("llama-3.1-70b").spec, 8), 1.0);    // 8 KV heads, one per device
  EXPECT_DOUBLE_EQ(KvReplication(cat.Model("llama-3.1-70b").spec, 16), 2.0);   // each device keeps one of 8
  EXPECT_DOUBLE_EQ(KvReplication(cat.Model("qwen3-235b-a22b").spec, 8), 2.0);  // 4 KV heads
  EXPECT_DOUBLE_EQ(KvReplication(cat.Model("deepseek-v3").spec, 8), 8.0);      // MLA: the latent on every device
  EXPECT_DOUBLE_EQ(KvReplication(cat.Model("deepseek-v3").spec, 1), 1.0);
  // The KV pool of 8 H200s serving DeepSeek-V3 at TP 8 holds an eighth of what sharding would.
  const auto s = Make("deepseek-v3", "fp8");
  PlanOptions group;
  group.devices = group.tp = 8;
  const MemoryPlan tp8 = Plan(s, "nvidia-h200-sxm", "vllm", 4096, 1, group);
  group.tp = 1;
  const MemoryPlan split = Plan(s, "nvidia-h200-sxm", "vllm", 4096, 1, group);
  EXPECT_DOUBLE_EQ(tp8.kv_replication, 8.0);
  EXPECT_NEAR(static_cast<double>(tp8.kv_bytes), 8.0 * static_cast<double>(split.kv_bytes), 8.0);
  const double pool8 = static_cast<double>(KvPoolTokens(s.spec, tp8, TensorType::kF16));
  const double pool1 = static_cast<double>(KvPoolTokens(s.spec, split, TensorType::kF16));
  EXPECT_NEAR(pool8 * 8, pool1, 0.01 * pool1);
}

TEST(MemoryPlan, Llama70bQ4FitsOnM4Max128WithinTheGpuLimit) {
  const auto s = Make("llama-3.1-70b", "q4_k_m");
  PlanOptions opt;
  opt.memory_gib = 128;
  const MemoryPlan p = Plan(s, "apple-m4-max-40c", "llama.cpp-metal", 8192, 1, opt);
  EXPECT_TRUE(p.fits());
  EXPECT_EQ(p.usable_bytes, static_cast<uint64_t>(96 * kGib));  // 3/4 of 128 GiB (macOS default)
  EXPECT_EQ(p.layers_on_device, 80u);
  EXPECT_LT(p.device_used_bytes, p.usable_bytes);
}

TEST(MemoryPlan, MacOsWiredLimitIsTwoThirdsUpTo36GiB) {
  const auto& hw = BuiltinCatalog().Hardware("apple-m3-max-30c");
  EXPECT_NEAR(hw.UsableFraction(36), 0.6667, 1e-4);
  EXPECT_NEAR(hw.UsableFraction(96), 0.75, 1e-9);
}

TEST(MemoryPlan, MemoryOptionMustBeOneThePlatformIsSoldWith) {
  const auto s = Make("llama-3.1-8b", "q4_k_m");
  PlanOptions opt;
  opt.memory_gib = 36;
  auto r = PlanMemory(s.spec, s.fp, BuiltinCatalog().Hardware("apple-m4-max-40c"),
                      BuiltinCatalog().Runtime("llama.cpp-metal"), Workload{}, opt);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("48, 64, 128"), std::string::npos) << *r.error;
}

TEST(MemoryPlan, TwoGpusSplitLayersEvenly) {
  const auto s = Make("llama-3.1-70b", "q4_k_m");
  PlanOptions opt;
  opt.devices = 2;
  const MemoryPlan p = Plan(s, "nvidia-rtx-4090", "llama.cpp-cuda", 8192, 1, opt);
  EXPECT_TRUE(p.fits());
  ASSERT_EQ(p.layers_per_device.size(), 2u);
  EXPECT_EQ(p.layers_per_device[0], 40u);
  EXPECT_EQ(p.layers_per_device[1], 40u);
  EXPECT_NEAR(static_cast<double>(p.usable_bytes), 2 * 24 * kGib * 0.97, 1e6);
}

TEST(MemoryPlan, RuntimesThatCannotOffloadSayDoesNotFit) {
  const auto s = Make("llama-3.1-70b", "q4_k_m");
  const MemoryPlan p = Plan(s, "nvidia-rtx-4090", "trtllm", 8192);
  EXPECT_EQ(p.verdict, Verdict::kDoesNotFit);
  EXPECT_EQ(p.layers_on_device, 0u);
  EXPECT_NE(p.reason.find("cannot offload"), std::string::npos);
}

TEST(MemoryPlan, StreamingOffloadKeepsAllKvOnTheDevice) {
  const auto s = Make("llama-3.1-70b", "awq-4bit");
  const MemoryPlan p = Plan(s, "nvidia-rtx-4090", "vllm", 8192);
  EXPECT_EQ(p.verdict, Verdict::kFitsWithOffload);
  EXPECT_EQ(p.kv_host_bytes, 0u);
  EXPECT_EQ(p.kv_device_bytes, p.kv_bytes);
  EXPECT_NE(p.reason.find("stream over the host link"), std::string::npos);
  // vLLM uses 90% of the device.
  EXPECT_NEAR(static_cast<double>(p.usable_bytes), 24 * kGib * 0.97 * 0.9, 1e6);
}

TEST(MemoryPlan, UnifiedMemoryOverflowNeedsTheRestOfRam) {
  // DeepSeek-V3 at Q4 is ~380 GiB: beyond a 128 GB Mac even with CPU layers.
  const auto s = Make("deepseek-v3", "q4_k_m");
  const MemoryPlan p = Plan(s, "apple-m4-max-40c", "llama.cpp-metal", 4096);
  EXPECT_EQ(p.verdict, Verdict::kDoesNotFit);
  EXPECT_NE(p.reason.find("host memory"), std::string::npos);
}

TEST(MemoryPlan, CpuPlatformsHoldEverythingInRam) {
  const auto s = Make("llama-3.1-8b", "q4_k_m");
  const MemoryPlan p = Plan(s, "cpu-desktop-ddr5-5600-2ch", "llama.cpp-cpu", 8192);
  EXPECT_TRUE(p.fits());
  EXPECT_EQ(p.weights_host_bytes, 0u);
  EXPECT_EQ(p.weights_device_bytes, p.weights_bytes);
}

TEST(MemoryPlan, MaxContextAndBatchAreTheLargestThatFit) {
  const auto s = Make("llama-3.1-8b", "q4_k_m");
  const auto& hw = BuiltinCatalog().Hardware("nvidia-rtx-4090");
  const auto& rt = BuiltinCatalog().Runtime("llama.cpp-cuda");
  Workload w{8192, 1, TensorType::kF16};
  const uint64_t max_ctx = MaxContextThatFits(s.spec, s.fp, hw, rt, w, {});
  EXPECT_EQ(max_ctx, 131072u);  // capped at the model's context: 16 GiB of KV fits in 24 GB
  const uint32_t max_batch = MaxBatchThatFits(s.spec, s.fp, hw, rt, w, {});
  // (23.28 - 4.58 weights - ~0.6 overhead) GiB / 1 GiB per 8192-token sequence = 18.
  EXPECT_GE(max_batch, 17u);
  EXPECT_LE(max_batch, 18u);
  w.batch = max_batch;
  EXPECT_TRUE(PlanMemory(s.spec, s.fp, hw, rt, w, {}).plan.fits());
  w.batch = max_batch + 1;
  EXPECT_FALSE(PlanMemory(s.spec, s.fp, hw, rt, w, {}).plan.fits());
}

TEST(MemoryPlan, SlidingWindowLayersStopGrowing) {
  const ModelSpec& spec = BuiltinCatalog().Model("gpt-oss-20b").spec;
  Workload small{128, 1, TensorType::kF16}, large{131072, 1, TensorType::kF16};
  // Below the window every layer grows; above it only the 12 full-attention layers do.
  EXPECT_EQ(KvCacheBytes(spec, small), 24ull * 128 * 2048);
  EXPECT_EQ(KvCacheBytes(spec, large), 12ull * 131072 * 2048 + 12ull * 128 * 2048);
}

TEST(MemoryPlan, FlashAttentionOffGrowsTheComputeBuffer) {
  const auto s = Make("llama-3.1-8b", "q4_k_m");
  RuntimeProfile rt = BuiltinCatalog().Runtime("llama.cpp-cuda");
  const auto& hw = BuiltinCatalog().Hardware("nvidia-rtx-4090");
  Workload w{32768, 1, TensorType::kF16};
  const auto with_fa = PlanMemory(s.spec, s.fp, hw, rt, w, {}).plan;
  rt.flash_attention = false;
  const auto without = PlanMemory(s.spec, s.fp, hw, rt, w, {}).plan;
  // 512-token ubatch x 32 heads x 32768 x 4 B x 2 (scores + softmax) = 4 GiB more.
  EXPECT_NEAR(static_cast<double>(without.compute_buffer_bytes - with_fa.compute_buffer_bytes), 4.0 * kGib, 0.6 * kGib);
}

TEST(MemoryPlan, ForcedLayerSplit) {
  const auto s = Make("llama-3.1-8b", "q4_k_m");
  PlanOptions opt;
  opt.layers_on_device = 10;
  const MemoryPlan p = Plan(s, "nvidia-rtx-4090", "llama.cpp-cuda", 4096, 1, opt);
  EXPECT_EQ(p.layers_on_device, 10u);
  EXPECT_EQ(p.verdict, Verdict::kFitsWithOffload);
}

TEST(MemoryPlan, AbsurdInputsAreErrors) {
  const auto s = Make("llama-3.1-8b", "q4_k_m");
  const auto& hw = BuiltinCatalog().Hardware("nvidia-rtx-4090");
  const auto& rt = BuiltinCatalog().Runtime("llama.cpp-cuda");
  EXPECT_TRUE(PlanMemory(s.spec, s.fp, hw, rt, Workload{0, 1, TensorType::kF16}, {}).error);
  EXPECT_TRUE(PlanMemory(s.spec, s.fp, hw, rt, Workload{1, 0, TensorType::kF16}, {}).error);
  PlanOptions opt;
  opt.devices = 0;
  EXPECT_TRUE(PlanMemory(s.spec, s.fp, hw, rt, Workload{}, opt).error);
  opt.devices = 1;
  opt.usable_fraction = 1.5;
  EXPECT_TRUE(PlanMemory(s.spec, s.fp, hw, rt, Workload{}, opt).error);
}

}  // namespace
}  // namespace tokcast
