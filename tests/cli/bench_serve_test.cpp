// tokcast bench serve against a fake OpenAI-compatible server in this process: streamed
// chunks with known minimum delays, usage counts, failures counted and never dropped, the
// simulator's prediction beside the measurement, and an unreachable server as one line.
#include <atomic>
#include <chrono>
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
      res.set_chunked_content_provider("text/event-stream", [prompt, n](size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kTtftMs));
        for (int i = 0; i < n; ++i) {
          if (i) std::this_thread::sleep_for(std::chrono::milliseconds(kItlMs));
          const std::string chunk = "data: {\"choices\": [{\"index\": 0, \"text\": \"t\"}]}\n\n";
          sink.write(chunk.data(), chunk.size());
        }
        const std::string usage = "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": " + std::to_string(prompt) +
                                  ", \"completion_tokens\": " + std::to_string(n) + "}}\n\ndata: [DONE]\n\n";
        sink.write(usage.data(), usage.size());
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

 private:
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
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

TEST(BenchServe, AnUnreachableServerIsOneLine) {
  const auto r = test::RunCli({"--no-store", "bench", "serve", "--url", "http://127.0.0.1:9", "--num-requests", "2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("/v1/models"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tokcast

namespace tokcast {
namespace {

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

}  // namespace
}  // namespace tokcast
