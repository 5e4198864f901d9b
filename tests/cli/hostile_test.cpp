// A hostile or careless user: impossible numbers, files that are not files, output that cannot
// be written, setups that cannot run. Each is a one-line error with exit 1, or a corrected
// answer; never a crash, a hang or a silent wrong number.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace tokcast {
namespace {

using test::RunCli;

void ExpectOneLineError(const std::vector<std::string>& args, const std::string& part) {
  const auto r = RunCli(args);
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  EXPECT_EQ(r.code, 1) << cmd << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << r.err;
  EXPECT_EQ(r.err.rfind("tokcast: error: ", 0), 0u) << cmd << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << cmd << r.err;
}

std::string MeasurementCsv(const std::string& batch) {
  return "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,"
         "notes\n"
         "nvidia-rtx-4090,1,llama.cpp-cuda,llama-2-7b,q4_0,tg,,128,0," +
         batch + ",180,tok/s,X,http://x,\n";
}

TEST(Hostile, VerdictsCannotLie) {
  // Nothing can run in 1% of a GPU: "does not fit", not "offload", and no speed.
  auto r = RunCli({"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--gpu-usable-fraction", "0.01",
                   "--no-search", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::Rows(r.out)[0]["verdict"], "does not fit");
  r = RunCli({"predict", "--model", "llama-3.1-70b", "--hw", "apple-m4-max-40c", "--memory-gb", "48", "--runtime",
              "mlx", "--quant", "mlx-4bit", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto row = test::Rows(r.out)[0];
  EXPECT_EQ(row["verdict"], "does not fit");
  EXPECT_FALSE(row.contains("tg_tok_s"));
  EXPECT_TRUE(row.contains("warning"));
  // The prompt is in the KV cache when generation starts: a 100k prompt slows decode.
  auto tg = [](const std::string& prompt) {
    const auto p = RunCli(
        {"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--prompt", prompt, "--format", "json"});
    return test::Rows(p.out)[0]["tg_tok_s"]["expected"].get<double>();
  };
  EXPECT_LT(tg("100000"), 0.5 * tg("512"));
}

TEST(Hostile, ExpertParallelismOnlyWhereThereAreExpertsAndAGroup) {
  ExpectOneLineError({"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm", "--quant",
                      "bf16", "--tp", "2", "--expert-parallel"},
                     "dense");
  ExpectOneLineError({"predict", "--model", "qwen3-30b-a3b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm", "--quant",
                      "bf16", "--expert-parallel"},
                     "--tp 2 or more");
  ExpectOneLineError({"simulate", "--model", "qwen3-30b-a3b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm", "--quant",
                      "bf16", "--expert-parallel"},
                     "--tp 2 or more");
  // 3 does not divide 128 experts (nor Qwen3-30B's 32 heads).
  ExpectOneLineError({"predict", "--model", "qwen3-30b-a3b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm", "--quant",
                      "bf16", "--tp", "3", "--expert-parallel"},
                     "does not divide");
}

TEST(Hostile, NumbersThatShouldNeverPass) {
  ExpectOneLineError({"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--ctx", "17592186044417m"},
                     "too large");
  ExpectOneLineError(
      {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--ctx", "1-10000+1", "--batch", "1-10000+1"},
      "more than 100000");
  test::TempDir dir;
  std::ofstream(dir.File("big.csv")) << MeasurementCsv("4294967297");
  ExpectOneLineError({"validate", "--data", dir.File("big.csv")}, "batch");
  // A gate that predicted nothing has checked nothing; a fit on nothing is no fit.
  std::ofstream(dir.File("unknown.csv"))
      << "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,"
         "notes\n"
         "no-such-gpu,1,llama.cpp-cuda,llama-2-7b,q4_0,tg,,128,0,1,180,tok/s,X,http://x,\n";
  EXPECT_EQ(RunCli({"validate", "--data", dir.File("unknown.csv"), "--max-median-ape", "1"}).code, 1);
  ExpectOneLineError({"calibrate", "--data", dir.File("unknown.csv")}, "nothing to calibrate");
}

TEST(Hostile, CatalogValuesArePhysical) {
  const std::string base = R"(schema_version = 1
id = "bad-gpu"
name = "Bad GPU"
vendor = "NVIDIA"
class = "discrete_gpu"
sources = ["x"]
[memory]
options_gib = [24]
bandwidth_bytes_per_s = 1.0e12
[host]
memory_bandwidth_bytes_per_s = 9e10
)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[peak_flops]\nfp16 = 1e14\n[power]\ntdp_w = nan\n", "tdp_w"},
      {"[peak_flops]\nfp16 = 1e14\n[power]\ntdp_w = -5\n", "tdp_w"},
      {"[peak_flops]\nfp16 = 1e14\n[price]\nusd = inf\n", "price"},
      {"", "peak_flops"},
  };
  for (const auto& [extra, part] : cases) {
    test::TempDir dir;
    std::filesystem::create_directories(dir.path() + "/hardware");
    std::ofstream(dir.path() + "/hardware/bad.toml") << base << extra;
    ExpectOneLineError({"--catalog", dir.path(), "list", "hardware"}, part);
  }
}

TEST(Hostile, FilesThatAreNotFiles) {
  test::TempDir dir;
  const std::string fifo = dir.File("pipe");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ExpectOneLineError({"validate", "--data", fifo}, "not a regular file");
  const std::string gguf_fifo = dir.File("model.gguf");
  ASSERT_EQ(mkfifo(gguf_fifo.c_str(), 0600), 0);
  ExpectOneLineError({"fit", "--model", gguf_fifo, "--hw", "nvidia-rtx-4090"}, "not a regular file");
  ExpectOneLineError({"validate", "--data", dir.path()}, "is a directory");
  // A UTF-8 byte-order mark (as spreadsheets write) is not part of the header.
  std::ofstream(dir.File("bom.csv")) << "\xEF\xBB\xBF" << MeasurementCsv("1");
  const auto r = RunCli({"validate", "--data", dir.File("bom.csv"), "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(Hostile, OutputThatCannotBeWrittenIsAnError) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  test::TempDir dir;
  ExpectOneLineError({"-o", "/dev/full", "list", "hardware"}, "/dev/full");
  ExpectOneLineError({"--db", dir.File("r.db"), "-o", "/dev/full", "results", "export"}, "/dev/full");
  ExpectOneLineError({"calibrate", "--source", "S05", "--profile-out", "/dev/full"}, "/dev/full");
}

TEST(Hostile, ImportedMeasurementsMustBeFinite) {
  test::TempDir dir;
  for (const char* value : {"inf", "nan", "-5"}) {
    std::ofstream(dir.File("lb.json")) << R"([{"n_prompt": 512, "n_gen": 0, "avg_ts": ")" << value
                                       << R"(", "backends": "CUDA", "model_type": "llama 7B Q4_0"}])";
    const auto r = RunCli({"--db", dir.File("r.db"), "import", "llama-bench", dir.File("lb.json"), "--hw",
                           "nvidia-rtx-4090", "--model", "llama-2-7b"});
    EXPECT_EQ(r.code, 1) << value;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(Hostile, ResultsListShowsTheNewestRuns) {
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  test::StoreEmptyRuns(db, 5);
  const auto r = RunCli({"--db", db, "results", "list", "--limit", "2", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = test::Rows(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["id"], 4);
  EXPECT_EQ(rows[1]["id"], 5);
  EXPECT_NE(r.out.find("the newest 2 of 5 runs"), std::string::npos);
  EXPECT_EQ(test::Rows(RunCli({"--db", db, "results", "list", "--limit", "0", "--format", "json"}).out).size(), 5u);
  const auto show = RunCli({"--db", db, "results", "show", "3", "--format", "json"});
  EXPECT_EQ(test::Rows(show.out)[0]["id"], 3);
  EXPECT_EQ(RunCli({"--db", db, "results", "show", "99"}).code, 1);
}

// The binary run as a user who cannot write `dir` (as `nobody` through setpriv when the tests run
// as root, who can write anything); stdout and stderr together.
std::optional<std::pair<int, std::string>> RunUnprivileged(const std::string& args) {
  std::string prefix;
  if (geteuid() == 0) {
    if (std::system("command -v setpriv > /dev/null 2>&1") != 0) return std::nullopt;
    prefix = "setpriv --reuid=nobody --regid=nogroup --clear-groups ";
  }
  FILE* p = popen((prefix + TOKCAST_BINARY + " " + args + " 2>&1").c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  const int status = pclose(p);
  return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
}

TEST(Hostile, ReadOnlyResultsDatabaseIsReadableAndSaysWhyItCannotStore) {
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  test::StoreEmptyRuns(db, 1);
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(chmod(db.c_str(), 0444), 0);
  const auto list = RunUnprivileged("--db " + db + " results list --format json");
  if (!list) GTEST_SKIP() << "cannot run as an unprivileged user here";
  EXPECT_EQ(list->first, 0) << list->second;
  EXPECT_EQ(test::Rows(list->second).size(), 1u) << list->second;
  const auto store =
      RunUnprivileged("--db " + db + " import llama-bench " + test::TestDataPath("data/llama-bench/rtx4090.json") +
                      " --hw nvidia-rtx-4090 --model llama-2-7b");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->first, 1);
  EXPECT_EQ(store->second, "tokcast: error: " + db +
                               ": the results database is read-only (check the file's and its folder's permissions, "
                               "or choose another with --db)\n");
}

TEST(Hostile, RowNotesWithAbsurdNumbersAreNamed) {
  test::TempDir dir;
  std::ofstream(dir.File("m.csv"))
      << "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,"
         "notes\n"
         "nvidia-rtx-4090,2,llama.cpp-cuda,llama-2-7b,q4_0,tg,,128,0,1,180,tok/s,X,http://x,"
         "parallel: TP99999999999999999999\n";
  const auto r = RunCli({"validate", "--data", dir.File("m.csv"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = test::Rows(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].dump().find("notes: TP must be in 1..1024, got '99999999999999999999'"), std::string::npos)
      << rows[0].dump();
}

}  // namespace
}  // namespace tokcast
