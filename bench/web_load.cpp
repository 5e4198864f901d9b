// Load test of `tokcast web` (not a timed test): C concurrent clients send N requests of mixed
// endpoints (pages, catalog, fit, predict, compare, explain, SVG charts) to a running server and
// report requests/s, p50/p99 latency and errors. bench/web_load.sh starts the server and runs it.
//   tokcast_web_load PORT [CLIENTS=32] [REQUESTS=20000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tokcast_web_load PORT [CLIENTS] [REQUESTS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int clients = argc > 2 ? std::atoi(argv[2]) : 32;
  const int total = argc > 3 ? std::atoi(argv[3]) : 20000;
  const std::vector<std::string> paths = {
      "/calculator",
      "/static/app.js",
      "/api/v1/catalog/hardware",
      "/api/v1/catalog/models/llama-3.1-8b",
      "/api/v1/fit?model=llama-3.1-70b&hw=nvidia-rtx-4090&ctx=8192",
      "/api/v1/fit?model=qwen3-30b-a3b&hw=apple-m4-max-40c,nvidia-dgx-spark&ctx=4k-32k*2",
      "/api/v1/predict?model=llama-3.1-8b&hw=nvidia-rtx-4090&batch=1,8,64",
      "/api/v1/predict?model=gpt-oss-20b&quant=mxfp4&hw=nvidia-rtx-4090&format=svg",
      "/api/v1/compare",
      "/api/v1/explain?model=llama-3.1-8b&hw=apple-m4-max-40c",
  };
  std::atomic<int> next{0}, errors{0};
  std::mutex mu;
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(total));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      std::vector<double> mine;
      for (int i; (i = next.fetch_add(1)) < total;) {
        const auto s = std::chrono::steady_clock::now();
        auto r = cli.Get(paths[static_cast<size_t>(i) % paths.size()]);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
        if (!r || r->status != 200) ++errors;
        mine.push_back(ms);
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(latencies.begin(), latencies.end());
  auto q = [&](double p) {
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  std::printf(
      "%d requests, %d clients, %zu endpoints: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms, "
      "errors %d\n",
      total, clients, paths.size(), total / secs, q(0.5), q(0.99), latencies.back(), errors.load());
  return errors.load() == 0 ? 0 : 1;
}
