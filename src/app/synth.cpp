// tokcast synth: the probe engine's synthetic model as a GGUF file with a minimal tokenizer,
// loadable by llama.cpp, so other engines can run the same model.
#include <filesystem>

#include "app/bench.h"
#include "catalog/error.h"
#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "measure/probe.h"
#include "report/kinds.h"

namespace tokcast::app {

namespace {

using catalog::GgufOut;
using catalog::GgufType;

// A SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then filler pieces.
void AddTokenizer(catalog::GgufWriter& w, uint32_t vocab) {
  std::vector<GgufOut> tokens, scores, types;
  tokens.reserve(vocab);
  for (uint32_t i = 0; i < vocab; ++i) {
    std::string piece;
    int32_t type = 1;  // normal
    if (i == 0) {
      piece = "<unk>";
      type = 2;
    } else if (i == 1 || i == 2) {
      piece = i == 1 ? "<s>" : "</s>";
      type = 3;
    } else if (i < 3 + 256) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "<0x%02X>", i - 3);
      piece = buf;
      type = 6;  // byte
    } else {
      piece = "\xe2\x96\x81t" + std::to_string(i);  // "▁t<id>"
    }
    tokens.push_back(GgufOut::Str(piece));
    scores.push_back(GgufOut::F32(-static_cast<float>(i)));
    GgufOut t;
    t.type = GgufType::kInt32;
    t.i = type;
    types.push_back(t);
  }
  w.Set("tokenizer.ggml.model", GgufOut::Str("llama"));
  w.Set("tokenizer.ggml.tokens", GgufOut::Arr(GgufType::kString, std::move(tokens)));
  w.Set("tokenizer.ggml.scores", GgufOut::Arr(GgufType::kFloat32, std::move(scores)));
  w.Set("tokenizer.ggml.token_type", GgufOut::Arr(GgufType::kInt32, std::move(types)));
  w.Set("tokenizer.ggml.bos_token_id", GgufOut::U32(1));
  w.Set("tokenizer.ggml.eos_token_id", GgufOut::U32(2));
  w.Set("tokenizer.ggml.unknown_token_id", GgufOut::U32(0));
  w.Set("tokenizer.ggml.add_bos_token", GgufOut::Bool(true));
}

}  // namespace

SynthResult Synth(const catalog::Catalog& cat, const SynthRequest& r) {
  if (r.path.empty()) throw catalog::InputError("synth needs an output file: -o FILE.gguf");
  ModelSpec spec = cat.Model(r.model).spec;
  cat.FillRopeDefaults(spec);
  auto type = TensorTypeFromString(r.quant);
  if (!type || !(*type == TensorType::kF32 || *type == TensorType::kF16 || *type == TensorType::kQ8_0 ||
                 *type == TensorType::kQ4_0)) {
    throw catalog::InputError("quant '" + r.quant + "': synth writes f32, f16, q8_0 or q4_0");
  }
  if (spec.vocab < 3 + 256) throw catalog::InputError(spec.id + ": the vocabulary is too small for the byte tokenizer");
  std::unique_ptr<measure::ProbeModel> m;
  try {
    m = measure::ProbeModel::Synthesize(spec, *type, r.seed, 1, /*ggml_layout=*/true);
  } catch (const std::invalid_argument& e) {
    throw catalog::InputError(e.what());
  }
  QuantRecipe recipe;
  recipe.default_type = *type;
  auto inventory = BuildTensorInventory(spec);
  ApplyRecipe(recipe, spec.n_layers, inventory);
  auto w = catalog::GgufWriterForModel(spec, inventory);
  w.Set("general.name", GgufOut::Str(spec.id + " (tokcast synthetic " + r.quant + ")"));
  w.Set("general.file_type", GgufOut::U32(*type == TensorType::kF32    ? 0
                                          : *type == TensorType::kF16  ? 1
                                          : *type == TensorType::kQ8_0 ? 7
                                                                       : 2));
  AddTokenizer(w, spec.vocab);
  std::vector<const uint8_t*> data;
  for (const auto& t : w.tensors()) {
    const measure::ProbeTensor* pt = m->Find(t.name);
    if (!pt || pt->rows * pt->row_bytes * pt->experts != t.bytes) {
      throw std::logic_error("synthetic tensor '" + t.name + "' does not match the GGUF layout");
    }
    data.push_back(pt->data);
  }
  w.WriteFileWithData(r.path, data);
  std::error_code ec;
  return {r.path, spec.id, r.quant, w.tensors().size(), std::filesystem::file_size(r.path, ec)};
}

report::Report SynthReport(const SynthResult& r) {
  report::Report rep;
  rep.schema = &report::kinds::Synthesized();
  rep.rows.push_back(
      {{"path", r.path}, {"model", r.model}, {"quant", r.quant}, {"tensors", r.tensors}, {"file_bytes", r.bytes}});
  rep.notes.push_back("wrote " + r.path + ": " + r.model + ", " + r.quant + ", " + std::to_string(r.tensors) +
                      " tensors, " + std::to_string(r.bytes) + " bytes");
  return rep;
}

}  // namespace tokcast::app
