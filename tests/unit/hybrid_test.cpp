// Hybrid models (gated DeltaNet, Mamba-2): parameter counts against the published totals, KV
// cache in the attention layers only, a fixed recurrent state per sequence, and what that does
// to memory, speed and serving.
#include <gtest/gtest.h>

#include "app/predict.h"
#include "app/simulate.h"
#include "catalog/error.h"
#include "catalog/hf_config.h"
#include "catalog/model_source.h"
#include "core/memory_plan.h"
#include "core/perf_model.h"
#include "test_util.h"

namespace tokcast {
namespace {

using test::BuiltinCatalog;

TEST(Hybrid, Qwen3NextCountsEveryPublishedParameter) {
  const ModelSpec& s = BuiltinCatalog().Model("qwen3-next-80b-a3b").spec;
  const auto counts = CountParams(s, BuildTensorInventory(s));
  // Qwen3-Coder-Next (the same architecture) publishes 79,674,391,296 parameters without its
  // MTP head, 3,874,929,408 of them active per token.
  EXPECT_EQ(counts.total, 79'674'391'296u);
  EXPECT_EQ(counts.active, 3'874'929'408u);
  EXPECT_EQ(s.CountMixer(MixerKind::kAttention), 12u);
  EXPECT_EQ(s.CountMixer(MixerKind::kRecurrent), 36u);
  const KvPerToken kv = KvBytesPerToken(s, TensorType::kF16);
  EXPECT_DOUBLE_EQ(kv.full_layers_bytes, 12.0 * 2 * 2 * 256 * 2);  // 12 layers x K,V x 2 heads x 256 x f16
  // Per DeltaNet layer: 32 value heads x 128 x 128 FP32, plus 3 of 4 conv taps over 8,192 channels.
  EXPECT_DOUBLE_EQ(kv.state_bytes, 36.0 * (32 * 128 * 128 * 4 + 8192 * 3 * 2));
}

TEST(Hybrid, NemotronHCountsEveryPublishedParameter) {
  const ModelSpec& s = BuiltinCatalog().Model("nemotron-nano-9b-v2").spec;
  EXPECT_EQ(CountParams(s, BuildTensorInventory(s)).total, 8'888'227'328u);  // 8.89 B published
  EXPECT_EQ(s.CountMixer(MixerKind::kAttention), 4u);
  EXPECT_EQ(s.CountMixer(MixerKind::kRecurrent), 27u);
  EXPECT_EQ(s.CountMixer(MixerKind::kNone), 25u);
  const KvPerToken kv = KvBytesPerToken(s, TensorType::kF16);
  EXPECT_DOUBLE_EQ(kv.full_layers_bytes, 4.0 * 2 * 8 * 128 * 2);
  EXPECT_DOUBLE_EQ(kv.state_bytes, 27.0 * (128 * 80 * 128 * 4 + 12288 * 3 * 2));
}

TEST(Hybrid, LongContextMemoryGrowsOnlyInTheAttentionLayers) {
  // The bug that made other tools 4-14x wrong: every layer given a KV cache.
  const auto& cat = BuiltinCatalog();
  const ModelSpec& s = cat.Model("nemotron-nano-9b-v2").spec;
  auto tensors = BuildTensorInventory(s);
  ApplyRecipe(cat.Quant("q4_k_m"), s.n_layers, tensors);
  const auto fp = MakeFootprint(s, tensors);
  const auto& hw = cat.Hardware("nvidia-rtx-4090");
  const auto& rt = cat.Runtime("llama.cpp-cuda");
  const auto at = [&](uint64_t ctx) {
    return PlanMemory(s, fp, hw, rt, Workload{ctx, 1, TensorType::kF16}, {}).plan.kv_bytes;
  };
  const double grow = static_cast<double>(at(131072)) - static_cast<double>(at(1024));
  EXPECT_NEAR(grow, 130048.0 * 16384, 0.01 * 130048.0 * 16384);           // 4 attention layers' K and V
  EXPECT_GE(static_cast<double>(at(1024)), 27.0 * (128 * 80 * 128 * 4));  // the state is there at any length
  EXPECT_TRUE(PlanMemory(s, fp, hw, rt, Workload{131072, 1, TensorType::kF16}, {}).plan.fits());
}

TEST(Hybrid, DecodeAtDepthSlowsOnlyByTheAttentionLayers) {
  const auto& cat = BuiltinCatalog();
  app::PredictRequest q;
  q.models = {"nemotron-nano-9b-v2"};
  q.hardware = {"nvidia-h100-sxm"};
  q.runtimes = {"vllm"};
  q.quants = {"bf16"};
  q.prompt = {512, 65536};
  const auto r = app::Predict(cat, q);
  ASSERT_EQ(r.rows.size(), 2u);
  const double short_tg = r.rows[0].p.tg_tok_s, long_tg = r.rows[1].p.tg_tok_s;
  // 64k tokens of KV in 4 layers (1 GiB) against ~18 GB of weights and state: a few percent.
  EXPECT_LT(long_tg, short_tg);
  EXPECT_GT(long_tg, 0.9 * short_tg);
}

TEST(Hybrid, ServingReservesEachSequencesStateInThePool) {
  app::SimulateRequest r;
  r.model = "qwen3-next-80b-a3b";
  r.hardware = "nvidia-h200-sxm";
  r.runtime = "vllm";
  r.quant = "fp8";
  r.workload.arrival = serve::Arrival::kOffline;
  r.workload.num_requests = 200;
  r.workload.isl = {1000, 1000};
  r.workload.osl = {100, 100};
  const auto s = app::Simulate(BuiltinCatalog(), r);
  // 77,266,944 bytes of state are 6,288 tokens of this FP8 checkpoint's FP8 KV (12 layers x K,V
  // x 2 heads x 256 x 1 byte = 12,288 bytes a token): each sequence takes that much more of the
  // pool than its tokens.
  EXPECT_EQ(s.kv_type, TensorType::kFP8_E4M3);
  EXPECT_EQ(s.scheduler.state_tokens, 6288u);
  EXPECT_LE(s.metrics.output_throughput, s.output_throughput_bound);
  EXPECT_GT(s.metrics.output_throughput, 0);
}

TEST(Hybrid, GgufFilesOfHybridsKeepTheirLayerMix) {
  // A GGUF as llama.cpp writes one (its arch names and ssm.* keys): read back, every block has
  // its mixer, the state its size, and the weights their bytes.
  const auto& cat = BuiltinCatalog();
  for (const std::string id : {"nemotron-nano-9b-v2", "qwen3-next-80b-a3b"}) {
    SCOPED_TRACE(id);
    const ModelSpec& spec = cat.Model(id).spec;
    auto tensors = BuildTensorInventory(spec);
    ApplyRecipe(cat.Quant("q4_k_m"), spec.n_layers, tensors);
    test::TempDir dir;
    catalog::GgufWriterForModel(spec, tensors).WriteFile(dir.File("h.gguf"));
    const auto r = catalog::ResolveModel(cat, dir.File("h.gguf"));
    ASSERT_TRUE(r.tensors);
    for (uint32_t i = 0; i < spec.n_layers; ++i) {
      EXPECT_EQ(r.spec.Mixer(i), spec.Mixer(i)) << i;
      EXPECT_EQ(r.spec.HasFfn(i), spec.HasFfn(i)) << i;
    }
    EXPECT_EQ(TotalBytes(*r.tensors), TotalBytes(tensors));
    const KvPerToken a = KvBytesPerToken(r.spec, TensorType::kF16), b = KvBytesPerToken(spec, TensorType::kF16);
    EXPECT_DOUBLE_EQ(a.full_layers_bytes, b.full_layers_bytes);
    EXPECT_DOUBLE_EQ(a.state_bytes, b.state_bytes);
    // The convolution and the per-head parameters stay unquantized, as llama.cpp keeps them.
    for (const auto& t : *r.tensors) {
      if (t.name.find("ssm_conv1d") != std::string::npos || t.name.find("ssm_a") != std::string::npos) {
        EXPECT_EQ(t.type, TensorType::kF32) << t.name;
        EXPECT_GE(t.layer, 0) << t.name;
      }
    }
  }
}

TEST(Hybrid, BadHybridConfigsAreOneLineErrors) {
  const std::string base = R"({"model_type": "nemotron_h", "hidden_size": 64, "num_hidden_layers": 3,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "intermediate_size": 128,
    "mamba_num_heads": 4, "mamba_head_dim": 16, "ssm_state_size": 16, "n_groups": 1, )";
  EXPECT_NO_THROW(catalog::ParseHfConfig(base + R"("hybrid_override_pattern": "M*-"})", "ok.json"));
  EXPECT_THROW(catalog::ParseHfConfig(base + R"("hybrid_override_pattern": "M*"})", "short.json"), catalog::InputError);
  EXPECT_THROW(catalog::ParseHfConfig(base + R"("hybrid_override_pattern": "M*E"})", "moe.json"), catalog::InputError);
  EXPECT_THROW(catalog::ParseHfConfig(R"({"model_type": "qwen3_next", "hidden_size": 64, "num_hidden_layers": 4,
    "num_attention_heads": 4, "vocab_size": 100, "num_experts": 8, "num_experts_per_tok": 2,
    "moe_intermediate_size": 32, "linear_num_key_heads": 0, "linear_key_head_dim": 16,
    "linear_num_value_heads": 4, "linear_value_head_dim": 16})",
                                      "zero.json"),
               catalog::InputError);
}

}  // namespace
}  // namespace tokcast
