#include "catalog/serve_import.h"

#include <cmath>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "catalog/error.h"
#include "catalog/json_lines.h"
#include "core/text.h"

namespace tokcast::catalog {
namespace {

using nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::optional<double> Number(const json& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_number()) {
    const double v = it->get<double>();
    if (!std::isfinite(v)) return std::nullopt;
    return v;
  }
  if (it->is_string()) {  // vLLM writes an unbounded rate as "inf"
    const std::string s = ToLower(it->get<std::string>());
    if (s == "inf" || s == "infinity") return kInf;
  }
  return std::nullopt;
}

std::string String(const json& j, std::string_view key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& Child(const json& j, std::string_view key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// A non-negative, finite figure, or an error naming it.
double Checked(double v, const std::string& where, const std::string& what) {
  if (!std::isfinite(v) || v < 0) throw InputError(where + ": " + what + " is " + FormatFixed(v, 3));
  return v;
}

// A count from the file (requests, tokens): a whole number a run can have, or an error.
uint64_t Count(double v, const std::string& where, const std::string& what) {
  if (!std::isfinite(v) || v < 0 || v > 1e12) throw InputError(where + ": " + what + " is " + FormatFixed(v, 3));
  return static_cast<uint64_t>(std::llround(v));
}

// A unit the file names, as seconds per unit ("ms" -> 1e-3); 0 when unknown.
double TimeScale(const std::string& unit) {
  const std::string u = ToLower(unit);
  if (u == "ms") return 1e-3;
  if (u == "s" || u == "sec" || u == "seconds") return 1;
  if (u == "us") return 1e-6;
  if (u == "ns") return 1e-9;
  return 0;
}

void SetWorkload(ImportedServeRun& r, std::optional<double> rate, std::optional<double> concurrency,
                 std::optional<double> burstiness) {
  serve::WorkloadSpec& w = r.workload;
  const bool rate_given = rate && std::isfinite(*rate) && *rate > 0;
  if (rate_given) {
    w.rate = *rate;
    w.burstiness = burstiness.value_or(1);
    w.arrival = w.burstiness == 1 ? serve::Arrival::kPoisson : serve::Arrival::kGamma;
    if (concurrency && *concurrency >= 1) {
      r.notes.push_back("arrivals at " + FormatFixed(*rate, 2) + " req/s were also capped at " +
                        FormatFixed(*concurrency, 0) + " in flight");
    }
  } else if (concurrency && *concurrency >= 1) {
    w.arrival = serve::Arrival::kClosedLoop;
    w.concurrency = static_cast<uint32_t>(std::min(*concurrency, 1e6));
  } else {
    w.arrival = serve::Arrival::kOffline;
  }
}

void SetLengths(ImportedServeRun& r, std::optional<double> input_total, std::optional<double> output_total,
                const json& input_lens, const json& output_lens) {
  auto set = [&](serve::LengthDist& d, std::optional<double> total, const json& lens) {
    if (lens.is_array() && !lens.empty()) {
      uint32_t lo = UINT32_MAX, hi = 0;
      for (const auto& v : lens) {
        if (!v.is_number()) continue;
        const auto n = static_cast<uint32_t>(std::clamp(v.get<double>(), 0.0, 1e9));
        lo = std::min(lo, n);
        hi = std::max(hi, n);
      }
      if (hi > 0) {
        d = {std::max<uint32_t>(lo, 1), hi};
        return;
      }
    }
    if (total && r.metrics.completed > 0) {
      const double m = *total / static_cast<double>(r.metrics.completed);
      if (!std::isfinite(m) || m < 0 || m > 1e9) return;
      const auto mean = static_cast<uint32_t>(std::llround(m));
      d = {std::max<uint32_t>(mean, 1), std::max<uint32_t>(mean, 1)};
    }
  };
  set(r.workload.isl, input_total, input_lens);
  set(r.workload.osl, output_total, output_lens);
}

// Sets one statistic of a distribution, or records it as missing ("TTFT p90").
void Stat(double& field, std::optional<double> v, double scale, ImportedServeRun& r, const std::string& label,
          const char* stat) {
  if (v && std::isfinite(*v) && *v >= 0) {
    field = *v * scale;
  } else {
    r.missing.push_back(label + " " + stat);
  }
}

// vLLM and SGLang: flat keys mean_<m>_ms, median_<m>_ms, p90_<m>_ms, p95_..., p99_..., std_...
serve::Distribution FlatDist(const json& j, const std::string& m, ImportedServeRun& r, const std::string& label) {
  serve::Distribution d;
  auto get = [&](const char* stat) { return Number(j, std::string(stat) + "_" + m + "_ms"); };
  if (!get("mean") && !get("median") && !get("p99")) {
    r.missing.push_back(label);
    return d;
  }
  Stat(d.mean, get("mean"), 1e-3, r, label, "mean");
  Stat(d.median, get("median"), 1e-3, r, label, "median");
  Stat(d.p90, get("p90"), 1e-3, r, label, "p90");
  Stat(d.p95, get("p95"), 1e-3, r, label, "p95");
  Stat(d.p99, get("p99"), 1e-3, r, label, "p99");
  Stat(d.max, get("max"), 1e-3, r, label, "max");
  d.n = r.metrics.completed;
  return d;
}

// The vllm bench serve result (and SGLang's, whose keys differ in places).
ImportedServeRun FromVllmLike(const json& j, const std::string& where, bool sglang) {
  ImportedServeRun r;
  r.tool = sglang ? "sglang bench_serving" : "vllm bench serve";
  r.model = String(j, "model_id");
  if (r.model.empty()) r.model = String(j, "model");
  r.backend = String(j, "backend");
  r.date = String(j, "date");
  serve::ServeMetrics& m = r.metrics;
  const auto completed = Number(j, "completed");
  if (!completed) throw InputError(where + ": no 'completed' count");
  m.completed = Count(*completed, where, "completed");
  const auto failed = Number(j, "failed");
  if (!failed && j.contains("errors") && j["errors"].is_array()) {
    size_t n = 0;
    for (const auto& e : j["errors"]) n += e.is_string() && !e.get<std::string>().empty();
    m.failed = n;
  } else {
    m.failed = Count(failed.value_or(0), where, "failed");
  }
  m.requests = m.completed + m.failed;
  m.duration_s = Checked(Number(j, "duration").value_or(0), where, "duration");
  m.request_throughput = Checked(Number(j, "request_throughput").value_or(0), where, "request_throughput");
  m.output_throughput = Checked(Number(j, "output_throughput").value_or(0), where, "output_throughput");
  const auto total_in = Number(j, "total_input_tokens"), total_out = Number(j, "total_output_tokens");
  if (auto t = Number(j, "total_token_throughput")) {
    m.total_throughput = Checked(*t, where, "total_token_throughput");
  } else if (auto in = Number(j, "input_throughput")) {  // SGLang
    m.total_throughput = Checked(*in, where, "input_throughput") + m.output_throughput;
  } else if (total_in && total_out && m.duration_s > 0) {
    m.total_throughput = (*total_in + *total_out) / m.duration_s;
  }
  if (auto g = Number(j, "request_goodput"); g && std::isfinite(*g) && *g >= 0) m.goodput = *g;
  m.ttft_s = FlatDist(j, "ttft", r, "TTFT");
  m.tpot_s = FlatDist(j, "tpot", r, "TPOT");
  m.itl_s = FlatDist(j, "itl", r, "ITL");
  m.e2e_s = FlatDist(j, sglang ? "e2e_latency" : "e2el", r, "E2E");
  SetWorkload(r, Number(j, "request_rate"), Number(j, "max_concurrency"), Number(j, "burstiness"));
  r.workload.num_requests = m.requests;
  if (auto n = Number(j, "num_prompts")) r.workload.num_requests = Count(*n, where, "num_prompts");
  SetLengths(r, total_in, total_out, Child(j, "input_lens"), Child(j, "output_lens"));
  return r;
}

// GenAI-Perf / AIPerf: {"metric": {"unit": "ms", "avg", "p50", "p90", "p95", "p99", "max", ...}}.
serve::Distribution StatDist(const json& metrics, const std::string& key, ImportedServeRun& r, const std::string& label,
                             const std::string& where) {
  serve::Distribution d;
  const json& s = Child(metrics, key);
  if (!s.is_object()) {
    r.missing.push_back(label);
    return d;
  }
  const double scale = TimeScale(String(s, "unit"));
  if (scale == 0) throw InputError(where + ": " + key + " has the unknown time unit '" + String(s, "unit") + "'");
  Stat(d.mean, Number(s, "avg"), scale, r, label, "mean");
  Stat(d.median, Number(s, "p50"), scale, r, label, "median");
  Stat(d.p90, Number(s, "p90"), scale, r, label, "p90");
  Stat(d.p95, Number(s, "p95"), scale, r, label, "p95");
  Stat(d.p99, Number(s, "p99"), scale, r, label, "p99");
  Stat(d.max, Number(s, "max"), scale, r, label, "max");
  d.n = r.metrics.completed;
  return d;
}

double Avg(const json& metrics, const std::string& key) {
  return Number(Child(metrics, key), "avg").value_or(0);
}

// The first string under `key` anywhere in `j` (a few levels down), or in an array there.
std::string FindName(const json& j, std::string_view key, int depth = 4) {
  if (depth < 0) return "";
  if (j.is_object()) {
    if (auto it = j.find(key); it != j.end()) {
      if (it->is_string()) return it->get<std::string>();
      if (it->is_array() && !it->empty() && (*it)[0].is_string()) return (*it)[0].get<std::string>();
    }
    for (const auto& [k, v] : j.items()) {
      if (auto s = FindName(v, key, depth - 1); !s.empty()) return s;
    }
  }
  return "";
}

std::optional<double> FindNumber(const json& j, std::string_view key, int depth = 4) {
  if (depth < 0 || !j.is_object()) return std::nullopt;
  if (auto v = Number(j, key)) return v;
  for (const auto& [k, v] : j.items()) {
    if (auto n = FindNumber(v, key, depth - 1)) return n;
  }
  return std::nullopt;
}

ImportedServeRun FromGenaiPerf(const json& j, const std::string& where, bool aiperf) {
  ImportedServeRun r;
  r.tool = aiperf ? "aiperf" : "genai-perf";
  r.version = String(j, aiperf ? "aiperf_version" : "genai_perf_version");
  // Older AIPerf files nest the metrics under "records", keyed by tag.
  json metrics = j.contains("records") && j["records"].is_object() ? j["records"] : j;
  if (metrics.contains("ttft") && !metrics.contains("time_to_first_token"))
    metrics["time_to_first_token"] = metrics["ttft"];
  const json& cfg = Child(j, "input_config");
  r.model = FindName(cfg, "model_names");
  if (r.model.empty()) r.model = FindName(cfg, "name");
  r.backend = FindName(cfg, "service_kind");
  if (r.backend.empty()) r.backend = FindName(cfg, "type");
  serve::ServeMetrics& m = r.metrics;
  m.completed = Count(Avg(metrics, "request_count"), where, "request_count");
  m.failed = Count(Avg(metrics, "error_request_count"), where, "error_request_count");
  m.requests = m.completed + m.failed;
  m.request_throughput = Checked(Avg(metrics, "request_throughput"), where, "request_throughput");
  m.output_throughput = Checked(Avg(metrics, "output_token_throughput"), where, "output_token_throughput");
  if (const json& d = Child(metrics, "benchmark_duration"); d.is_object()) {
    const double scale = TimeScale(String(d, "unit"));
    m.duration_s = Checked(Number(d, "avg").value_or(0) * (scale ? scale : 1), where, "benchmark_duration");
  } else if (m.request_throughput > 0) {
    m.duration_s = static_cast<double>(m.completed) / m.request_throughput;
  }
  if (m.completed == 0 && m.request_throughput > 0 && m.duration_s > 0) {
    m.completed = Count(m.request_throughput * m.duration_s, where, "requests (throughput x duration)");
    m.requests = m.completed + m.failed;
  }
  const double in_mean = Avg(metrics, "input_sequence_length"), out_mean = Avg(metrics, "output_sequence_length");
  if (auto t = Number(Child(metrics, "total_token_throughput"), "avg")) {
    m.total_throughput = Checked(*t, where, "total_token_throughput");
  } else if (m.request_throughput > 0 && in_mean > 0) {
    m.total_throughput = m.output_throughput + m.request_throughput * in_mean;
  }
  if (auto g = Number(Child(metrics, "goodput"), "avg"); g && std::isfinite(*g) && *g >= 0) m.goodput = *g;
  m.ttft_s = StatDist(metrics, "time_to_first_token", r, "TTFT", where);
  m.tpot_s = StatDist(metrics, "inter_token_latency", r, "TPOT", where);
  if (Child(metrics, "inter_chunk_latency").is_object()) {
    m.itl_s = StatDist(metrics, "inter_chunk_latency", r, "ITL", where);
    r.notes.push_back("ITL from inter_chunk_latency (per streamed chunk)");
  } else {
    r.missing.push_back("ITL");
  }
  m.e2e_s = StatDist(metrics, "request_latency", r, "E2E", where);
  r.notes.push_back(std::string(aiperf ? "AIPerf" : "GenAI-Perf") +
                    "'s inter_token_latency is (E2E - TTFT) / (output tokens - 1): reported as TPOT");
  SetWorkload(r, FindNumber(cfg, "request_rate"), FindNumber(cfg, "concurrency"), std::nullopt);
  if (auto n = FindNumber(cfg, "request_count"))
    r.workload.num_requests = Count(*n, where, "request_count");
  else
    r.workload.num_requests = m.requests;
  std::optional<double> in_total, out_total;
  if (in_mean > 0) in_total = in_mean * static_cast<double>(m.completed);
  if (out_mean > 0) out_total = out_mean * static_cast<double>(m.completed);
  SetLengths(r, in_total, out_total, json(), json());
  if (m.duration_s <= 0 || m.completed == 0) {
    throw InputError(where + ": no request_count and request_throughput to size the run");
  }
  return r;
}

// GuideLLM's StatusDistributionSummary: {"successful": {"mean", "median", "max", "percentiles": {...}}}.
serve::Distribution GuideDist(const json& metrics, const std::string& key, double scale, ImportedServeRun& r,
                              const std::string& label) {
  serve::Distribution d;
  const json& s = Child(Child(metrics, key), "successful");
  if (!s.is_object()) {
    r.missing.push_back(label);
    return d;
  }
  const json& p = Child(s, "percentiles");
  Stat(d.mean, Number(s, "mean"), scale, r, label, "mean");
  auto median = Number(s, "median");
  Stat(d.median, median ? median : Number(p, "p50"), scale, r, label, "median");
  Stat(d.p90, Number(p, "p90"), scale, r, label, "p90");
  Stat(d.p95, Number(p, "p95"), scale, r, label, "p95");
  Stat(d.p99, Number(p, "p99"), scale, r, label, "p99");
  Stat(d.max, Number(s, "max"), scale, r, label, "max");
  d.n = static_cast<size_t>(std::clamp(Number(s, "count").value_or(0), 0.0, 1e12));
  return d;
}

double GuideSum(const json& metrics, const std::string& key) {
  const double v = Number(Child(Child(metrics, key), "successful"), "total_sum").value_or(0);
  return std::isfinite(v) && v >= 0 && v < 1e15 ? v : 0;
}

std::vector<ImportedServeRun> FromGuidellm(const json& report, const std::string& origin) {
  std::vector<ImportedServeRun> out;
  const std::string model = FindName(Child(report, "args"), "model");
  size_t i = 0;
  for (const auto& b : report["benchmarks"]) {
    const std::string where = origin + ": benchmarks[" + std::to_string(i++) + "]";
    if (!b.is_object()) throw InputError(where + ": not an object");
    ImportedServeRun r;
    r.tool = "guidellm";
    r.version = FindName(Child(report, "metadata"), "guidellm_version");
    r.model = model.empty() ? FindName(b, "model") : model;
    const json& metrics = Child(b, "metrics");
    if (!metrics.is_object()) throw InputError(where + ": no metrics");
    serve::ServeMetrics& m = r.metrics;
    const json& totals = Child(metrics, "request_totals");
    m.completed = Count(Number(totals, "successful").value_or(0), where, "successful requests");
    m.failed = Count(Number(totals, "errored").value_or(0) + Number(totals, "incomplete").value_or(0), where,
                     "failed requests");
    m.requests = m.completed + m.failed;
    double duration = Number(b, "duration").value_or(0);
    for (const char* holder : {"", "scheduler_metrics", "run_stats", "scheduler_state"}) {
      const json& h = *holder ? Child(b, holder) : b;
      if (duration <= 0) {
        const auto s = Number(h, "start_time"), e = Number(h, "end_time");
        if (s && e && *e > *s) duration = *e - *s;
      }
    }
    const double rps = Number(Child(Child(metrics, "requests_per_second"), "successful"), "mean").value_or(0);
    if (duration <= 0 && rps > 0) duration = static_cast<double>(m.completed) / rps;
    if (!(duration > 0) || !std::isfinite(duration) || m.completed == 0)
      throw InputError(where + ": no successful requests or no duration");
    m.duration_s = duration;
    m.request_throughput = static_cast<double>(m.completed) / duration;
    const double out_tokens = GuideSum(metrics, "output_token_count"),
                 in_tokens = GuideSum(metrics, "prompt_token_count");
    m.output_throughput = out_tokens / duration;
    m.total_throughput = (out_tokens + in_tokens) / duration;
    m.ttft_s = GuideDist(metrics, "time_to_first_token_ms", 1e-3, r, "TTFT");
    m.tpot_s = GuideDist(metrics, "inter_token_latency_ms", 1e-3, r, "TPOT");
    m.e2e_s = GuideDist(metrics, "request_latency", 1, r, "E2E");
    r.missing.push_back("ITL");
    r.notes.push_back("GuideLLM's inter_token_latency_ms is (E2E - TTFT) / (output tokens - 1): reported as TPOT");
    const json& strategy = Child(Child(b, "config"), "strategy").is_object() ? Child(Child(b, "config"), "strategy")
                                                                             : Child(b, "strategy");
    const std::string type = String(strategy, "type_");
    if (type == "synchronous") {
      SetWorkload(r, std::nullopt, 1.0, std::nullopt);
    } else if (type == "concurrent") {
      SetWorkload(r, std::nullopt, Number(strategy, "streams"), std::nullopt);
    } else if (type == "constant" || type == "poisson") {
      SetWorkload(r, Number(strategy, "rate"), std::nullopt, std::nullopt);
      if (type == "constant") {
        r.workload.arrival = serve::Arrival::kGamma;
        r.workload.burstiness = 1e6;  // evenly spaced arrivals
        r.notes.push_back("constant-rate arrivals (evenly spaced)");
      }
    } else {
      SetWorkload(r, std::nullopt, std::nullopt, std::nullopt);  // throughput: all at once
    }
    r.workload.num_requests = m.requests;
    SetLengths(r, in_tokens, out_tokens, json(), json());
    out.push_back(std::move(r));
  }
  if (out.empty()) throw InputError(origin + ": the GuideLLM report holds no benchmarks");
  return out;
}

std::string Detect(const json& j) {
  if (j.contains("benchmarks") && j["benchmarks"].is_array()) return "guidellm";
  if (j.contains("aiperf_version") || (j.contains("records") && j["records"].is_object()) ||
      Child(Child(j, "input_config"), "loadgen").is_object())
    return "aiperf";
  if (j.contains("time_to_first_token") || Child(j, "request_throughput").is_object()) return "genai-perf";
  if (j.contains("mean_e2e_latency_ms") || j.contains("total_output_tokens_retokenized")) return "sglang";
  if (j.contains("mean_ttft_ms") || j.contains("mean_e2el_ms")) return "vllm";
  return "";
}

std::vector<ImportedServeRun> FromObject(const json& j, const std::string& where, std::string_view tool) {
  const std::string t = tool == "auto" ? Detect(j) : std::string(tool);
  if (t == "guidellm") {
    if (!j.contains("benchmarks") || !j["benchmarks"].is_array()) throw InputError(where + ": no benchmarks array");
    return FromGuidellm(j, where);
  }
  if (t == "aiperf" || t == "genai-perf") return {FromGenaiPerf(j, where, t == "aiperf")};
  if (t == "sglang" || t == "vllm") return {FromVllmLike(j, where, t == "sglang")};
  if (tool != "auto") {
    throw InputError(where + ": unknown tool '" + std::string(tool) + "' (vllm, sglang, genai-perf, aiperf, guidellm)");
  }
  throw InputError(where +
                   ": not a result tokcast knows (vllm bench serve, SGLang bench_serving, GenAI-Perf, AIPerf, "
                   "GuideLLM); name the tool with --tool");
}

// Python's json module writes float('inf') and NaN as bare Infinity / NaN (SGLang's
// request_rate of an all-at-once run): JSON has neither, so they become "inf" and null.
std::string PythonJsonToJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (text.compare(i, 8, "Infinity") == 0) {
      out += "\"inf\"";
      i += 7;
      continue;
    } else if (c == '-' && text.compare(i + 1, 8, "Infinity") == 0) {
      out += "\"-inf\"";
      i += 8;
      continue;
    } else if (text.compare(i, 3, "NaN") == 0) {
      out += "null";
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::vector<ImportedServeRun> ParseServeResults(std::string_view raw, const std::string& origin,
                                                std::string_view tool) {
  const std::string cleaned = PythonJsonToJson(raw);
  const std::string_view text = cleaned;
  const json whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded()) {
    if (!whole.is_object()) throw InputError(origin + ": expected a JSON object (or JSON lines of objects)");
    return FromObject(whole, origin, tool);
  }
  // JSON lines: one run per line (SGLang's --output-file, vLLM's --append-result).
  std::vector<ImportedServeRun> out;
  ForEachJsonLine(text, origin, [&](const json& j, const std::string& where) {
    auto runs = FromObject(j, where, tool);
    out.insert(out.end(), runs.begin(), runs.end());
  });
  if (out.empty()) throw InputError(origin + ": empty");
  return out;
}

std::vector<BatchedBenchRow> ParseLlamaBatchedBench(std::string_view text, const std::string& origin) {
  std::vector<BatchedBenchRow> out;
  size_t line_no = 0, start = 0;
  bool pp_shared = false;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    const std::string where = origin + ":" + std::to_string(line_no);
    if (line.find("is_pp_shared = 1") != std::string::npos) pp_shared = true;
    if (!line.empty() && line.front() == '{') {  // --output-format jsonl
      const json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) throw InputError(where + ": not a JSON object");
      BatchedBenchRow r;
      auto need = [&](const char* k) {
        auto v = Number(j, k);
        if (!v || !std::isfinite(*v) || *v < 0 || *v > 1e12)
          throw InputError(where + ": no valid '" + std::string(k) + "'");
        return *v;
      };
      r.pp = static_cast<uint64_t>(need("pp"));
      r.tg = static_cast<uint64_t>(need("tg"));
      r.batch = static_cast<uint64_t>(need("pl"));
      r.n_kv = static_cast<uint64_t>(need("n_kv"));
      r.t_pp = need("t_pp");
      r.speed_pp = need("speed_pp");
      r.t_tg = need("t_tg");
      r.speed_tg = need("speed_tg");
      r.pp_shared = Number(j, "is_pp_shared").value_or(0) != 0;
      out.push_back(r);
      continue;
    }
    // The markdown table: |    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s | ...
    if (line.empty() || line.front() != '|' || line.find("---") != std::string::npos) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string cell; std::getline(ss, cell, '|');) cells.push_back(Trim(cell));
    if (cells.size() < 8 || cells[0] == "PP") continue;
    BatchedBenchRow r;
    auto num = [&](size_t i) {
      char* e = nullptr;
      const double v = std::strtod(cells[i].c_str(), &e);
      if (e == cells[i].c_str() || *e != '\0' || !std::isfinite(v) || v < 0 || v > 1e12)
        throw InputError(where + ": column " + std::to_string(i + 1) + " is not a number: '" + cells[i] + "'");
      return v;
    };
    r.pp = static_cast<uint64_t>(num(0));
    r.tg = static_cast<uint64_t>(num(1));
    r.batch = static_cast<uint64_t>(num(2));
    r.n_kv = static_cast<uint64_t>(num(3));
    r.t_pp = num(4);
    r.speed_pp = num(5);
    r.t_tg = num(6);
    r.speed_tg = num(7);
    r.pp_shared = pp_shared;
    out.push_back(r);
  }
  for (const auto& r : out) {
    if (r.batch == 0 || r.batch > 65536) throw InputError(origin + ": a batch of " + std::to_string(r.batch));
  }
  if (out.empty()) throw InputError(origin + ": no llama-batched-bench results (its table or -o jsonl lines)");
  return out;
}

}  // namespace tokcast::catalog
