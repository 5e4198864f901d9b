#include "catalog/model_source.h"

#include <cstdio>
#include <cstring>
#include <map>

#include "catalog/hf_config.h"

namespace tokcast::catalog {
namespace {

namespace fs = std::filesystem;

}  // namespace

std::string DominantTensorType(const std::vector<TensorInfo>& tensors) {
  std::map<std::string, uint64_t> by;
  for (const auto& t : tensors) by[std::string(ToString(t.type))] += t.bytes;
  std::string best;
  uint64_t most = 0;
  for (const auto& [k, v] : by) {
    if (v > most) {
      most = v;
      best = k;
    }
  }
  return best;
}

namespace {

// llama_ftype names for general.file_type (llama.h).
std::string FileTypeName(uint64_t ftype) {
  static const std::map<uint64_t, std::string> kNames = {
      {0, "F32"},     {1, "F16"},     {2, "Q4_0"},      {3, "Q4_1"},    {7, "Q8_0"},     {8, "Q5_0"},
      {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"},   {12, "Q3_K_M"}, {13, "Q3_K_L"},  {14, "Q4_K_S"},
      {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"},   {18, "Q6_K"},   {19, "IQ2_XXS"}, {20, "IQ2_XS"},
      {21, "Q2_K_S"}, {22, "IQ3_XS"}, {23, "IQ3_XXS"},  {24, "IQ1_S"},  {25, "IQ4_NL"},  {26, "IQ3_S"},
      {27, "IQ3_M"},  {28, "IQ2_S"},  {29, "IQ2_M"},    {30, "IQ4_XS"}, {31, "IQ1_M"},   {32, "BF16"},
      {36, "TQ1_0"},  {37, "TQ2_0"},  {38, "MXFP4_MOE"}};
  auto it = kNames.find(ftype);
  return it == kNames.end() ? "" : it->second;
}

ResolvedModel FromGguf(const fs::path& path) {
  GgufFile f = GgufFile::Open(path);
  if (f.header().Uint("split.count").value_or(1) <= 1) return ResolveGguf(f.header(), f.bytes(), path.string());
  std::vector<GgufHeader> rest;
  const auto names = GgufSplitNames(path.filename().string(), f.header());
  for (size_t i = 1; i < names.size(); ++i) {
    const fs::path other = path.parent_path() / names[i];
    if (!fs::exists(other)) {
      throw InputError(path.string() + ": split " + std::to_string(i + 1) + " of " + std::to_string(names.size()) +
                       " is missing: " + other.string());
    }
    rest.push_back(GgufFile::Open(other).header());
  }
  return ResolveGguf(MergeGgufSplits(f.header(), rest), f.bytes(), path.string());
}

ResolvedModel FromConfigDir(const fs::path& config) {
  ResolvedModel r;
  r.spec = LoadHfConfig(config);
  r.source = config.string();
  const fs::path dir = config.parent_path().empty() ? fs::path(".") : config.parent_path();
  fs::path weights;
  if (fs::exists(dir / "model.safetensors.index.json"))
    weights = dir / "model.safetensors.index.json";
  else if (fs::exists(dir / "model.safetensors"))
    weights = dir / "model.safetensors";
  if (!weights.empty()) {
    auto st = ReadSafetensors(weights);
    if (st.missing_shards.empty() && !st.tensors.empty()) {
      r.tensors = std::move(st.tensors);
      r.weights_label = "safetensors " + DominantTensorType(*r.tensors);
      r.source = weights.string();
    }
  }
  return r;
}

}  // namespace

std::vector<std::string> GgufSplitNames(const std::string& first_name, const GgufHeader& first) {
  const uint64_t count = first.Uint("split.count").value_or(1);
  if (count <= 1) return {first_name};
  if (count > 9999) throw InputError(first_name + ": split.count " + std::to_string(count) + " is absurd");
  // llama.cpp's llama_split_path: PREFIX-%05d-of-%05d.gguf
  char tail[32];
  std::snprintf(tail, sizeof tail, "-%05d-of-%05d.gguf", 1, static_cast<int>(count));
  if (first.Uint("split.no").value_or(0) != 0 || !first_name.ends_with(tail)) {
    throw InputError(first_name + ": a split GGUF is read from its first split, named PREFIX" + tail);
  }
  const std::string prefix = first_name.substr(0, first_name.size() - std::strlen(tail));
  std::vector<std::string> names;
  for (uint64_t i = 1; i <= count; ++i) {
    std::snprintf(tail, sizeof tail, "-%05d-of-%05d.gguf", static_cast<int>(i), static_cast<int>(count));
    names.push_back(prefix + tail);
  }
  return names;
}

GgufHeader MergeGgufSplits(GgufHeader first, const std::vector<GgufHeader>& rest) {
  for (const auto& h : rest) first.tensors.insert(first.tensors.end(), h.tensors.begin(), h.tensors.end());
  return first;
}

ResolvedModel ResolveGguf(const GgufHeader& header, std::span<const uint8_t> bytes, const std::string& origin) {
  ResolvedModel r;
  r.spec = ModelSpecFromGguf(header, bytes, origin);
  r.tensors = TensorsFromGguf(header);
  r.source = origin;
  std::string label;
  if (auto ft = header.Uint("general.file_type")) label = FileTypeName(*ft);
  if (label.empty()) label = DominantTensorType(*r.tensors);
  r.weights_label = "GGUF " + label;
  return r;
}

ResolvedModel ResolveModel(const Catalog& catalog, const std::string& arg) {
  if (const ModelEntry* m = catalog.FindModel(arg)) {
    ResolvedModel r;
    r.spec = m->spec;
    r.source = "catalog";
    if (m->tensors) {
      r.tensors = m->tensors;
      r.weights_label = m->weights_label;
      r.source = m->origin;
    }
    return r;
  }
  const fs::path p(arg);
  std::error_code ec;
  const bool looks_like_path = arg.find('/') != std::string::npos || arg.ends_with(".gguf") || arg.ends_with(".json") ||
                               arg.ends_with(".safetensors");
  if (!fs::exists(p, ec)) {
    if (looks_like_path) throw InputError(arg + ": no such file");
    catalog.Model(arg);  // throws: unknown model with the closest ids
  }
  return ResolveModelFile(p);
}

ResolvedModel ResolveModelFile(const fs::path& p) {
  const std::string arg = p.string();
  std::error_code ec;
  if (!fs::exists(p, ec)) throw InputError(arg + ": no such file");
  if (fs::is_directory(p, ec)) {
    if (!fs::exists(p / "config.json")) throw InputError(arg + ": the folder has no config.json");
    return FromConfigDir(p / "config.json");
  }
  const std::string name = p.filename().string();
  if (name.ends_with(".gguf")) return FromGguf(p);
  if (name.ends_with(".safetensors") || name.ends_with(".safetensors.index.json")) {
    const fs::path config = p.parent_path() / "config.json";
    if (!fs::exists(config)) {
      throw InputError(arg + ": safetensors hold no architecture; put config.json beside it or pass the config");
    }
    return FromConfigDir(config);
  }
  if (name.ends_with(".json")) return FromConfigDir(p);
  // Unknown extension: sniff the GGUF magic.
  return FromGguf(p);
}

}  // namespace tokcast::catalog
