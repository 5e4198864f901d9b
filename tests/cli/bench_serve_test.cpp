// tokcast bench serve against a fake OpenAI-compatible server in this process: streamed
// chunks with known minimum delays, usage counts, failures counted and never dropped, the
// simulator's prediction beside the measurement, and an unreachable server as one line.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace tokcast {
namespace {

using nlohmann::json;

constexpr int kTtftMs = 30, kItlMs = 3;

class FakeServer {
 public:
  FakeServer() {
    svr_.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"object": "list", "data": [{"id": "fake-model"}]})", "application/json");
    });
    // Prometheus metrics as vLLM names them: counters of tokens, gauges of requests in flight.
    svr_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          "# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
          "# TYPE vllm:generation_tokens_total counter\n"
          "vllm:generation_tokens_total{model_name=\"fake-model\"} " +
              std::to_string(generated_.load()) + "\nvllm:prompt_tokens_total{model_name=\"fake-model\"} " +
              std::to_string(prompted_.load()) + "\nvllm:num_requests_running{model_name=\"fake-model\"} " +
              std::to_string(running_.load()) + "\nvllm:e2e_request_latency_seconds_bucket{le=\"1.0\"} 3\n",
          "text/plain; version=0.0.4");
    });
    // Chat: the prompt's tokens are its words plus a 9-token template; streamed as deltas.
    svr_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const json body = json::parse(req.body);
      const std::string text = body["messages"][0]["content"].get<std::string>();
      const size_t prompt = 9 + static_cast<size_t>(std::count(text.begin(), text.end(), ' ')) + 1;
      const int n = body["max_tokens"].get<int>();
      if (!body.value("stream", false)) {
        res.set_content(json{{"choices", json::array({{{"message", {{"content", "x"}}}}})},
                             {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", 1}}}}
                            .dump(),
                        "application/json");
        return;
      }
      {
        std::lock_guard lock(mu_);
        chat_prompt_tokens_.push_back(prompt);
      }
      res.set_chunked_content_provider("text/event-stream", [prompt, n](size_t, httplib::DataSink& sink) {
        for (int i = 0; i < n; ++i) {
          const std::string chunk = "data: {\"choices\": [{\"index\": 0, \"delta\": {\"content\": \"t\"}}]}\n\n";
          sink.write(chunk.data(), chunk.size());
        }
        const std::string usage = "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": " + std::to_string(prompt) +
                                  ", \"completion_tokens\": " + std::to_string(n) + "}}\n\ndata: [DONE]\n\n";
        sink.write(usage.data(), usage.size());
        sink.done();
        return true;
      });
    });
    svr_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const json body = json::parse(req.body);
      ++requests_;
      const size_t prompt = body["prompt"].size();
      const int n = body["max_tokens"].get<int>();
      if (body.value("model", "") != "fake-model" || !body.value("stream", false)) {
        res.status = 400;
        return;
      }
      if (fail_every_ && requests_ % fail_every_ == 0) {
        res.status = 503;
        res.set_content("{\"error\": \"overloaded\"}", "application/json");
        return;
      }
      prompted_ += prompt;
      {
        std::lock_guard lock(mu_);
        prompts_.push_back(body["prompt"].get<std::vector<int>>());
      }
      ++running_;
      res.set_chunked_content_provider("text/event-stream", [this, prompt, n](size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kTtftMs));
        generated_ += n;
        for (int i = 0; i < n; ++i) {
          if (i) std::this_thread::sleep_for(std::chrono::milliseconds(kItlMs));
          const std::string chunk = "data: {\"choices\": [{\"index\": 0, \"text\": \"t\"}]}\n\n";
          sink.write(chunk.data(), chunk.size());
        }
        const std::string usage = "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": " + std::to_string(prompt) +
                                  ", \"completion_tokens\": " + std::to_string(n) + "}}\n\ndata: [DONE]\n\n";
        sink.write(usage.data(), usage.size());
        --running_;
        sink.done();
        return true;
      });
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
  }
  ~FakeServer() {
    svr_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void FailEvery(int n) { fail_every_ = n; }
  std::vector<size_t> ChatPromptTokens() {
    std::lock_guard lock(mu_);
    return chat_prompt_tokens_;
  }
  std::vector<std::vector<int>> Prompts() {
    std::lock_guard lock(mu_);
    return prompts_;
  }

 private:
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::atomic<uint64_t> generated_{0}, prompted_{0};
  std::atomic<int> running_{0};
  std::mutex mu_;
  std::vector<std::vector<int>> prompts_;
  std::vector<size_t> chat_prompt_tokens_;
  int fail_every_ = 0;
};

TEST(BenchServe, MeasuresTtftTpotAndTokensLikeVllmBenchServe) {
  FakeServer fake;
  const auto r = test::RunCli({"--no-store", "bench", "serve", "--url", fake.url(), "--concurrency", "4",
                               "--num-requests", "12", "--isl", "16", "--osl", "8", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = test::Rows(r.out);
  ASSERT_EQ(rows.size(), 1u);
  const auto& m = rows[0];
  EXPECT_EQ(m["source"], "measured");
  EXPECT_EQ(m["served_model"], "fake-model");
  EXPECT_EQ(m["completed"], 12);
  EXPECT_EQ(m["errors"], 0);
  // Lower bounds only: the fake server waits at least this long (the machine may be slower).
  EXPECT_GE(m["ttft_ms"]["median"].get<double>(), kTtftMs);
  EXPECT_GE(m["tpot_ms"]["median"].get<double>(), kItlMs * 0.95);
  EXPECT_GE(m["itl_ms"]["median"].get<double>(), kItlMs * 0.95);
  // Every output token counted from usage: 12 x 8 tokens over the run.
  const double out_tok = m["output_throughput"].get<double>() * m["duration_s"].get<double>();
  EXPECT_NEAR(out_tok, 96, 0.5);
  EXPECT_NE(r.out.find("client overhead"), std::string::npos);
  // The server's own counters over the run agree: 12 x 8 generated, 12 x 16 prompt tokens.
  EXPECT_NE(r.out.find("vllm:generation_tokens_total +96"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vllm:prompt_tokens_total +192"), std::string::npos) << r.out;
}

TEST(BenchServe, FailuresAreCountedNotDroppedAndThePredictionStandsBeside) {
  FakeServer fake;
  fake.FailEvery(3);
  const auto r = test::RunCli({"--no-store", "bench",
                               "serve",      "--url",
                               fake.url(),   "--request-rate",
                               "50",         "--num-requests",
                               "9",          "--isl",
                               "32",         "--osl",
                               "4",          "--predict",
                               "--hw",       "nvidia-rtx-4090",
                               "--model",    "llama-3.1-8b",
                               "--runtime",  "vllm",
                               "--format",   "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = test::Rows(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["errors"], 3);
  EXPECT_EQ(rows[0]["completed"], 6);
  EXPECT_EQ(rows[0]["requests"], 9);
  EXPECT_EQ(rows[1]["source"], "predicted");
  EXPECT_EQ(rows[1]["requests"], 9);
  EXPECT_NE(r.out.find("3 requests failed"), std::string::npos);
  EXPECT_NE(r.out.find("HTTP 503"), std::string::npos);
}

// Ctrl-C ends a run cleanly: the binary exits 0, reports and stores what it measured, and says
// what it left out.
TEST(BenchServe, CtrlCEndsTheRunAndKeepsWhatWasMeasured) {
  FakeServer fake;
  test::TempDir dir;
  const std::string out_file = dir.File("out.json"), db = dir.File("r.db"), url = fake.url();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    execl(TOKCAST_BINARY, "tokcast", "bench", "serve", "--url", url.c_str(), "--concurrency", "2", "--isl", "8",
          "--osl", "200", "--num-requests", "200", "--db", db.c_str(), "--format", "json", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream in(out_file);
  const json report = json::parse(in, nullptr, false);
  ASSERT_TRUE(report.is_object());
  const json& row = report["rows"][0];
  const int measured = row["requests"].get<int>();
  EXPECT_GE(measured, 2);
  EXPECT_LT(measured, 200);
  EXPECT_EQ(row["errors"].get<int>(), 0) << "cancelled requests are not failures";
  bool noted = false;
  for (const auto& n : report["notes"]) noted |= n.get<std::string>().find("interrupted: ") != std::string::npos;
  EXPECT_TRUE(noted) << report["notes"].dump();
  const auto list = test::RunCli({"results", "list", "--db", db, "--format", "json"});
  EXPECT_EQ(test::Rows(list.out).size(), 1u) << list.err;
}

// A trace replays its arrivals and lengths; requests with one prefix_id share their first
// prefix_tokens token ids (so a prefix cache can work), and nothing else.
TEST(BenchServe, ReplaysATraceWithSharedPrefixes) {
  FakeServer fake;
  test::TempDir dir;
  std::ofstream(dir.File("t.jsonl"))
      << R"({"arrival_s": 0.0, "input_tokens": 40, "output_tokens": 4, "prefix_id": 7, "prefix_tokens": 24}
{"arrival_s": 0.05, "input_tokens": 30, "output_tokens": 5, "prefix_id": 7, "prefix_tokens": 24}
{"arrival_s": 0.1, "input_tokens": 30, "output_tokens": 3}
)";
  const auto r = test::RunCli(
      {"--no-store", "bench", "serve", "--url", fake.url(), "--trace", dir.File("t.jsonl"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = test::Rows(r.out);
  EXPECT_EQ(rows[0]["arrival"], "trace");
  EXPECT_EQ(rows[0]["completed"], 3);
  const auto prompts = fake.Prompts();
  ASSERT_EQ(prompts.size(), 3u);
  std::vector<std::vector<int>> by_len = prompts;
  std::sort(by_len.begin(), by_len.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  const auto& a = by_len[0];  // the 40-token prompt
  int shared_with_a = 0;
  for (size_t i = 1; i < 3; ++i) {
    const bool same = std::equal(a.begin(), a.begin() + 24, by_len[i].begin());
    shared_with_a += same;
    if (same) EXPECT_NE(a[24], by_len[i][24]) << "only the prefix is shared";
  }
  EXPECT_EQ(shared_with_a, 1);
}

// Chat prompts are text: sized against the server's own count (usage.prompt_tokens), so every
// request carries the asked number of prompt tokens, template included.
TEST(BenchServe, ChatPromptsHaveTheAskedTokenCount) {
  FakeServer fake;
  const auto r = test::RunCli({"--no-store", "bench", "serve", "--url", fake.url(), "--api", "chat", "--concurrency",
                               "2", "--num-requests", "4", "--isl", "100", "--osl", "4", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto counts = fake.ChatPromptTokens();
  ASSERT_EQ(counts.size(), 4u);
  for (size_t c : counts) EXPECT_EQ(c, 100u);
  EXPECT_NE(r.out.find("chat prompts sized from usage.prompt_tokens: 1.00 tokens per filler word"), std::string::npos)
      << r.out;
}

TEST(BenchServe, AnUnreachableServerIsOneLine) {
  const auto r = test::RunCli({"--no-store", "bench", "serve", "--url", "http://127.0.0.1:9", "--num-requests", "2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("/v1/models"), std::string::npos) << r.err;
}

TEST(ImportServe, StoresEachRunBesideThePredictionAndListsThem) {
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  const auto r =
      test::RunCli({"import", "serve", test::TestDataPath("data/serve/guidellm-benchmarks.json"), "--hw",
                    "nvidia-h100-sxm", "--model", "llama-3.1-8b", "--runtime", "vllm", "--db", db, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json rows = test::Rows(r.out);
  ASSERT_EQ(rows.size(), 6u);  // three benchmarks, each measured and predicted
  EXPECT_EQ(rows[0]["source"], "measured");
  EXPECT_EQ(rows[0]["tool"], "guidellm 0.4.0");
  EXPECT_FALSE(rows[0].contains("itl_ms")) << "GuideLLM has no pooled ITL: absent, not zero";
  EXPECT_EQ(rows[1]["source"], "predicted");
  EXPECT_GT(rows[1]["output_throughput"].get<double>(), 0);
  const auto list = test::RunCli({"results", "list", "--kind", "bench-serve", "--db", db, "--format", "json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(test::Rows(list.out).size(), 3u);
  const auto bad = test::RunCli({"import", "serve", test::TestDataPath("data/serve/README.md"), "--db", db});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("README.md:1: not a JSON object"), std::string::npos) << bad.err;
}

// calibrate --serving: the fake server takes >= 30 ms to the first token and >= 3 ms per token
// more; fitted to two stored runs, the overheads bring the simulator to what was measured, and
// the runtime file it writes does the same through --catalog.
TEST(CalibrateServing, FitsOverheadsToStoredRunsAndWritesTheRuntime) {
  FakeServer fake;
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  for (const char* conc : {"1", "2"}) {
    const auto r = test::RunCli({"bench",
                                 "serve",
                                 "--url",
                                 fake.url(),
                                 "--concurrency",
                                 conc,
                                 "--num-requests",
                                 "8",
                                 "--isl",
                                 "64",
                                 "--osl",
                                 "24",
                                 "--predict",
                                 "--hw",
                                 "nvidia-h100-sxm",
                                 "--model",
                                 "qwen3-0.6b",
                                 "--runtime",
                                 "vllm",
                                 "--quant",
                                 "bf16",
                                 "--db",
                                 db});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const auto c =
      test::RunCli({"calibrate", "--serving", "--db", db, "--runtimes-out", dir.File("rt"), "--format", "json"});
  ASSERT_EQ(c.code, 0) << c.err;
  const json rows = test::Rows(c.out);
  ASSERT_EQ(rows.size(), 1u);
  const json& f = rows[0];
  EXPECT_EQ(f["runtime"], "vllm");
  EXPECT_EQ(f["runs"], 2);
  // The fake server is slower than an H100 running vLLM: the 30 ms to the first token is mostly
  // request overhead.
  EXPECT_LT(f["step_overhead_ms"].get<double>(), 10.0);
  EXPECT_GT(f["request_overhead_ms"].get<double>(), 15.0);
  EXPECT_LT(f["tpot_ape_after"].get<double>(), f["tpot_ape_before"].get<double>());
  EXPECT_LT(f["ttft_ape_after"].get<double>(), f["ttft_ape_before"].get<double>());
  // (Wall-clock timings of a loaded 2-core machine: the fit is judged with room for its noise.)
  EXPECT_LT(f["tpot_ape_after"].get<double>(), 10.0);
  EXPECT_LT(f["ttft_ape_after"].get<double>(), 20.0);
  // The written runtime overrides the built-in one: simulate through --catalog predicts the
  // fake server's pace.
  auto sim_tpot = [&](bool fitted) {
    std::vector<std::string> args = {"simulate",
                                     "--hw",
                                     "nvidia-h100-sxm",
                                     "--model",
                                     "qwen3-0.6b",
                                     "--runtime",
                                     "vllm",
                                     "--quant",
                                     "bf16",
                                     "--concurrency",
                                     "1",
                                     "--isl",
                                     "64",
                                     "--osl",
                                     "24",
                                     "--num-requests",
                                     "8",
                                     "--format",
                                     "json"};
    if (fitted) args.insert(args.begin(), {"--catalog", dir.File("rt")});
    const auto sim = test::RunCli(args);
    EXPECT_EQ(sim.code, 0) << sim.err;
    return test::Rows(sim.out)[0]["tpot_ms"]["median"].get<double>();
  };
  EXPECT_NE(sim_tpot(true), sim_tpot(false));
  EXPECT_GE(sim_tpot(true), kItlMs * 0.95);
  // Nothing to fit: one line.
  const auto none = test::RunCli({"calibrate", "--serving", "--db", dir.File("empty.db")});
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("no serving run with a prediction"), std::string::npos) << none.err;
}

TEST(ImportLlamaCpp, RealLlamaBenchMarkdownAndBatchedBenchIntoTheDatabase) {
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  const auto lb =
      test::RunCli({"import", "llama-bench", test::TestDataPath("data/llama-bench/real-qwen3-0.6b-q8_0-cpu.md"), "--hw",
                    "cpu-desktop-ddr5-5600-2ch", "--model", "qwen3-0.6b", "--db", db, "--format", "json"});
  ASSERT_EQ(lb.code, 0) << lb.err;
  EXPECT_EQ(test::Rows(lb.out)[0]["rows"], 4);
  const auto bb = test::RunCli({"import", "llama-batched-bench",
                                test::TestDataPath("data/llama-batched-bench/real-qwen3-0.6b-q8_0-cpu.md"), "--hw",
                                "cpu-desktop-ddr5-5600-2ch", "--model", "qwen3-0.6b", "--quant", "q8_0", "--runtime",
                                "llama.cpp-cpu", "--db", db, "--format", "json"});
  ASSERT_EQ(bb.code, 0) << bb.err;
  EXPECT_EQ(test::Rows(bb.out)[0]["rows"], 8);     // 2 pp (B = 1) + 6 tg / tg_batch
  EXPECT_EQ(test::Rows(bb.out)[0]["skipped"], 4);  // prefills of B > 1 prompts
  const auto rows = test::RunCli({"results", "export", "--db", db, "--format", "json"});
  ASSERT_EQ(rows.code, 0) << rows.err;
  int batched = 0;
  for (const auto& r : test::Rows(rows.out)) batched += r["test"] == "tg_batch";
  EXPECT_EQ(batched, 4);
  // Every exported row predicts: validate reads them back.
  const auto v = test::RunCli({"validate", "--db", db, "--format", "json"});
  EXPECT_EQ(v.code, 0) << v.err;
}

}  // namespace
}  // namespace tokcast
