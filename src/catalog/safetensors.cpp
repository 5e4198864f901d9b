#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include <nlohmann/json.hpp>

#include "catalog/model_source.h"

namespace tokcast::catalog {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ULL * 1024 * 1024;  // safetensors' own limit

struct Dtype {
  const char* name;
  uint32_t bytes;
  TensorType type;
};
// https://github.com/huggingface/safetensors (Dtype enum)
constexpr Dtype kDtypes[] = {
    {"F64", 8, TensorType::kF64},
    {"F32", 4, TensorType::kF32},
    {"F16", 2, TensorType::kF16},
    {"BF16", 2, TensorType::kBF16},
    {"I64", 8, TensorType::kI64},
    {"I32", 4, TensorType::kI32},
    {"I16", 2, TensorType::kI16},
    {"I8", 1, TensorType::kI8},
    {"U8", 1, TensorType::kI8},
    {"BOOL", 1, TensorType::kI8},
    {"U16", 2, TensorType::kI16},
    {"U32", 4, TensorType::kI32},
    {"U64", 8, TensorType::kI64},
    {"F8_E4M3", 1, TensorType::kFP8_E4M3},
    {"F8_E5M2", 1, TensorType::kFP8_E4M3},
};

void Classify(TensorInfo& t) {
  static const std::regex kLayer(R"((?:^|\.)layers\.(\d+)\.)");
  std::smatch m;
  if (std::regex_search(t.name, m, kLayer)) t.layer = static_cast<int32_t>(std::stoul(m[1].str().substr(0, 9)));
  const std::string& n = t.name;
  if (n.ends_with(".bias"))
    t.role = TensorRole::kBias;
  else if (n.find("norm") != std::string::npos)
    t.role = TensorRole::kNorm;
  else if (n.find("embed_tokens") != std::string::npos || n.find("wte") != std::string::npos)
    t.role = TensorRole::kTokenEmbd;
  else if (n.find("lm_head") != std::string::npos)
    t.role = TensorRole::kOutput;
  else if (n.find("q_proj") != std::string::npos)
    t.role = TensorRole::kAttnQ;
  else if (n.find("k_proj") != std::string::npos)
    t.role = TensorRole::kAttnK;
  else if (n.find("v_proj") != std::string::npos)
    t.role = TensorRole::kAttnV;
  else if (n.find("o_proj") != std::string::npos)
    t.role = TensorRole::kAttnOutput;
  if (n.find(".experts.") != std::string::npos && n.find("shared") == std::string::npos) t.routed_expert = true;
}

}  // namespace

std::vector<TensorInfo> ParseSafetensorsHeader(std::span<const uint8_t> bytes, uint64_t file_size,
                                               const std::string& origin) {
  if (bytes.size() < 8) throw InputError(origin + ": not a safetensors file (shorter than its 8-byte header length)");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n == 0 || n > kMaxHeaderBytes || n > bytes.size() - 8) {
    throw InputError(origin + ": invalid safetensors header length " + std::to_string(n) +
                     " (truncated or not safetensors)");
  }
  const auto* begin = reinterpret_cast<const char*>(bytes.data() + 8);
  nlohmann::json j = nlohmann::json::parse(begin, begin + n, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw InputError(origin + ": safetensors header is not a JSON object");
  std::vector<TensorInfo> out;
  const uint64_t data_bytes = file_size - 8 - n;
  for (const auto& [name, v] : j.items()) {
    if (name == "__metadata__") continue;
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets") ||
        !v["dtype"].is_string() || !v["shape"].is_array() || !v["data_offsets"].is_array() ||
        v["data_offsets"].size() != 2) {
      throw InputError(origin + ": tensor '" + name + "' lacks dtype, shape or data_offsets");
    }
    const std::string dtype = v["dtype"].get<std::string>();
    const Dtype* dt = nullptr;
    for (const auto& d : kDtypes) {
      if (dtype == d.name) dt = &d;
    }
    if (!dt) throw InputError(origin + ": tensor '" + name + "' has unknown dtype '" + dtype + "'");
    TensorInfo t;
    t.name = name;
    t.type = dt->type;
    t.n_elems = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 40)) {
        throw InputError(origin + ": tensor '" + name + "' has an invalid shape");
      }
      const uint64_t ne = d.get<uint64_t>();
      if (ne != 0 && t.n_elems > (uint64_t{1} << 50) / ne)
        throw InputError(origin + ": tensor '" + name + "' is absurdly large");
      t.n_elems *= ne;
    }
    t.row_elems = v["shape"].empty() ? 1 : v["shape"].back().get<uint64_t>();
    const auto& off = v["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw InputError(origin + ": tensor '" + name + "' has invalid data_offsets");
    const uint64_t a = off[0].get<uint64_t>(), b = off[1].get<uint64_t>();
    if (b < a || b > data_bytes) {
      throw InputError(origin + ": tensor '" + name + "' data [" + std::to_string(a) + ", " + std::to_string(b) +
                       ") lies outside the file's " + std::to_string(data_bytes) + " data bytes (truncated?)");
    }
    if (b - a != t.n_elems * dt->bytes) {
      throw InputError(origin + ": tensor '" + name + "' holds " + std::to_string(b - a) + " bytes, its shape needs " +
                       std::to_string(t.n_elems * dt->bytes));
    }
    t.bytes = b - a;
    Classify(t);
    out.push_back(std::move(t));
  }
  return out;
}

namespace {
std::vector<TensorInfo> ReadOneSafetensors(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(path.string() + ": " + ec.message());
  uint64_t n = 0;
  std::vector<uint8_t> head(8);
  if (!in.read(reinterpret_cast<char*>(head.data()), 8))
    throw InputError(path.string() + ": not a safetensors file (too short)");
  std::memcpy(&n, head.data(), 8);
  if (n == 0 || n > kMaxHeaderBytes || n > size - 8) {
    throw InputError(path.string() + ": invalid safetensors header length " + std::to_string(n));
  }
  head.resize(8 + n);
  if (!in.read(reinterpret_cast<char*>(head.data() + 8), static_cast<std::streamsize>(n))) {
    throw InputError(path.string() + ": truncated safetensors header");
  }
  return ParseSafetensorsHeader(head, size, path.string());
}
}  // namespace

SafetensorsIndex ParseSafetensorsIndex(std::string_view text, const std::string& origin) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
    throw InputError(origin + ": not a safetensors index (needs a weight_map object)");
  }
  SafetensorsIndex index;
  if (j.contains("metadata") && j["metadata"].is_object() && j["metadata"].contains("total_size") &&
      j["metadata"]["total_size"].is_number_unsigned()) {
    index.total_size = j["metadata"]["total_size"].get<uint64_t>();
  }
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string()) throw InputError(origin + ": weight_map entry '" + tensor + "' is not a file name");
    const auto f = file.get<std::string>();
    if (f.empty() || f.find('/') != std::string::npos || f.find('\\') != std::string::npos ||
        f.find("..") != std::string::npos) {
      throw InputError(origin + ": weight_map entry '" + tensor + "' names a file outside the folder");
    }
    if (std::find(index.shards.begin(), index.shards.end(), f) == index.shards.end()) index.shards.push_back(f);
  }
  return index;
}

SafetensorsSummary ReadSafetensors(const std::filesystem::path& path) {
  RequireRegularFile(path.string());
  SafetensorsSummary s;
  const std::string name = path.filename().string();
  if (name.ends_with(".json")) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path.string() + ": cannot open");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const SafetensorsIndex index = ParseSafetensorsIndex(text, path.string());
    s.index_total_size = index.total_size;
    for (const auto& f : index.shards) {
      const auto shard = path.parent_path() / f;
      if (!std::filesystem::exists(shard)) {
        s.missing_shards.push_back(f);
        continue;
      }
      auto ts = ReadOneSafetensors(shard);
      s.tensors.insert(s.tensors.end(), ts.begin(), ts.end());
    }
  } else {
    s.tensors = ReadOneSafetensors(path);
  }
  for (const auto& t : s.tensors) {
    s.total_params += t.n_elems;
    s.total_bytes += t.bytes;
    s.params_by_dtype[std::string(ToString(t.type))] += t.n_elems;
  }
  return s;
}

}  // namespace tokcast::catalog
