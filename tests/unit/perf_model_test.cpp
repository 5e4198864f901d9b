// The performance model against hand-derived numbers. Most checks use the BOUND (every
// efficiency 1, no overhead), which is plain physics: bytes / bandwidth and FLOPs / peak.
#include <cmath>
#include <initializer_list>
#include <string_view>

#include <gtest/gtest.h>

#include "core/perf_model.h"
#include "test_util.h"

namespace tokcast {
namespace {

using test::BuiltinCatalog;

struct Scene {
  ModelSpec spec;
  std::vector<TensorInfo> tensors;
  PreparedModel pm;
  HardwareSpec hw;
  RuntimeProfile rt;
  MemoryPlan plan;
  Efficiency eff;

  Scene(const std::string& model, const std::string& quant, const std::string& hw_id, const std::string& rt_id,
        uint64_t ctx = 4096, PlanOptions opt = {}) {
    spec = BuiltinCatalog().Model(model).spec;
    tensors = BuildTensorInventory(spec);
    const QuantRecipe& q = BuiltinCatalog().Quant(quant);
    ApplyRecipe(q, spec.n_layers, tensors);
    pm = PrepareModel(spec, tensors, &q);
    pm.spec = &spec;
    hw = BuiltinCatalog().Hardware(hw_id);
    rt = BuiltinCatalog().Runtime(rt_id);
    Replan(ctx, 1, opt);
  }
  void Replan(uint64_t ctx, uint32_t batch, PlanOptions opt = {}) {
    auto r = PlanMemory(spec, MakeFootprint(spec, tensors), hw, rt, Workload{ctx, batch, TensorType::kF16}, opt);
    EXPECT_FALSE(r.error);
    plan = r.plan;
  }
  Prediction Run(const PerfWorkload& w, bool ops = false) const {
    return Predict(PerfContext{pm, hw, rt, plan, eff}, w, {}, ops);
  }
  // One decode step of `batch` sequences (a short context), replanned for them.
  Prediction RunDecodeStep(uint32_t batch, bool ops = false) {
    PerfWorkload w;
    w.prompt = 1;
    w.gen = 1;
    w.batch = batch;
    Replan(64, batch);
    return Run(w, ops);
  }
  // What the decode ops named `names` sum to (flops or bytes).
  double DecodeOpSum(uint32_t batch, std::initializer_list<std::string_view> names, double OpCost::*field) {
    double sum = 0;
    for (const auto& op : RunDecodeStep(batch, true).ops) {
      if (op.phase != "decode") continue;
      for (auto n : names) sum += op.name == n ? op.*field : 0.0;
    }
    return sum;
  }
  // Bytes of every weight except the token embedding (decode reads one row of it).
  double WeightBytesRead() const {
    double b = 0;
    for (const auto& t : tensors) {
      if (t.role != TensorRole::kTokenEmbd || spec.tied_embeddings) b += static_cast<double>(t.bytes);
    }
    return b;
  }
};

PerfWorkload Decode1() {
  PerfWorkload w;
  w.prompt = 1;
  w.gen = 1;
  return w;
}

TEST(PerfModel, DenseDecodeAtBatchOneIsBandwidthBound) {
  Scene s("llama-3.1-8b", "f16", "nvidia-h100-sxm", "vllm");
  const Prediction p = s.Run(Decode1());
  // Hand: 16.06 GB of F16 weights minus the 1.05 GB embedding table = 15.01 GB per token;
  // 3.35 TB/s / 15.01 GB = 223 tok/s.
  const double hand = 3.35e12 / s.WeightBytesRead();
  EXPECT_NEAR(hand, 223.0, 1.5);
  EXPECT_NEAR(p.tg_tok_s_bound, hand, hand * 0.01);
  EXPECT_EQ(p.decode_bound.limit, "memory");
  EXPECT_LT(p.tg_tok_s, p.tg_tok_s_bound);
  EXPECT_GT(p.tg_tok_s, 0.4 * p.tg_tok_s_bound);
}

TEST(PerfModel, PrefillIsComputeBound) {
  Scene s("llama-3.1-8b", "f16", "nvidia-h100-sxm", "vllm");
  PerfWorkload w;
  w.prompt = 512;
  w.ubatch = 512;
  const Prediction p = s.Run(w);
  // Hand: linear layers 2 x 512 x 6.98 G (8.03 B minus embedding and LM head) = 7.15 TFLOP;
  // causal attention 32 layers x 2 x 32 heads x (128 + 128) x (512 x 513 / 2) = 68.9 GFLOP;
  // LM head for the last token 2 x 0.525 G = 1.05 GFLOP. At 989.4 TFLOPS dense FP16:
  const double linear = 2.0 * 512 * (8.030e9 - 2 * 128256.0 * 4096);
  const double attention = 32 * 2.0 * 32 * 256 * (512.0 * 513 / 2);
  const double lm_head = 2.0 * 128256 * 4096;
  const double hand = 512 / ((linear + attention + lm_head) / 989.4e12);
  EXPECT_NEAR(p.pp_tok_s_bound, hand, hand * 0.01);
  EXPECT_EQ(p.prefill_bound.limit, "compute");
  EXPECT_EQ(p.prefill.limit, "compute");
  EXPECT_NEAR(p.ttft_s_bound, 512 / hand, 512 / hand * 0.01);
}

// Issue example: `predict --model llama-3.1-8b --quant bf16,fp8 --hw nvidia-h100-sxm --runtime
// vllm --batch 64` gave FP8 prefill at half the BF16 rate and called FP8 decode compute-bound,
// because the int8-style unpacking cost of quantized GEMMs was charged to native FP8 GEMMs.
TEST(PerfModel, NativeFp8GemmsCarryNoDequantizationCost) {
  auto run = [](const std::string& quant, const std::string& hw) {
    Scene s("llama-3.1-8b", quant, hw, "vllm");
    s.eff.alu_per_gemm_flop = 1.0;  // a costly unpacking of quantized weights, as llama.cpp's MMQ
    s.eff.dequant_flops_per_weight["*"] = 8;
    s.Replan(1024, 64);  // 64 sequences of 640 tokens: BF16 fits an A100-40GB too
    PerfWorkload w;
    w.batch = 64;
    return s.Run(w);
  };
  const Prediction bf16 = run("bf16", "nvidia-h100-sxm"), fp8 = run("fp8", "nvidia-h100-sxm");
  // H100 runs FP8 GEMMs at twice the BF16 rate: prefill (compute-bound, attention in 16 bits)
  // nearly twice as fast, and decode of an 8B model at batch 64 bound by memory, not compute.
  EXPECT_GT(fp8.pp_tok_s / bf16.pp_tok_s, 1.6);
  EXPECT_LT(fp8.pp_tok_s / bf16.pp_tok_s, 2.0);
  EXPECT_EQ(fp8.decode.limit, "memory");
  EXPECT_GT(fp8.tg_tok_s, bf16.tg_tok_s);  // half the weight bytes per step
  // An A100 has no FP8 tensor cores: its FP8 weights are dequantized into FP16 GEMMs, which is
  // never faster than BF16 for prefill.
  const Prediction a_bf16 = run("bf16", "nvidia-a100-40-sxm"), a_fp8 = run("fp8", "nvidia-a100-40-sxm");
  EXPECT_LE(a_fp8.pp_tok_s, a_bf16.pp_tok_s * 1.001);
}

TEST(PerfModel, MoeDecodeReadsOnlyTheExpertsItTouches) {
  Scene s("qwen3-30b-a3b", "q8_0", "nvidia-h100-sxm", "vllm");
  // Per layer at Q8_0 (34 bytes per 32 weights): 128 experts x 3 x 2048 x 768 = 641.7 MB,
  // attention 18.87 M weights = 20.05 MB, router 2048 x 128 F32 = 1.05 MB; LM head 330.6 MB.
  const double q8 = 34.0 / 32.0;
  const double experts = 128 * 3.0 * 2048 * 768 * q8;
  const double attn = 18874368.0 * q8;
  const double router = 2048.0 * 128 * 4;
  const double norms = (2 * 2048.0 + 2 * 128) * 4;
  const double lm_head = 151936.0 * 2048 * q8 + 2048 * 4;
  auto step_bytes = [&](double distinct) { return 48 * (attn + router + norms + experts * distinct / 128) + lm_head; };
  PerfWorkload w = Decode1();
  const Prediction b1 = s.Run(w);
  EXPECT_NEAR(b1.tg_tok_s_bound, 3.35e12 / step_bytes(8), 3.35e12 / step_bytes(8) * 0.01);
  // Batch 64: E (1 - (1 - k/E)^B) = 128 (1 - (120/128)^64) = 125.9 distinct experts per layer.
  const double distinct = 128 * (1 - std::pow(120.0 / 128, 64));
  EXPECT_NEAR(distinct, 125.94, 0.01);
  EXPECT_NEAR(DistinctExperts(128, 8, 64), distinct, 1e-9);
  w.batch = 64;
  s.Replan(64, 64);
  const Prediction b64 = s.Run(w);
  const double hand = 64 * 3.35e12 / step_bytes(distinct);
  EXPECT_NEAR(b64.tg_batch_tok_s_bound, hand, hand * 0.015);
  // Batching MoE buys far less than batching a dense model: 64 sequences read ~16x the bytes.
  EXPECT_LT(b64.tg_batch_tok_s_bound / b1.tg_tok_s_bound, 8.0);
}

TEST(PerfModel, MoeLayersPayAFixedTimePerPassThatTheBoundDoesNot) {
  Scene s("qwen3-30b-a3b", "q4_0", "nvidia-rtx-4090", "llama.cpp-cuda");
  s.eff.moe_layer_overhead_s = 0;
  const Prediction none = s.Run(Decode1());
  s.eff.moe_layer_overhead_s = 70e-6;
  const Prediction with = s.Run(Decode1());
  // 48 MoE layers x 70 us per token, on top of the same roofline; the bound is unchanged.
  EXPECT_NEAR(1 / with.tg_tok_s - 1 / none.tg_tok_s, 48 * 70e-6, 1e-9);
  EXPECT_DOUBLE_EQ(with.tg_tok_s_bound, none.tg_tok_s_bound);
  // A dense model has no MoE layer to pay it.
  Scene d("llama-3.1-8b", "q4_0", "nvidia-rtx-4090", "llama.cpp-cuda");
  d.eff.moe_layer_overhead_s = 0;
  const double a = d.Run(Decode1()).tg_tok_s;
  d.eff.moe_layer_overhead_s = 70e-6;
  EXPECT_DOUBLE_EQ(d.Run(Decode1()).tg_tok_s, a);
}

TEST(PerfModel, BatchedMoeDecodeIsNeverSlowerThanOneByOne) {
  // A decode step of B sequences runs the experts as matrix-vector kernels over their few
  // tokens: the small-GEMM penalty of prefill must not make it slower than B steps of one
  // (it did: gpt-oss-20b at batch 2 came out at a fifth of its batch-1 rate).
  Scene s("gpt-oss-20b", "mxfp4", "apple-m2-ultra-76c", "llama.cpp-metal");
  s.eff.moe_tokens_half = 100;
  s.eff.decode_compute = 0.2;
  const double one = s.Run(Decode1()).tg_tok_s;
  for (uint32_t b : {2u, 4u, 8u, 16u, 32u, 64u}) {
    SCOPED_TRACE(b);
    PerfWorkload w = Decode1();
    w.batch = b;
    s.Replan(64, b);
    const Prediction p = s.Run(w);
    EXPECT_GE(p.tg_batch_tok_s, one);
    EXPECT_LE(p.tg_batch_tok_s, p.tg_batch_tok_s_bound);
  }
}

TEST(PerfModel, BatchedDecodeFollowsTheRuntimesKernels) {
  // llama.cpp's Metal backend: matrix-vector kernels up to 8 tokens a step, then mul_mm in tiles
  // of 32 token columns. A step of 16 computes the tiles of 32; 9 tokens cost as many tiles as 32.
  Scene s("qwen2.5-coder-7b", "q8_0", "apple-m2-ultra-76c", "llama.cpp-metal");
  ASSERT_TRUE(s.rt.kernels.Stated());
  ASSERT_EQ(s.rt.kernels.matvec_max_tokens, 8u);
  ASSERT_EQ(s.rt.kernels.gemm_tile_tokens, 32u);
  s.eff.decode_compute = 0.15;
  s.eff.compute = 0.7;
  s.eff.gemm_tokens_half = 32;
  auto step = [&](uint32_t b) { return b / s.RunDecodeStep(b).tg_batch_tok_s; };
  auto gemm_flops = [&](uint32_t b) { return s.DecodeOpSum(b, {"ffn", "attn_proj"}, &OpCost::flops); };
  // Padded columns: 9 and 16 tokens do the GEMM work of 32, 8 tokens their own.
  EXPECT_NEAR(gemm_flops(9) / gemm_flops(32), 1.0, 1e-12);
  EXPECT_NEAR(gemm_flops(16) / gemm_flops(32), 1.0, 1e-12);
  EXPECT_NEAR(gemm_flops(8) / gemm_flops(32), 8.0 / 32.0, 1e-12);
  // With the GEMM compute-bound, 16 and 32 tokens take nearly the same step (attention and the
  // LM head grow with the tokens); 32 tokens decode nearly twice as fast per token.
  EXPECT_NEAR(step(16) / step(32), 1.0, 0.1);
  // The kernel switch after 8 tokens: a step of 9 is slower per token than a step of 8 (the
  // trough people see between the two regimes), but never slower than 9 steps of one.
  EXPECT_GT(step(9) / 9, step(8) / 8);
  EXPECT_LT(step(9), 9 * step(1));
  // The bound pads nothing and takes no kernel's losses: a kernel without tiles could reach it.
  const Prediction stated = s.RunDecodeStep(16);
  // A runtime that states no kernels: one small-batch efficiency for every batched step.
  s.rt.kernels = {};
  EXPECT_DOUBLE_EQ(s.RunDecodeStep(16).tg_batch_tok_s_bound, stated.tg_batch_tok_s_bound);
  EXPECT_NE(s.RunDecodeStep(16).tg_batch_tok_s, stated.tg_batch_tok_s);
  EXPECT_NEAR(gemm_flops(16) / gemm_flops(32), 0.5, 1e-12);
}

TEST(PerfModel, MatrixVectorKernelsRunOnTheVectorAlus) {
  // llama.cpp CUDA's mmvq does its dot products on the CUDA cores: a step of 8 tokens through
  // an RTX 3090's FFN takes at least its FLOPs at the FP32 rate, not the int8 tensor-core peak
  // (8x higher) that the GEMMs of 9 tokens and more use. Prefill at -ub 8 runs the same kernels.
  Scene s("llama-3.1-8b", "q4_0", "nvidia-rtx-3090", "llama.cpp-cuda");
  s.eff.decode_compute = 0.25;
  const double fp32 = *s.hw.PeakFlops(Precision::kFp32);
  ASSERT_GT(*s.hw.PeakFlops(Precision::kInt8), 4 * fp32);
  for (const OpCost& op : s.RunDecodeStep(8, true).ops) {
    if (op.phase == "decode" && op.name == "ffn") EXPECT_GE(op.time_s, op.flops / (fp32 * 0.25) * (1 - 1e-9));
  }
  PerfWorkload pp;
  pp.prompt = 512;
  pp.gen = 0;
  pp.ubatch = 8;
  s.Replan(512, 1);
  const double ub8 = s.Run(pp).pp_tok_s;
  pp.ubatch = 16;
  EXPECT_GT(s.Run(pp).pp_tok_s, ub8);  // MMQ takes over above 8
  // The bound does not depend on which kernels run.
  const double bound8 = s.RunDecodeStep(8).tg_batch_tok_s_bound;
  s.rt.kernels = {};
  EXPECT_DOUBLE_EQ(s.RunDecodeStep(8).tg_batch_tok_s_bound, bound8);
}

TEST(PerfModel, FewTokensReadTheirExpertsOncePerTokenOnMetal) {
  // Below 32 tokens llama.cpp's Metal backend runs mul_mv_id: every token reads each of its
  // chosen experts (gpt-oss-20b: 4 of 32), so 16 tokens read twice the experts' bytes; from 32
  // tokens the grouped mul_mm_id reads each distinct expert once.
  Scene s("gpt-oss-20b", "mxfp4", "apple-m2-ultra-76c", "llama.cpp-metal");
  auto expert_bytes = [&](uint32_t b) { return s.DecodeOpSum(b, {"moe_experts"}, &OpCost::bytes); };
  const double one = expert_bytes(1);
  EXPECT_NEAR(expert_bytes(16) / one, 16.0, 1e-9);
  const double distinct32 = DistinctExperts(32, 4, 32) / 4;  // in units of one token's experts
  EXPECT_NEAR(expert_bytes(32) / one, distinct32, 1e-9);
  EXPECT_LT(expert_bytes(32), expert_bytes(16));
}

TEST(PerfModel, LlamaCppPrefillsMlaInTheAbsorbedForm) {
  // GLM-4.7-Flash (MLA): llama.cpp attends over the cached latent in prefill as in decode
  // (kv_lora_rank + rope key dims, kv_lora_rank value dims per head); vLLM decompresses keys
  // and values per head first (qk_nope + rope, v_head_dim).
  Scene s("glm-4.7-flash", "q8_0", "nvidia-dgx-spark", "llama.cpp-cuda", 32768 + 512);
  const MlaSpec& mla = *s.spec.mla;
  PerfWorkload w;
  w.prompt = 512;
  w.depth = 32768;
  w.gen = 0;
  auto attention_flops = [&](const Scene& sc) {
    double f = 0;
    for (const auto& op : sc.Run(w, true).ops)
      if (op.phase == "prefill" && op.name == "attention") f += op.flops * op.count;
    return f;
  };
  const double absorbed = attention_flops(s);
  s.rt.mla_absorbed_prefill = false;
  const double decompressed = attention_flops(s);
  const double ratio = (2.0 * mla.kv_lora_rank + mla.qk_rope_head_dim) /
                       (static_cast<double>(mla.qk_nope_head_dim) + mla.qk_rope_head_dim + mla.v_head_dim);
  EXPECT_NEAR(absorbed / decompressed, ratio, 1e-9 * ratio);
  EXPECT_TRUE(BuiltinCatalog().Runtime("llama.cpp-cuda").mla_absorbed_prefill);
  EXPECT_FALSE(BuiltinCatalog().Runtime("vllm").mla_absorbed_prefill);
}

TEST(PerfModel, ExpertParallelismWaitsForTheBusiestDevice) {
  // Monte Carlo of top-8-of-128 routing into 8 devices of 16 experts (20,000 draws): the busiest
  // device's expected assignments at 1, 4 and 64 tokens.
  for (auto [tokens, busiest] : {std::pair{1.0, 2.529}, std::pair{4.0, 6.935}, std::pair{64.0, 75.24}}) {
    SCOPED_TRACE(tokens);
    const ExpertParallelLoad l = BusiestExpertDevice(128, 8, tokens, 8);
    EXPECT_NEAR(l.flops_factor * tokens * 8 / 8, busiest, 0.03 * busiest);
    // Its 16 experts, each hit with probability 1/16 per assignment.
    EXPECT_NEAR(l.distinct_fraction, 1 - std::pow(15.0 / 16, busiest), 0.03);
  }
  // Balance improves with load; one device is no parallelism at all.
  EXPECT_LT(BusiestExpertDevice(128, 8, 8192, 8).flops_factor, 1.05);
  EXPECT_GT(BusiestExpertDevice(128, 8, 1, 8).flops_factor, BusiestExpertDevice(128, 8, 64, 8).flops_factor);
  EXPECT_DOUBLE_EQ(BusiestExpertDevice(128, 8, 64, 1).flops_factor, 1.0);
  EXPECT_NEAR(BusiestExpertDevice(128, 8, 64, 1).distinct_fraction, DistinctExperts(128, 8, 64) / 128, 1e-12);
  // A single token's 8 experts on 8 devices of 16: 2.5 of them on the busiest, so decode reads
  // more than a 1/8 share there; the bound (perfect balance) is the same with or without it.
  Scene s("qwen3-235b-a22b", "fp8", "nvidia-h100-sxm", "vllm");
  PerfWorkload w = Decode1();
  w.tp = w.devices = 8;
  PlanOptions group;
  group.devices = group.tp = 8;
  s.Replan(4096, 1, group);
  const Prediction tp = s.Run(w);
  w.ep = 8;
  const Prediction ep = s.Run(w);
  EXPECT_LT(ep.tg_tok_s, tp.tg_tok_s);
  EXPECT_DOUBLE_EQ(ep.tg_tok_s_bound, tp.tg_tok_s_bound);
}

TEST(PerfModel, HalfOffloaded70bOn24GbInBothStyles) {
  PlanOptions half;
  half.layers_on_device = 40;
  // llama.cpp style: the first 40 layers and the LM head run on the host CPU from host memory.
  Scene cpp("llama-3.1-70b", "q4_k_m", "nvidia-rtx-4090", "llama.cpp-cuda", 1024, half);
  ASSERT_EQ(cpp.plan.layers_on_device, 40u);
  const ModelFootprint fp = MakeFootprint(cpp.spec, cpp.tensors);
  double host_w = 0, dev_w = 0;
  for (uint32_t i = 0; i < 80; ++i) (i < 40 ? host_w : dev_w) += static_cast<double>(fp.layer_weight_bytes[i]);
  const double hand_cpp = 1.0 / (dev_w / 1008e9 + (host_w + fp.output_bytes) / 89.6e9);
  const Prediction p_cpp = cpp.Run(Decode1());
  EXPECT_NEAR(p_cpp.tg_tok_s_bound, hand_cpp, hand_cpp * 0.02);
  // Stream style (vLLM --cpu-offload-gb): every layer runs on the GPU; 40 layers' weights
  // cross PCIe 4.0 x16 (31.5 GB/s) every step. The bound lets that transfer overlap the
  // GPU's own reads: max(all weights / 1008 GB/s, streamed / 31.5 GB/s).
  Scene vl("llama-3.1-70b", "q4_k_m", "nvidia-rtx-4090", "vllm", 1024, half);
  const double hand_stream = 1.0 / std::max((dev_w + host_w + fp.output_bytes) / 1008e9, host_w / 31.5e9);
  const Prediction p_vl = vl.Run(Decode1());
  EXPECT_NEAR(p_vl.tg_tok_s_bound, hand_stream, hand_stream * 0.02);
  // The VRAM cliff: the same model entirely on the GPU would be >5x faster.
  PlanOptions all;
  all.layers_on_device = 80;
  Scene full("llama-3.1-70b", "q4_k_m", "nvidia-rtx-4090", "llama.cpp-cuda", 1024, all);
  full.plan.layers_on_device = 80;
  full.plan.output_on_device = true;
  EXPECT_GT(full.Run(Decode1()).tg_tok_s_bound, 5 * p_cpp.tg_tok_s_bound);
  EXPECT_EQ(p_cpp.decode.limit, "host memory (offloaded layers)");
  // The GPU's calibrated per-weight costs must not leak onto the host side.
  EXPECT_GT(p_cpp.tg_tok_s, 0.4 * p_cpp.tg_tok_s_bound);
  EXPECT_EQ(p_vl.decode.limit, "host link");
}

TEST(PerfModel, TensorParallelOverNvlinkAndPcie) {
  Scene nv("llama-3.1-70b", "fp8", "nvidia-h200-sxm", "vllm");
  Scene pcie("llama-3.1-70b", "fp8", "nvidia-h200-sxm", "vllm");
  pcie.hw.scaleup_link.clear();
  pcie.hw.scaleup_bytes_per_s.reset();
  PerfWorkload w = Decode1();
  const double tp1 = nv.Run(w).decode_bound.time_s;
  const double tg1_expected = nv.Run(w).tg_tok_s;
  ASSERT_TRUE(nv.plan.fits());
  w.tp = 2;
  w.devices = 2;
  PlanOptions two;
  two.devices = 2;
  nv.Replan(1024, 1, two);
  pcie.Replan(1024, 1, two);
  const Prediction p_nv = nv.Run(w, true);
  const Prediction p_pc = pcie.Run(w, true);
  // Hand: each GPU reads half the weights (H200: 4.8 TB/s); 2 all-reduces per layer of
  // 8192 x 2 bytes, a ring over 2 GPUs moves 2 (N-1)/N = 1 x that: NVLink 450 GB/s per
  // direction, PCIe 5.0 x16 63 GB/s. The bound lets the transfers overlap the weight reads;
  // the expected value adds them (and a per-all-reduce latency).
  const double ar_bytes = 160 * 8192 * 2.0;
  EXPECT_NEAR(p_nv.decode_bound.time_s, std::max(tp1 / 2, ar_bytes / 450e9), tp1 * 0.01);
  EXPECT_NEAR(p_pc.decode_bound.time_s, std::max(tp1 / 2, ar_bytes / 63e9), tp1 * 0.01);
  EXPECT_GT(p_nv.tg_tok_s, 1.4 * tg1_expected);  // TP=2 over NVLink: most of the 2x
  // Expected adds per-all-reduce latency: 8 us on NVLink, 25 us over PCIe, 160 of them.
  double ar_nv = 0, ar_pc = 0;
  for (const auto& op : p_nv.ops)
    if (op.phase == "decode" && op.name.rfind("all_reduce", 0) == 0) ar_nv += op.time_s;
  for (const auto& op : p_pc.ops)
    if (op.phase == "decode" && op.name.rfind("all_reduce", 0) == 0) ar_pc += op.time_s;
  EXPECT_GT(ar_pc, 2.5 * ar_nv);
  EXPECT_GT(p_nv.tg_tok_s, p_pc.tg_tok_s);
}

TEST(PerfModel, FlashAttentionOnAndOffAt32k) {
  Scene s("llama-3.1-8b", "q4_k_m", "nvidia-rtx-4090", "llama.cpp-cuda", 40000);
  PerfWorkload w;
  w.prompt = 512;
  w.depth = 32768;
  w.ubatch = 512;
  auto attention_time = [&](bool fa) {
    s.rt.flash_attention = fa;
    const Prediction p = Predict(PerfContext{s.pm, s.hw, s.rt, s.plan, BoundEfficiency()}, w, {}, true);
    double t = 0;
    for (const auto& op : p.ops)
      if (op.phase == "prefill" && op.name == "attention") t += op.time_s;
    return t;
  };
  // Keys attended, summed over the 512 queries: 512 x 32768 + 512 x 513 / 2 = 16.91 M.
  const double ctx_sum = 512.0 * 32768 + 512.0 * 513 / 2;
  // FA on: 2 x 32 heads x (128 + 128) x ctx_sum per layer at 330.3 TFLOPS (FP16 accumulate)
  // = 26.8 ms for 32 layers, but the KV (33280 tokens x 4 KiB per layer) is streamed once per
  // block of 64 query rows (llama.cpp's fattn kernels, fa_query_rows): the 4 q heads sharing a
  // KV head go in one block with 16 tokens each, so each KV head is read 512 / 16 = 32 times:
  // 32 x 4.36 GB = 139.6 GB at 1008 GB/s = 138 ms, the larger of the two.
  const double kv = 32 * (32768.0 + 512) * 4096;
  const double fa_on = std::max(32 * 2.0 * 32 * 256 * ctx_sum / 330.3e12, 32 * kv / 1008e9);
  // FA off: the 32 x 512 x 33k f32 score matrix is written and read twice: 16 bytes per
  // score, 277 GB over 32 layers at 1008 GB/s = 275 ms (plus one KV read).
  const double fa_off = (32 * 16.0 * 32 * ctx_sum + kv) / 1008e9;
  EXPECT_NEAR(attention_time(true), fa_on, fa_on * 0.01);
  EXPECT_NEAR(attention_time(false), fa_off, fa_off * 0.01);
  EXPECT_GT(fa_off, 1.9 * fa_on);
}

TEST(PerfModel, FlashAttentionReadsTheKvOncePerBlockOfQueryRows) {
  // llama.cpp CUDA's fattn blocks hold 64 query rows: q heads sharing a KV head (packed up to
  // 16) times tokens. The KV traffic of a 512-token pass at depth 32k, per KV head, is one read
  // per block: MHA (llama-2-7b: 1 q head per KV head) 512 / 64 = 8 reads; GQA 4:1 (llama-3.1-8b)
  // 4 heads x 16 tokens per block, 32 reads; without stated rows, one read per 64 tokens.
  auto kv_bytes = [](const char* model, uint32_t fa_rows) {
    Scene s(model, "q4_0", "nvidia-rtx-4090", "llama.cpp-cuda", 40000);
    s.rt.kernels.fa_query_rows = fa_rows;
    PerfWorkload w;
    w.prompt = 512;
    w.depth = 32768;
    w.ubatch = 512;
    const Prediction p = Predict(PerfContext{s.pm, s.hw, s.rt, s.plan, BoundEfficiency()}, w, {}, true);
    double bytes = 0;
    for (const auto& op : p.ops)
      if (op.phase == "prefill" && op.name == "attention") bytes += op.bytes;
    const ModelSpec& m = *s.pm.spec;
    return bytes / (m.n_layers * (32768.0 + 512) * 2 * m.n_kv_heads * m.head_dim * 2);  // KV reads
  };
  EXPECT_NEAR(kv_bytes("llama-2-7b", 64), 8, 0.1);
  EXPECT_NEAR(kv_bytes("llama-3.1-8b", 64), 32, 0.1);
  EXPECT_NEAR(kv_bytes("llama-3.1-8b", 0), 8, 0.1);
}

TEST(PerfModel, MetalDecodesAttentionInItsVectorKernel) {
  // llama.cpp Metal runs flash attention over fewer than 20 query tokens in its vector kernel
  // (SIMD dot products): GLM-4.7-Flash decoding at 32k depth (20 heads over a 576-wide latent)
  // takes at least the attention FLOPs at the FP32 rate times decode_attention. Prefill in
  // ubatches of 512 runs the matrix kernel at the attention efficiency, and the CUDA backend,
  // which states no vector kernel, decodes at the attention efficiency too.
  Scene s("glm-4.7-flash", "q8_0", "apple-m2-ultra-76c", "llama.cpp-metal", 40000);
  ASSERT_EQ(s.rt.kernels.fa_vec_max_tokens, 19u);
  PerfWorkload w;
  w.prompt = 512;
  w.gen = 1;
  w.depth = 32768;
  w.ubatch = 512;
  s.eff.decode_attention = 0.1;
  const double fp32 = *s.hw.PeakFlops(Precision::kFp32);
  const Prediction p = s.Run(w, true);
  double decode_attn = 0;
  for (const OpCost& op : p.ops) {
    if (op.phase == "decode" && op.name == "attention") {
      EXPECT_GE(op.time_s, op.flops / (fp32 * 0.1) * (1 - 1e-9));
      decode_attn += op.time_s;
    }
  }
  EXPECT_GT(decode_attn, 0);
  s.eff.decode_attention = 0.2;
  const Prediction faster = s.Run(w);
  EXPECT_GT(faster.tg_tok_s, p.tg_tok_s);
  EXPECT_DOUBLE_EQ(faster.pp_tok_s, p.pp_tok_s);
  EXPECT_DOUBLE_EQ(faster.tg_tok_s_bound, p.tg_tok_s_bound);

  Scene cuda("glm-4.7-flash", "q8_0", "nvidia-rtx-pro-6000", "llama.cpp-cuda", 40000);
  ASSERT_EQ(cuda.rt.kernels.fa_vec_max_tokens, 0u);
  cuda.eff.decode_attention = 0.1;
  const double tg = cuda.Run(w).tg_tok_s;
  cuda.eff.decode_attention = 0.2;
  EXPECT_DOUBLE_EQ(cuda.Run(w).tg_tok_s, tg);
}

TEST(PerfModel, WindowedLayersStopReadingKv) {
  Scene s("gpt-oss-20b", "mxfp4", "nvidia-rtx-5090", "llama.cpp-cuda", 40000);
  PerfWorkload w = Decode1();
  w.depth = 32000;
  const Prediction p = Predict(PerfContext{s.pm, s.hw, s.rt, s.plan, BoundEfficiency()}, w, {}, true);
  double attn_bytes = 0;
  for (const auto& op : p.ops)
    if (op.phase == "decode" && op.name == "attention") attn_bytes += op.bytes;
  // 12 full layers read 32001.5 tokens x 2 KiB (depth, the one prompt token, half the one
  // generated), 12 windowed layers only 128 tokens.
  EXPECT_NEAR(attn_bytes, 12 * 32001.5 * 2048 + 12 * 128 * 2048.0, 1e3);
}

TEST(PerfModel, EnergyAndCost) {
  Scene s("llama-3.1-8b", "q4_k_m", "nvidia-rtx-4090", "llama.cpp-cuda");
  Costing cost;
  const Prediction p = Predict(PerfContext{s.pm, s.hw, s.rt, s.plan, s.eff}, Decode1(), cost);
  ASSERT_TRUE(p.joules_per_token && p.usd_per_mtok);
  EXPECT_NEAR(*p.joules_per_token, 450 * p.decode.time_s, 1e-9);
  // $1599 over 3 years + 450 W at $0.15/kWh, per second, times seconds per Mtok.
  const double per_s = 1599 / (3 * 365.25 * 86400) + 0.45 * 0.15 / 3600;
  EXPECT_NEAR(*p.usd_per_mtok, per_s * p.decode.time_s * 1e6, 1e-9);
  cost.rental_usd_per_hour = 0.7;
  const Prediction r = Predict(PerfContext{s.pm, s.hw, s.rt, s.plan, s.eff}, Decode1(), cost);
  EXPECT_NEAR(*r.usd_per_mtok, 0.7 / 3600 * r.decode.time_s * 1e6, 1e-9);
}

TEST(PerfModel, SaturatedThroughputBeatsSingleStream) {
  Scene s("llama-3.1-8b", "fp8", "nvidia-h100-sxm", "vllm");
  s.Replan(2048, 64);
  const PerfContext ctx{s.pm, s.hw, s.rt, s.plan, s.eff};
  const Throughput t = SaturatedThroughput(ctx, 1024, 1024, 64, PerfWorkload{});
  const Prediction single = Predict(ctx, Decode1());
  EXPECT_GT(t.tok_s, 10 * single.tg_tok_s);
  EXPECT_LE(t.tok_s, t.tok_s_bound);
}

}  // namespace
}  // namespace tokcast
