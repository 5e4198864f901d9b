// Writes a small seed corpus of valid GGUF headers (a dense model, an MoE/MLA model, every
// metadata type) into DIR, for the fuzzer to mutate.
#include <filesystem>
#include <iostream>

#include "catalog/gguf.h"
#include "catalog/model_source.h"

using namespace tokcast;
using namespace tokcast::catalog;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: gguf_make_seeds DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
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
  std::cout << "wrote seeds to " << dir << "\n";
  return 0;
}
