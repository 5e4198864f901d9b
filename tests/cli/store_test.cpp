// The results store: atomic runs that survive SIGKILL, llama-bench import round trips, and the
// bench commands end to end (small and fast; benchmarks proper live in bench/).
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/bench.h"
#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "cli/context.h"
#include "measure/probe.h"
#include "measure/thread_pool.h"
#include "store/results_store.h"
#include "test_util.h"

namespace tokcast {
namespace {

using nlohmann::json;

using test::RunCli;

MeasuredRow Row(int i) {
  MeasuredRow r;
  r.hardware = "local";
  r.runtime = "tokcast-probe";
  r.model = "qwen3-0.6b";
  r.quant = "q8_0";
  r.test = i % 2 ? "tg" : "pp";
  r.value = 10.0 + i;
  r.unit = "tok/s";
  r.source_id = "test";
  return r;
}

TEST(Store, RunsAreAtomicAndSurviveSigkill) {
  test::TempDir dir;
  const std::string path = dir.File("results.db");
  {
    store::ResultsStore db(path);  // create the schema before the child starts
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: write runs of 50 rows each, as fast as it can, until killed.
    store::ResultsStore db(path);
    for (int run = 0;; ++run) {
      store::StoredRun r;
      r.kind = "bench-model";
      r.host_json = "{}";
      r.result_json = json{{"run", run}, {"pad", std::string(2000, 'x')}}.dump();
      for (int i = 0; i < 50; ++i) r.rows.push_back(Row(i));
      db.Insert(r);
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  store::ResultsStore db(path);
  EXPECT_TRUE(db.IntegrityOk());
  const auto runs = db.List();
  ASSERT_GT(runs.size(), 2u) << "the child should have committed several runs";
  for (const auto& r : runs) EXPECT_EQ(r.rows.size(), 50u) << "run " << r.id << " is partial";
  // The database still takes writes.
  store::StoredRun more;
  more.kind = "bench-machine";
  more.host_json = more.result_json = "{}";
  EXPECT_GT(db.Insert(more), runs.back().id);
}

TEST(Store, KillingTheBinaryMidBenchKeepsEarlierRuns) {
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  const std::string bin = TOKCAST_BINARY;
  const std::string common = " --db " + db + " bench model --model qwen3-0.6b --quant q4_0 -p 8 -n 2 --format json";
  ASSERT_EQ(std::system((bin + common + " -r 1 > /dev/null").c_str()), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + bin + common + " -r 1000 > /dev/null").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the second bench should still have been running";
  store::ResultsStore s(db);
  EXPECT_TRUE(s.IntegrityOk());
  const auto runs = s.List();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].rows.size(), 2u);
}

TEST(Store, ImportsEveryLlamaBenchFormatAndExportsTheSameRows) {
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  const std::string data = test::TestDataPath("data/llama-bench/");
  auto r = RunCli(
      {"--db", db, "import", "llama-bench", data + "rtx4090.json", "--hw", "nvidia-rtx-4090", "--model", "llama-2-7b"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = RunCli({"--db", db, "import", "llama-bench", data + "m2ultra.jsonl", "--hw", "apple-m2-ultra-76c", "--model",
              "qwen2.5-coder-7b"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1 pp+tg tests skipped"), std::string::npos) << r.out;
  r = RunCli({"--db", db, "import", "llama-bench", data + "cpu.csv", "--hw", "cpu-desktop-ddr5-5600-2ch", "--model",
              "llama-3.1-8b"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto exported = RunCli({"--db", db, "results", "export", "--format", "json"});
  ASSERT_EQ(exported.code, 0) << exported.err;
  const json rows = test::Rows(exported.out);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0]["test"], "pp");
  EXPECT_EQ(rows[0]["quant"], "q4_0");
  EXPECT_EQ(rows[0]["runtime"], "llama.cpp-cuda");
  EXPECT_DOUBLE_EQ(rows[0]["value"].get<double>(), 11993.4);
  EXPECT_DOUBLE_EQ(rows[1]["value"].get<double>(), 186.21);
  EXPECT_EQ(rows[2]["runtime"], "llama.cpp-metal");
  EXPECT_EQ(rows[2]["depth"], 4096);
  EXPECT_EQ(rows[2]["n_prompt"], 2048);
  EXPECT_NE(rows[2]["notes"].get<std::string>().find("ub=2048"), std::string::npos);
  EXPECT_EQ(rows[4]["quant"], "q4_k_m");
  EXPECT_EQ(rows[4]["runtime"], "llama.cpp-cpu");
  // The exported CSV is the validation schema: validate reads it back and predicts every row.
  const auto csv = RunCli({"--db", db, "results", "export", "-o", dir.File("out.csv")});
  ASSERT_EQ(csv.code, 0);
  const auto v = RunCli({"validate", "--data", dir.File("out.csv"), "--format", "json"});
  ASSERT_EQ(v.code, 0) << v.err;
  const json vj = json::parse(v.out);
  EXPECT_EQ(vj["rows"].size(), 6u);
  for (const auto& row : vj["rows"]) EXPECT_TRUE(row.contains("predicted")) << row.dump();
  EXPECT_NEAR(vj["rows"][0]["measured"].get<double>(), 11993.4, 1e-6);
  // And validate --db reads the store directly.
  const auto vdb = RunCli({"--db", db, "validate", "--format", "json"});
  ASSERT_EQ(vdb.code, 0) << vdb.err;
  EXPECT_EQ(json::parse(vdb.out)["rows"].size(), 6u);
}

TEST(Store, BadImportsAreOneLineErrors) {
  test::TempDir dir;
  { std::ofstream(dir.File("x.json")) << "[{\"foo\": 1}]"; }
  auto r = RunCli({"--db", dir.File("r.db"), "import", "llama-bench", dir.File("x.json"), "--hw", "nvidia-rtx-4090",
                   "--model", "llama-2-7b"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not llama-bench output"), std::string::npos) << r.err;
  r = RunCli({"--db", dir.File("r.db"), "import", "llama-bench", test::TestDataPath("data/llama-bench/rtx4090.json"),
              "--hw", "nvidia-rtx-9090", "--model", "llama-2-7b"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown hardware"), std::string::npos);
  {
    std::ofstream(dir.File("not.db"))
        << "this is not sqlite, just text that is long enough to look like a header......";
  }
  r = RunCli({"--db", dir.File("not.db"), "results", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(Bench, MachineAndModelEndToEnd) {
  test::TempDir dir;
  setenv("TOKCAST_HOME", dir.path().c_str(), 1);
  auto m = RunCli({"bench", "machine", "--buffer-mib", "48", "-r", "1", "--rounds", "3", "--format", "json"});
  ASSERT_EQ(m.code, 0) << m.err;
  const json mj = json::parse(m.out)["summary"];
  EXPECT_GT(mj["memory_bandwidth_bytes_per_s"].get<double>(), 1e8);
  // The profile's bandwidth is the median of the rounds' best rates.
  auto rounds = mj["bandwidth"]["round_best_rates"].get<std::vector<double>>();
  ASSERT_EQ(rounds.size(), 3u);
  std::sort(rounds.begin(), rounds.end());
  EXPECT_DOUBLE_EQ(mj["memory_bandwidth_bytes_per_s"].get<double>(), rounds[1]);
  for (const char* f : {"F32", "F16", "Q8_0", "Q4_0"})
    EXPECT_GT(mj["matmul_flops_per_s"][f]["median"].get<double>(), 1e7) << f;
  EXPECT_TRUE(mj["host"].contains("cpu_model"));
  // The instruction sets' ceilings apart from the kernels: every kernel below its ceiling
  // (fractions at most 1, up to timing noise), AMX reported, not guessed.
  const json& c = mj["ceilings"];
  EXPECT_GT(c["fp32_flops_per_s"]["max"].get<double>(), 1e8);
  EXPECT_GT(c["int8_ops_per_s"]["max"].get<double>(), c["fp32_flops_per_s"]["max"].get<double>())
      << "an int8 dot product does more operations per instruction than an FMA";
  EXPECT_FALSE(c["int8_isa"].get<std::string>().empty());
  for (const char* p : {"fp32", "fp16", "int8"}) {
    EXPECT_GT(c["tokcast_gemm_fraction"][p].get<double>(), 0) << p;
    EXPECT_LE(c["tokcast_gemm_fraction"][p].get<double>(), 1.0) << p;
  }
  // AMX measured exactly where the CPU has it and the OS permits it, its ceilings above the
  // vector units' (16x16x64 multiply-adds per instruction against 64 per vpdpbusd lane group).
  const json& amx = c["amx"];
  const bool usable = amx["tile"].get<bool>() && amx["int8"].get<bool>() && amx["permitted"].get<bool>() &&
                      std::getenv("TOKCAST_AMX") == nullptr;
  EXPECT_EQ(amx["measured"].get<bool>(), usable);
  if (usable) {
    EXPECT_GT(amx["int8_ops_per_s"]["max"].get<double>(), 2 * c["int8_ops_per_s"]["max"].get<double>());
  } else {
    EXPECT_TRUE(amx["int8_ops_per_s"].is_null());
  }
  // The profile it wrote is hardware "local", with the ceilings as its peaks.
  auto shown = RunCli({"show", "local", "--format", "json"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_NE(shown.out.find("instruction sets' ceilings"), std::string::npos);
  auto fit = RunCli({"fit", "--model", "qwen3-0.6b", "--hw", "local", "--format", "json", "--no-search"});
  ASSERT_EQ(fit.code, 0) << fit.err;
  EXPECT_TRUE(test::Rows(fit.out)[0]["fits"].get<bool>());
  auto b = RunCli({"bench", "model", "--model", "qwen3-0.6b", "--quant", "q8_0", "-p", "8", "-n", "2", "-r", "1",
                   "--format", "json"});
  ASSERT_EQ(b.code, 0) << b.err;
  const json bj = json::parse(b.out)["summary"];
  for (const char* k : {"pp_tok_s", "tg_tok_s", "weights_bytes", "decode_bytes_per_token", "predicted_pp_tok_s",
                        "predicted_tg_tok_s"}) {
    EXPECT_TRUE(bj.contains(k)) << k;
  }
  EXPECT_GT(bj["tg_tok_s"].get<double>(), 0);
  // Decode against the read bandwidth of its own weights, measured around each run.
  EXPECT_GT(bj["weights_read_bytes_per_s"].get<double>(), 1e8);
  EXPECT_GT(bj["decode_weights_read_fraction"].get<double>(), 0);
  EXPECT_GT(bj["predicted_tg_tok_s_at_run_bandwidth"].get<double>(), 0);
  auto list = RunCli({"results", "list", "--format", "json"});
  EXPECT_EQ(test::Rows(list.out).size(), 2u);
  EXPECT_EQ(RunCli({"bench", "model", "--model", "deepseek-v3", "-p", "8", "-n", "1"}).code, 1);
  EXPECT_EQ(RunCli({"bench", "model", "--model", "qwen3-0.6b", "--quant", "q4_k_m"}).code, 1);
  unsetenv("TOKCAST_HOME");
}

}  // namespace
}  // namespace tokcast

namespace tokcast {
namespace {

TEST(Synth, WritesAGgufThatRunsWithTheSameWeights) {
  test::TempDir dir;
  const std::string path = dir.File("tiny.gguf");
  auto r = RunCli({"synth", "--model", "qwen3-0.6b", "--quant", "q4_0", "--seed", "7", "-o", path});
  ASSERT_EQ(r.code, 0) << r.err;
  auto file = std::make_shared<catalog::GgufFile>(catalog::GgufFile::Open(path));
  const auto& h = file->header();
  EXPECT_EQ(*h.String("general.architecture"), "qwen3");
  EXPECT_EQ(*h.String("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(h.Find("tokenizer.ggml.tokens")->AsArray()->count, 151936u);
  EXPECT_EQ(catalog::ReadStringArray(file->bytes(), *h.Find("tokenizer.ggml.tokens")->AsArray())[3], "<0x00>");
  // The file's weights are the synthesized ones: identical logits.
  // (the catalog's RoPE defaults for the family, as bench model and synth apply them)
  ModelSpec spec = catalog::ModelSpecFromGguf(h, file->bytes(), path);
  test::BuiltinCatalog().FillRopeDefaults(spec);
  EXPECT_EQ(spec.rope_theta.value_or(0), 1e6);
  auto from_file = measure::ProbeModel::FromWeights(app::GgufWeights(file), spec, 8);
  ModelSpec catalog_spec = test::BuiltinCatalog().Model("qwen3-0.6b").spec;
  test::BuiltinCatalog().FillRopeDefaults(catalog_spec);
  auto synth = measure::ProbeModel::Synthesize(catalog_spec, TensorType::kQ4_0, 7, 8);
  measure::ThreadPool pool(2);
  const std::vector<int32_t> toks = {1, 300, 4000};
  std::vector<float> a, b;
  from_file->Forward(pool, toks.data(), toks.size(), &a);
  synth->Forward(pool, toks.data(), toks.size(), &b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); i += 997) EXPECT_NEAR(a[i], b[i], 1e-3 * (1 + std::fabs(b[i])));
  EXPECT_EQ(RunCli({"synth", "--model", "qwen3-0.6b", "--quant", "q6_k", "-o", path}).code, 1);
  EXPECT_EQ(RunCli({"synth", "--model", "gemma-3-1b"}).code, 1);
}

}  // namespace
}  // namespace tokcast
