#include "app/bench_serve.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/bench.h"
#include "app/results.h"
#include "app/session.h"
#include "catalog/error.h"
#include "catalog/serve_import.h"
#include "catalog/trace.h"
#include "core/text.h"
#include "measure/serve_client.h"
#include "report/kinds.h"

namespace tokcast::app {

namespace {

using nlohmann::json;

// What the server says it is: vLLM's /version, llama-server's /props, else /v1/models.
std::string ServerIdentity(const std::string& url) {
  std::string out;
  if (auto v = measure::HttpGet(url, "/version")) {
    const json j = json::parse(*v, nullptr, false);
    if (j.is_object() && j.contains("version") && j["version"].is_string())
      out = "version " + j["version"].get<std::string>();
  }
  if (auto p = measure::HttpGet(url, "/props")) {
    const json j = json::parse(*p, nullptr, false);
    if (j.is_object() && j.contains("build_info") && j["build_info"].is_string())
      out += (out.empty() ? "" : "; ") + std::string("llama-server ") + j["build_info"].get<std::string>();
  }
  if (out.empty())
    if (auto m = measure::HttpGet(url, "/v1/models")) out = "models " + m->substr(0, 300);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

// The engine metrics worth keeping from a Prometheus /metrics page, summed over label sets:
// vLLM (vllm:), SGLang (sglang:) and llama-server (llamacpp:).
using PromSample = std::map<std::string, double>;

std::optional<PromSample> ScrapeMetrics(const std::string& url) {
  auto text = measure::HttpGet(url, "/metrics", 2);
  if (!text) return std::nullopt;
  PromSample out;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    const std::string line = text->substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) continue;
    const std::string name = line.substr(0, name_end);
    if (name.rfind("vllm:", 0) != 0 && name.rfind("sglang:", 0) != 0 && name.rfind("llamacpp:", 0) != 0) continue;
    if (name.find("_bucket") != std::string::npos) continue;  // histograms: keep _sum and _count only
    size_t value_at = name_end;
    if (line[name_end] == '{') {
      value_at = line.find('}', name_end);
      if (value_at == std::string::npos) continue;
      ++value_at;
    }
    char* e = nullptr;
    const std::string rest = line.substr(value_at);
    const double v = std::strtod(rest.c_str(), &e);
    if (e == rest.c_str() || !std::isfinite(v)) continue;
    out[name] += v;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool IsGauge(const std::string& name) {
  for (const char* k : {"running", "waiting", "queue", "usage", "processing", "deferred"}) {
    if (name.find(k) != std::string::npos && !name.ends_with("_total")) return true;
  }
  return false;
}

// Samples /metrics once a second while the run lasts, keeping each gauge's peak.
class MetricsSampler {
 public:
  explicit MetricsSampler(const std::string& url) : url_(url) {
    before_ = ScrapeMetrics(url);
    if (before_) thread_ = std::thread([this] { Loop(); });
  }
  ~MetricsSampler() { Stop(); }
  MetricsSampler(const MetricsSampler&) = delete;
  MetricsSampler& operator=(const MetricsSampler&) = delete;

  json Finish() {
    Stop();
    if (!before_) return json();
    const auto after = ScrapeMetrics(url_);
    json j = {{"before", *before_}, {"peak", peak_}};
    if (after) {
      j["after"] = *after;
      json delta = json::object();
      for (const auto& [k, v] : *after) {
        if (!k.ends_with("_total") && !k.ends_with("_count") && !k.ends_with("_sum")) continue;
        auto b = before_->find(k);
        delta[k] = v - (b == before_->end() ? 0.0 : b->second);
      }
      j["delta"] = delta;
    }
    return j;
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) {
      lock.unlock();
      const auto s = ScrapeMetrics(url_);
      lock.lock();
      if (!s) continue;
      for (const auto& [k, v] : *s) {
        if (IsGauge(k)) peak_[k] = std::max(peak_.count(k) ? peak_[k] : v, v);
      }
    }
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::string url_;
  std::optional<PromSample> before_;
  PromSample peak_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// The measured run in the simulator's terms, so both go through one set of metric definitions.
serve::SimResult AsSimResult(const measure::ServeRun& run, size_t skip) {
  serve::SimResult r;
  double first = 1e300, last = 0;
  for (size_t i = skip; i < run.requests.size(); ++i) {
    const auto& m = run.requests[i];
    if (!m.sent || m.cancelled) continue;  // a stopped run: what was never measured is left out
    serve::RequestResult q;
    q.id = r.requests.size();
    q.arrival_s = m.arrival_s;
    q.input_tokens = m.input_tokens;
    q.output_tokens = m.output_tokens;
    q.completed = m.ok;
    if (m.ok) {
      q.first_token_s = m.first_token_s;
      q.finish_s = m.finish_s;
      // ITL from every gap; a chunk that carried several tokens (usage says so) splits its gap.
      const size_t chunks = m.chunk_s.size();
      const double per_chunk = chunks > 1 && m.output_tokens > chunks
                                   ? static_cast<double>(m.output_tokens - 1) / static_cast<double>(chunks - 1)
                                   : 1.0;
      for (size_t k = 1; k < chunks; ++k) {
        const double gap = m.chunk_s[k] - m.chunk_s[k - 1];
        const int n = std::max(1, static_cast<int>(per_chunk + 0.5));
        for (int s = 0; s < n; ++s) r.itl_s.push_back(static_cast<float>(gap / n));
      }
      last = std::max(last, m.finish_s);
    }
    first = std::min(first, m.arrival_s);
    r.requests.push_back(q);
  }
  r.makespan_s = last > first ? last - first : 0;
  return r;
}

}  // namespace

BenchServeResult BenchServe(const catalog::Catalog& cat, const BenchServeRequest& req) {
  if (req.url.empty()) throw catalog::InputError("bench serve needs --url http://HOST:PORT");
  if (req.api != "completions" && req.api != "chat")
    throw catalog::InputError("--api '" + req.api + "': completions or chat");
  if (req.warmup > 1000) throw catalog::InputError("--warmup must be at most 1000 requests");
  std::vector<serve::Request> reqs;
  serve::WorkloadSpec workload = req.workload;
  if (!req.trace_path.empty()) {
    reqs = catalog::ParseTrace(ReadUserFile(req.trace_path), req.trace_path);
    workload.arrival = serve::Arrival::kTrace;
    workload.num_requests = reqs.size();
  } else {
    try {
      reqs = serve::Generate(req.workload);
    } catch (const std::invalid_argument& e) {
      throw catalog::InputError(e.what());
    }
  }
  std::vector<measure::LoadRequest> load;
  for (uint64_t w = 0; w < req.warmup; ++w)
    load.push_back({0, req.workload.isl.min, std::min<uint32_t>(req.workload.osl.min, 16)});
  for (const auto& r : reqs)
    load.push_back({r.arrival_s, r.input_tokens, r.output_tokens, r.prefix_id, r.prefix_tokens});
  measure::ServeClientOptions o;
  o.url = req.url;
  o.api = req.api;
  o.model = req.served_model;
  o.timeout_s = req.timeout_s;
  o.seed = req.workload.seed;
  o.stop = req.stop;
  o.progress = req.progress;
  const bool closed = workload.arrival == serve::Arrival::kClosedLoop;
  if (closed) o.concurrency = workload.concurrency;
  if (workload.arrival == serve::Arrival::kOffline) o.concurrency = static_cast<uint32_t>(load.size());
  measure::ServeRun run;
  json server_metrics;
  try {
    if (req.warmup) {
      auto warm = o;
      warm.concurrency = static_cast<uint32_t>(req.warmup);
      const std::vector<measure::LoadRequest> w(load.begin(), load.begin() + static_cast<long>(req.warmup));
      const auto wr = measure::RunServeLoad(w, warm);
      o.model = wr.model;
      load.erase(load.begin(), load.begin() + static_cast<long>(req.warmup));
    }
    MetricsSampler sampler(req.url);
    run = measure::RunServeLoad(load, o);
    server_metrics = sampler.Finish();
  } catch (const std::runtime_error& e) {
    throw catalog::InputError(e.what());
  }
  BenchServeResult out;
  out.url = req.url;
  out.api = req.api;
  out.model = run.model;
  out.workload = workload;
  out.trace = !req.trace_path.empty();
  out.server_metrics = std::move(server_metrics);
  out.measured = AsSimResult(run, 0);
  out.interrupted = run.stopped;
  for (const auto& m : run.requests) {
    out.not_sent += !m.sent;
    out.cancelled += m.cancelled;
  }
  if (out.measured.requests.empty()) {
    throw catalog::InputError(req.url + ": stopped before any request was measured; nothing stored");
  }
  out.metrics = serve::Summarize(out.measured, req.slo);
  out.client_us_per_chunk = run.client_us_per_chunk;
  if (req.api == "chat") {
    out.notes.push_back("chat prompts sized from usage.prompt_tokens: " + FormatFixed(run.chat_tokens_per_word, 2) +
                        " tokens per filler word, " + FormatFixed(run.chat_template_tokens, 0) +
                        " for the chat template and tag");
  }
  double prompt_ms = 0, per_token = 0;
  size_t timed = 0;
  for (const auto& m : run.requests) {
    out.cached_tokens += m.cached_tokens;
    if (m.ok && m.server_prompt_ms && m.server_ms_per_token) {
      prompt_ms += *m.server_prompt_ms;
      per_token += *m.server_ms_per_token;
      ++timed;
    }
    if (m.ok || !m.sent || m.cancelled) continue;
    if (out.errors++ == 0) out.first_error = m.error;
  }
  if (timed) {
    out.server_prompt_ms = prompt_ms / static_cast<double>(timed);
    out.server_ms_per_token = per_token / static_cast<double>(timed);
  }
  out.server = ServerIdentity(req.url);
  json predict_json;
  if (req.predict) {
    SimulateRequest p = *req.predict;
    // The prediction runs the server's own configuration: llama-server's slots (--parallel).
    if (!p.max_num_seqs) {
      if (auto props = measure::HttpGet(req.url, "/props")) {
        const json j = json::parse(*props, nullptr, false);
        if (j.is_object() && j.contains("total_slots") && j["total_slots"].is_number_unsigned() &&
            j["total_slots"].get<uint64_t>() > 0 && j["total_slots"].get<uint64_t>() <= 4096) {
          p.max_num_seqs = j["total_slots"].get<uint32_t>();
        }
      }
    }
    p.workload = req.workload;
    p.trace_path = req.trace_path.empty() ? "" : std::filesystem::absolute(req.trace_path).string();
    p.slo = req.slo;
    out.predicted = Simulate(cat, p);
    predict_json = SimulateRequestJson(p);
  }
  if (req.store) {
    const report::Report rep = BenchServeReport(out);
    json result = {{"url", out.url}, {"server", out.server}, {"rows", rep.rows}};
    if (!out.server_metrics.is_null()) result["server_metrics"] = out.server_metrics;
    if (out.predicted) result["predict_request"] = predict_json;
    out.run_id = StoreRun(req.db_path, "bench-serve", HostJson(measure::ProbeHost()), result, {});
  }
  return out;
}

report::Report BenchServeReport(const BenchServeResult& r) {
  SimulateResult m;
  m.hardware = r.predicted ? r.predicted->hardware : r.url;
  m.model = r.predicted ? r.predicted->model : r.model;
  m.quant = r.predicted ? r.predicted->quant : "";
  m.runtime = r.predicted ? r.predicted->runtime : "server";
  m.workload = r.workload;
  m.trace = r.trace;
  m.sim = r.measured;
  m.metrics = r.metrics;
  if (r.predicted) {
    m.output_throughput_bound = r.predicted->output_throughput_bound;
    m.tp = r.predicted->tp;
    m.devices = r.predicted->devices;
    m.kv_type = r.predicted->kv_type;
  }
  report::Report rep;
  rep.schema = &report::kinds::BenchServe();
  json measured = SimulateReport(m).rows.front();
  measured["source"] = "measured";
  measured["errors"] = r.errors;
  measured["client_us_per_chunk"] = r.client_us_per_chunk;
  measured["served_model"] = r.model;
  measured["cached_tokens"] = r.cached_tokens;
  if (r.server_prompt_ms) measured["server_prompt_ms"] = *r.server_prompt_ms;
  if (r.server_ms_per_token) measured["server_ms_per_token"] = *r.server_ms_per_token;
  measured.erase("kv_pool_tokens");
  measured.erase("max_num_seqs");
  measured.erase("max_batched_tokens");
  measured.erase("preemptions");
  measured.erase("steps");
  measured.erase("peak_waiting");
  measured.erase("peak_kv_used");
  measured.erase("confidence");
  measured.erase("timeline");
  rep.rows.push_back(std::move(measured));
  if (r.predicted) {
    json p = SimulateReport(*r.predicted).rows.front();
    p["source"] = "predicted";
    p.erase("timeline");
    rep.rows.push_back(std::move(p));
  }
  rep.title =
      r.url + " (" + r.model + "): " + std::to_string(r.metrics.requests) + " requests, " +
      std::string(ToString(r.workload.arrival)) +
      (r.workload.arrival == serve::Arrival::kClosedLoop ? " at concurrency " + std::to_string(r.workload.concurrency)
       : r.workload.arrival == serve::Arrival::kOffline  ? ""
                                                         : " at " + FormatFixed(r.workload.rate, 2) + " req/s");
  if (!r.tool.empty()) {  // imported: the other tool's definitions and what it lacks
    json& row = rep.rows.front();
    row["tool"] = r.tool;
    static const std::map<std::string, std::string> kKeys = {
        {"TTFT", "ttft_ms"}, {"TPOT", "tpot_ms"}, {"ITL", "itl_ms"}, {"E2E", "e2e_s"}};
    for (const auto& gap : r.missing) {
      const auto space = gap.find(' ');
      auto key = kKeys.find(gap.substr(0, space));
      if (key == kKeys.end() || !row.contains(key->second)) continue;
      if (space == std::string::npos)
        row.erase(key->second);
      else
        row[key->second].erase(gap.substr(space + 1));
    }
    row.erase("client_us_per_chunk");
    row.erase("cached_tokens");
    row.erase("output_throughput_bound");
    rep.title =
        r.url + " (" + r.tool + ", " + r.model + "): " + std::to_string(r.metrics.requests) + " requests, " +
        std::string(ToString(r.workload.arrival)) +
        (r.workload.arrival == serve::Arrival::kClosedLoop ? " at concurrency " + std::to_string(r.workload.concurrency)
         : r.workload.arrival == serve::Arrival::kOffline  ? ""
                                                           : " at " + FormatFixed(r.workload.rate, 2) + " req/s");
    for (const auto& n : r.notes) rep.notes.push_back(n);
    if (!r.missing.empty()) {
      rep.notes.push_back("not in the file (left blank, never zero): " + Join(r.missing));
    }
    if (r.run_id) rep.notes.push_back("stored as run " + std::to_string(*r.run_id));
    return rep;
  }
  if (!r.server.empty()) rep.notes.push_back("server: " + r.server);
  for (const auto& n : r.notes) rep.notes.push_back(n);
  if (r.server_prompt_ms && r.server_ms_per_token) {
    rep.notes.push_back("the server's own timings (means): prompt " + FormatFixed(*r.server_prompt_ms, 1) + " ms, " +
                        FormatFixed(*r.server_ms_per_token, 2) + " ms per generated token");
  }
  if (r.cached_tokens)
    rep.notes.push_back(std::to_string(r.cached_tokens) + " prompt tokens came from the server's cache");
  if (r.server_metrics.is_object()) {
    std::string line;
    auto add = [&](const json& obj, const char* what) {
      if (!obj.is_object()) return;
      for (const auto& [k, v] : obj.items()) {
        if (!v.is_number()) continue;
        const bool tokens = k.find("token") != std::string::npos && !k.ends_with("_sum") && !k.ends_with("_count");
        const bool load = IsGauge(k);
        const bool other = k.find("preempt") != std::string::npos || k.find("prefix_cache") != std::string::npos;
        if (tokens || load || other)
          line += (line.empty() ? "" : ", ") + k + " " + what +
                  FormatFixed(v.get<double>(), load && v.get<double>() < 10 ? 2 : 0);
      }
    };
    add(r.server_metrics.value("delta", json()), "+");
    add(r.server_metrics.value("peak", json()), "peak ");
    if (!line.empty()) rep.notes.push_back("server /metrics during the run: " + line);
  }
  if (r.interrupted) {
    rep.notes.push_back("interrupted: " + std::to_string(r.metrics.requests) + " requests measured, " +
                        std::to_string(r.cancelled) + " cancelled in flight and " + std::to_string(r.not_sent) +
                        " never sent (both left out)");
  }
  if (r.errors)
    rep.notes.push_back(std::to_string(r.errors) +
                        " requests failed (counted, not dropped); the first: " + r.first_error);
  const double itl_us = r.metrics.itl_s.median * 1e6;
  rep.notes.push_back(
      "client overhead: " + FormatFixed(r.client_us_per_chunk, 1) + " us per streamed chunk" +
      (itl_us > 0 ? " (" + FormatFixed(100 * r.client_us_per_chunk / itl_us, 2) + "% of the median ITL)" : ""));
  rep.notes.push_back(
      "TTFT from the request's scheduled arrival (queueing included); TPOT = (E2E - TTFT) / (output tokens - 1); ITL "
      "over "
      "every streamed gap, split by usage when a chunk carries several tokens (vllm bench serve's definitions)");
  if (r.run_id) rep.notes.push_back("stored as run " + std::to_string(*r.run_id));
  return rep;
}

}  // namespace tokcast::app

namespace tokcast::app {

std::vector<BenchServeResult> ImportServe(const catalog::Catalog& cat, const ImportServeRequest& req) {
  const std::string text = ReadUserFile(req.file);
  const auto runs = catalog::ParseServeResults(text, req.file, req.tool);
  std::vector<BenchServeResult> out;
  std::vector<json> predict_json;
  for (const auto& run : runs) {
    BenchServeResult r;
    r.url = req.file;
    r.api = "import";
    r.tool = run.tool + (run.version.empty() ? "" : " " + run.version);
    r.model = run.model.empty() ? "unnamed" : run.model;
    r.workload = run.workload;
    r.metrics = run.metrics;
    r.errors = run.metrics.failed;
    r.server = run.backend;
    r.missing = run.missing;
    r.notes = run.notes;
    if (req.predict) {
      SimulateRequest p = *req.predict;
      p.workload = run.workload;
      p.workload.num_requests = std::max<uint64_t>(run.workload.num_requests, 1);
      r.predicted = Simulate(cat, p);
      predict_json.push_back(SimulateRequestJson(p));
    } else {
      predict_json.push_back(json());
    }
    out.push_back(std::move(r));
  }
  if (req.store) {
    for (size_t i = 0; i < out.size(); ++i) {
      auto& r = out[i];
      const report::Report rep = BenchServeReport(r);
      json result = {{"file", std::filesystem::absolute(req.file).string()}, {"tool", r.tool}, {"rows", rep.rows}};
      if (!predict_json[i].is_null()) result["predict_request"] = predict_json[i];
      r.run_id = StoreRun(req.db_path, "bench-serve", json{{"imported_from", req.file}, {"tool", r.tool}}, result, {});
    }
  }
  return out;
}

report::Report ImportServeReport(const std::vector<BenchServeResult>& runs) {
  report::Report rep;
  rep.schema = &report::kinds::BenchServe();
  for (const auto& r : runs) {
    report::Report one = BenchServeReport(r);
    if (rep.title.empty()) rep.title = one.title;
    for (auto& row : one.rows) rep.rows.push_back(std::move(row));
    for (auto& n : one.notes) {
      if (std::find(rep.notes.begin(), rep.notes.end(), n) == rep.notes.end()) rep.notes.push_back(std::move(n));
    }
  }
  if (runs.size() > 1)
    rep.title = runs.front().url + ": " + std::to_string(runs.size()) + " runs (" + runs.front().tool + ")";
  return rep;
}

}  // namespace tokcast::app
