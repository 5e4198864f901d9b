// tokcast bench machine: micro-benchmarks of this machine, written as a hardware profile that
// `--hw local` (or `--hw-file FILE`) then uses.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "catalog/error.h"
#include "cli/context.h"
#include "core/text.h"
#include "measure/gpu.h"
#include "measure/kernels.h"
#include "measure/microbench.h"

namespace tokcast::cli {
namespace {

using nlohmann::json;

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

json StatJson(const measure::Stat& s) {
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"mean", s.mean}, {"stddev", s.stddev}, {"reps", s.reps}};
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

json HostJson(const measure::HostFacts& h) {
  return {{"cpu_model", h.cpu_model}, {"arch", h.arch}, {"os", h.os}, {"logical_cores", h.logical_cores},
          {"simd", h.simd}, {"kernel_path", h.kernel_path}, {"l1d_bytes", h.l1d_bytes}, {"l2_bytes", h.l2_bytes},
          {"l3_bytes", h.l3_bytes}, {"memory_bytes", h.memory_bytes}, {"cpu_governor", h.cpu_governor},
          {"load_average", h.load_average}, {"debug_build", h.debug_build}};
}

std::string DefaultDataDir() {
  if (const char* x = std::getenv("TOKCAST_HOME"); x && *x) return x;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/tokcast";
  if (const char* h = std::getenv("HOME"); h && *h) {
#if defined(__APPLE__)
    return std::string(h) + "/Library/Application Support/tokcast";
#else
    return std::string(h) + "/.local/share/tokcast";
#endif
  }
  return ".tokcast";
}

std::string LocalHardwarePath() { return DefaultDataDir() + "/local-hardware.toml"; }
std::string LocalGpuHardwarePath() { return DefaultDataDir() + "/local-gpu-hardware.toml"; }

Runner RegisterBenchMachine(CLI::App& app, Context& ctx) {
  struct Opts {
    unsigned threads = 0;
    int reps = 5;
    int rounds = 7;
    double buffer_mib = 0;
    std::string profile_out;
    bool no_profile = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("-t,--threads", o->threads, "Threads (default: every logical core)");
  app.add_option("-r,--reps", o->reps, "Timed repetitions per measurement (after one warm-up)")->capture_default_str();
  app.add_option("--rounds", o->rounds, "Memory bandwidth rounds, a second apart (the profile keeps the median round)")
      ->capture_default_str();
  app.add_option("--buffer-mib", o->buffer_mib, "STREAM array size in MiB (default: 8x the last-level cache, at least 256)");
  app.add_option("--profile-out", o->profile_out, "Where to write the hardware profile (default: the data directory)");
  app.add_flag("--no-profile", o->no_profile, "Do not write a hardware profile");
  return [o, &ctx]() {
    if (o->reps < 1 || o->reps > 1000) throw catalog::InputError("--reps must be in 1..1000");
    if (o->rounds < 1 || o->rounds > 100) throw catalog::InputError("--rounds must be in 1..100");
    const measure::HostFacts host = measure::ProbeHost();
    const unsigned threads = o->threads ? o->threads : host.logical_cores;
    if (threads > 1024) throw catalog::InputError("--threads must be in 1..1024");
    uint64_t buffer = static_cast<uint64_t>(o->buffer_mib * 1024 * 1024);
    if (buffer == 0) buffer = std::max<uint64_t>(256ull << 20, 8 * host.l3_bytes);
    if (o->buffer_mib < 0 || buffer > host.memory_bytes / 4) throw catalog::InputError("--buffer-mib must fit in a quarter of RAM");
    const bool tty = &ctx.Out() == &std::cout && isatty(1) != 0;
    auto progress = [&](const std::string& what) {
      if (tty) ctx.Err() << "\r\033[K" << what << std::flush;
    };
    // Memory bandwidth in rounds spread over the run (before and between the GEMMs): on a shared
    // machine it moves with other tenants for seconds at a time, and one burst or dip should not
    // become the machine's number. Each round keeps STREAM's best rate; the profile takes the
    // median round.
    std::vector<measure::BandwidthResult> rounds;
    std::vector<measure::MatmulResult> mm;
    const std::vector<TensorType> formats = {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0};
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o->rounds; ++i) {
      // Rounds at least a second apart.
      std::this_thread::sleep_until(start + std::chrono::seconds(i));
      progress("memory bandwidth (round " + std::to_string(i + 1) + " of " + std::to_string(o->rounds) + ")...");
      rounds.push_back(measure::MeasureBandwidth(threads, buffer / 3, o->reps));
      if (static_cast<size_t>(i) < formats.size()) {
        const TensorType t = formats[static_cast<size_t>(i)];
        progress("matmul " + std::string(ToString(t)) + "...");
        // 512 tokens: one prefill chunk of the probe engine (llama-bench's pp512).
        mm.push_back(measure::MeasureMatmul(t, threads, 2048, 2048, 512, o->reps));
      }
    }
    for (size_t i = mm.size(); i < formats.size(); ++i) {
      progress("matmul " + std::string(ToString(formats[i])) + "...");
      mm.push_back(measure::MeasureMatmul(formats[i], threads, 2048, 2048, 512, o->reps));
    }
    measure::BandwidthResult bw = rounds.front();
    std::vector<double> read, copy, triad, round_best;
    for (const auto& b : rounds) {
      read.insert(read.end(), b.read.samples.begin(), b.read.samples.end());
      copy.insert(copy.end(), b.copy.samples.begin(), b.copy.samples.end());
      triad.insert(triad.end(), b.triad.samples.begin(), b.triad.samples.end());
      round_best.push_back(std::max({b.read.max, b.copy.max, b.triad.max}));
    }
    bw.read = measure::Summarize(read);
    bw.copy = measure::Summarize(copy);
    bw.triad = measure::Summarize(triad);
    const measure::Stat rounds_stat = measure::Summarize(round_best);
    progress("GPU...");
    std::string gpu_why;
    const auto gpu = measure::MeasureGpu(o->reps, &gpu_why);
    progress("");
    double spread = 0;
    for (const auto& b : rounds) spread = std::max({spread, b.read.Spread(), b.triad.Spread()});
    for (const auto& m : mm) spread = std::max(spread, m.flops_per_s.Spread());
    auto warnings = measure::ReliabilityWarnings(host, spread);
    if (rounds_stat.Spread() > 0.2) {
      warnings.push_back("memory bandwidth moved between " + FormatFixed(rounds_stat.min / 1e9, 1) + " and " +
                         FormatFixed(rounds_stat.max / 1e9, 1) + " GB/s across the run (other tenants?): the profile "
                         "keeps the median, " + FormatFixed(rounds_stat.median / 1e9, 1) + " GB/s");
    }

    // STREAM's "best rate" (fastest repetition) of the three kernels in each round, then the
    // median round: the best rate is what the memory sustains without other tenants' traffic in
    // a repetition, the median round what it sustains across the run. GEMM peaks: the fastest
    // repetition.
    const double best_bw = rounds_stat.median;
    // Quantized GEMMs (int8 dot products against Q8_0 activations): the faster of Q8_0 and Q4_0.
    const double best_int8 = std::max(mm[2].flops_per_s.max, mm[3].flops_per_s.max);
    json matmul = json::object();
    for (const auto& m : mm) {
      matmul[std::string(ToString(m.type))] = StatJson(m.flops_per_s);
      matmul[std::string(ToString(m.type))]["shape"] = {m.rows, m.in, m.tokens};
    }
    json result = {{"schema_version", 1},
                   {"tool_version", report::ToolVersion()},
                   {"git_commit", report::GitCommit()},
                   {"build_type", report::BuildType()},
                   {"host", HostJson(host)},
                   {"threads", threads},
                   {"memory_bandwidth_bytes_per_s", best_bw},
                   {"bandwidth", {{"read", StatJson(bw.read)}, {"copy", StatJson(bw.copy)}, {"triad", StatJson(bw.triad)},
                                  {"buffer_bytes", bw.buffer_bytes}, {"round_best_rates", round_best}}},
                   {"matmul_flops_per_s", matmul},
                   {"warnings", warnings}};
    if (gpu) {
      json g = {{"name", gpu->name}, {"compute_capability", gpu->compute_capability}, {"sm_count", gpu->sm_count},
                {"memory_bytes", gpu->memory_bytes}, {"memory_bandwidth_bytes_per_s", gpu->device_copy.median},
                {"device_copy", StatJson(gpu->device_copy)}, {"host_to_device", StatJson(gpu->host_to_device)},
                {"device_to_host", StatJson(gpu->device_to_host)}};
      json gm = json::object();
      for (const auto& [k, v] : gpu->gemm_flops) gm[k] = StatJson(v);
      g["matmul_flops_per_s"] = gm;
      result["gpu"] = g;
    } else {
      result["gpu"] = nullptr;
      result["gpu_note"] = gpu_why;
    }

    if (!o->no_profile) {
      const std::string path = o->profile_out.empty() ? LocalHardwarePath() : o->profile_out;
      std::error_code ec;
      if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
      const double gib = std::floor(static_cast<double>(host.memory_bytes) / (1ull << 30));
      std::ostringstream t;
      t << "# Written by `tokcast bench machine` on this host; measured, not datasheet values.\n"
        << "schema_version = 1\nid = \"local\"\n"
        << "name = " << json(host.cpu_model.empty() ? std::string("this machine") : host.cpu_model + " (measured)").dump() << "\n"
        << "vendor = \"local\"\nclass = \"cpu\"\nverified = false\n"
        << "notes = " << json("measured with " + std::to_string(threads) + " threads, kernels: " + host.kernel_path +
                              "; bandwidth = median over " + std::to_string(rounds.size()) +
                              " rounds of STREAM's best rate of read/copy/triad, peaks = best rate of tokcast's GEMMs "
                              "(2048x2048 by 512 tokens; int8 = Q8_0/Q4_0 weights against Q8_0 activations)").dump() << "\n"
        << "sources = [\"tokcast bench machine\"]\n\n[memory]\n"
        << "options_gib = [" << Num(std::max(gib, 1.0)) << "]\n"
        << "bandwidth_bytes_per_s = " << Num(best_bw) << "\n"
        << "measured_bandwidth_bytes_per_s = " << Num(best_bw) << "\n"
        << "gpu_usable_fraction = 0.9\n\n[peak_flops]\n"
        << "fp32 = " << Num(mm[0].flops_per_s.max) << "\n"
        << "fp16 = " << Num(mm[1].flops_per_s.max) << "\n"
        << "int8 = " << Num(best_int8) << "\n\n[host]\nlink = \"none (the CPU is the host)\"\n"
        << "memory_bandwidth_bytes_per_s = " << Num(best_bw) << "\n"
        << "cpu_flops_per_s = " << Num(mm[0].flops_per_s.max) << "\n";
      std::ofstream f(path, std::ios::trunc);
      if (!f || !(f << t.str())) throw catalog::InputError(path + ": cannot write the hardware profile");
      result["hardware_profile"] = path;
      if (gpu && gpu->gemm_flops.count("fp16")) {
        // The GPU as hardware "local-gpu": measured device bandwidth, cuBLAS rates, host link.
        const std::string gpath = LocalGpuHardwarePath();
        std::ostringstream g;
        g << "# Written by `tokcast bench machine` on this host; measured, not datasheet values.\n"
          << "schema_version = 1\nid = \"local-gpu\"\nname = " << json(gpu->name + " (measured)").dump() << "\n"
          << "vendor = \"NVIDIA\"\nclass = \"discrete_gpu\"\nverified = false\n"
          << "notes = \"device copy bandwidth and cuBLAS GEMM rates measured by tokcast bench machine\"\n"
          << "sources = [\"tokcast bench machine\"]\n\n[memory]\n"
          << "options_gib = [" << Num(std::floor(gpu->memory_bytes / (1ull << 30))) << "]\n"
          << "bandwidth_bytes_per_s = " << Num(gpu->device_copy.median) << "\n"
          << "measured_bandwidth_bytes_per_s = " << Num(gpu->device_copy.median) << "\n"
          << "gpu_usable_fraction = 0.97\n\n[peak_flops]\n";
        for (const auto& [k, v] : gpu->gemm_flops) g << k << " = " << Num(v.median) << "\n";
        g << "\n[host]\nlink = \"PCIe (measured)\"\n"
          << "link_bytes_per_s = " << Num(gpu->host_to_device.median) << "\n"
          << "memory_bandwidth_bytes_per_s = " << Num(bw.read.median) << "\n"
          << "cpu_flops_per_s = " << Num(mm[0].flops_per_s.max) << "\n";
        std::ofstream gf(gpath, std::ios::trunc);
        if (!gf || !(gf << g.str())) throw catalog::InputError(gpath + ": cannot write the GPU hardware profile");
        result["gpu_hardware_profile"] = gpath;
      }
    }

    ctx.last_result = result;
    if (!ctx.no_store) result["run_id"] = StoreRun(ctx, "bench-machine", result, {});
    if (ctx.Format() == report::Format::kJson) {
      ctx.Out() << result.dump(2) << '\n';
      return 0;
    }
    auto& out = ctx.Out();
    out << "host: " << host.cpu_model << " (" << host.arch << ", " << host.logical_cores << " logical cores, "
        << FormatFixed(static_cast<double>(host.memory_bytes) / (1ull << 30), 1) << " GiB)\n"
        << "SIMD: " << Join(host.simd, ", ") << "; kernels built for " << host.kernel_path << "\n"
        << "caches: L1d " << host.l1d_bytes / 1024 << " KiB, L2 " << host.l2_bytes / 1024 << " KiB, L3 "
        << host.l3_bytes / (1024 * 1024) << " MiB\n\n";
    report::ResultTable t;
    t.columns = {report::TextColumn("what", "measurement"), report::NumberColumn("median", "median", 2),
                 report::NumberColumn("min", "min", 2), report::NumberColumn("max", "max", 2),
                 report::TextColumn("unit", "unit")};
    auto add = [&](const std::string& what, const measure::Stat& s, double scale, const char* unit) {
      t.rows.push_back({{"what", what}, {"median", s.median / scale}, {"min", s.min / scale}, {"max", s.max / scale}, {"unit", unit}});
    };
    add("memory read (" + std::to_string(threads) + " threads)", bw.read, 1e9, "GB/s");
    add("memory copy", bw.copy, 1e9, "GB/s");
    add("memory triad", bw.triad, 1e9, "GB/s");
    add("memory best rate, per round (" + std::to_string(round_best.size()) + ")", rounds_stat, 1e9, "GB/s");
    for (const auto& m : mm) add("matmul " + std::string(ToString(m.type)) + " " + std::to_string(m.rows) + "x" + std::to_string(m.in) + " x" +
                                      std::to_string(m.tokens),
                                  m.flops_per_s, 1e9, "GFLOP/s");
    if (gpu) {
      add("GPU " + gpu->name + " device copy", gpu->device_copy, 1e9, "GB/s");
      add("GPU host-to-device (pinned)", gpu->host_to_device, 1e9, "GB/s");
      add("GPU device-to-host (pinned)", gpu->device_to_host, 1e9, "GB/s");
      for (const auto& [k, v] : gpu->gemm_flops) add("GPU cuBLAS GEMM " + k, v, 1e12, "TFLOP/s");
    } else {
      t.footnotes.push_back("GPU: " + gpu_why);
    }
    for (const auto& w : warnings) t.footnotes.push_back("warning: " + w);
    if (result.contains("hardware_profile")) {
      t.footnotes.push_back("hardware profile written to " + result["hardware_profile"].get<std::string>() + " (use --hw local)");
    }
    t.Render(out, ctx.Format());
    return 0;
  };
}

}  // namespace tokcast::cli
