// GGUF v2/v3 header reader and a writer for tests and synthetic models.
//
// The reader parses metadata (every value type, nested arrays included) and tensor infos from
// a byte span; it never reads tensor data. Files are memory-mapped, so a 100 GB file costs only
// the header pages it touches. Every count, length and offset is checked against the bytes
// that remain: a truncated, corrupt or hostile file gets an InputError, never a crash or an
// allocation larger than the file. Arrays are kept as views into the file and decoded on demand.
// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "catalog/error.h"
#include "core/ggml_type.h"

namespace tokcast::catalog {

enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// An array value: element type, count and where its elements start in the file.
struct GgufArrayRef {
  GgufType elem_type = GgufType::kUint8;
  uint64_t count = 0;
  uint64_t offset = 0;  // first element, from the start of the file
  uint64_t size_bytes = 0;
};

struct GgufValue {
  GgufType type = GgufType::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string, GgufArrayRef> value;

  std::optional<uint64_t> AsUint() const;  // any non-negative integer type
  std::optional<double> AsDouble() const;  // any numeric type
  const std::string* AsString() const;
  const GgufArrayRef* AsArray() const;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ne0 first (innermost)
  uint32_t ggml_type = 0;
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;  // relative to the data section
  uint64_t bytes = 0;   // exact, from the type's block layout
  uint64_t n_elems = 0;
};

struct GgufHeader {
  uint32_t version = 0;
  std::map<std::string, GgufValue, std::less<>> metadata;
  std::vector<GgufTensorInfo> tensors;
  uint64_t alignment = 32;
  uint64_t data_offset = 0;  // start of tensor data in the file
  uint64_t file_size = 0;

  const GgufValue* Find(std::string_view key) const;
  std::optional<uint64_t> Uint(std::string_view key) const;
  std::optional<double> Double(std::string_view key) const;
  std::optional<std::string> String(std::string_view key) const;
  uint64_t TensorDataBytes() const;
};

// Parses a GGUF header from the bytes of a whole file (or its prefix: `file_size` is the real
// size, used to check that tensor data is present). `origin` names the source in errors.
GgufHeader ParseGguf(std::span<const uint8_t> bytes, uint64_t file_size, const std::string& origin);

// Decodes an array's elements on demand (strings or numbers). Throws InputError when the
// array is not of that kind.
std::vector<std::string> ReadStringArray(std::span<const uint8_t> file, const GgufArrayRef& arr);
std::vector<double> ReadNumberArray(std::span<const uint8_t> file, const GgufArrayRef& arr);

// A memory-mapped GGUF file: the mapping stays alive as long as the object.
class GgufFile {
 public:
  static GgufFile Open(const std::filesystem::path& path);  // throws InputError
  const GgufHeader& header() const { return header_; }
  std::span<const uint8_t> bytes() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Mapping;
  std::shared_ptr<Mapping> map_;
  GgufHeader header_;
  std::filesystem::path path_;
};

// A value to write: scalars use the field of their type; arrays list their items (which may be
// arrays themselves) and name the element type.
struct GgufOut {
  GgufType type = GgufType::kUint32;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;
  GgufType elem_type = GgufType::kUint8;
  std::vector<GgufOut> items;

  static GgufOut U32(uint32_t v) {
    GgufOut o;
    o.type = GgufType::kUint32;
    o.u = v;
    return o;
  }
  static GgufOut F32(float v) {
    GgufOut o;
    o.type = GgufType::kFloat32;
    o.f = v;
    return o;
  }
  static GgufOut Str(std::string v) {
    GgufOut o;
    o.type = GgufType::kString;
    o.s = std::move(v);
    return o;
  }
  static GgufOut Bool(bool v) {
    GgufOut o;
    o.type = GgufType::kBool;
    o.b = v;
    return o;
  }
  static GgufOut Arr(GgufType elem, std::vector<GgufOut> items) {
    GgufOut o;
    o.type = GgufType::kArray;
    o.elem_type = elem;
    o.items = std::move(items);
    return o;
  }
  static GgufOut StrArr(const std::vector<std::string>& v);
};

// Writes GGUF v3 files: metadata, tensor infos and aligned data (zeros, or bytes from a callback).
class GgufWriter {
 public:
  void Set(std::string key, GgufOut value);
  // Adds a tensor; dims ne0 first. Throws InputError if the row does not divide into blocks.
  void AddTensor(std::string name, std::vector<uint64_t> dims, TensorType type);
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  // Writes header and tensor data, each tensor's bytes from data[i] (tensors() order).
  void WriteFileWithData(const std::filesystem::path& path, const std::vector<const uint8_t*>& data) const;

  // Serializes header and, when with_data, zero-filled tensor data.
  std::vector<uint8_t> Serialize(bool with_data = true) const;
  void WriteFile(const std::filesystem::path& path, bool with_data = true) const;

  uint32_t alignment = 32;

 private:
  std::vector<std::pair<std::string, GgufOut>> kv_;
  std::vector<GgufTensorInfo> tensors_;
};

}  // namespace tokcast::catalog
