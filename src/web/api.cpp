#include "web/api.h"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/catalog_views.h"
#include "app/fit.h"
#include "app/plan.h"
#include "app/predict.h"
#include "app/results.h"
#include "app/session.h"
#include "app/simulate.h"
#include "app/sweep.h"
#include "catalog/error.h"
#include "catalog/gguf.h"
#include "catalog/hf_config.h"
#include "catalog/model_source.h"
#include "core/text.h"
#include "report/schema.h"

namespace tokcast::web {

namespace {

using nlohmann::json;
using Fields = std::map<std::string, std::string>;

struct HttpError {
  int status;
  std::string message;
};

[[noreturn]] void Fail(int status, std::string message) {
  throw HttpError{status, std::move(message)};
}

std::string Norm(std::string key) {
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

std::string ValueText(const json& v, const std::string& key) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  if (v.is_array()) {
    std::string out;
    for (const auto& item : v) {
      if (item.is_array() || item.is_object()) Fail(400, "field '" + key + "': a list of plain values");
      if (!out.empty()) out += ',';
      out += ValueText(item, key);
    }
    return out;
  }
  Fail(400, "field '" + key + "': expected a string, number, boolean or list");
}

// What one call asks for: its fields, and a model it uploaded.
struct Call {
  Fields fields;
  std::shared_ptr<const catalog::Catalog> cat;  // the catalog, plus the upload if any
  bool uploaded = false;

  bool Has(const char* k) const { return fields.count(k) && !fields.at(k).empty(); }
  std::string Get(const char* k, const std::string& def = "") const { return Has(k) ? fields.at(k) : def; }
  bool Flag(const char* k) const {
    const std::string v = Get(k);
    if (v.empty() || v == "false" || v == "0" || v == "no") return false;
    if (v == "true" || v == "1" || v == "yes") return true;
    Fail(400, std::string("field '") + k + "': expected true or false");
  }
  std::string Need(const char* k) const {
    if (!Has(k)) Fail(400, std::string("missing field '") + k + "'");
    return fields.at(k);
  }
};

// A model the user names is a catalog id, never a path: canonical ids only reach the app layer.
std::vector<std::string> ModelIds(const Call& c, const char* key = "model") {
  if (c.uploaded) return {"upload"};
  std::vector<std::string> out;
  for (const auto& m : app::SplitList(c.Need(key), key)) out.push_back(c.cat->Model(m).spec.id);
  return out;
}

void Upload(const ApiRequest& r, const ApiLimits& limits, const json* config, Call& c) {
  catalog::ModelEntry e;
  if (config) {
    if (!config->is_object()) Fail(400, "'config' must be a config.json object");
    e.spec = catalog::ModelSpecFromHfConfig(*config, "uploaded config.json");
    e.origin = "uploaded config.json";
  } else {
    if (r.body.size() > limits.max_upload)
      Fail(413, "the upload is larger than " + std::to_string(limits.max_upload >> 20) + " MiB");
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(r.body.data()), r.body.size());
    uint64_t file_size = r.body.size();
    if (c.Has("file_size")) {
      const auto v = app::ParseIntSweep(c.Get("file_size"), "file_size", 1, uint64_t{1} << 50);
      if (v.size() != 1 || v[0] < r.body.size()) Fail(400, "file_size: one size, at least the upload's");
      file_size = v[0];
    }
    const auto header = catalog::ParseGguf(bytes, file_size, "uploaded GGUF");
    auto resolved = catalog::ResolveGguf(header, bytes, "uploaded GGUF");
    e.spec = std::move(resolved.spec);
    e.tensors = std::move(resolved.tensors);
    e.weights_label = resolved.weights_label;
    e.origin = "uploaded GGUF";
  }
  if (c.Has("model")) Fail(400, "give a model id or upload one, not both");
  e.spec.name = e.spec.name.empty() ? "uploaded model" : e.spec.name;
  e.spec.id = "upload";
  auto copy = std::make_shared<catalog::Catalog>(*c.cat);
  copy->AddModel(std::move(e));
  c.cat = std::move(copy);
  c.uploaded = true;
}

Call ReadCall(const ApiRequest& r, const std::vector<std::string>& allowed, const ApiLimits& limits,
              std::shared_ptr<const catalog::Catalog> cat) {
  Call c;
  c.cat = std::move(cat);
  for (const auto& [k, v] : r.query) {
    auto& slot = c.fields[Norm(k)];
    slot = slot.empty() ? v : slot + "," + v;
  }
  std::optional<json> config;
  const bool binary = r.content_type.rfind("application/octet-stream", 0) == 0;
  if (!binary && !r.body.empty()) {
    if (r.body.size() > limits.max_json_body)
      Fail(413, "the request body is larger than " + std::to_string(limits.max_json_body >> 10) + " KiB");
    const json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) Fail(400, "the request body is not a JSON object");
    for (const auto& [k, v] : body.items()) {
      if (k == "config") {
        config = v;
        continue;
      }
      c.fields[Norm(k)] = ValueText(v, k);
    }
  }
  for (const auto& [k, v] : c.fields) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) {
        if (!list.empty()) list += ", ";
        list += a;
      }
      Fail(400, "unknown field '" + k + "'; this endpoint takes: " + list);
    }
  }
  if (binary || config) Upload(r, limits, config ? &*config : nullptr, c);
  return c;
}

void CheckScenarios(std::initializer_list<size_t> sizes, const ApiLimits& limits) {
  double n = 1;
  for (size_t s : sizes) n *= static_cast<double>(std::max<size_t>(s, 1));
  if (n > static_cast<double>(limits.max_scenarios)) {
    Fail(400, "the sweep holds " + std::to_string(static_cast<long long>(n)) + " scenarios; the web API runs up to " +
                  std::to_string(limits.max_scenarios) + " per call (the CLI runs more)");
  }
}

// ---- the endpoints ----

using Runner = std::function<report::Report(const Call&, const ApiLimits&)>;
struct Endpoint {
  std::string path;
  std::string summary;
  std::vector<std::string> fields;
  Runner run;
  bool upload = false;  // takes an uploaded model
};

const std::vector<std::string> kCommon = {"format"};
std::vector<std::string> With(std::vector<std::string> a) {
  a.insert(a.end(), kCommon.begin(), kCommon.end());
  return a;
}

report::Report Fit(const Call& c, const ApiLimits& lim) {
  app::FitRequest r;
  r.models = ModelIds(c);
  r.quants = app::SplitList(c.Get("quant", "q4_k_m"), "quant");
  r.hardware = app::SplitList(c.Need("hw"), "hw");
  if (c.Has("runtime")) r.runtimes = app::SplitList(c.Get("runtime"), "runtime");
  r.ctx = app::ParseIntSweep(c.Get("ctx", "4096"), "ctx", 1, uint64_t{1} << 32);
  r.batch = app::ParseIntSweep(c.Get("batch", "1"), "batch", 1, 1'000'000);
  r.kv_types = app::ParseKvTypes(c.Get("kv_type", "f16"), "kv_type");
  r.devices = app::ParseU32Sweep(c.Get("devices", "1"), "devices", 1, 1024);
  if (c.Has("gpu_usable_fraction"))
    r.usable_fractions = app::ParsePositiveList(c.Get("gpu_usable_fraction"), "gpu_usable_fraction", 1.0);
  if (c.Has("memory_gb")) r.memory_gib = app::ParsePositive(c.Get("memory_gb"), "memory_gb", 1e6);
  if (c.Has("host_memory_gb")) r.host_memory_gib = app::ParsePositive(c.Get("host_memory_gb"), "host_memory_gb", 1e7);
  r.search = !c.Flag("no_search");
  CheckScenarios({r.models.size(), r.quants.size(), r.hardware.size(), r.runtimes.size(), r.ctx.size(), r.batch.size(),
                  r.kv_types.size(), r.devices.size(), r.usable_fractions.size()},
                 lim);
  return app::FitReport(app::Fit(*c.cat, r));
}

app::PredictRequest PredictRequest(const Call& c, const ApiLimits& lim, bool models_optional) {
  app::PredictRequest r;
  if (!models_optional || c.Has("model") || c.uploaded) r.models = ModelIds(c);
  if (c.Has("hw") || !models_optional) r.hardware = app::SplitList(c.Need("hw"), "hw");
  r.quants = app::SplitList(c.Get("quant", "q4_k_m"), "quant");
  if (c.Has("runtime")) r.runtimes = app::SplitList(c.Get("runtime"), "runtime");
  if (c.Has("memory_gb")) r.memory_gib = app::ParsePositive(c.Get("memory_gb"), "memory_gb", 1e6);
  r.prompt = app::ParseIntSweep(c.Get("prompt", "512"), "prompt", 1, 10'000'000);
  r.gen = app::ParseIntSweep(c.Get("gen", "128"), "gen", 0, 10'000'000);
  r.depth = app::ParseIntSweep(c.Get("depth", "0"), "depth", 0, 100'000'000);
  r.batch = app::ParseU32Sweep(c.Get("batch", "1"), "batch", 1, 100'000);
  r.devices = app::ParseU32Sweep(c.Get("devices", "1"), "devices", 1, 1024);
  r.tp = app::ParseU32Sweep(c.Get("tp", "1"), "tp", 1, 1024);
  r.expert_parallel = c.Get("expert_parallel", "0") == "1";
  r.row_split = app::RowSplitFrom(c.Get("split_mode", "layer"), "split_mode");
  r.runtime_version = c.Get("runtime_version");
  if (c.Get("kv_type", "auto") != "auto") r.kv_types = app::ParseKvTypes(c.Get("kv_type"), "kv_type");
  if (c.Has("ubatch")) r.ubatch = app::ParseU32Sweep(c.Get("ubatch"), "ubatch", 1, 1'000'000);
  if (c.Has("n_cpu_moe")) r.n_cpu_moe = app::ParseU32Sweep(c.Get("n_cpu_moe"), "n_cpu_moe", 0, 100'000).front();
  if (c.Has("isl")) r.isl = app::ParseIntSweep(c.Get("isl"), "isl", 1, 10'000'000).front();
  if (c.Has("osl")) r.osl = app::ParseIntSweep(c.Get("osl"), "osl", 1, 10'000'000).front();
  if (c.Has("claim_tg")) r.claim_tg = app::ParsePositive(c.Get("claim_tg"), "claim_tg", 1e9);
  if (c.Has("claim_pp")) r.claim_pp = app::ParsePositive(c.Get("claim_pp"), "claim_pp", 1e9);
  if (c.Has("claim_ttft")) r.claim_ttft = app::ParsePositive(c.Get("claim_ttft"), "claim_ttft", 1e9);
  if (c.Has("amortize_years"))
    r.cost.amortization_years = app::ParsePositive(c.Get("amortize_years"), "amortize_years", 100);
  if (c.Has("usd_per_kwh")) r.cost.usd_per_kwh = app::ParsePositive(c.Get("usd_per_kwh"), "usd_per_kwh", 100);
  if (c.Has("rental_usd_per_hour"))
    r.cost.rental_usd_per_hour = app::ParsePositive(c.Get("rental_usd_per_hour"), "rental_usd_per_hour", 1e6);
  r.sort = c.Get("sort");
  CheckScenarios({r.models.size(), r.hardware.size(), r.quants.size(), r.runtimes.size(), r.prompt.size(), r.gen.size(),
                  r.depth.size(), r.batch.size(), r.devices.size(), r.tp.size(), r.kv_types.size(), r.ubatch.size()},
                 lim);
  return r;
}

const std::vector<std::string> kPredictFields = {"model",
                                                 "quant",
                                                 "hw",
                                                 "runtime",
                                                 "prompt",
                                                 "gen",
                                                 "depth",
                                                 "batch",
                                                 "devices",
                                                 "tp",
                                                 "split_mode",
                                                 "runtime_version",
                                                 "expert_parallel",
                                                 "kv_type",
                                                 "memory_gb",
                                                 "ubatch",
                                                 "n_cpu_moe",
                                                 "isl",
                                                 "osl",
                                                 "claim_tg",
                                                 "claim_pp",
                                                 "claim_ttft",
                                                 "amortize_years",
                                                 "usd_per_kwh",
                                                 "rental_usd_per_hour",
                                                 "sort",
                                                 "file_size"};

report::Report Simulate(const Call& c, const ApiLimits& lim) {
  app::SimulateRequest r;
  r.model = ModelIds(c).front();
  r.hardware = c.cat->Hardware(c.Need("hw")).id;
  r.quant = c.Get("quant");
  r.runtime = c.Get("runtime");
  r.runtime_version = c.Get("runtime_version");
  r.devices = app::ParseU32Sweep(c.Get("devices", "1"), "devices", 1, 1024).front();
  r.tp = app::ParseU32Sweep(c.Get("tp", "1"), "tp", 1, 1024).front();
  if (c.Get("expert_parallel", "0") == "1") r.ep = r.tp;
  if (c.Has("kv_type")) r.kv_type = app::ParseKvTypes(c.Get("kv_type"), "kv_type").front();
  if (c.Has("memory_gb")) r.memory_gib = app::ParsePositive(c.Get("memory_gb"), "memory_gb", 1e6);
  auto& wl = r.workload;
  const auto isl = app::ParseLengthRange(c.Get("isl", "1000"), "isl");
  const auto osl = app::ParseLengthRange(c.Get("osl", "200"), "osl");
  wl.isl = {isl.first, isl.second};
  wl.osl = {osl.first, osl.second};
  wl.num_requests = app::ParseIntSweep(c.Get("num_requests", "1000"), "num_requests", 1, lim.max_requests).front();
  if (c.Has("duration")) wl.duration_s = app::ParsePositive(c.Get("duration"), "duration", 1e6);
  wl.seed = app::ParseIntSweep(c.Get("seed", "0"), "seed", 0, uint64_t{1} << 50).front();
  if (c.Has("slo_ttft_ms")) r.slo.ttft_s = app::ParsePositive(c.Get("slo_ttft_ms"), "slo_ttft_ms", 1e9) / 1e3;
  if (c.Has("slo_tpot_ms")) r.slo.tpot_s = app::ParsePositive(c.Get("slo_tpot_ms"), "slo_tpot_ms", 1e9) / 1e3;
  r.per_request = c.Flag("per_request");
  std::vector<double> loads = {1.0};
  if (c.Has("concurrency")) {
    wl.arrival = serve::Arrival::kClosedLoop;
    loads.clear();
    for (uint32_t v : app::ParseU32Sweep(c.Get("concurrency"), "concurrency", 1, 1'000'000)) loads.push_back(v);
  } else if (c.Flag("offline")) {
    wl.arrival = serve::Arrival::kOffline;
  } else {
    wl.arrival = c.Has("burstiness") ? serve::Arrival::kGamma : serve::Arrival::kPoisson;
    if (c.Has("burstiness")) wl.burstiness = app::ParsePositive(c.Get("burstiness"), "burstiness", 100);
    if (c.Has("request_rate")) loads = app::ParsePositiveList(c.Get("request_rate"), "request_rate", 1e6);
  }
  if (loads.size() > lim.max_loads) Fail(400, "at most " + std::to_string(lim.max_loads) + " loads in one call");
  if (loads.size() > 1 && r.per_request) Fail(400, "per_request shows one run: give one load");
  std::vector<app::SimulateResult> runs;
  for (double load : loads) {
    if (wl.arrival == serve::Arrival::kClosedLoop)
      wl.concurrency = static_cast<uint32_t>(load);
    else
      wl.rate = load;
    runs.push_back(app::Simulate(*c.cat, r));
  }
  return runs.size() == 1 ? app::SimulateReport(runs.front()) : app::SimulateSweepReport(runs);
}

report::Report Plan(const Call& c, const ApiLimits&) {
  app::PlanRequest r;
  r.model = ModelIds(c).front();
  r.hardware = app::SplitList(c.Need("hw"), "hw");
  if (r.hardware.size() > 8) Fail(400, "plan compares up to 8 platforms per call");
  if (c.Has("runtime")) r.runtimes = app::SplitList(c.Get("runtime"), "runtime");
  if (c.Has("quant")) r.quants = app::SplitList(c.Get("quant"), "quant");
  if (c.Has("tp")) r.tp = app::ParseU32Sweep(c.Get("tp"), "tp", 1, 64);
  r.request_rate = app::ParsePositive(c.Get("request_rate", "1"), "request_rate", 1e6);
  const uint32_t isl = app::ParseU32Sweep(c.Get("isl", "1000"), "isl", 1, 10'000'000).front();
  const uint32_t osl = app::ParseU32Sweep(c.Get("osl", "200"), "osl", 1, 10'000'000).front();
  r.isl = {isl, isl};
  r.osl = {osl, osl};
  r.slo_ttft_p99_s = app::ParsePositive(c.Get("slo_ttft_ms", "2000"), "slo_ttft_ms", 1e9) / 1e3;
  r.slo_tpot_p99_s = app::ParsePositive(c.Get("slo_tpot_ms", "50"), "slo_tpot_ms", 1e9) / 1e3;
  r.requests_per_trial = app::ParseIntSweep(c.Get("requests_per_trial", "300"), "requests_per_trial", 20, 2000).front();
  if (c.Has("rental_usd_per_hour"))
    r.cost.rental_usd_per_hour = app::ParsePositive(c.Get("rental_usd_per_hour"), "rental_usd_per_hour", 1e6);
  return app::PlanReport(r, app::Plan(*c.cat, r));
}

const std::vector<Endpoint>& Endpoints() {
  static const std::vector<Endpoint> all = {
      {"fit", "Memory plan: does the model fit, with what offload, up to what context and batch",
       With({"model", "quant", "hw", "runtime", "ctx", "batch", "kv_type", "devices", "gpu_usable_fraction",
             "memory_gb", "host_memory_gb", "no_search", "file_size"}),
       Fit, true},
      {"predict", "Time to first token, prefill and decode speed, energy and cost: expected and bound",
       With(kPredictFields),
       [](const Call& c, const ApiLimits& l) {
         return app::PredictReport(app::Predict(*c.cat, PredictRequest(c, l, false)), false);
       },
       true},
      {"compare", "Platforms side by side (default: the article's scenario, with its claims checked)", With([] {
         auto f = kPredictFields;
         f.push_back("article");
         return f;
       }()),
       [](const Call& c, const ApiLimits& l) {
         return app::PredictReport(app::Compare(*c.cat, PredictRequest(c, l, true), c.Get("article")), true);
       },
       true},
      {"explain", "One scenario operator by operator: FLOPs, bytes, time, and what bounds each",
       With({"model", "quant", "hw", "runtime", "runtime_version", "prompt", "gen", "depth", "batch", "devices", "tp",
             "split_mode", "kv_type", "memory_gb", "file_size"}),
       [](const Call& c, const ApiLimits& l) {
         return app::ExplainReport(app::Explain(*c.cat, PredictRequest(c, l, false)));
       },
       true},
      {"simulate", "Serving under load, step by step: TTFT, TPOT, ITL percentiles, throughput, goodput",
       With({"model",       "hw",           "quant",           "runtime",    "runtime_version",
             "devices",     "tp",           "expert_parallel", "kv_type",    "memory_gb",
             "isl",         "osl",          "request_rate",    "burstiness", "concurrency",
             "offline",     "num_requests", "duration",        "seed",       "slo_ttft_ms",
             "slo_tpot_ms", "per_request",  "file_size"}),
       Simulate, true},
      {"plan", "Fleet sizing: replicas, devices and cost for a request rate within TTFT/TPOT SLOs",
       With({"model", "hw", "runtime", "quant", "tp", "request_rate", "isl", "osl", "slo_ttft_ms", "slo_tpot_ms",
             "requests_per_trial", "rental_usd_per_hour"}),
       Plan, true},
  };
  return all;
}

std::optional<report::Format> FormatOf(const Call& c) {
  const std::string f = c.Get("format", "json");
  auto format = report::FormatFromString(f);
  if (!format || *format == report::Format::kTable)
    Fail(400, "format '" + f + "': expected json, jsonl, csv, md, svg or html");
  return format;
}

const char* ContentType(report::Format f) {
  switch (f) {
    case report::Format::kJson:
      return "application/json";
    case report::Format::kJsonl:
      return "application/x-ndjson";
    case report::Format::kCsv:
      return "text/csv; charset=utf-8";
    case report::Format::kMarkdown:
      return "text/markdown; charset=utf-8";
    case report::Format::kSvg:
      return "image/svg+xml";
    case report::Format::kHtml:
      return "text/html; charset=utf-8";
    case report::Format::kTable:
      return "text/plain; charset=utf-8";
  }
  return "application/json";
}

ApiResponse Rendered(const report::Report& rep, report::Format format) {
  static const report::ReportContext context = app::MakeReportContext();
  report::RenderOptions o;
  o.format = format;
  o.width = 0;
  o.context = context;
  std::ostringstream out;
  try {
    report::Render(rep, o, out);
  } catch (const std::invalid_argument& e) {
    Fail(400, e.what());
  }
  return {200, ContentType(format), out.str()};
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(path);
  while (std::getline(in, part, '/'))
    if (!part.empty()) out.push_back(part);
  return out;
}

ApiResponse Error(int status, const std::string& message) {
  return {status, "application/json", json{{"error", message}, {"status", status}}.dump() + "\n"};
}

}  // namespace

Api::Api(std::shared_ptr<const catalog::Catalog> catalog, std::string db_path, ApiLimits limits)
    : cat_(std::move(catalog)), db_path_(std::move(db_path)), limits_(limits) {}

ApiResponse Api::Handle(const ApiRequest& r) const {
  try {
    const auto parts = Split(r.path);
    if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") Fail(404, "no such endpoint: " + r.path);
    if (r.method != "GET" && r.method != "POST") Fail(405, "use GET or POST");
    const std::string& name = parts[2];
    if (name == "openapi.json" && parts.size() == 3) return {200, "application/json", OpenApiDocument()};
    for (const auto& e : Endpoints()) {
      if (e.path != name) continue;
      if (parts.size() != 3) Fail(404, "no such endpoint: " + r.path);
      const Call c = ReadCall(r, e.fields, limits_, cat_);
      const auto format = FormatOf(c);
      return Rendered(e.run(c, limits_), *format);
    }
    if (name == "catalog") {
      const Call c = ReadCall(r, {"format", "filter", "vendor", "class"}, limits_, cat_);
      const auto format = FormatOf(c);
      if (parts.size() == 4) {
        const auto what = app::ListWhatFromString(parts[3]);
        if (!what) Fail(404, "no such catalog list '" + parts[3] + "': hardware, models, quants or runtimes");
        app::ListRequest lr;
        lr.what = *what;
        lr.filter = c.Get("filter");
        lr.vendor = c.Get("vendor");
        lr.hw_class = c.Get("class");
        return Rendered(app::ListReport(*cat_, app::List(*cat_, lr)), *format);
      }
      if (parts.size() == 5) return Rendered(app::ShowReport(*cat_, app::Show(*cat_, parts[4])), *format);
      Fail(404, "catalog endpoints: /api/v1/catalog/{hardware|models|quants|runtimes}[/{id}]");
    }
    if (name == "results") {
      const Call c = ReadCall(r, {"format", "limit", "kind"}, limits_, cat_);
      const auto format = FormatOf(c);
      app::ResultsRequest rr;
      rr.db_path = db_path_;
      rr.kind = c.Get("kind");
      rr.limit = app::ParseIntSweep(c.Get("limit", "1000"), "limit", 0, 1'000'000).front();
      if (parts.size() == 3) return Rendered(app::ResultsListReport(app::ListResults(rr)), *format);
      if (parts.size() == 4) {
        const auto id = ParseDecimal(parts[3], uint64_t{1} << 62);
        if (!id) Fail(404, "no run '" + parts[3] + "'");
        return Rendered(app::StoredRunReport(app::ShowStoredRun(rr, static_cast<int64_t>(*id))), *format);
      }
      Fail(404, "results endpoints: /api/v1/results[/{id}]");
    }
    Fail(404, "no such endpoint: " + r.path + " (see /api/v1/openapi.json)");
  } catch (const HttpError& e) {
    return Error(e.status, e.message);
  } catch (const catalog::InputError& e) {
    const std::string m = e.what();
    const bool unknown = m.rfind("unknown ", 0) == 0 || m.find("no run ") != std::string::npos ||
                         m.find(": no such run") != std::string::npos;
    return Error(unknown ? 404 : 400, m);
  } catch (const std::bad_alloc&) {
    return Error(500, "out of memory");
  } catch (const std::exception& e) {
    return Error(500, std::string("internal error: ") + e.what());
  }
}

std::string OpenApiDocument() {
  json paths = json::object();
  auto param = [](const std::string& name) {
    return json{{"name", name}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}};
  };
  const json error = {{"description", "the CLI's one-line error"},
                      {"content",
                       {{"application/json",
                         {{"schema",
                           {{"type", "object"},
                            {"properties", {{"error", {{"type", "string"}}}, {"status", {{"type", "integer"}}}}}}}}}}}};
  const json ok = {{"description", "the CLI's report: {schema_version, kind, context, rows, summary?, notes} in JSON"},
                   {"content",
                    {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Report"}}}}},
                     {"text/csv", json::object()},
                     {"image/svg+xml", json::object()},
                     {"text/html", json::object()}}}};
  const json responses = {{"200", ok}, {"400", error}, {"404", error}, {"413", error}, {"500", error}};
  for (const auto& e : Endpoints()) {
    json params = json::array();
    for (const auto& f : e.fields) params.push_back(param(f));
    json body = {
        {"description",
         "the same fields as a JSON object; an uploaded model as \"config\" (a config.json object), or a GGUF file's "
         "head as application/octet-stream"},
        {"content",
         {{"application/json", {{"schema", {{"type", "object"}}}}},
          {"application/octet-stream", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
    paths["/api/v1/" + e.path] = {
        {"get", {{"summary", e.summary}, {"parameters", params}, {"responses", responses}}},
        {"post", {{"summary", e.summary}, {"parameters", params}, {"requestBody", body}, {"responses", responses}}}};
  }
  json list_params = json::array({param("format"), param("filter"), param("vendor"), param("class")});
  paths["/api/v1/catalog/{kind}"] = {
      {"get",
       {{"summary", "List catalog entries: hardware, models, quants or runtimes"},
        {"parameters",
         [&] {
           json p = list_params;
           p.push_back({{"name", "kind"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
           return p;
         }()},
        {"responses", responses}}}};
  paths["/api/v1/catalog/{kind}/{id}"] = {
      {"get",
       {{"summary", "Everything the catalog knows about one entry, with sources"},
        {"parameters",
         {{{"name", "kind"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
          {{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
          param("format")}},
        {"responses", responses}}}};
  paths["/api/v1/results"] = {{"get",
                               {{"summary", "Runs stored by tokcast bench on this machine"},
                                {"parameters", {param("format"), param("limit"), param("kind")}},
                                {"responses", responses}}}};
  paths["/api/v1/results/{id}"] = {
      {"get",
       {{"summary", "One stored run with its measurements"},
        {"parameters",
         {{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}}, param("format")}},
        {"responses", responses}}}};
  const json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "tokcast"},
        {"version", "1"},
        {"description",
         "Will this model fit on that hardware, how fast will it run, how many machines to serve it. Responses are "
         "exactly the CLI's reports; fields are named like its long options."}}},
      {"paths", paths},
      {"components",
       {{"schemas",
         {{"Report",
           {{"type", "object"},
            {"properties",
             {{"schema_version", {{"type", "integer"}}},
              {"kind", {{"type", "string"}}},
              {"context", {{"type", "object"}}},
              {"rows", {{"type", "array"}, {"items", {{"type", "object"}}}}},
              {"summary", {{"type", "object"}}},
              {"notes", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}}}}}}};
  return doc.dump(1) + "\n";
}

}  // namespace tokcast::web
