// Serving results from other tools and llama.cpp's benchmark outputs, read from the files in
// tests/data/serve and tests/data/llama-bench (see their READMEs for where each came from):
// every figure lands in tokcast's metric with the same definition, and what a file lacks stays
// missing instead of becoming zero.
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "catalog/error.h"
#include "catalog/llama_bench.h"
#include "catalog/serve_import.h"
#include "test_util.h"

namespace tokcast::catalog {
namespace {

std::string Read(const std::string& rel) {
  std::ifstream in(test::TestDataPath(rel), std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<ImportedServeRun> Parse(const std::string& rel, std::string_view tool = "auto") {
  return ParseServeResults(Read(rel), rel, tool);
}

bool Missing(const ImportedServeRun& r, const std::string& what) {
  return std::find(r.missing.begin(), r.missing.end(), what) != r.missing.end();
}

std::string ErrorOf(std::string_view text, std::string_view tool = "auto") {
  try {
    ParseServeResults(text, "f.json", tool);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ServeImport, VllmBenchServeResult) {
  const auto runs = Parse("data/serve/vllm-bench-serve-qwen3-vl-8b-1qps.json");
  ASSERT_EQ(runs.size(), 1u);
  const auto& r = runs[0];
  EXPECT_EQ(r.tool, "vllm bench serve");
  EXPECT_EQ(r.model, "/workspace/shared_assets/models/Qwen/Qwen3-VL-8B-Instruct");
  EXPECT_EQ(r.workload.arrival, serve::Arrival::kPoisson);
  EXPECT_DOUBLE_EQ(r.workload.rate, 1.0);
  EXPECT_EQ(r.workload.num_requests, 200u);
  EXPECT_EQ(r.workload.isl.min, 200u);  // 40000 input tokens over 200 requests
  EXPECT_EQ(r.workload.osl.max, 128u);
  const auto& m = r.metrics;
  EXPECT_EQ(m.completed, 200u);
  EXPECT_EQ(m.failed, 0u);
  EXPECT_NEAR(m.duration_s, 203.5105, 1e-4);
  EXPECT_NEAR(m.output_throughput, 125.792, 1e-3);
  EXPECT_NEAR(m.total_throughput, 322.342, 1e-3);
  EXPECT_NEAR(m.ttft_s.mean, 0.0956344, 1e-7);
  EXPECT_NEAR(m.ttft_s.median, 0.0956996, 1e-7);
  EXPECT_NEAR(m.ttft_s.p99, 0.1433256, 1e-7);
  EXPECT_NEAR(m.tpot_s.median, 0.0276784, 1e-7);
  EXPECT_NEAR(m.itl_s.p99, 0.0420830, 1e-7);
  // vLLM saves the percentiles it was asked for (99 by default) and E2E only with --percentile-metrics.
  EXPECT_TRUE(Missing(r, "TTFT p90"));
  EXPECT_TRUE(Missing(r, "E2E"));
  EXPECT_FALSE(Missing(r, "TTFT p99"));
}

TEST(ServeImport, SglangBenchServingLines) {
  const auto runs = Parse("data/serve/sglang-bench-serving.jsonl");
  ASSERT_EQ(runs.size(), 2u);
  // request_rate Infinity (Python's JSON for float('inf')) with max_concurrency: a closed loop.
  EXPECT_EQ(runs[0].workload.arrival, serve::Arrival::kClosedLoop);
  EXPECT_EQ(runs[0].workload.concurrency, 16u);
  EXPECT_EQ(runs[1].workload.arrival, serve::Arrival::kPoisson);
  EXPECT_DOUBLE_EQ(runs[1].workload.rate, 4.0);
  const auto& m = runs[0].metrics;
  EXPECT_EQ(runs[0].tool, "sglang bench_serving");
  EXPECT_EQ(m.completed, 200u);
  EXPECT_NEAR(m.e2e_s.mean, 1.7052, 1e-9);
  EXPECT_NEAR(m.itl_s.p95, 0.0079, 1e-9);
  EXPECT_NEAR(m.total_throughput, 9570.0935 + 2392.5234, 1e-3);
  EXPECT_EQ(runs[0].workload.isl.min, 1024u);
  EXPECT_TRUE(Missing(runs[0], "TTFT p95"));
  EXPECT_FALSE(Missing(runs[0], "ITL p95"));
}

TEST(ServeImport, GenaiPerfProfileExport) {
  const auto runs = Parse("data/serve/genai-perf-profile-export.json");
  ASSERT_EQ(runs.size(), 1u);
  const auto& r = runs[0];
  EXPECT_EQ(r.tool, "genai-perf");
  EXPECT_EQ(r.model, "meta-llama/Llama-3.1-8B-Instruct");
  EXPECT_EQ(r.workload.arrival, serve::Arrival::kClosedLoop);
  EXPECT_EQ(r.workload.concurrency, 4u);
  EXPECT_EQ(r.metrics.completed, 100u);
  EXPECT_EQ(r.workload.isl.min, 550u);
  EXPECT_EQ(r.workload.osl.min, 128u);
  // GenAI-Perf's inter_token_latency is a per-request (E2E - TTFT) / (n - 1): vLLM's TPOT.
  EXPECT_NEAR(r.metrics.tpot_s.median, 0.00779, 1e-9);
  EXPECT_NEAR(r.metrics.ttft_s.p99, 0.0774, 1e-9);
  EXPECT_NEAR(r.metrics.e2e_s.p90, 1.0468, 1e-9);
  EXPECT_NEAR(r.metrics.duration_s, 100 / 3.92, 1e-9);
  EXPECT_TRUE(Missing(r, "ITL"));
}

TEST(ServeImport, AiperfProfileExport) {
  const auto runs = Parse("data/serve/aiperf-profile-export.json");
  ASSERT_EQ(runs.size(), 1u);
  const auto& r = runs[0];
  EXPECT_EQ(r.tool, "aiperf");
  EXPECT_EQ(r.version, "0.3.0");
  EXPECT_EQ(r.model, "Qwen/Qwen3-0.6B");
  EXPECT_EQ(r.workload.concurrency, 16u);
  EXPECT_EQ(r.workload.num_requests, 32u);
  EXPECT_EQ(r.metrics.completed, 30u);
  EXPECT_EQ(r.metrics.failed, 2u);
  EXPECT_NEAR(r.metrics.duration_s, 3.03, 1e-12);
  EXPECT_NEAR(r.metrics.itl_s.p99, 0.0803, 1e-9);   // inter_chunk_latency: per streamed gap
  EXPECT_NEAR(r.metrics.tpot_s.p99, 0.0559, 1e-9);  // inter_token_latency: per request
  // The nested layout of AIPerf's documentation example is read, and says what is missing.
  const std::string err = ErrorOf(Read("data/serve/aiperf-docs-records.json"));
  EXPECT_NE(err.find("request_count"), std::string::npos) << err;
}

TEST(ServeImport, GuidellmSweep) {
  const auto runs = Parse("data/serve/guidellm-benchmarks.json");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].tool, "guidellm");
  EXPECT_EQ(runs[0].version, "0.4.0");
  EXPECT_EQ(runs[0].model, "meta-llama/Llama-3.1-8B-Instruct");
  EXPECT_EQ(runs[0].workload.arrival, serve::Arrival::kClosedLoop);
  EXPECT_EQ(runs[0].workload.concurrency, 1u);
  EXPECT_EQ(runs[1].workload.concurrency, 8u);
  EXPECT_EQ(runs[2].workload.arrival, serve::Arrival::kGamma);  // constant: evenly spaced
  EXPECT_DOUBLE_EQ(runs[2].workload.rate, 5.0);
  const auto& m = runs[1].metrics;
  EXPECT_EQ(m.completed, 400u);
  EXPECT_EQ(m.failed, 1u);  // one incomplete request
  EXPECT_NEAR(m.request_throughput, 400 / 60.0, 1e-9);
  EXPECT_NEAR(m.output_throughput, 128 * 400 / 60.0, 1e-6);
  EXPECT_NEAR(m.ttft_s.p99, 0.1403, 1e-9);
  EXPECT_NEAR(m.tpot_s.median, 0.0090, 1e-9);  // inter_token_latency_ms, not time_per_output_token_ms
  EXPECT_NEAR(m.e2e_s.p95, 1.30, 1e-9);        // request_latency is in seconds
  EXPECT_TRUE(Missing(runs[1], "ITL"));
}

TEST(ServeImport, ToolMayBeNamed) {
  const std::string vllm = Read("data/serve/vllm-bench-serve-qwen3-vl-8b-1qps.json");
  EXPECT_EQ(ParseServeResults(vllm, "f", "vllm").size(), 1u);
  EXPECT_NE(ErrorOf(vllm, "guidellm").find("no benchmarks array"), std::string::npos);
  EXPECT_NE(ErrorOf(vllm, "tgi").find("unknown tool 'tgi'"), std::string::npos);
}

TEST(ServeImport, BadFilesAreOneLineErrors) {
  for (const auto& [text, needle] : std::vector<std::pair<std::string, std::string>>{
           {"[1, 2]", "expected a JSON object"},
           {"{\"a\": 1}", "not a result tokcast knows"},
           {"{\"mean_ttft_ms\": 1}", "no 'completed' count"},
           {"{\"mean_ttft_ms\": 1, \"completed\": 5, \"duration\": -3}", "duration is -3"},
           {"{\"mean_ttft_ms\": 1, \"completed\": -5}", "completed is -5"},
           {"{\"time_to_first_token\": {\"unit\": \"parsecs\", \"avg\": 1}, \"request_count\": {\"avg\": 3}, "
            "\"request_throughput\": {\"avg\": 1}}",
            "unknown time unit 'parsecs'"},
           {"{\"benchmarks\": [{\"metrics\": {}}]}", "benchmarks[0]: no successful requests"},
           {"{\"benchmarks\": [7]}", "benchmarks[0]: not an object"},
           {"{\"mean_ttft_ms\": 1, \"completed\": 1}\nnot json\n", "f.json:2: not a JSON object"},
           {"", "empty"},
       }) {
    const std::string err = ErrorOf(text);
    EXPECT_NE(err.find(needle), std::string::npos) << text << " -> " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(LlamaBenchReal, EveryOutputFormatOfOneRealRun) {
  const LlamaBenchIds ids{"cpu-server-epyc-genoa-12ch", "qwen3-0.6b", "", ""};
  std::map<std::string, std::vector<MeasuredRow>> by_format;
  for (const char* f : {"json", "jsonl", "csv", "md"}) {
    const std::string rel = std::string("data/llama-bench/real-qwen3-0.6b-q8_0-cpu.") + f;
    by_format[f] = ParseLlamaBench(Read(rel), rel, ids);
    const auto& rows = by_format[f];
    ASSERT_EQ(rows.size(), 4u) << f;
    EXPECT_EQ(rows[0].test, "pp");
    EXPECT_EQ(*rows[0].n_prompt, 64u);
    EXPECT_EQ(rows[1].test, "tg");
    EXPECT_EQ(*rows[1].n_gen, 16u);
    EXPECT_EQ(*rows[2].depth, 128u);
    EXPECT_EQ(*rows[3].depth, 128u);
    for (const auto& r : rows) {
      EXPECT_EQ(r.quant, "q8_0") << f;  // from "qwen3 0.6B Q8_0"
      EXPECT_EQ(r.runtime, "llama.cpp-cpu") << f;
      EXPECT_GT(r.value, 1) << f;
      EXPECT_NE(r.notes.find("de3ff81"), std::string::npos) << r.notes;
    }
  }
  // The markdown table and the JSON came from one run (-o md -oe json): the same figures,
  // to the table's two decimals; likewise CSV and JSONL (-o csv -oe jsonl), exactly.
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(by_format["md"][i].value, by_format["json"][i].value, 0.0051) << i;
    EXPECT_DOUBLE_EQ(by_format["csv"][i].value, by_format["jsonl"][i].value) << i;
  }
}

TEST(LlamaBatchedBenchReal, TableAndJsonLines) {
  const auto md = ParseLlamaBatchedBench(Read("data/llama-batched-bench/real-qwen3-0.6b-q8_0-cpu.md"), "md");
  ASSERT_EQ(md.size(), 6u);
  EXPECT_EQ(md[0].pp, 64u);
  EXPECT_EQ(md[0].tg, 16u);
  EXPECT_EQ(md[0].batch, 1u);
  EXPECT_EQ(md[0].n_kv, 80u);
  EXPECT_DOUBLE_EQ(md[0].speed_pp, 231.23);
  EXPECT_DOUBLE_EQ(md[0].speed_tg, 49.94);
  EXPECT_EQ(md[5].batch, 4u);
  EXPECT_EQ(md[5].pp, 128u);
  EXPECT_FALSE(md[0].pp_shared);
  const auto jl = ParseLlamaBatchedBench(Read("data/llama-batched-bench/real-qwen3-0.6b-q8_0-cpu.jsonl"), "jl");
  ASSERT_EQ(jl.size(), 2u);
  EXPECT_EQ(jl[1].batch, 4u);
  EXPECT_NEAR(jl[1].speed_tg, 60.492462, 1e-6);
  // S_TG is B x TG / T_TG: the file is consistent with itself.
  for (const auto& r : md) EXPECT_NEAR(r.speed_tg, static_cast<double>(r.batch * r.tg) / r.t_tg, 0.02 * r.speed_tg);
  for (const char* bad :
       {"| 1 | 2 |\n",
        "| PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s |\n| 1 | x | 1 | 2 | 3 | 4 | 5 | 6 |\n",
        "{\"pp\": 1}\n", "hello\n"}) {
    EXPECT_THROW(ParseLlamaBatchedBench(bad, "f"), InputError) << bad;
  }
}

}  // namespace
}  // namespace tokcast::catalog
