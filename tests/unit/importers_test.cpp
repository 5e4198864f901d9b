// HF config.json and safetensors importers.
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/hf_config.h"
#include "catalog/model_source.h"
#include "test_util.h"

namespace tokcast::catalog {
namespace {

using nlohmann::json;
using test::TempDir;

std::string ErrorOf(const json& j) {
  try {
    ModelSpecFromHfConfig(j, "config.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(HfConfig, Llama31_8bFromItsPublishedConfig) {
  const json j = json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
    "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
    "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
    "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})");
  const ModelSpec s = ModelSpecFromHfConfig(j, "config.json");
  EXPECT_EQ(s.head_dim, 128u);
  const auto c = CountParams(s, BuildTensorInventory(s));
  EXPECT_NEAR(static_cast<double>(c.total) / 1e9, 8.03, 0.01);
}

TEST(HfConfig, MultimodalWrappersUseTheTextConfig) {
  const json j = json::parse(R"({"model_type": "gemma3", "text_config": {
      "hidden_size": 2560, "intermediate_size": 10240, "num_hidden_layers": 34, "num_attention_heads": 8,
      "num_key_value_heads": 4, "head_dim": 256, "vocab_size": 262208, "sliding_window": 1024,
      "sliding_window_pattern": 6}, "vision_config": {"hidden_size": 1152}})");
  const ModelSpec s = ModelSpecFromHfConfig(j, "config.json");
  EXPECT_EQ(s.arch, "gemma3_text");
  EXPECT_TRUE(s.tied_embeddings);
  EXPECT_EQ(s.LocalLayerCount(), 29u);
  EXPECT_FALSE(s.IsLocalLayer(5));
}

TEST(HfConfig, ClearErrors) {
  EXPECT_NE(
      ErrorOf(json::parse(R"({"model_type": "mamba", "hidden_size": 1})")).find("unsupported architecture 'mamba'"),
      std::string::npos);
  EXPECT_NE(ErrorOf(json::parse(R"({"model_type": "llama", "hidden_size": 4096})")).find("num_hidden_layers"),
            std::string::npos);
  EXPECT_NE(ErrorOf(json::parse(R"({"model_type": "llama", "hidden_size": "big", "num_hidden_layers": 2})"))
                .find("key 'hidden_size': expected an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(json::parse(R"({"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 2,
        "num_attention_heads": 32, "num_key_value_heads": 5, "vocab_size": 10, "intermediate_size": 8})"))
                .find("multiple of num_key_value_heads"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(json::parse(R"({"model_type": "llama", "hidden_size": -4, "num_hidden_layers": 2})")).find("hidden_size"),
      std::string::npos);
  EXPECT_NE(ErrorOf(json::parse("[1,2]")).find("JSON object"), std::string::npos);
}

TEST(HfConfig, LoadsFromAFolderWithNoWeights) {
  TempDir dir;
  std::ofstream(dir.File("config.json")) << R"({"model_type": "qwen3", "hidden_size": 1024, "intermediate_size": 3072,
      "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
      "vocab_size": 151936, "tie_word_embeddings": true})";
  const ResolvedModel r = ResolveModel(test::BuiltinCatalog(), dir.path());
  EXPECT_FALSE(r.tensors);
  EXPECT_EQ(r.spec.n_layers, 28u);
  EXPECT_NEAR(static_cast<double>(CountParams(r.spec, BuildTensorInventory(r.spec)).total) / 1e9, 0.596, 0.01);
  std::ofstream(dir.File("bad.json")) << "{not json";
  EXPECT_THROW(ResolveModel(test::BuiltinCatalog(), dir.File("bad.json")), InputError);
}

// Writes a safetensors file with the given tensors (name, dtype, shape), zero data.
void WriteSafetensors(const std::string& path,
                      const std::vector<std::tuple<std::string, std::string, std::vector<uint64_t>>>& ts,
                      size_t chop = 0) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& [name, dtype, shape] : ts) {
    uint64_t n = dtype == "F32" ? 4 : 2;
    for (auto d : shape) n *= d;
    header[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  header["__metadata__"] = {{"format", "pt"}};
  const std::string h = header.dump();
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = h.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out << h;
  out << std::string(static_cast<size_t>(offset - std::min<uint64_t>(chop, offset)), '\0');
}

TEST(Safetensors, CountsParamsAndDtypes) {
  TempDir dir;
  WriteSafetensors(dir.File("model.safetensors"), {{"model.embed_tokens.weight", "BF16", {100, 64}},
                                                   {"model.layers.0.self_attn.q_proj.weight", "BF16", {64, 64}},
                                                   {"model.layers.0.input_layernorm.weight", "F32", {64}},
                                                   {"lm_head.weight", "BF16", {100, 64}}});
  const auto s = ReadSafetensors(dir.File("model.safetensors"));
  EXPECT_EQ(s.total_params, 6400u + 4096 + 64 + 6400);
  EXPECT_EQ(s.params_by_dtype.at("BF16"), 6400u + 4096 + 6400);
  EXPECT_EQ(s.params_by_dtype.at("F32"), 64u);
  EXPECT_EQ(s.total_bytes, (6400u + 4096 + 6400) * 2 + 64 * 4);
  bool saw_layer = false;
  for (const auto& t : s.tensors) {
    if (t.name.find("q_proj") != std::string::npos) {
      EXPECT_EQ(t.layer, 0);
      EXPECT_EQ(t.role, TensorRole::kAttnQ);
      saw_layer = true;
    }
    if (t.name == "lm_head.weight") EXPECT_EQ(t.role, TensorRole::kOutput);
  }
  EXPECT_TRUE(saw_layer);
}

TEST(Safetensors, IndexAcrossShards) {
  TempDir dir;
  WriteSafetensors(dir.File("a.safetensors"), {{"x", "F16", {8, 8}}});
  WriteSafetensors(dir.File("b.safetensors"), {{"y", "F16", {4}}});
  std::ofstream(dir.File("model.safetensors.index.json"))
      << R"({"metadata": {"total_size": 136}, "weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})";
  const auto s = ReadSafetensors(dir.File("model.safetensors.index.json"));
  EXPECT_EQ(s.total_params, 68u);
  EXPECT_EQ(*s.index_total_size, 136u);
  EXPECT_TRUE(s.missing_shards.empty());
  std::ofstream(dir.File("evil.index.json")) << R"({"weight_map": {"x": "../../etc/passwd"}})";
  EXPECT_THROW(ReadSafetensors(dir.File("evil.index.json")), InputError);
}

TEST(Safetensors, TruncatedAndCorruptFilesAreClearErrors) {
  TempDir dir;
  WriteSafetensors(dir.File("t.safetensors"), {{"x", "F16", {64, 64}}}, 100);
  try {
    ReadSafetensors(dir.File("t.safetensors"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  std::ofstream(dir.File("tiny.safetensors")) << "abc";
  EXPECT_THROW(ReadSafetensors(dir.File("tiny.safetensors")), InputError);
  {
    std::ofstream out(dir.File("huge.safetensors"), std::ios::binary);
    const uint64_t len = 1ULL << 60;
    out.write(reinterpret_cast<const char*>(&len), 8);
    out << "{}";
  }
  EXPECT_THROW(ReadSafetensors(dir.File("huge.safetensors")), InputError);
}

TEST(Safetensors, FolderWithConfigUsesTheExactWeights) {
  TempDir dir;
  std::ofstream(dir.File("config.json")) << R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 100})";
  WriteSafetensors(dir.File("model.safetensors"), {{"model.embed_tokens.weight", "BF16", {100, 64}},
                                                   {"model.layers.0.mlp.up_proj.weight", "BF16", {128, 64}}});
  const ResolvedModel r = ResolveModel(test::BuiltinCatalog(), dir.path());
  ASSERT_TRUE(r.tensors);
  EXPECT_EQ(TotalBytes(*r.tensors), (6400u + 8192) * 2);
  EXPECT_NE(r.weights_label.find("BF16"), std::string::npos);
}

}  // namespace
}  // namespace tokcast::catalog
