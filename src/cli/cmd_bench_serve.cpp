// tokcast bench serve --url http://HOST:PORT [--api completions|chat] [--served-model NAME]
//   [--request-rate R [--burstiness B] | --concurrency C | --offline | --trace FILE] [--isl N|MIN-MAX] [--osl
//   N|MIN-MAX]
//   [--num-requests N] [--duration S] [--warmup N] [--seed N] [--slo-ttft-ms X] [--slo-tpot-ms X]
//   [--predict --hw H --model M [--runtime R] [--quant Q] [--tp N]]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "app/bench_serve.h"
#include "catalog/error.h"
#include "cli/context.h"

namespace tokcast::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnInterrupt(int) {
  g_stop.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// While a run lasts, Ctrl-C stops it cleanly: no new request, those in flight cancelled, what
// was measured reported and stored.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_stop = false;
    struct sigaction sa = {};
    sa.sa_handler = &OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &old_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_ = {};
};

// "[#########.........] 37/100 requests, 12.3 s (Ctrl-C stops)" on a terminal's stderr, redrawn
// at most ten times a second; nothing when stderr is not a terminal.
class ProgressBar {
 public:
  ProgressBar() : on_(isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}
  void Update(size_t done, size_t total) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 30;
    const int filled = total ? static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %zu/%zu requests, %.1f s (Ctrl-C stops)", bar.c_str(), done, total,
                 std::chrono::duration<double>(now - start_).count());
    std::fflush(stderr);
  }
  ~ProgressBar() {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace

Runner RegisterBenchServe(CLI::App& app, Context& ctx) {
  struct Opts {
    app::BenchServeRequest r;
    std::string isl = "1000", osl = "200";
    PredictionTarget target;
    std::optional<double> rate, burstiness, duration, slo_ttft_ms, slo_tpot_ms;
    std::optional<uint32_t> concurrency;
    bool offline = false, predict = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--url", o->r.url, "The server: http://HOST:PORT (an OpenAI-compatible API)")->required();
  app.add_option("--api", o->r.api, "completions (token-id prompts of exact length) or chat")->capture_default_str();
  app.add_option("--served-model", o->r.served_model, "The model name to ask for (default: the first of /v1/models)");
  app.add_option("--request-rate", o->rate, "Poisson arrivals at R requests/s (the default: 1)");
  app.add_option("--burstiness", o->burstiness, "Gamma arrivals: shape (1 = Poisson), with --request-rate");
  app.add_option("--concurrency", o->concurrency, "Closed loop: C requests in flight");
  app.add_flag("--offline", o->offline, "Every request at once");
  app.add_option("--trace", o->r.trace_path,
                 "Requests from a JSON Lines trace (arrival_s, input_tokens, output_tokens, prefix_id, prefix_tokens)");
  app.add_option("--isl", o->isl, "Input tokens per request: N or MIN-MAX")->capture_default_str();
  app.add_option("--osl", o->osl, "Output tokens per request: N or MIN-MAX")->capture_default_str();
  app.add_option("--num-requests", o->r.workload.num_requests, "Requests")->capture_default_str();
  app.add_option("--duration", o->duration, "Stop arrivals after S seconds (open loop)");
  app.add_option("--warmup", o->r.warmup, "Requests sent first and not measured")->capture_default_str();
  app.add_option("--seed", o->r.workload.seed, "Seed of the workload and the prompts")->capture_default_str();
  app.add_option("--slo-ttft-ms", o->slo_ttft_ms, "Goodput: TTFT at most this");
  app.add_option("--slo-tpot-ms", o->slo_tpot_ms, "Goodput: TPOT at most this");
  app.add_option("--timeout", o->r.timeout_s, "Seconds one request may take")->capture_default_str();
  app.add_flag("--predict", o->predict, "Also the simulator's prediction for the same workload (--hw, --model)");
  o->target.AddOptions(app, "With --predict: ");
  return [o, &ctx]() {
    app::BenchServeRequest r = o->r;
    auto& wl = r.workload;
    const int modes = (o->rate || o->burstiness ? 1 : 0) + (o->concurrency ? 1 : 0) + (o->offline ? 1 : 0) +
                      (r.trace_path.empty() ? 0 : 1);
    if (modes > 1) throw catalog::InputError("give one of --request-rate, --concurrency, --offline, --trace");
    const auto isl = ParseLengthRange(o->isl, "--isl"), osl = ParseLengthRange(o->osl, "--osl");
    wl.isl = {isl.first, isl.second};
    wl.osl = {osl.first, osl.second};
    wl.duration_s = o->duration;
    if (wl.num_requests == 0 || wl.num_requests > 1'000'000)
      throw catalog::InputError("--num-requests must be in 1..1000000");
    if (!(r.timeout_s > 0 && r.timeout_s <= 86400)) throw catalog::InputError("--timeout must be in (0, 86400] s");
    if (o->concurrency) {
      if (*o->concurrency == 0 || *o->concurrency > 4096) throw catalog::InputError("--concurrency must be in 1..4096");
      wl.arrival = serve::Arrival::kClosedLoop;
      wl.concurrency = *o->concurrency;
    } else if (o->offline) {
      if (wl.num_requests > 4096) throw catalog::InputError("--offline sends every request at once: at most 4096");
      wl.arrival = serve::Arrival::kOffline;
    } else {
      wl.arrival = o->burstiness ? serve::Arrival::kGamma : serve::Arrival::kPoisson;
      wl.rate = o->rate.value_or(1.0);
      wl.burstiness = o->burstiness.value_or(1.0);
    }
    for (auto [v, flag] : {std::pair{o->slo_ttft_ms, "--slo-ttft-ms"}, std::pair{o->slo_tpot_ms, "--slo-tpot-ms"}}) {
      if (v && !(*v > 0 && *v < 1e9)) throw catalog::InputError(std::string(flag) + " must be a positive number of ms");
    }
    if (o->slo_ttft_ms) r.slo.ttft_s = *o->slo_ttft_ms / 1e3;
    if (o->slo_tpot_ms) r.slo.tpot_s = *o->slo_tpot_ms / 1e3;
    if (o->predict) r.predict = o->target.Request();
    r.store = !ctx.no_store;
    r.db_path = ctx.db_path;
    InterruptGuard interrupt;
    auto bar = std::make_shared<ProgressBar>();
    r.stop = &g_stop;
    r.progress = [bar](size_t done, size_t total) { bar->Update(done, total); };
    app::BenchServeResult result = app::BenchServe(ctx.Catalog(), r);
    bar.reset();
    ctx.Emit(app::BenchServeReport(result));
    return 0;
  };
}

}  // namespace tokcast::cli
