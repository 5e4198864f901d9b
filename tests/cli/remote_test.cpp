// Remote models against a fake Hugging Face hub on loopback: the hub's URL layout
// (/ORG/NAME/resolve/REV/FILE, /api/models/ORG/NAME/revision/REV), its error codes (RepoNotFound,
// GatedRepo, EntryNotFound), redirects of large files to a CDN path, and range requests over
// files of real sizes whose bytes past the header are zeros (never held in memory). Then the
// failures: a truncated download, a 404, a 401 for a gated repository, a server that ignores
// range requests, and offline runs from the cache.
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "core/quant.h"
#include "remote/hub.h"
#include "test_util.h"

namespace tokcast {
namespace {

using nlohmann::json;

// A file of `size` bytes: `head`, then zeros.
struct VirtualFile {
  std::string head;
  uint64_t size = 0;
};

class FakeHub {
 public:
  FakeHub() {
    svr_.Get(R"(/api/models/([^/]+/[^/]+)/revision/([^/]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
               const std::string prefix = req.matches[1].str() + "/" + req.matches[2].str() + "/";
               if (!RepoExists(req.matches[1])) return RepoNotFound(res);
               if (!RepoExists(req.matches[1].str() + "/" + req.matches[2].str())) return RevisionNotFound(res);
               json siblings = json::array();
               std::lock_guard lock(mu_);
               for (const auto& [k, v] : files) {
                 if (k.rfind(prefix, 0) == 0) siblings.push_back({{"rfilename", k.substr(prefix.size())}});
               }
               res.set_content(json{{"id", req.matches[1].str()}, {"sha", "abc"}, {"siblings", siblings}}.dump(),
                               "application/json");
             });
    svr_.Get(R"(/([^/]+/[^/]+)/resolve/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string repo = req.matches[1];
      if (!RepoExists(repo)) return RepoNotFound(res);
      if (gated.count(repo) && req.get_header_value("Authorization") != "Bearer " + token) {
        res.status = 401;
        res.set_header("X-Error-Code", "GatedRepo");
        res.set_header("X-Error-Message", "Access to model " + repo + " is restricted.");
        return;
      }
      const std::string key = repo + "/" + req.matches[2].str() + "/" + req.matches[3].str();
      if (!RepoExists(repo + "/" + req.matches[2].str())) return RevisionNotFound(res);
      if (!Has(key)) {
        res.status = 404;
        res.set_header("X-Error-Code", "EntryNotFound");
        return;
      }
      if (key.ends_with(".gguf") || key.ends_with(".safetensors")) {  // LFS files live on the CDN
        res.status = 302;
        res.set_header("Location", "/cdn/" + key);
        return;
      }
      Serve(req, res, key);
    });
    svr_.Get(R"(/cdn/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Has(req.matches[1])) {
        res.status = 404;
        return;
      }
      Serve(req, res, req.matches[1]);
    });
    svr_.Get(R"(/files/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string key = "files/" + req.matches[1].str();
      if (!Has(key)) {
        res.status = 404;
        return;
      }
      Serve(req, res, key);
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() {
    svr_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Add(const std::string& key, VirtualFile f) {
    std::lock_guard lock(mu_);
    files[key] = std::move(f);
  }

  std::map<std::string, VirtualFile> files;  // "ORG/NAME/REV/PATH" or "files/PATH"
  std::set<std::string> gated;
  std::string token = "hf_good";
  std::atomic<bool> ignore_ranges{false}, truncate{false};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<int> requests{0};

 private:
  bool Has(const std::string& key) {
    std::lock_guard lock(mu_);
    return files.count(key) > 0;
  }
  bool RepoExists(const std::string& repo) {
    std::lock_guard lock(mu_);
    for (const auto& [k, v] : files) {
      if (k.rfind(repo + "/", 0) == 0) return true;
    }
    return false;
  }
  static void RepoNotFound(httplib::Response& res) {
    res.status = 401;  // what the hub answers for a missing (or private) repository
    res.set_header("X-Error-Code", "RepoNotFound");
  }
  static void RevisionNotFound(httplib::Response& res) {
    res.status = 404;
    res.set_header("X-Error-Code", "RevisionNotFound");
  }
  void Serve(const httplib::Request& req, httplib::Response& res, const std::string& key) {
    ++requests;
    VirtualFile f;
    {
      std::lock_guard lock(mu_);
      f = files.at(key);
    }
    uint64_t from = 0, len = f.size;
    if (!req.ranges.empty() && !ignore_ranges) {
      const auto [a, b] = req.ranges.front();
      from = static_cast<uint64_t>(a);
      if (from >= f.size) {
        res.status = 416;
        res.set_header("Content-Range", "bytes */" + std::to_string(f.size));
        return;
      }
      const uint64_t last = b < 0 ? f.size - 1 : std::min<uint64_t>(static_cast<uint64_t>(b), f.size - 1);
      len = last - from + 1;
      res.status = 206;
      res.set_header("Content-Range",
                     "bytes " + std::to_string(from) + "-" + std::to_string(last) + "/" + std::to_string(f.size));
    } else {
      res.status = 200;
    }
    // This server answers ranges itself; httplib must not apply them again.
    const_cast<httplib::Request&>(req).ranges.clear();
    const bool cut = truncate;
    res.set_content_provider(len, "application/octet-stream",
                             [this, f, from, len, cut](size_t off, size_t n, httplib::DataSink& sink) {
                               if (cut && off >= len / 2) return false;  // the connection drops
                               std::string chunk(std::min<size_t>(n, 1 << 16), '\0');
                               const uint64_t at = from + off;
                               if (at < f.head.size()) {
                                 const size_t k = std::min<size_t>(chunk.size(), f.head.size() - at);
                                 std::memcpy(chunk.data(), f.head.data() + at, k);
                               }
                               if (!sink.write(chunk.data(), chunk.size())) return false;
                               bytes_sent += chunk.size();
                               return true;
                             });
  }

  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
};

// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  void Set(const char* k, const std::string& v) {
    Save(k);
    ::setenv(k, v.c_str(), 1);
  }
  void Unset(const char* k) {
    Save(k);
    ::unsetenv(k);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : saved_) {
      if (v)
        ::setenv(k.c_str(), v->c_str(), 1);
      else
        ::unsetenv(k.c_str());
    }
  }

 private:
  void Save(const char* k) {
    if (saved_.count(k)) return;
    const char* v = std::getenv(k);
    saved_[k] = v ? std::optional<std::string>(v) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

const char* kLlamaConfig = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
  "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
  "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
  "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

// Llama-3.1-8B's BF16 tensors in HF naming, split over `shards` files as the hub stores them.
struct Checkpoint {
  std::vector<VirtualFile> shards;
  std::string index;
  uint64_t weight_bytes = 0;
};
Checkpoint LlamaCheckpoint(int shards) {
  std::vector<std::pair<std::string, std::vector<uint64_t>>> ts;
  ts.push_back({"model.embed_tokens.weight", {128256, 4096}});
  for (int l = 0; l < 32; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    ts.push_back({p + "self_attn.q_proj.weight", {4096, 4096}});
    ts.push_back({p + "self_attn.k_proj.weight", {1024, 4096}});
    ts.push_back({p + "self_attn.v_proj.weight", {1024, 4096}});
    ts.push_back({p + "self_attn.o_proj.weight", {4096, 4096}});
    ts.push_back({p + "mlp.gate_proj.weight", {14336, 4096}});
    ts.push_back({p + "mlp.up_proj.weight", {14336, 4096}});
    ts.push_back({p + "mlp.down_proj.weight", {4096, 14336}});
    ts.push_back({p + "input_layernorm.weight", {4096}});
    ts.push_back({p + "post_attention_layernorm.weight", {4096}});
  }
  ts.push_back({"model.norm.weight", {4096}});
  ts.push_back({"lm_head.weight", {128256, 4096}});
  Checkpoint c;
  json weight_map = json::object();
  const size_t per = (ts.size() + shards - 1) / shards;
  for (int s = 0; s < shards; ++s) {
    const std::string name =
        "model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(shards) + ".safetensors";
    json header = json::object();
    uint64_t offset = 0;
    for (size_t i = s * per; i < std::min(ts.size(), (s + 1) * per); ++i) {
      uint64_t n = 2;
      for (auto d : ts[i].second) n *= d;
      header[ts[i].first] = {{"dtype", "BF16"}, {"shape", ts[i].second}, {"data_offsets", {offset, offset + n}}};
      offset += n;
      weight_map[ts[i].first] = name;
    }
    header["__metadata__"] = {{"format", "pt"}};
    const std::string h = header.dump();
    VirtualFile f;
    const uint64_t len = h.size();
    f.head.assign(reinterpret_cast<const char*>(&len), 8);
    f.head += h;
    f.size = f.head.size() + offset;
    c.weight_bytes += offset;
    c.shards.push_back(std::move(f));
  }
  c.index = json{{"metadata", {{"total_size", c.weight_bytes}}}, {"weight_map", weight_map}}.dump();
  return c;
}

// A GGUF of the catalog's Llama-3.1-8B at `type`, with a 128k-token vocabulary of long strings
// so that the header is over 4 MiB (read in more than one range); split into `splits` files.
std::vector<VirtualFile> LlamaGguf(TensorType type, int splits = 1, uint64_t* data_bytes = nullptr) {
  const ModelSpec spec = test::BuiltinCatalog().Model("llama-3.1-8b").spec;
  auto tensors = BuildTensorInventory(spec);
  QuantRecipe q;
  q.default_type = type;
  ApplyRecipe(q, spec.n_layers, tensors);
  std::vector<VirtualFile> out;
  const size_t per = (tensors.size() + splits - 1) / splits;
  for (int s = 0; s < splits; ++s) {
    std::vector<TensorInfo> part(tensors.begin() + s * per, tensors.begin() + std::min(tensors.size(), (s + 1) * per));
    catalog::GgufWriter w;
    if (s == 0) {
      w = catalog::GgufWriterForModel(spec, part);
      std::vector<std::string> vocab;
      for (uint32_t i = 0; i < spec.vocab; ++i) vocab.push_back("token-" + std::to_string(i) + std::string(30, 'x'));
      w.Set("tokenizer.ggml.tokens", catalog::GgufOut::StrArr(vocab));
    } else {
      for (const auto& t : part) {
        w.AddTensor(t.name, {t.row_elems, t.n_elems / t.row_elems}, t.type);
      }
    }
    if (splits > 1) {
      w.Set("split.no", catalog::GgufOut::U32(static_cast<uint32_t>(s)));
      w.Set("split.count", catalog::GgufOut::U32(static_cast<uint32_t>(splits)));
    }
    const auto head = w.Serialize(false);
    const auto h = catalog::ParseGguf(head, UINT64_MAX, "t.gguf");
    uint64_t end = h.data_offset;
    for (const auto& t : h.tensors) end = std::max(end, h.data_offset + t.offset + t.bytes);
    if (data_bytes) *data_bytes += h.TensorDataBytes();
    out.push_back({std::string(head.begin(), head.end()), end});
  }
  return out;
}

class Remote : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Set("HF_ENDPOINT", hub_.url());
    env_.Set("TOKCAST_CACHE_DIR", cache_.path());
    env_.Set("HF_HOME", home_.path());  // no real token or hub cache of this machine
    env_.Unset("HF_HUB_CACHE");
    env_.Unset("HF_TOKEN");
    env_.Unset("HUGGING_FACE_HUB_TOKEN");
    env_.Unset("HF_TOKEN_PATH");
    env_.Unset("HF_HUB_OFFLINE");
    const Checkpoint ck = LlamaCheckpoint(2);
    weight_bytes_ = ck.weight_bytes;
    hub_.Add("meta-llama/Llama-3.1-8B/main/config.json", {kLlamaConfig, std::strlen(kLlamaConfig)});
    hub_.Add("meta-llama/Llama-3.1-8B/main/model.safetensors.index.json", {ck.index, ck.index.size()});
    hub_.Add("meta-llama/Llama-3.1-8B/main/model-00001-of-00002.safetensors", ck.shards[0]);
    hub_.Add("meta-llama/Llama-3.1-8B/main/model-00002-of-00002.safetensors", ck.shards[1]);
    hub_.gated.insert("meta-llama/Llama-3.1-8B");
  }

  // `tokcast fit --format json` for one model on an RTX 4090: the weights' bytes, or the error.
  test::CliResult Fit(const std::string& model) {
    return test::RunCli({"fit", "--model", model, "--hw", "nvidia-rtx-4090", "--format", "json"});
  }
  static double WeightsGb(const test::CliResult& r) {
    const json rows = test::Rows(r.out);
    return static_cast<double>(rows.at(0).at("weights_bytes").get<uint64_t>()) / 1e9;
  }

  FakeHub hub_;
  test::TempDir cache_, home_;
  ScopedEnv env_;
  uint64_t weight_bytes_ = 0;
};

TEST_F(Remote, HubCheckpointReadsConfigAndShardHeadersOnly) {
  env_.Set("HF_TOKEN", "hf_good");
  const auto r = Fit("hf:meta-llama/Llama-3.1-8B");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(WeightsGb(r), static_cast<double>(weight_bytes_) / 1e9, 0.01);
  // The same model from the catalog at BF16 has the same weights.
  const auto cat = test::RunCli(
      {"fit", "--model", "llama-3.1-8b", "--quant", "bf16", "--hw", "nvidia-rtx-4090", "--format", "json"});
  ASSERT_EQ(cat.code, 0) << cat.err;
  EXPECT_NEAR(WeightsGb(r), WeightsGb(cat), 0.02 * WeightsGb(cat));
  EXPECT_LT(hub_.bytes_sent, uint64_t{2} << 20) << "only headers travel, not 16 GB of weights";

  // Cached: the same answer offline, with no request to the server.
  const int before = hub_.requests;
  env_.Set("HF_HUB_OFFLINE", "1");
  const auto again = Fit("hf:meta-llama/Llama-3.1-8B");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(WeightsGb(again), WeightsGb(r));
  EXPECT_EQ(hub_.requests, before);
}

TEST_F(Remote, GatedRepositoryNeedsAToken) {
  const auto r = Fit("hf:meta-llama/Llama-3.1-8B");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("gated repository"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HF_TOKEN"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 401"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  env_.Set("HF_TOKEN", "hf_wrong");
  EXPECT_NE(Fit("hf:meta-llama/Llama-3.1-8B").code, 0);
  // The token file `huggingface-cli login` writes.
  env_.Unset("HF_TOKEN");
  std::ofstream(home_.File("token")) << "hf_good\n";
  const auto ok = Fit("hf:meta-llama/Llama-3.1-8B");
  EXPECT_EQ(ok.code, 0) << ok.err;
}

TEST_F(Remote, MissingRepositoryFileAndRevision) {
  const auto none = Fit("hf:nobody/nothing");
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.err.find("hf:nobody/nothing"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("no such repository"), std::string::npos) << none.err;
  env_.Set("HF_TOKEN", "hf_good");
  const auto file = Fit("hf:meta-llama/Llama-3.1-8B/missing.gguf");
  EXPECT_NE(file.code, 0);
  EXPECT_NE(file.err.find("not found (HTTP 404"), std::string::npos) << file.err;
  const auto rev = Fit("hf:meta-llama/Llama-3.1-8B@v9");
  EXPECT_NE(rev.code, 0);
  EXPECT_NE(rev.err.find("404"), std::string::npos) << rev.err;
  for (const char* bad : {"hf:", "hf:llama", "hf:a/b/c.txt", "hf:a/../b", "hf:a/b@x/y", "hf:a/b:"}) {
    const auto r = Fit(bad);
    EXPECT_NE(r.code, 0) << bad;
    EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  }
}

TEST_F(Remote, GgufRepositoryByQuantTagAndByUrl) {
  uint64_t q4 = 0;
  const auto q4_0 = LlamaGguf(TensorType::kQ4_0, 1, &q4);
  ASSERT_GT(q4_0[0].head.size(), uint64_t{4} << 20) << "the header must need more than one range";
  hub_.Add("bartowski/Llama-3.1-8B-GGUF/main/Llama-3.1-8B-Q4_0.gguf", q4_0[0]);
  hub_.Add("bartowski/Llama-3.1-8B-GGUF/main/Llama-3.1-8B-Q8_0.gguf", LlamaGguf(TensorType::kQ8_0)[0]);
  hub_.Add("bartowski/Llama-3.1-8B-GGUF/main/README.md", {"# GGUF", 6});

  const auto r = Fit("hf:bartowski/Llama-3.1-8B-GGUF:Q4_0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(WeightsGb(r), static_cast<double>(q4) / 1e9, 0.01);
  EXPECT_LT(hub_.bytes_sent, uint64_t{40} << 20) << "a 4.7 GB file, read as far as its header";

  const auto which = Fit("hf:bartowski/Llama-3.1-8B-GGUF");
  EXPECT_NE(which.code, 0);
  EXPECT_NE(which.err.find("2 GGUF files"), std::string::npos) << which.err;
  EXPECT_NE(which.err.find("Llama-3.1-8B-Q8_0.gguf"), std::string::npos) << which.err;
  EXPECT_NE(Fit("hf:bartowski/Llama-3.1-8B-GGUF:Q5_K_M").err.find("no GGUF file"), std::string::npos);

  // A plain URL, and the hub's web page for the file.
  hub_.Add("files/models/llama-q4_0.gguf", q4_0[0]);
  const auto url = Fit(hub_.url() + "/files/models/llama-q4_0.gguf");
  ASSERT_EQ(url.code, 0) << url.err;
  EXPECT_EQ(WeightsGb(url), WeightsGb(r));
  const auto page = Fit(hub_.url() + "/bartowski/Llama-3.1-8B-GGUF/blob/main/Llama-3.1-8B-Q8_0.gguf");
  ASSERT_EQ(page.code, 0) << page.err;
  EXPECT_GT(WeightsGb(page), 1.8 * WeightsGb(r));
}

TEST_F(Remote, SplitGgufReadsEverySplitsHeader) {
  uint64_t total = 0;
  const auto parts = LlamaGguf(TensorType::kQ8_0, 3, &total);
  for (int i = 0; i < 3; ++i) {
    hub_.Add("files/split/llama-q8_0-0000" + std::to_string(i + 1) + "-of-00003.gguf", parts[i]);
  }
  const auto r = Fit(hub_.url() + "/files/split/llama-q8_0-00001-of-00003.gguf");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(WeightsGb(r), static_cast<double>(total) / 1e9, 0.01);
  const auto second = Fit(hub_.url() + "/files/split/llama-q8_0-00002-of-00003.gguf");
  EXPECT_NE(second.code, 0);
  EXPECT_NE(second.err.find("first split"), std::string::npos) << second.err;
}

TEST_F(Remote, TruncatedDownloadIsAnErrorAndNothingIsCached) {
  hub_.Add("files/a.gguf", LlamaGguf(TensorType::kQ4_0)[0]);
  hub_.truncate = true;
  const auto r = Fit(hub_.url() + "/files/a.gguf");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("cut short"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  hub_.truncate = false;
  const auto ok = Fit(hub_.url() + "/files/a.gguf");
  EXPECT_EQ(ok.code, 0) << ok.err;
}

TEST_F(Remote, ServerThatIgnoresRangesIsReadOnlyAsFarAsTheHeader) {
  hub_.Add("files/b.gguf", LlamaGguf(TensorType::kQ4_0)[0]);
  hub_.ignore_ranges = true;
  const auto r = Fit(hub_.url() + "/files/b.gguf");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_LT(hub_.bytes_sent, uint64_t{200} << 20) << "the 4.7 GB file must not be downloaded";
}

TEST_F(Remote, OfflineWithoutTheCacheSaysSo) {
  env_.Set("HF_HUB_OFFLINE", "1");
  const auto r = Fit("hf:meta-llama/Llama-3.1-8B");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("HF_HUB_OFFLINE"), std::string::npos) << r.err;
  EXPECT_EQ(hub_.requests, 0);
}

TEST_F(Remote, ReadsTheHuggingFaceCacheFirst) {
  // A snapshot as huggingface_hub stores it (refs/main names the commit), of a tiny model whose
  // weights are all there: read offline, with no request to the hub.
  const std::string repo = home_.File("hub/models--tiny--llama");
  const std::string snap = repo + "/snapshots/0123abcd";
  std::filesystem::create_directories(repo + "/refs");
  std::filesystem::create_directories(snap);
  std::ofstream(repo + "/refs/main") << "0123abcd";
  std::ofstream(snap + "/config.json") << R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
      "max_position_embeddings": 2048, "tie_word_embeddings": true})";
  json header = json::object();
  uint64_t offset = 0;
  auto add = [&](const std::string& name, std::vector<uint64_t> shape) {
    uint64_t n = 2;
    for (auto d : shape) n *= d;
    header[name] = {{"dtype", "BF16"}, {"shape", shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  };
  add("model.embed_tokens.weight", {100, 64});
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "self_attn.q_proj.weight", {64, 64});
    add(p + "self_attn.k_proj.weight", {32, 64});
    add(p + "self_attn.v_proj.weight", {32, 64});
    add(p + "self_attn.o_proj.weight", {64, 64});
    add(p + "mlp.gate_proj.weight", {128, 64});
    add(p + "mlp.up_proj.weight", {128, 64});
    add(p + "mlp.down_proj.weight", {64, 128});
  }
  const std::string h = header.dump();
  const uint64_t len = h.size();
  std::ofstream st(snap + "/model.safetensors", std::ios::binary);
  st.write(reinterpret_cast<const char*>(&len), 8);
  st << h << std::string(offset, '\0');
  st.close();
  env_.Set("HF_HUB_OFFLINE", "1");
  const auto r = Fit("hf:tiny/llama");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(WeightsGb(r), static_cast<double>(offset) / 1e9, 1e-6);
  EXPECT_EQ(hub_.requests, 0);
}

}  // namespace
}  // namespace tokcast
