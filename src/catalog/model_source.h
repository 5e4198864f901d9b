// Resolves what a user names with --model: a catalog id, an HF config.json (or a directory
// holding one, with safetensors weights when present), a GGUF file, or a safetensors file /
// model.safetensors.index.json. File-based weights give exact per-tensor sizes.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/gguf.h"
#include "core/model.h"

namespace tokcast::catalog {

struct ResolvedModel {
  ModelSpec spec;
  std::optional<std::vector<TensorInfo>> tensors;  // exact sizes from a weights file
  std::string source;                              // "catalog" or the path
  std::string weights_label;                       // what the file stores ("GGUF Q4_K_M", "safetensors BF16")
};

// Throws InputError (unknown id with closest matches, unreadable or invalid file).
ResolvedModel ResolveModel(const Catalog& catalog, const std::string& arg);

// A GGUF header (parsed from `bytes`, the file or its head) as a resolved model. Throws InputError.
ResolvedModel ResolveGguf(const GgufHeader& header, std::span<const uint8_t> bytes, const std::string& origin);

// A split GGUF ("NAME-00001-of-00003.gguf", metadata split.count > 1): the file names of every
// split, from the first's name. Throws InputError when `first_name` is not the first split's.
std::vector<std::string> GgufSplitNames(const std::string& first_name, const GgufHeader& first);
// One header holding the first split's metadata and every split's tensors.
GgufHeader MergeGgufSplits(GgufHeader first, const std::vector<GgufHeader>& rest);

// A model file or folder (config.json, a folder holding one, GGUF, safetensors), as
// ResolveModel reads it once the argument is known not to be a catalog id. Throws InputError.
ResolvedModel ResolveModelFile(const std::filesystem::path& path);

// The tensor type holding the most bytes ("Q4_K", "BF16").
std::string DominantTensorType(const std::vector<TensorInfo>& tensors);

// GGUF metadata -> architecture; tensors -> typed inventory (exact bytes).
ModelSpec ModelSpecFromGguf(const GgufHeader& header, std::span<const uint8_t> file, const std::string& origin);
std::vector<TensorInfo> TensorsFromGguf(const GgufHeader& header);

// A GGUF writer holding the architecture metadata llama.cpp reads for `spec` and one tensor per
// entry of `tensors` (types and names as given). Used by the tests and to write synthetic
// models. Throws InputError for architectures without a GGUF mapping.
GgufWriter GgufWriterForModel(const ModelSpec& spec, const std::vector<TensorInfo>& tensors);

// safetensors: one file's header, or every shard listed by an index.json.
struct SafetensorsSummary {
  std::vector<TensorInfo> tensors;  // type F32/F16/BF16/FP8/I8... as stored; bytes exact
  std::map<std::string, uint64_t> params_by_dtype;
  uint64_t total_params = 0;
  uint64_t total_bytes = 0;
  std::optional<uint64_t> index_total_size;  // metadata.total_size from an index
  std::vector<std::string> missing_shards;
};
SafetensorsSummary ReadSafetensors(const std::filesystem::path& path);
// A model.safetensors.index.json: the shards it names (in order, once each) and its total size.
struct SafetensorsIndex {
  std::vector<std::string> shards;
  std::optional<uint64_t> total_size;
};
SafetensorsIndex ParseSafetensorsIndex(std::string_view text, const std::string& origin);
// Parses one safetensors header from bytes (8-byte length + JSON). Throws InputError.
std::vector<TensorInfo> ParseSafetensorsHeader(std::span<const uint8_t> bytes, uint64_t file_size,
                                               const std::string& origin);

}  // namespace tokcast::catalog
