// tokcast bench serve against a real llama-server (scripts/llama_cpp.sh builds it; the test
// command passes its directory as TOKCAST_LLAMA_BIN) serving a `tokcast synth` GGUF on loopback,
// at concurrency 1 and 4 with 4 slots: every request completes with the asked lengths, nothing
// comes from the prompt cache (beyond a chance match of one token), and the measured TTFT and
// TPOT agree with the server's own timings (the client sees the prompt time plus the first
// token; its token gaps are the server's per-token time plus transport).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace tokcast {
namespace {

TEST(LlamaServer, BenchServeAgreesWithTheServersOwnTimings) {
  const char* bin = std::getenv("TOKCAST_LLAMA_BIN");
  if (!bin || access((std::string(bin) + "/llama-server").c_str(), X_OK) != 0)
    GTEST_SKIP() << "no llama-server (scripts/test.sh builds it with scripts/llama_cpp.sh)";
  test::TempDir dir;
  const std::string gguf = dir.File("m.gguf");
  ASSERT_EQ(test::RunCli({"synth", "--model", "qwen3-0.6b", "--quant", "q8_0", "-o", gguf}).code, 0);
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  const pid_t server = fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    const std::string exe = std::string(bin) + "/llama-server", p = std::to_string(port);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    execl(exe.c_str(), exe.c_str(), "-m", gguf.c_str(), "-t", "2", "-np", "4", "-c", "2048", "--host", "127.0.0.1",
          "--port", p.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  httplib::Client c("127.0.0.1", port);
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    auto r = c.Get("/health");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << "llama-server did not come up";
  for (const char* concurrency : {"1", "4"}) {
    SCOPED_TRACE(std::string("concurrency ") + concurrency);
    const auto r = test::RunCli({"--no-store", "bench", "serve", "--url", url, "--concurrency", concurrency,
                                 "--num-requests", "8", "--isl", "48", "--osl", "12", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto m = test::Rows(r.out)[0];
    EXPECT_EQ(m["completed"], 8);
    EXPECT_EQ(m["errors"], 0);
    // No prompt shares a prefix with another, so nothing beyond a chance match of a first token
    // (ids are random in [1000, 9000): 1 in 8,000 against each prompt the server keeps) may come
    // from the cache; a reused prompt would bring ~47 tokens per request.
    EXPECT_LE(m["cached_tokens"].get<int>(), 2);
    EXPECT_NEAR(m["output_throughput"].get<double>() * m["duration_s"].get<double>(), 8 * 12, 0.5);
    ASSERT_TRUE(m.contains("server_prompt_ms") && m.contains("server_ms_per_token")) << m.dump();
    const double ttft = m["ttft_ms"]["mean"].get<double>(), tpot = m["tpot_ms"]["mean"].get<double>();
    EXPECT_GE(ttft, 0.9 * m["server_prompt_ms"].get<double>());
    EXPECT_GT(tpot, 0.7 * m["server_ms_per_token"].get<double>());
    EXPECT_LT(tpot, 1.5 * m["server_ms_per_token"].get<double>() + 2.0);
  }
  kill(server, SIGTERM);
  int status = 0;
  waitpid(server, &status, 0);
}

}  // namespace
}  // namespace tokcast
