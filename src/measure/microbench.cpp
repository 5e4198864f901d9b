#include "measure/microbench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include <sys/utsname.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

#include "measure/kernels.h"
#include "measure/large_buffer.h"
#include "measure/thread_pool.h"

namespace tokcast::measure {
namespace {

using Clock = std::chrono::steady_clock;

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

uint64_t ParseSize(const std::string& s) {  // "32K", "2048K", "32M"
  if (s.empty()) return 0;
  uint64_t v = std::strtoull(s.c_str(), nullptr, 10);
  if (s.back() == 'K') v *= 1024;
  if (s.back() == 'M') v *= 1024 * 1024;
  return v;
}

#if defined(__APPLE__)
uint64_t SysctlU64(const char* name) {
  uint64_t v = 0;
  size_t len = sizeof(v);
  if (sysctlbyname(name, &v, &len, nullptr, 0) != 0) return 0;
  return v;
}
#endif

}  // namespace

HostFacts ProbeHost() {
  HostFacts h;
  struct utsname u {};
  if (uname(&u) == 0) {
    h.arch = u.machine;
    h.os = std::string(u.sysname) + " " + u.release;
  }
  h.logical_cores = std::max(1u, std::thread::hardware_concurrency());
  h.kernel_path = SimdPath();
#ifndef NDEBUG
  h.debug_build = true;
#endif
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  for (const auto& [name, have] :
       std::vector<std::pair<const char*, bool>>{{"sse4.2", __builtin_cpu_supports("sse4.2")},
                                                 {"avx", __builtin_cpu_supports("avx")},
                                                 {"avx2", __builtin_cpu_supports("avx2")},
                                                 {"fma", __builtin_cpu_supports("fma")},
                                                 {"avx512f", __builtin_cpu_supports("avx512f")},
                                                 {"avx512bw", __builtin_cpu_supports("avx512bw")},
                                                 {"avx512vnni", __builtin_cpu_supports("avx512vnni")}}) {
    if (have) h.simd.push_back(name);
  }
#elif defined(__aarch64__)
  h.simd.push_back("neon");
#if defined(__ARM_FEATURE_DOTPROD)
  h.simd.push_back("dotprod");
#endif
#endif
#if defined(__linux__)
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      h.cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  }
  for (int i = 0; i < 6; ++i) {
    const std::string base = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = ReadFirstLine(base + "level"), type = ReadFirstLine(base + "type");
    const uint64_t size = ParseSize(ReadFirstLine(base + "size"));
    if (level == "1" && type == "Data") h.l1d_bytes = size;
    if (level == "2") h.l2_bytes = size;
    if (level == "3") h.l3_bytes = size;
  }
  h.cpu_governor = ReadFirstLine("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
#elif defined(__APPLE__)
  char buf[256] = {};
  size_t len = sizeof(buf);
  if (sysctlbyname("machdep.cpu.brand_string", buf, &len, nullptr, 0) == 0) h.cpu_model = buf;
  h.l1d_bytes = SysctlU64("hw.l1dcachesize");
  h.l2_bytes = SysctlU64("hw.l2cachesize");
  h.l3_bytes = SysctlU64("hw.l3cachesize");
#endif
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) h.memory_bytes = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) h.load_average = load[0];
  return h;
}

std::vector<std::string> ReliabilityWarnings(const HostFacts& host, double spread) {
  std::vector<std::string> w;
  if (host.debug_build) w.push_back("debug build: kernels are unoptimized, numbers are not representative");
  if (!host.cpu_governor.empty() && host.cpu_governor != "performance") {
    w.push_back("CPU frequency governor is '" + host.cpu_governor + "', not 'performance': clocks may scale");
  }
  if (host.load_average > 0.5 * host.logical_cores) {
    std::ostringstream os;
    os << "the machine was busy (load average " << host.load_average << " on " << host.logical_cores
       << " cores): another process may be taking the cores";
    w.push_back(os.str());
  }
  if (spread > 0.15) {
    std::ostringstream os;
    os << "repetitions spread " << static_cast<int>(spread * 100) << "% (max-min over median): noisy";
    w.push_back(os.str());
  }
  if (host.kernel_path == "portable") w.push_back("built without SIMD kernels (portable path): slow by design");
  return w;
}

namespace {

// Read-only stream over [data, data + bytes) on every thread: an integer XOR reduction
// vectorizes freely (a floating-point sum would be latency-bound and under-report the
// bandwidth). The result goes to a volatile so the reads cannot be optimized away.
void XorRead(ThreadPool& pool, const uint8_t* data, size_t bytes) {
  const size_t n = bytes / sizeof(uint64_t);
  pool.Run([&](unsigned ti, unsigned tc) {
    const size_t i0 = n * ti / tc, i1 = n * (ti + 1) / tc;
    uint64_t acc = 0;
    for (size_t i = i0; i < i1; ++i) {
      uint64_t w;
      std::memcpy(&w, data + i * sizeof(uint64_t), sizeof(w));
      acc ^= w;
    }
    volatile uint64_t sink = acc;
    (void)sink;
  });
}

}  // namespace

Stat MeasureReadBandwidth(ThreadPool& pool, const uint8_t* data, size_t bytes, int reps) {
  std::vector<double> samples;
  for (int rep = 0; rep < reps + 1; ++rep) {
    const auto t0 = Clock::now();
    XorRead(pool, data, bytes);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (rep > 0) samples.push_back(static_cast<double>(bytes) / s);
  }
  return Summarize(samples);
}

BandwidthResult MeasureBandwidth(unsigned threads, uint64_t buffer_bytes, int reps) {
  BandwidthResult r;
  r.threads = threads;
  const size_t n = std::max<size_t>(buffer_bytes / sizeof(double), 1 << 20);
  r.buffer_bytes = n * sizeof(double);
  // Mapped like the probe engine's weights (huge pages where the OS gives them).
  LargeBuffer ba(n * sizeof(double)), bb(n * sizeof(double)), bc(n * sizeof(double));
  double* a = ba.As<double>();
  double* b = bb.As<double>();
  double* c = bc.As<double>();
  ThreadPool pool(threads);
  // First touch from the threads that will use each slice. Every element differs: pages of one
  // repeated value can be merged by the OS or hypervisor (KSM, zero pages) into one physical
  // page that then reads from cache, which inflates the bandwidth.
  pool.ParallelFor(n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) {
      const double v = static_cast<double>(i);
      a[i] = 1.0 + v * 1e-9;
      b[i] = 2.0 + v * 1e-9;
      c[i] = 3.0 + v * 1e-9;
    }
  });
  std::vector<double> copy, triad, read;
  const double s = 3.0;
  for (int rep = 0; rep < reps + 1; ++rep) {  // first repetition is the warm-up
    auto t0 = Clock::now();
    pool.ParallelFor(n, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i) c[i] = a[i];
    });
    auto t1 = Clock::now();
    pool.ParallelFor(n, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i) a[i] = b[i] + s * c[i];
    });
    auto t2 = Clock::now();
    XorRead(pool, reinterpret_cast<const uint8_t*>(b), n * sizeof(double));
    auto t3 = Clock::now();
    if (rep == 0) continue;
    const double bytes = static_cast<double>(n) * sizeof(double);
    copy.push_back(2 * bytes / std::chrono::duration<double>(t1 - t0).count());
    triad.push_back(3 * bytes / std::chrono::duration<double>(t2 - t1).count());
    read.push_back(bytes / std::chrono::duration<double>(t3 - t2).count());
  }
  r.copy = Summarize(copy);
  r.triad = Summarize(triad);
  r.read = Summarize(read);
  return r;
}

MatmulResult MeasureMatmul(TensorType type, unsigned threads, size_t rows, size_t in, size_t tokens, int reps) {
  MatmulResult r;
  r.type = type;
  r.rows = rows;
  r.in = in;
  r.tokens = tokens;
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const size_t stride = RowBytes(type, in);
  std::vector<uint8_t> w(rows * stride);
  std::vector<float> tmp(in);
  for (size_t i = 0; i < rows; ++i) {
    for (auto& v : tmp) v = dist(rng);
    QuantizeRow(type, tmp.data(), w.data() + i * stride, in);
  }
  // Quantized weights in the layout the probe engine multiplies by.
  WeightMatrix m{type, w.data(), rows, in, CanInterleave(type)};
  std::vector<uint8_t> packed;
  if (m.interleaved) {
    packed.resize(w.size());
    Interleave(type, w.data(), packed.data(), rows, in);
    m.data = packed.data();
  }
  std::vector<float> x(tokens * in), y(tokens * rows);
  for (auto& v : x) v = dist(rng);
  ThreadPool pool(threads);
  std::vector<double> samples;
  for (int rep = 0; rep < reps + 1; ++rep) {
    auto t0 = Clock::now();
    MatMul(pool, m, x.data(), tokens, y.data(), rows);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (rep > 0)
      samples.push_back(2.0 * static_cast<double>(rows) * static_cast<double>(in) * static_cast<double>(tokens) / s);
  }
  r.flops_per_s = Summarize(samples);
  return r;
}

}  // namespace tokcast::measure
