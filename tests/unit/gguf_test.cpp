// GGUF reader/writer: round trips of every metadata type, models written here and read back
// with exact sizes, and truncated, corrupt and hostile files that must give clear errors.
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "core/memory_plan.h"
#include "test_util.h"

namespace tokcast::catalog {
namespace {

using test::TempDir;

template <typename T>
void Append(std::vector<uint8_t>& b, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  b.insert(b.end(), p, p + sizeof(T));
}
void AppendStr(std::vector<uint8_t>& b, const std::string& s) {
  Append<uint64_t>(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}
// A header prefix: magic, version, tensor count, kv count.
std::vector<uint8_t> Prefix(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
  std::vector<uint8_t> b;
  Append<uint32_t>(b, 0x46554747);
  Append<uint32_t>(b, version);
  Append<uint64_t>(b, n_tensors);
  Append<uint64_t>(b, n_kv);
  return b;
}

std::string ParseError(const std::vector<uint8_t>& bytes) {
  try {
    ParseGguf(bytes, bytes.size(), "t.gguf");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

ModelSpec TinyLlama() {
  ModelSpec s;
  s.id = "tiny";
  s.name = "tiny";
  s.arch = "llama";
  s.n_layers = 4;
  s.hidden = 256;
  s.n_heads = 8;
  s.n_kv_heads = 2;
  s.head_dim = 32;
  s.v_head_dim = 32;
  s.ffn = 512;
  s.vocab = 1024;
  s.max_context = 2048;
  return s;
}

TEST(Gguf, RoundTripsEveryMetadataType) {
  GgufWriter w;
  GgufOut u8;
  u8.type = GgufType::kUint8;
  u8.u = 200;
  GgufOut i8;
  i8.type = GgufType::kInt8;
  i8.i = -100;
  GgufOut u16;
  u16.type = GgufType::kUint16;
  u16.u = 60000;
  GgufOut i16;
  i16.type = GgufType::kInt16;
  i16.i = -30000;
  GgufOut i32;
  i32.type = GgufType::kInt32;
  i32.i = -2000000000;
  GgufOut u64;
  u64.type = GgufType::kUint64;
  u64.u = 1ULL << 50;
  GgufOut i64;
  i64.type = GgufType::kInt64;
  i64.i = -(1LL << 50);
  GgufOut f64;
  f64.type = GgufType::kFloat64;
  f64.f = 3.25;
  w.Set("a.u8", u8);
  w.Set("a.i8", i8);
  w.Set("a.u16", u16);
  w.Set("a.i16", i16);
  w.Set("a.u32", GgufOut::U32(4000000000u));
  w.Set("a.i32", i32);
  w.Set("a.f32", GgufOut::F32(1.5f));
  w.Set("a.bool", GgufOut::Bool(true));
  w.Set("a.str", GgufOut::Str("héllo"));
  w.Set("a.u64", u64);
  w.Set("a.i64", i64);
  w.Set("a.f64", f64);
  w.Set("a.strs", GgufOut::StrArr({"x", "", "yz"}));
  w.Set("a.nested", GgufOut::Arr(GgufType::kArray, {GgufOut::Arr(GgufType::kUint32, {GgufOut::U32(1), GgufOut::U32(2)}),
                                                    GgufOut::Arr(GgufType::kUint32, {GgufOut::U32(3)})}));
  w.Set("a.floats", GgufOut::Arr(GgufType::kFloat32, {GgufOut::F32(0.5f), GgufOut::F32(-2.0f)}));
  w.alignment = 64;
  w.AddTensor("t0", {64, 3}, TensorType::kQ8_0);
  w.AddTensor("t1", {256, 2}, TensorType::kQ4_K);
  const auto bytes = w.Serialize();
  const GgufHeader h = ParseGguf(bytes, bytes.size(), "t.gguf");
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.alignment, 64u);
  EXPECT_EQ(*h.Uint("a.u8"), 200u);
  EXPECT_EQ(std::get<int64_t>(h.Find("a.i8")->value), -100);
  EXPECT_EQ(*h.Uint("a.u16"), 60000u);
  EXPECT_EQ(std::get<int64_t>(h.Find("a.i16")->value), -30000);
  EXPECT_EQ(*h.Uint("a.u32"), 4000000000u);
  EXPECT_EQ(std::get<int64_t>(h.Find("a.i32")->value), -2000000000);
  EXPECT_DOUBLE_EQ(*h.Double("a.f32"), 1.5);
  EXPECT_TRUE(std::get<bool>(h.Find("a.bool")->value));
  EXPECT_EQ(*h.String("a.str"), "héllo");
  EXPECT_EQ(*h.Uint("a.u64"), 1ULL << 50);
  EXPECT_EQ(std::get<int64_t>(h.Find("a.i64")->value), -(1LL << 50));
  EXPECT_DOUBLE_EQ(*h.Double("a.f64"), 3.25);
  EXPECT_EQ(ReadStringArray(bytes, *h.Find("a.strs")->AsArray()), (std::vector<std::string>{"x", "", "yz"}));
  EXPECT_EQ(h.Find("a.nested")->AsArray()->count, 2u);
  EXPECT_EQ(h.Find("a.nested")->AsArray()->elem_type, GgufType::kArray);
  EXPECT_EQ(ReadNumberArray(bytes, *h.Find("a.floats")->AsArray()), (std::vector<double>{0.5, -2.0}));
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors[0].bytes, 3u * 2 * 34);  // 3 rows of 2 Q8_0 blocks
  EXPECT_EQ(h.tensors[1].bytes, 2u * 144);     // 2 rows of one Q4_K block
  EXPECT_EQ(h.tensors[1].offset % 64, 0u);
  EXPECT_EQ(h.data_offset % 64, 0u);
}

TEST(Gguf, ModelFileGivesExactSizesAndArchitecture) {
  TempDir dir;
  const ModelSpec spec = TinyLlama();
  auto tensors = BuildTensorInventory(spec);
  QuantRecipe q4;
  q4.default_type = TensorType::kQ4_0;
  q4.output_type = TensorType::kQ6_K;
  ApplyRecipe(q4, spec.n_layers, tensors);
  GgufWriterForModel(spec, tensors).WriteFile(dir.File("tiny.gguf"));

  const Catalog& cat = test::BuiltinCatalog();
  const ResolvedModel r = ResolveModel(cat, dir.File("tiny.gguf"));
  ASSERT_TRUE(r.tensors);
  EXPECT_EQ(r.spec.n_layers, 4u);
  EXPECT_EQ(r.spec.hidden, 256u);
  EXPECT_EQ(r.spec.n_kv_heads, 2u);
  EXPECT_EQ(r.spec.head_dim, 32u);
  EXPECT_EQ(r.spec.vocab, 1024u);
  EXPECT_FALSE(r.spec.tied_embeddings);
  EXPECT_EQ(TotalBytes(*r.tensors), TotalBytes(tensors));
  EXPECT_EQ(r.tensors->size(), tensors.size());
  // Per-layer bytes agree, so the planner sees the same footprint.
  const auto a = MakeFootprint(r.spec, *r.tensors), b = MakeFootprint(spec, tensors);
  EXPECT_EQ(a.layer_weight_bytes, b.layer_weight_bytes);
  EXPECT_EQ(a.output_bytes, b.output_bytes);
  EXPECT_EQ(a.token_embd_bytes, b.token_embd_bytes);
  EXPECT_EQ(CountParams(r.spec, *r.tensors).total, CountParams(spec, tensors).total);
}

TEST(Gguf, MoeAndMlaModelsRoundTrip) {
  TempDir dir;
  ModelSpec s = TinyLlama();
  s.arch = "deepseek_v3";
  s.mla = MlaSpec{64, 128, 32, 16, 32};
  s.head_dim = 48;
  s.v_head_dim = 32;
  s.n_kv_heads = s.n_heads;
  s.moe = MoeSpec{8, 2, 1, 128, 0, 1, 1, false, false};
  auto tensors = BuildTensorInventory(s);
  QuantRecipe f16;
  ApplyRecipe(f16, s.n_layers, tensors);
  GgufWriterForModel(s, tensors).WriteFile(dir.File("moe.gguf"));
  const ResolvedModel r = ResolveModel(test::BuiltinCatalog(), dir.File("moe.gguf"));
  ASSERT_TRUE(r.spec.mla);
  EXPECT_EQ(r.spec.mla->kv_lora_rank, 128u);
  EXPECT_EQ(r.spec.mla->qk_nope_head_dim, 32u);
  EXPECT_EQ(r.spec.mla->v_head_dim, 32u);
  ASSERT_TRUE(r.spec.moe);
  EXPECT_EQ(r.spec.moe->n_experts, 8u);
  EXPECT_EQ(r.spec.moe->leading_dense_layers, 1u);
  EXPECT_EQ(CountParams(r.spec, *r.tensors).active, CountParams(s, tensors).active);
  Workload w;
  w.ctx = 1000;
  EXPECT_EQ(KvCacheBytes(r.spec, w), KvCacheBytes(s, w));
}

TEST(Gguf, EveryTruncationIsAClearError) {
  const ModelSpec spec = TinyLlama();
  auto tensors = BuildTensorInventory(spec);
  QuantRecipe q8;
  q8.default_type = TensorType::kQ8_0;
  ApplyRecipe(q8, spec.n_layers, tensors);
  const auto full = GgufWriterForModel(spec, tensors).Serialize();
  const GgufHeader h = ParseGguf(full, full.size(), "t.gguf");
  // Every cut inside the header, and a few inside the tensor data.
  std::vector<size_t> cuts;
  for (size_t n = 0; n < h.data_offset; ++n) cuts.push_back(n);
  for (size_t n = h.data_offset; n < full.size(); n += full.size() / 7) cuts.push_back(n);
  cuts.push_back(full.size() - 1);
  for (size_t n : cuts) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    const std::string err = ParseError(cut);
    ASSERT_FALSE(err.empty()) << "cut at " << n << " parsed";
    EXPECT_EQ(err.find('\n'), std::string::npos);
    EXPECT_NE(err.find("t.gguf"), std::string::npos) << err;
  }
}

TEST(Gguf, CorruptAndHostileHeaders) {
  auto expect_error = [](const std::vector<uint8_t>& b, const std::string& needle) {
    const std::string err = ParseError(b);
    EXPECT_NE(err.find(needle), std::string::npos) << "got: '" << err << "', wanted '" << needle << "'";
  };
  expect_error({'G', 'G', 'U', 'X', 3, 0, 0, 0}, "not a GGUF file");
  expect_error(Prefix(1, 0, 0), "v1 is not supported");
  expect_error(Prefix(99, 0, 0), "unsupported GGUF version 99");
  expect_error(Prefix(3, 0, 1ULL << 60), "metadata count");
  expect_error(Prefix(3, 1ULL << 60, 0), "tensor count");
  {  // string length far beyond the file
    auto b = Prefix(3, 0, 1);
    Append<uint64_t>(b, 1ULL << 62);
    b.resize(b.size() + 16, 'k');
    expect_error(b, "metadata key");
  }
  {  // unknown value type
    auto b = Prefix(3, 0, 1);
    AppendStr(b, "k");
    Append<uint32_t>(b, 77);
    b.resize(b.size() + 16, 0);
    expect_error(b, "unknown value type 77");
  }
  {  // array count larger than the file
    auto b = Prefix(3, 0, 1);
    AppendStr(b, "k");
    Append<uint32_t>(b, 9);
    Append<uint32_t>(b, 4);
    Append<uint64_t>(b, 1ULL << 61);
    b.resize(b.size() + 16, 0);
    expect_error(b, "exceeds the file");
  }
  {  // nesting deeper than allowed
    auto b = Prefix(3, 0, 1);
    AppendStr(b, "k");
    Append<uint32_t>(b, 9);
    for (int i = 0; i < 20; ++i) {
      Append<uint32_t>(b, 9);
      Append<uint64_t>(b, 1);
    }
    Append<uint32_t>(b, 4);
    Append<uint64_t>(b, 0);
    b.resize(b.size() + 64, 0);
    expect_error(b, "nested deeper");
  }
  {  // bool that is not 0/1
    auto b = Prefix(3, 0, 1);
    AppendStr(b, "k");
    Append<uint32_t>(b, 7);
    Append<uint8_t>(b, 5);
    b.resize(b.size() + 16, 0);
    expect_error(b, "neither 0 nor 1");
  }
  {  // bad alignment value
    auto b = Prefix(3, 0, 1);
    AppendStr(b, "general.alignment");
    Append<uint32_t>(b, 4);
    Append<uint32_t>(b, 48);
    b.resize(b.size() + 16, 0);
    expect_error(b, "general.alignment");
  }
  auto tensor = [](uint32_t n_dims, uint64_t ne0, uint32_t type, uint64_t offset) {
    auto b = Prefix(3, 1, 0);
    AppendStr(b, "w");
    Append<uint32_t>(b, n_dims);
    for (uint32_t i = 0; i < std::min<uint32_t>(n_dims, 8); ++i) Append<uint64_t>(b, i == 0 ? ne0 : 2);
    Append<uint32_t>(b, type);
    Append<uint64_t>(b, offset);
    b.resize(b.size() + 256, 0);
    return b;
  };
  expect_error(tensor(5, 32, 0, 0), "dimensions");
  expect_error(tensor(2, 32, 1234, 0), "unknown ggml type 1234");
  expect_error(tensor(2, 33, 8, 0), "not a multiple");  // Q8_0 row of 33
  expect_error(tensor(2, 32, 0, 7), "not aligned");
  expect_error(tensor(2, 1ULL << 45, 0, 0), "absurd dimension");
  expect_error(tensor(2, 32, 0, 1ULL << 40), "past the end");
  {  // duplicate keys
    auto b = Prefix(3, 0, 2);
    for (int i = 0; i < 2; ++i) {
      AppendStr(b, "dup");
      Append<uint32_t>(b, 4);
      Append<uint32_t>(b, 1);
    }
    expect_error(b, "duplicate metadata key");
  }
}

TEST(Gguf, RandomCorruptionNeverCrashes) {
  const ModelSpec spec = TinyLlama();
  auto tensors = BuildTensorInventory(spec);
  QuantRecipe q;
  ApplyRecipe(q, spec.n_layers, tensors);
  auto w = GgufWriterForModel(spec, tensors);
  w.Set("tokenizer.ggml.tokens", GgufOut::StrArr({"a", "b", "c"}));
  const auto full = w.Serialize(false);
  std::mt19937 rng(12345);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    auto b = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    try {
      ParseGguf(b, b.size() + (1u << 30), "r.gguf");
      ++parsed;
    } catch (const InputError&) {
      ++rejected;
    }
  }
  EXPECT_EQ(parsed + rejected, 3000);
  EXPECT_GT(rejected, 0);
}

TEST(Gguf, MissingFileAndNotGguf) {
  TempDir dir;
  EXPECT_THROW(GgufFile::Open(dir.File("nope.gguf")), InputError);
  { std::ofstream(dir.File("text.gguf")) << "hello"; }
  try {
    GgufFile::Open(dir.File("text.gguf"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a GGUF file"), std::string::npos);
  }
}

}  // namespace
}  // namespace tokcast::catalog
