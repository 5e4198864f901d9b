// End-to-end runs of the CLI (in process, through the same entry point as the binary), checking
// each output format, exit codes and one-line errors.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/model_source.h"
#include "cli/context.h"
#include "test_util.h"

namespace tokcast {
namespace {

using nlohmann::json;

using test::RunCli;

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(Cli, FitJsonHasOneObjectPerScenarioWithTheDocumentedFields) {
  const auto r = RunCli({"fit", "--model", "llama-3.1-70b", "--quant", "q4_k_m", "--hw", "nvidia-rtx-4090", "--ctx",
                         "8192", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = test::Rows(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const json& o = j[0];
  for (const char* k : {"hardware", "model", "quant", "ctx", "batch", "fits", "weights_bytes", "kv_bytes",
                        "overhead_bytes", "usable_bytes", "layers_total", "layers_on_device"}) {
    EXPECT_TRUE(o.contains(k)) << k;
  }
  EXPECT_EQ(o["hardware"], "nvidia-rtx-4090");
  EXPECT_FALSE(o["fits"].get<bool>());
  EXPECT_EQ(o["layers_total"], 80);
  EXPECT_GT(o["layers_on_device"].get<int>(), 30);
  EXPECT_LT(o["layers_on_device"].get<int>(), 80);
}

TEST(Cli, FitOnM4MaxSaysItFits) {
  const auto r = RunCli({"fit", "--model", "llama-3.1-70b", "--quant", "q4_k_m", "--hw", "apple-m4-max-40c",
                         "--memory-gb", "128", "--ctx", "8192", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json o = test::Rows(r.out)[0];
  EXPECT_TRUE(o["fits"].get<bool>());
  EXPECT_EQ(o["layers_on_device"], 80);
  EXPECT_LE(o["device_used_bytes"].get<uint64_t>(), o["usable_bytes"].get<uint64_t>());
  // Without --memory-gb the default is the largest option.
  const auto d =
      RunCli({"fit", "--model", "llama-3.1-70b", "--hw", "apple-m4-max-40c", "--format", "json", "--no-search"});
  EXPECT_EQ(test::Rows(d.out)[0]["memory_gib"], 128.0);
}

TEST(Cli, MemoryOptionNotSoldIsAOneLineError) {
  const auto r = RunCli({"fit", "--model", "llama-3.1-70b", "--quant", "q4_k_m", "--hw", "apple-m4-max-40c",
                         "--memory-gb", "36", "--ctx", "8192"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("48, 64, 128"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, SweepsMultiplyScenarios) {
  const auto r = RunCli({"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090,apple-m4-max-40c", "--ctx",
                         "4096,32768", "--batch", "1-4*2", "--format", "json", "--no-search"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::Rows(r.out).size(), 2u * 2 * 3);
}

TEST(Cli, EveryFormatRendersTheSameRows) {
  const std::vector<std::string> base = {
      "fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090,nvidia-rtx-5090", "--no-search", "--format"};
  auto with = [&](const std::string& f) {
    auto a = base;
    a.push_back(f);
    return RunCli(a);
  };
  const auto table = with("table"), md = with("md"), csv = with("csv"), js = with("json");
  for (const auto* r : {&table, &md, &csv, &js}) ASSERT_EQ(r->code, 0) << r->err;
  EXPECT_EQ(Lines(csv.out), 3u);  // header + 2 rows
  EXPECT_EQ(csv.out.rfind("hardware,model,quant,runtime,ctx,batch,kv_type,devices", 0), 0u) << csv.out;
  EXPECT_NE(md.out.find("| hardware |"), std::string::npos);
  EXPECT_NE(md.out.find("| ---"), std::string::npos);
  EXPECT_NE(table.out.find("nvidia-rtx-5090"), std::string::npos);
  EXPECT_EQ(test::Rows(js.out).size(), 2u);
}

TEST(Cli, UnknownIdsNameTheClosestMatches) {
  auto r = RunCli({"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4900"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Lines(r.err), 1u);
  EXPECT_NE(r.err.find("unknown hardware 'nvidia-rtx-4900'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nvidia-rtx-4090"), std::string::npos) << r.err;
  r = RunCli({"fit", "--model", "llama-3.1-9b", "--hw", "nvidia-rtx-4090"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("llama-3.1-8b"), std::string::npos) << r.err;
  r = RunCli({"fit", "--model", "llama-3.1-8b", "--quant", "q4_k_n", "--hw", "nvidia-rtx-4090"});
  EXPECT_NE(r.err.find("q4_k_m"), std::string::npos) << r.err;
  r = RunCli({"show", "nvidia-h100-sxn"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nvidia-h100-sxm"), std::string::npos) << r.err;
}

TEST(Cli, AbsurdNumbersAreErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--ctx", "0"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--ctx", "-5"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--batch", "abc"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--ctx", "99999999999999999999"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--devices", "0"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--kv-type", "q9_9"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--gpu-usable-fraction", "2"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--format", "xml"},
           {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090,,x"}}) {
    const auto r = RunCli(args);
    EXPECT_EQ(r.code, 1) << args.back();
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("tokcast: error: ", 0), 0u) << r.err;
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCli({"fit", "--hw", "nvidia-rtx-4090"}).code, 2);  // --model missing
  EXPECT_EQ(RunCli({"frobnicate"}).code, 2);
  EXPECT_EQ(RunCli({}).code, 2);
  EXPECT_EQ(RunCli({"--help"}).code, 0);
}

TEST(Cli, ListHardwareShowsEveryResearchPlatform) {
  const auto r = RunCli({"list", "hardware", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = test::Rows(r.out);
  std::set<std::string> seen;
  for (const auto& o : j) {
    seen.insert(o["id"].get<std::string>());
    if (o["specs_id"].is_string()) seen.insert(o["specs_id"].get<std::string>());
  }
  size_t research = 0;
  for (const auto& row : test::ReadGolden("golden/catalog_ids.txt")) {
    if (row[0] != "research" && row[0] != "hardware") continue;
    research += row[0] == "research";
    EXPECT_TRUE(seen.count(row[1])) << row[1];
  }
  EXPECT_EQ(research, 56u);
  const auto apple = RunCli({"list", "hardware", "--vendor", "apple", "--format", "csv"});
  EXPECT_EQ(Lines(apple.out), 1u + 34);
}

TEST(Cli, ListAndShowEveryKind) {
  for (const char* what : {"models", "quants", "runtimes"}) {
    const auto r = RunCli({"list", what, "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_GE(test::Rows(r.out).size(), 10u) << what;
  }
  EXPECT_EQ(RunCli({"list", "gadgets"}).code, 1);
  for (const char* id : {"nvidia-h100-sxm", "deepseek-v3", "q4_k_m", "vllm", "apple-m4max-40c"}) {
    const auto r = RunCli({"show", id, "--format", "json"});
    ASSERT_EQ(r.code, 0) << id << r.err;
    EXPECT_TRUE(json::parse(r.out).is_object());
  }
  const auto h100 = RunCli({"show", "nvidia-h100-sxm"});
  EXPECT_NE(h100.out.find("989.4"), std::string::npos);  // dense, not the sparse 1,979
  EXPECT_NE(h100.out.find("2:4 sparse"), std::string::npos);
}

TEST(Cli, UserCatalogOverridesAndBadTomlIsOneLine) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/hardware");
  {
    std::ofstream f(dir.path() + "/hardware/my-gpu.toml");
    f << R"(schema_version = 1
id = "my-gpu"
name = "My GPU"
vendor = "NVIDIA"
class = "discrete_gpu"
sources = ["measured by me"]
[memory]
options_gib = [48]
bandwidth_bytes_per_s = 1.0e12
gpu_usable_fraction = 0.95
[peak_flops]
fp16 = 2.0e14
[host]
memory_bandwidth_bytes_per_s = 9e10
)";
  }
  auto r = RunCli({"--catalog", dir.path(), "fit", "--model", "llama-3.1-70b", "--hw", "my-gpu", "--format", "json",
                   "--no-search"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(test::Rows(r.out)[0]["fits"].get<bool>());
  {
    std::ofstream f(dir.path() + "/hardware/broken.toml");
    f << "schema_version = 1\nid = \"broken\"\n[memory\n";
  }
  r = RunCli({"--catalog", dir.path(), "list", "hardware"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("broken.toml:3"), std::string::npos) << r.err;
  {
    std::ofstream f(dir.path() + "/hardware/broken.toml");
    f << "schema_version = 1\nid = \"broken\"\nname = 5\n";
  }
  r = RunCli({"--catalog", dir.path(), "list", "hardware"});
  EXPECT_NE(r.err.find("'broken': key 'name': expected a string, got 5"), std::string::npos) << r.err;
}

TEST(Cli, GgufFilesUseTheirExactSizesAndTruncatedOnesFailClearly) {
  test::TempDir dir;
  const ModelSpec& spec = test::BuiltinCatalog().Model("llama-3.2-1b").spec;
  auto tensors = BuildTensorInventory(spec);
  ApplyRecipe(test::BuiltinCatalog().Quant("q4_0"), spec.n_layers, tensors);
  const auto writer = catalog::GgufWriterForModel(spec, tensors);
  writer.WriteFile(dir.File("m.gguf"), false);  // header only: a truncated download
  auto r = RunCli({"fit", "--model", dir.File("m.gguf"), "--hw", "nvidia-rtx-4090"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Lines(r.err), 1u);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  writer.WriteFile(dir.File("full.gguf"), true);
  r = RunCli({"fit", "--model", dir.File("full.gguf"), "--hw", "nvidia-rtx-4090", "--format", "json", "--no-search"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::Rows(r.out)[0]["weights_bytes"].get<uint64_t>(), TotalBytes(tensors));
  EXPECT_EQ(test::Rows(r.out)[0]["layers_total"], 16);
  r = RunCli({"fit", "--model", dir.File("absent.gguf"), "--hw", "nvidia-rtx-4090"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no such file"), std::string::npos);
}

TEST(Cli, OutputFile) {
  test::TempDir dir;
  const auto r = RunCli({"list", "runtimes", "--format", "csv", "-o", dir.File("rt.csv")});
  ASSERT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.empty());
  std::ifstream in(dir.File("rt.csv"));
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first.rfind("id,", 0), 0u);
}

}  // namespace
}  // namespace tokcast

namespace tokcast {
namespace {

// The listing's bits per weight are the type most weights get: MXFP4's experts at 4.25 (32
// E2M1 values and an E8M0 scale in 17 bytes), not its Q8_0 attention.
TEST(Cli, QuantListShowsTheMainTypesBits) {
  const auto r = test::RunCli({"list", "quants", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  bool seen = false;
  for (const auto& q : test::Rows(r.out)) {
    if (q["id"] != "mxfp4") continue;
    seen = true;
    EXPECT_EQ(q["main_type"], "MXFP4");
    EXPECT_DOUBLE_EQ(q["bits_per_weight"].get<double>(), 4.25);
    EXPECT_EQ(q["default_type"], "Q8_0");
  }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace tokcast
