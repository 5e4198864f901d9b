// Writes the binary seed corpora (GGUF files) into fuzz/corpus/: headers of a dense and an
// MoE/MLA model with every metadata type, for gguf_fuzzer; and whole tiny models with their
// weights (Llama, Qwen2 with biases, Qwen3 with Q/K norms, at Q8_0, Q4_0 and F16) written by
// `tokcast synth`'s own code, for gguf_probe_fuzzer. The committed corpora come from here:
//   gguf_make_seeds fuzz/corpus
#include <filesystem>
#include <iostream>

#include "app/bench.h"
#include "catalog/gguf.h"
#include "catalog/model_source.h"

using namespace tokcast;
using namespace tokcast::catalog;

namespace {

void HeaderSeeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  ModelSpec s;
  s.id = s.name = "seed";
  s.arch = "llama";
  s.n_layers = 2;
  s.hidden = 64;
  s.n_heads = 4;
  s.n_kv_heads = 2;
  s.head_dim = s.v_head_dim = 16;
  s.ffn = 128;
  s.vocab = 64;
  auto tensors = BuildTensorInventory(s);
  QuantRecipe q;
  q.default_type = TensorType::kQ8_0;
  ApplyRecipe(q, s.n_layers, tensors);
  auto w = GgufWriterForModel(s, tensors);
  w.Set("tokenizer.ggml.tokens", GgufOut::StrArr({"<s>", "</s>", "a"}));
  w.Set("x.nested", GgufOut::Arr(GgufType::kArray, {GgufOut::Arr(GgufType::kFloat32, {GgufOut::F32(1)})}));
  w.WriteFile(dir / "dense.gguf", false);

  ModelSpec m = s;
  m.arch = "deepseek_v3";
  m.mla = MlaSpec{32, 32, 16, 16, 16};
  m.head_dim = 32;
  m.n_kv_heads = m.n_heads;
  m.moe = MoeSpec{4, 2, 1, 32, 0, 1, 1, false, false};
  auto mt = BuildTensorInventory(m);
  ApplyRecipe(QuantRecipe{}, m.n_layers, mt);
  GgufWriterForModel(m, mt).WriteFile(dir / "moe_mla.gguf", false);
}

// A model small enough for a fuzzer's input (vocab 260: the byte tokenizer needs 259).
std::string TinyModel(const char* id, const char* type, bool tied) {
  return std::string("schema_version = 1\nid = \"") + id + "\"\nname = \"" + id + "\"\n[config]\nmodel_type = \"" +
         type +
         "\"\nhidden_size = 32\nintermediate_size = 64\nnum_hidden_layers = 2\nnum_attention_heads = 2\n"
         "num_key_value_heads = 1\nhead_dim = 16\nvocab_size = 260\nmax_position_embeddings = 64\n"
         "tie_word_embeddings = " +
         (tied ? "true" : "false") + "\n";
}

void ModelSeeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  Catalog cat = Catalog::Builtin();
  cat.AddFile("models", "seed-llama.toml", TinyModel("seed-llama", "llama", false));
  cat.AddFile("models", "seed-qwen2.toml", TinyModel("seed-qwen2", "qwen2", true));
  cat.AddFile("models", "seed-qwen3.toml", TinyModel("seed-qwen3", "qwen3", true));
  const struct {
    const char *model, *quant;
  } seeds[] = {{"seed-llama", "q8_0"}, {"seed-llama", "q4_0"}, {"seed-qwen2", "q8_0"}, {"seed-qwen3", "f16"}};
  for (const auto& s : seeds) {
    app::SynthRequest r;
    r.model = s.model;
    r.quant = s.quant;
    r.path = (dir / (std::string(s.model) + "-" + s.quant + ".gguf")).string();
    app::Synth(cat, r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: gguf_make_seeds CORPUS_DIR\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  try {
    HeaderSeeds(root / "gguf");
    ModelSeeds(root / "gguf_probe");
  } catch (const std::exception& e) {
    std::cerr << "gguf_make_seeds: " << e.what() << "\n";
    return 1;
  }
  std::cout << "wrote GGUF seeds under " << root << "\n";
  return 0;
}
