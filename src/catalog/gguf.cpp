#include "catalog/gguf.h"

#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tokcast::catalog {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr int kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr uint64_t kMaxKeyBytes = 65535;

// Bounds-checked little-endian cursor over the file bytes.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& origin) : b_(bytes), origin_(origin) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw InputError(origin_ + ": invalid GGUF at byte " + std::to_string(pos_) + ": " + what);
  }
  // A count that the remaining bytes cannot hold: the input ends early (or the count is absurd).
  [[noreturn]] void FailShort(const std::string& what) const {
    throw TruncatedInput(origin_ + ": invalid GGUF at byte " + std::to_string(pos_) + ": " + what);
  }
  uint64_t pos() const { return pos_; }
  void Seek(uint64_t p) { pos_ = p; }
  uint64_t Remaining() const { return pos_ <= b_.size() ? b_.size() - pos_ : 0; }

  void Need(uint64_t n, const char* what) const {
    if (n > Remaining()) {
      throw TruncatedInput(origin_ + ": invalid GGUF at byte " + std::to_string(pos_) + ": truncated: " + what +
                           " needs " + std::to_string(n) + " bytes, " + std::to_string(Remaining()) + " left");
    }
  }
  template <typename T>
  T Read(const char* what) {
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string String(const char* what, uint64_t max_len = UINT64_MAX) {
    const uint64_t len = Read<uint64_t>(what);
    if (len > max_len)
      Fail(std::string(what) + " is " + std::to_string(len) + " bytes long (limit " + std::to_string(max_len) + ")");
    Need(len, what);
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }
  void Skip(uint64_t n, const char* what) {
    Need(n, what);
    pos_ += n;
  }

 private:
  std::span<const uint8_t> b_;
  const std::string& origin_;
  uint64_t pos_ = 0;
};

uint64_t ScalarSize(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    default:
      return 0;
  }
}

bool KnownType(uint32_t t) {
  return t <= static_cast<uint32_t>(GgufType::kFloat64);
}

GgufValue ReadScalar(Cursor& c, GgufType t) {
  GgufValue v;
  v.type = t;
  switch (t) {
    case GgufType::kUint8:
      v.value = uint64_t{c.Read<uint8_t>("uint8")};
      break;
    case GgufType::kInt8:
      v.value = int64_t{c.Read<int8_t>("int8")};
      break;
    case GgufType::kUint16:
      v.value = uint64_t{c.Read<uint16_t>("uint16")};
      break;
    case GgufType::kInt16:
      v.value = int64_t{c.Read<int16_t>("int16")};
      break;
    case GgufType::kUint32:
      v.value = uint64_t{c.Read<uint32_t>("uint32")};
      break;
    case GgufType::kInt32:
      v.value = int64_t{c.Read<int32_t>("int32")};
      break;
    case GgufType::kFloat32:
      v.value = double{c.Read<float>("float32")};
      break;
    case GgufType::kUint64:
      v.value = c.Read<uint64_t>("uint64");
      break;
    case GgufType::kInt64:
      v.value = c.Read<int64_t>("int64");
      break;
    case GgufType::kFloat64:
      v.value = c.Read<double>("float64");
      break;
    case GgufType::kBool: {
      const uint8_t b = c.Read<uint8_t>("bool");
      if (b > 1) c.Fail("bool value " + std::to_string(b) + " is neither 0 nor 1");
      v.value = b == 1;
      break;
    }
    case GgufType::kString:
      v.value = c.String("string value");
      break;
    default:
      c.Fail("not a scalar type");
  }
  return v;
}

// Walks an array without materializing it; returns its reference.
GgufArrayRef SkipArray(Cursor& c, int depth) {
  if (depth > kMaxArrayDepth) c.Fail("arrays nested deeper than " + std::to_string(kMaxArrayDepth));
  GgufArrayRef a;
  const uint32_t et = c.Read<uint32_t>("array element type");
  if (!KnownType(et)) c.Fail("unknown array element type " + std::to_string(et));
  a.elem_type = static_cast<GgufType>(et);
  a.count = c.Read<uint64_t>("array length");
  a.offset = c.pos();
  if (const uint64_t size = ScalarSize(a.elem_type)) {
    if (a.count > c.Remaining() / size)
      c.FailShort("array of " + std::to_string(a.count) + " elements exceeds the file");
    c.Skip(a.count * size, "array elements");
  } else if (a.elem_type == GgufType::kString) {
    if (a.count > c.Remaining() / 8)
      c.FailShort("string array of " + std::to_string(a.count) + " elements exceeds the file");
    for (uint64_t i = 0; i < a.count; ++i) c.Skip(c.Read<uint64_t>("string length"), "string bytes");
  } else {  // nested arrays: each needs at least 12 bytes
    if (a.count > c.Remaining() / 12)
      c.FailShort("nested array of " + std::to_string(a.count) + " elements exceeds the file");
    for (uint64_t i = 0; i < a.count; ++i) SkipArray(c, depth + 1);
  }
  a.size_bytes = c.pos() - a.offset;
  return a;
}

}  // namespace

std::optional<uint64_t> GgufValue::AsUint() const {
  if (auto u = std::get_if<uint64_t>(&value)) return *u;
  if (auto i = std::get_if<int64_t>(&value); i && *i >= 0) return static_cast<uint64_t>(*i);
  return std::nullopt;
}
std::optional<double> GgufValue::AsDouble() const {
  if (auto u = std::get_if<uint64_t>(&value)) return static_cast<double>(*u);
  if (auto i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  if (auto d = std::get_if<double>(&value)) return *d;
  return std::nullopt;
}
const std::string* GgufValue::AsString() const {
  return std::get_if<std::string>(&value);
}
const GgufArrayRef* GgufValue::AsArray() const {
  return std::get_if<GgufArrayRef>(&value);
}

const GgufValue* GgufHeader::Find(std::string_view key) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? nullptr : &it->second;
}
std::optional<uint64_t> GgufHeader::Uint(std::string_view key) const {
  auto v = Find(key);
  return v ? v->AsUint() : std::nullopt;
}
std::optional<double> GgufHeader::Double(std::string_view key) const {
  auto v = Find(key);
  return v ? v->AsDouble() : std::nullopt;
}
std::optional<std::string> GgufHeader::String(std::string_view key) const {
  auto v = Find(key);
  if (!v || !v->AsString()) return std::nullopt;
  return *v->AsString();
}
uint64_t GgufHeader::TensorDataBytes() const {
  uint64_t total = 0;
  for (const auto& t : tensors) total += t.bytes;
  return total;
}

GgufHeader ParseGguf(std::span<const uint8_t> bytes, uint64_t file_size, const std::string& origin) {
  Cursor c(bytes, origin);
  GgufHeader h;
  h.file_size = file_size;
  if (bytes.size() < 4 || c.Read<uint32_t>("magic") != kMagic) {
    throw InputError(origin + ": not a GGUF file (bad magic)");
  }
  h.version = c.Read<uint32_t>("version");
  if (h.version == 1) throw InputError(origin + ": GGUF v1 is not supported (v2 and v3 are)");
  if (h.version != 2 && h.version != 3) {
    throw InputError(origin + ": unsupported GGUF version " + std::to_string(h.version) + " (v2 and v3 are)");
  }
  const uint64_t n_tensors = c.Read<uint64_t>("tensor count");
  const uint64_t n_kv = c.Read<uint64_t>("metadata count");
  // Each metadata entry needs >= 13 bytes, each tensor info >= 24: hostile counts stop here.
  if (n_kv > c.Remaining() / 13) c.FailShort("metadata count " + std::to_string(n_kv) + " exceeds the file");
  if (n_tensors > c.Remaining() / 24) c.FailShort("tensor count " + std::to_string(n_tensors) + " exceeds the file");

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.String("metadata key", kMaxKeyBytes);
    if (key.empty()) c.Fail("empty metadata key");
    const uint32_t t = c.Read<uint32_t>("value type");
    if (!KnownType(t)) c.Fail("key '" + key + "' has unknown value type " + std::to_string(t));
    GgufValue v;
    if (static_cast<GgufType>(t) == GgufType::kArray) {
      v.type = GgufType::kArray;
      v.value = SkipArray(c, 1);
    } else {
      v = ReadScalar(c, static_cast<GgufType>(t));
    }
    if (!h.metadata.emplace(key, std::move(v)).second) c.Fail("duplicate metadata key '" + key + "'");
  }
  if (auto a = h.Find("general.alignment")) {
    auto al = a->AsUint();
    if (a->type != GgufType::kUint32 || !al || *al == 0 || (*al & (*al - 1)) != 0 || *al > (1u << 20)) {
      throw InputError(origin + ": general.alignment must be a uint32 power of two up to 1 MiB");
    }
    h.alignment = *al;
  }

  h.tensors.reserve(static_cast<size_t>(n_tensors));
  std::map<std::string, size_t, std::less<>> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = c.String("tensor name", kMaxKeyBytes);
    const uint32_t n_dims = c.Read<uint32_t>("tensor dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      c.Fail("tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions (1.." + std::to_string(kMaxDims) +
             ")");
    }
    t.n_elems = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = c.Read<uint64_t>("tensor dimension");
      if (ne == 0 || ne > (uint64_t{1} << 40) || t.n_elems > (uint64_t{1} << 50) / ne) {
        c.Fail("tensor '" + t.name + "' has an absurd dimension " + std::to_string(ne));
      }
      t.n_elems *= ne;
      t.dims.push_back(ne);
    }
    t.ggml_type = c.Read<uint32_t>("tensor type");
    auto type = TensorTypeFromGgmlId(t.ggml_type);
    if (!type) c.Fail("tensor '" + t.name + "' has unknown ggml type " + std::to_string(t.ggml_type));
    t.type = *type;
    auto size = TensorBytes(t.type, t.dims[0], t.n_elems);
    if (!size) {
      c.Fail("tensor '" + t.name + "': row of " + std::to_string(t.dims[0]) + " is not a multiple of the " +
             std::string(ToString(t.type)) + " block");
    }
    t.bytes = *size;
    t.offset = c.Read<uint64_t>("tensor offset");
    if (t.offset % h.alignment != 0) {
      c.Fail("tensor '" + t.name + "' offset " + std::to_string(t.offset) + " is not aligned to " +
             std::to_string(h.alignment));
    }
    if (!names.emplace(t.name, h.tensors.size()).second) c.Fail("duplicate tensor '" + t.name + "'");
    h.tensors.push_back(std::move(t));
  }
  const uint64_t pos = c.pos();
  h.data_offset = (pos + h.alignment - 1) / h.alignment * h.alignment;
  for (const auto& t : h.tensors) {
    if (t.offset > file_size || t.bytes > file_size - t.offset || h.data_offset > file_size - t.offset - t.bytes) {
      throw InputError(origin + ": tensor '" + t.name + "' extends past the end of the file (" +
                       std::to_string(file_size) + " bytes): truncated download?");
    }
  }
  return h;
}

std::vector<std::string> ReadStringArray(std::span<const uint8_t> file, const GgufArrayRef& arr) {
  const std::string origin = "GGUF array";
  if (arr.elem_type != GgufType::kString) throw InputError("GGUF array is not an array of strings");
  Cursor c(file, origin);
  c.Seek(arr.offset);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(arr.count, file.size() / 8)));
  for (uint64_t i = 0; i < arr.count; ++i) out.push_back(c.String("string element"));
  return out;
}

std::vector<double> ReadNumberArray(std::span<const uint8_t> file, const GgufArrayRef& arr) {
  const std::string origin = "GGUF array";
  if (ScalarSize(arr.elem_type) == 0 || arr.elem_type == GgufType::kBool) {
    throw InputError("GGUF array is not an array of numbers");
  }
  Cursor c(file, origin);
  c.Seek(arr.offset);
  std::vector<double> out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(arr.count, file.size())));
  for (uint64_t i = 0; i < arr.count; ++i) out.push_back(*ReadScalar(c, arr.elem_type).AsDouble());
  return out;
}

// ---- memory-mapped file ----

struct GgufFile::Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr && addr != MAP_FAILED) munmap(addr, size);
  }
};

std::span<const uint8_t> GgufFile::bytes() const {
  if (!map_ || !map_->addr) return {};
  return {static_cast<const uint8_t*>(map_->addr), map_->size};
}

GgufFile GgufFile::Open(const std::filesystem::path& path) {
  RequireRegularFile(path.string());
  GgufFile f;
  f.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw InputError(path.string() + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path.string() + ": not a regular file");
  }
  f.map_ = std::make_shared<Mapping>();
  f.map_->size = static_cast<size_t>(st.st_size);
  if (f.map_->size > 0) {
    f.map_->addr = mmap(nullptr, f.map_->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (f.map_->addr == MAP_FAILED) {
      f.map_->addr = nullptr;
      ::close(fd);
      throw InputError(path.string() + ": cannot map: " + std::strerror(errno));
    }
  }
  ::close(fd);
  f.header_ = ParseGguf(f.bytes(), f.map_->size, path.string());
  return f;
}

// ---- writer ----

GgufOut GgufOut::StrArr(const std::vector<std::string>& v) {
  std::vector<GgufOut> items;
  items.reserve(v.size());
  for (const auto& s : v) items.push_back(Str(s));
  return Arr(GgufType::kString, std::move(items));
}

void GgufWriter::Set(std::string key, GgufOut value) {
  for (auto& [k, v] : kv_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  kv_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::AddTensor(std::string name, std::vector<uint64_t> dims, TensorType type) {
  if (Traits(type).ggml_id < 0) throw InputError("tensor type " + std::string(ToString(type)) + " has no GGUF id");
  GgufTensorInfo t;
  t.name = std::move(name);
  t.dims = std::move(dims);
  t.type = type;
  t.ggml_type = static_cast<uint32_t>(Traits(type).ggml_id);
  t.n_elems = 1;
  for (auto d : t.dims) t.n_elems *= d;
  auto bytes = TensorBytes(type, t.dims.empty() ? 0 : t.dims[0], t.n_elems);
  if (!bytes)
    throw InputError("tensor '" + t.name + "': row does not divide into " + std::string(ToString(type)) + " blocks");
  t.bytes = *bytes;
  uint64_t offset = 0;
  if (!tensors_.empty()) {
    const auto& last = tensors_.back();
    offset = (last.offset + last.bytes + alignment - 1) / alignment * alignment;
  }
  t.offset = offset;
  tensors_.push_back(std::move(t));
}

namespace {
template <typename T>
void Put(std::vector<uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}
void PutString(std::vector<uint8_t>& out, const std::string& s) {
  Put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}
void PutValue(std::vector<uint8_t>& out, const GgufOut& v, GgufType type) {
  switch (type) {
    case GgufType::kUint8:
      Put<uint8_t>(out, static_cast<uint8_t>(v.u));
      break;
    case GgufType::kInt8:
      Put<int8_t>(out, static_cast<int8_t>(v.i));
      break;
    case GgufType::kUint16:
      Put<uint16_t>(out, static_cast<uint16_t>(v.u));
      break;
    case GgufType::kInt16:
      Put<int16_t>(out, static_cast<int16_t>(v.i));
      break;
    case GgufType::kUint32:
      Put<uint32_t>(out, static_cast<uint32_t>(v.u));
      break;
    case GgufType::kInt32:
      Put<int32_t>(out, static_cast<int32_t>(v.i));
      break;
    case GgufType::kFloat32:
      Put<float>(out, static_cast<float>(v.f));
      break;
    case GgufType::kBool:
      Put<uint8_t>(out, v.b ? 1 : 0);
      break;
    case GgufType::kString:
      PutString(out, v.s);
      break;
    case GgufType::kUint64:
      Put<uint64_t>(out, v.u);
      break;
    case GgufType::kInt64:
      Put<int64_t>(out, v.i);
      break;
    case GgufType::kFloat64:
      Put<double>(out, v.f);
      break;
    case GgufType::kArray:
      Put<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
      Put<uint64_t>(out, v.items.size());
      for (const auto& item : v.items) PutValue(out, item, v.elem_type);
      break;
  }
}
}  // namespace

std::vector<uint8_t> GgufWriter::Serialize(bool with_data) const {
  std::vector<uint8_t> out;
  Put<uint32_t>(out, kMagic);
  Put<uint32_t>(out, 3);
  Put<uint64_t>(out, tensors_.size());
  const bool has_alignment_key = alignment != 32;
  Put<uint64_t>(out, kv_.size() + (has_alignment_key ? 1 : 0));
  if (has_alignment_key) {
    PutString(out, "general.alignment");
    Put<uint32_t>(out, static_cast<uint32_t>(GgufType::kUint32));
    Put<uint32_t>(out, alignment);
  }
  for (const auto& [k, v] : kv_) {
    PutString(out, k);
    Put<uint32_t>(out, static_cast<uint32_t>(v.type));
    PutValue(out, v, v.type);
  }
  for (const auto& t : tensors_) {
    PutString(out, t.name);
    Put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    for (auto d : t.dims) Put<uint64_t>(out, d);
    Put<uint32_t>(out, t.ggml_type);
    Put<uint64_t>(out, t.offset);
  }
  out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
  if (with_data && !tensors_.empty()) {
    const auto& last = tensors_.back();
    out.resize(out.size() + last.offset + last.bytes, 0);
  }
  return out;
}

void GgufWriter::WriteFileWithData(const std::filesystem::path& path, const std::vector<const uint8_t*>& data) const {
  if (data.size() != tensors_.size()) throw InputError("GGUF writer: one data pointer per tensor expected");
  const auto header = Serialize(false);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(path.string() + ": cannot write");
  out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
  uint64_t pos = 0;
  const std::vector<char> zeros(alignment, 0);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const auto& t = tensors_[i];
    out.write(zeros.data(), static_cast<std::streamsize>(t.offset - pos));
    out.write(reinterpret_cast<const char*>(data[i]), static_cast<std::streamsize>(t.bytes));
    pos = t.offset + t.bytes;
  }
  if (!out) throw InputError(path.string() + ": write failed");
}

void GgufWriter::WriteFile(const std::filesystem::path& path, bool with_data) const {
  const auto header = Serialize(false);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path.string() + ": cannot write");
    out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
    if (!out) throw InputError(path.string() + ": write failed");
  }
  if (with_data && !tensors_.empty()) {
    // Zero tensor data: extend the file (sparse where the file system allows) instead of
    // writing gigabytes of zeros.
    const auto& last = tensors_.back();
    std::error_code ec;
    std::filesystem::resize_file(path, header.size() + last.offset + last.bytes, ec);
    if (ec) throw InputError(path.string() + ": " + ec.message());
  }
}

}  // namespace tokcast::catalog
