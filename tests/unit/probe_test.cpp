// The probe engine's forward pass against a plain double-precision reference.
// Tolerances: F32 weights differ only by the fp16 KV cache (1e-2 relative); quantized weights
// also quantize activations to Q8_0 like llama.cpp (3% relative RMS error on the logits).
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "app/bench.h"
#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "measure/kernels.h"
#include "measure/probe.h"
#include "measure/thread_pool.h"
#include "test_util.h"

namespace tokcast::measure {
namespace {

ModelSpec Tiny(bool moe = false) {
  ModelSpec s;
  s.id = s.name = moe ? "tiny-moe" : "tiny";
  s.arch = "llama";
  s.n_layers = 2;
  s.hidden = 64;
  s.n_heads = 4;
  s.n_kv_heads = 2;
  s.head_dim = s.v_head_dim = 16;
  s.ffn = 128;
  s.vocab = 256;
  s.max_context = 64;
  if (moe) s.moe = MoeSpec{4, 2, 0, 64, 0, 0, 1, false, false};
  return s;
}

double RelRms(const std::vector<float>& a, const std::vector<double>& b) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err += (a[i] - b[i]) * (a[i] - b[i]);
    norm += b[i] * b[i];
  }
  return std::sqrt(err / norm);
}

size_t Argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}
size_t Argmax(const std::vector<double>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

void CheckAgainstReference(const ModelSpec& spec, TensorType wt, double tol) {
  SCOPED_TRACE(spec.id + " " + std::string(ToString(wt)));
  auto m = ProbeModel::Synthesize(spec, wt, 3, 64);
  ThreadPool pool(2);
  // 12 tokens: past kF32AttentionTokens, so the prefill takes the F32 attention path.
  std::vector<int32_t> prompt = {1, 17, 42, 99, 200, 5, 7, 3, 250, 64, 12, 8};
  std::vector<float> logits;
  m->Forward(pool, prompt.data(), prompt.size(), &logits);  // prefill
  const auto ref = ReferenceForward(*m, prompt);
  EXPECT_LT(RelRms(logits, ref), tol);
  // Greedy decoding: the same tokens as the reference, step by step.
  std::vector<int32_t> seq = prompt;
  for (int step = 0; step < 6; ++step) {
    const auto r = ReferenceForward(*m, seq);
    const auto next = static_cast<int32_t>(Argmax(logits));
    EXPECT_EQ(next, static_cast<int32_t>(Argmax(r))) << "step " << step;
    EXPECT_LT(RelRms(logits, r), tol);
    seq.push_back(next);
    m->Forward(pool, &seq.back(), 1, &logits);  // decode one token with the KV cache
  }
}

TEST(Probe, DenseForwardMatchesTheReference) {
  CheckAgainstReference(Tiny(), TensorType::kF32, 1e-2);
  CheckAgainstReference(Tiny(), TensorType::kF16, 1e-2);
  CheckAgainstReference(Tiny(), TensorType::kQ8_0, 3e-2);
  CheckAgainstReference(Tiny(), TensorType::kQ4_0, 3e-2);
}

TEST(Probe, QwenStyleAndMoeForwardMatchTheReference) {
  ModelSpec q = Tiny();
  q.arch = "qwen3";
  q.qk_norm = true;
  q.qkv_bias = true;
  CheckAgainstReference(q, TensorType::kQ8_0, 3e-2);
  CheckAgainstReference(Tiny(true), TensorType::kQ8_0, 3e-2);
}

TEST(Probe, PrefillEqualsTokenByTokenDecode) {
  auto a = ProbeModel::Synthesize(Tiny(), TensorType::kQ4_0, 5, 64);
  auto b = ProbeModel::Synthesize(Tiny(), TensorType::kQ4_0, 5, 64);
  ThreadPool pool(2);
  const std::vector<int32_t> toks = {3, 1, 4, 1, 5, 9, 2, 6};
  std::vector<float> la, lb;
  a->Forward(pool, toks.data(), toks.size(), &la);
  for (size_t i = 0; i < toks.size(); ++i) b->Forward(pool, &toks[i], 1, &lb);
  for (size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i], lb[i], 1e-3 * (1 + std::fabs(lb[i])));
}

TEST(Probe, RunsFromAMappedGgufFile) {
  test::TempDir dir;
  const ModelSpec spec = Tiny();
  auto synth = ProbeModel::Synthesize(spec, TensorType::kQ8_0, 11, 64);
  // Write the synthetic weights as a GGUF file (llama.cpp naming), then map it back.
  std::vector<TensorInfo> inv = BuildTensorInventory(spec);
  QuantRecipe r;
  r.default_type = TensorType::kQ8_0;
  ApplyRecipe(r, spec.n_layers, inv);
  auto writer = catalog::GgufWriterForModel(spec, inv);
  writer.WriteFile(dir.File("m.gguf"), true);
  auto file = std::make_shared<catalog::GgufFile>(catalog::GgufFile::Open(dir.File("m.gguf")));
  auto from_file = ProbeModel::FromWeights(app::GgufWeights(file),
                                           catalog::ModelSpecFromGguf(file->header(), file->bytes(), "m.gguf"), 64);
  EXPECT_EQ(from_file->weights_bytes(), file->header().TensorDataBytes());
  ThreadPool pool(1);
  std::vector<float> logits;
  const std::vector<int32_t> toks = {1, 2, 3};
  from_file->Forward(pool, toks.data(), toks.size(), &logits);  // zero weights: finite output
  for (float v : logits) EXPECT_TRUE(std::isfinite(v));
  // A file with a type the engine does not run gets a clear error.
  QuantRecipe k;
  k.default_type = TensorType::kQ4_K;
  std::vector<TensorInfo> inv2 = BuildTensorInventory(Tiny());
  ModelSpec wide = Tiny();
  wide.hidden = 256;
  inv2 = BuildTensorInventory(wide);
  ApplyRecipe(k, wide.n_layers, inv2);
  catalog::GgufWriterForModel(wide, inv2).WriteFile(dir.File("k.gguf"), true);
  auto kf = std::make_shared<catalog::GgufFile>(catalog::GgufFile::Open(dir.File("k.gguf")));
  EXPECT_THROW(ProbeModel::FromWeights(app::GgufWeights(kf),
                                       catalog::ModelSpecFromGguf(kf->header(), kf->bytes(), "k.gguf"), 64),
               std::invalid_argument);
}

TEST(Probe, RejectsWhatItDoesNotRun) {
  EXPECT_THROW(ProbeModel::Synthesize(test::BuiltinCatalog().Model("deepseek-v3").spec, TensorType::kQ4_0, 1, 8),
               std::invalid_argument);
  EXPECT_THROW(ProbeModel::Synthesize(Tiny(), TensorType::kQ4_K, 1, 8), std::invalid_argument);
  auto m = ProbeModel::Synthesize(Tiny(), TensorType::kQ8_0, 1, 4);
  ThreadPool pool(1);
  const std::vector<int32_t> five = {1, 2, 3, 4, 5};
  EXPECT_THROW(m->Forward(pool, five.data(), five.size(), nullptr), std::invalid_argument);
  const int32_t bad = 100000;
  EXPECT_THROW(m->Forward(pool, &bad, 1, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace tokcast::measure

namespace tokcast::measure {
namespace {

// A file whose metadata and tensors disagree is refused with its reason, never run.
TEST(Probe, FilesWhoseShapesDisagreeWithTheirMetadataAreRefused) {
  test::TempDir dir;
  const ModelSpec spec = Tiny();
  std::vector<TensorInfo> inv = BuildTensorInventory(spec);
  QuantRecipe r;
  r.default_type = TensorType::kQ8_0;
  ApplyRecipe(r, spec.n_layers, inv);
  // The metadata claims a wider model than the tensors hold.
  auto w = catalog::GgufWriterForModel(spec, inv);
  w.Set("llama.embedding_length", catalog::GgufOut::U32(96));
  w.WriteFile(dir.File("wide.gguf"), true);
  auto f = std::make_shared<catalog::GgufFile>(catalog::GgufFile::Open(dir.File("wide.gguf")));
  ModelSpec lie = catalog::ModelSpecFromGguf(f->header(), f->bytes(), "wide.gguf");
  try {
    ProbeModel::FromWeights(app::GgufWeights(f), lie, 16);
    ADD_FAILURE() << "a file whose shapes disagree ran";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("the model's metadata says"), std::string::npos) << e.what();
  }
  // 9,000 layers claimed, tensors for 2.
  auto w2 = catalog::GgufWriterForModel(spec, inv);
  w2.Set("llama.block_count", catalog::GgufOut::U32(9000));
  w2.WriteFile(dir.File("deep.gguf"), true);
  auto f2 = std::make_shared<catalog::GgufFile>(catalog::GgufFile::Open(dir.File("deep.gguf")));
  EXPECT_THROW(catalog::ModelSpecFromGguf(f2->header(), f2->bytes(), "deep.gguf"), catalog::InputError);
  const auto cli = test::RunCli({"fit", "--model", dir.File("deep.gguf"), "--hw", "nvidia-rtx-4090"});
  EXPECT_EQ(cli.code, 1);
  EXPECT_NE(cli.err.find("claims 9000 layers"), std::string::npos) << cli.err;
  // The same through the CLI: one line, exit 1.
  const auto bench =
      test::RunCli({"--no-store", "bench", "model", "--model", dir.File("wide.gguf"), "-p", "4", "-n", "1", "-r", "1"});
  EXPECT_EQ(bench.code, 1);
  EXPECT_EQ(std::count(bench.err.begin(), bench.err.end(), '\n'), 1) << bench.err;
}

}  // namespace
}  // namespace tokcast::measure
