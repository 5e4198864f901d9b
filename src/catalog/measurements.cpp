#include "catalog/measurements.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <tuple>

#include <toml++/toml.h>

#include "catalog/builtin_catalog.h"
#include "catalog/error.h"
#include "core/text.h"

namespace tokcast::catalog {
namespace {

const char* const kColumns[] = {"hardware", "device_count", "runtime",   "model",      "quant",
                                "test",     "n_prompt",     "n_gen",     "depth",      "batch",
                                "value",    "unit",         "source_id", "source_url", "notes"};

// Splits one CSV record starting at `pos`; advances past its line end.
std::vector<std::string> Record(std::string_view text, size_t& pos, size_t& line, const std::string& origin) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  const size_t start_line = line;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          fields.back() += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++line;
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) throw InputError(origin + ":" + std::to_string(start_line) + ": unterminated quoted field");
  return fields;
}

std::optional<uint64_t> OptInt(const std::string& v, const std::string& where, const char* col) {
  if (v.empty()) return std::nullopt;
  if (v.find_first_not_of("0123456789") != std::string::npos || v.size() > 12) {
    throw InputError(where + ": column " + col + ": expected a whole number, got '" + v + "'");
  }
  return std::stoull(v);
}

// Optional serving columns, by header name; unknown columns are ignored.
void ReadServingColumns(const std::map<std::string, size_t>& col, const std::vector<std::string>& f,
                        const std::string& where, MeasuredRow& r) {
  auto text = [&](const char* c) -> std::string {
    auto it = col.find(c);
    return it == col.end() ? std::string() : f[it->second];
  };
  auto small = [&](const char* c) -> std::optional<uint32_t> {
    const auto v = OptInt(text(c), where, c);
    if (v && (*v == 0 || *v > 1024)) throw InputError(where + ": column " + c + ": must be in 1..1024");
    return v ? std::optional<uint32_t>(static_cast<uint32_t>(*v)) : std::nullopt;
  };
  auto rate = [&](const char* c) -> std::optional<double> {
    const std::string v = text(c);
    if (v.empty()) return std::nullopt;
    if (v == "inf") return std::numeric_limits<double>::infinity();
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (end != v.c_str() + v.size() || !std::isfinite(d) || d <= 0 || d > 1e7) {
      throw InputError(where + ": column " + c + ": expected a positive number or inf, got '" + v + "'");
    }
    return d;
  };
  r.tp = small("tp");
  r.pp = small("pp");
  r.ep = small("ep");
  r.concurrency = rate("concurrency");
  r.request_rate = rate("request_rate");
  r.num_requests = OptInt(text("num_requests"), where, "num_requests");
  if (r.num_requests && (*r.num_requests == 0 || *r.num_requests > 10'000'000)) {
    throw InputError(where + ": column num_requests: must be in 1..10000000");
  }
  r.n_gen_min = OptInt(text("n_gen_min"), where, "n_gen_min");
  if (r.n_gen_min && (*r.n_gen_min == 0 || !r.n_gen || *r.n_gen_min > *r.n_gen)) {
    throw InputError(where + ": column n_gen_min: must be in 1..n_gen");
  }
  r.kv_type = text("kv_type");
}

// The build that ran a row: columns build ("b3622", "3622") and date, else the notes'
// "build: <commit> (<number>)" and the first ISO date in them.
void ReadVersionColumns(const std::map<std::string, size_t>& col, const std::vector<std::string>& f,
                        const std::string& where, MeasuredRow& r) {
  auto text = [&](const char* c) -> std::string {
    auto it = col.find(c);
    return it == col.end() ? std::string() : f[it->second];
  };
  std::string build = text("build");
  if (!build.empty() && (build[0] == 'b' || build[0] == 'B')) build.erase(0, 1);
  if (const auto v = OptInt(build, where, "build")) {
    if (*v == 0 || *v > 10'000'000) throw InputError(where + ": column build: must be in 1..10000000");
    r.build = static_cast<uint32_t>(*v);
  }
  if (const std::string date = text("date"); !date.empty()) {
    r.day = ParseIsoDay(date);
    if (!r.day) throw InputError(where + ": column date: expected YYYY-MM-DD or YYYY-MM, got '" + date + "'");
  }
  static const std::regex kBuild(R"(build: [0-9a-fA-F]+ \((\d{1,7})\))");
  static const std::regex kDate(R"((?:^|[^0-9])(20\d\d-\d\d(?:-\d\d)?)(?:[^0-9]|$))");
  std::smatch m;
  if (!r.build && std::regex_search(r.notes, m, kBuild)) r.build = static_cast<uint32_t>(std::stoul(m[1].str()));
  if (!r.day && std::regex_search(r.notes, m, kDate)) r.day = ParseIsoDay(m[1].str());
}

}  // namespace

void RequireRegularFile(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw InputError(path + ": no such file");
  if (std::filesystem::is_directory(st)) throw InputError(path + ": is a directory, not a file");
  if (!std::filesystem::is_regular_file(st)) throw InputError(path + ": not a regular file (a pipe or a device?)");
}

std::vector<MeasuredRow> ParseMeasurementsCsv(std::string_view text, const std::string& origin) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte-order mark
  size_t pos = 0, line = 1;
  const auto header = Record(text, pos, line, origin);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* c : kColumns) {
    if (!col.count(c)) throw InputError(origin + ":1: missing column '" + std::string(c) + "'");
  }
  std::vector<MeasuredRow> rows;
  while (pos < text.size()) {
    const size_t this_line = line;
    const auto f = Record(text, pos, line, origin);
    if (f.size() == 1 && f[0].empty()) continue;
    const std::string where = origin + ":" + std::to_string(this_line);
    if (f.size() != header.size()) {
      throw InputError(where + ": " + std::to_string(f.size()) + " fields, the header has " +
                       std::to_string(header.size()));
    }
    auto get = [&](const char* c) { return f[col[c]]; };
    MeasuredRow r;
    r.line = this_line;
    r.hardware = get("hardware");
    r.runtime = get("runtime");
    r.model = get("model");
    r.quant = get("quant");
    r.test = get("test");
    r.unit = get("unit");
    r.source_id = get("source_id");
    r.source_url = get("source_url");
    r.notes = get("notes");
    const auto dc = OptInt(get("device_count"), where, "device_count");
    r.device_count = static_cast<uint32_t>(dc.value_or(1));
    if (r.device_count == 0 || r.device_count > 1024) throw InputError(where + ": device_count must be in 1..1024");
    r.n_prompt = OptInt(get("n_prompt"), where, "n_prompt");
    r.n_gen = OptInt(get("n_gen"), where, "n_gen");
    r.depth = OptInt(get("depth"), where, "depth");
    r.batch = OptInt(get("batch"), where, "batch");
    for (auto [v, name, max] :
         {std::tuple{r.n_prompt, "n_prompt", 100'000'000ull}, std::tuple{r.n_gen, "n_gen", 100'000'000ull},
          std::tuple{r.depth, "depth", 100'000'000ull}, std::tuple{r.batch, "batch", 1'000'000ull}}) {
      if (v && *v > max) throw InputError(where + ": column " + name + ": must be at most " + std::to_string(max));
    }
    const std::string v = get("value");
    char* end = nullptr;
    r.value = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(r.value) || r.value <= 0) {
      throw InputError(where + ": column value: expected a positive number, got '" + v + "'");
    }
    if (!TestKindFromString(r.test)) {
      throw InputError(where +
                       ": column test: expected pp, tg, tg_batch, throughput, ttft_s or a serving metric "
                       "(ttft_ms_p99, tpot_ms_mean, request_throughput, ...), got '" +
                       r.test + "'");
    }
    ReadServingColumns(col, f, where, r);
    ReadVersionColumns(col, f, where, r);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<MeasuredRow> LoadMeasurementsCsv(const std::filesystem::path& path) {
  RequireRegularFile(path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseMeasurementsCsv(ss.str(), path.string());
}

namespace {
// A TOML document, or InputError naming the file and line.
toml::table ParseToml(std::string_view text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& err) {
    throw InputError(origin + ":" + std::to_string(err.source().begin.line) +
                     ": malformed TOML: " + std::string(err.description()));
  }
}
}  // namespace

EfficiencyProfile ParseEfficiencyProfile(std::string_view text, const std::string& origin) {
  const toml::table t = ParseToml(text, origin);
  EfficiencyProfile p;
  auto entries = t["entries"].as_table();
  if (!entries) throw InputError(origin + ": needs an [entries] table");
  for (const auto& [key, node] : *entries) {
    const auto* e = node.as_table();
    const std::string k(key.str());
    if (!e) throw InputError(origin + ": entries." + k + " must be a table");
    Efficiency eff;
    auto num = [&](const char* name, double& field, double lo, double hi) {
      if (auto v = (*e)[name].value<double>()) {
        if (!(*v >= lo && *v <= hi)) {
          throw InputError(origin + ": entries.\"" + k + "\"." + name + " must be in [" + FormatFixed(lo, 6) + ", " +
                           FormatFixed(hi, 2) + "]");
        }
        field = *v;
      }
    };
    num("memory", eff.memory, 1e-3, 1);
    num("compute", eff.compute, 1e-3, 1);
    eff.dense_compute = eff.compute;  // profiles written before the two were fitted apart
    num("dense_compute", eff.dense_compute, 1e-3, 1);
    num("attention", eff.attention, 1e-3, 1);
    eff.decode_attention = eff.attention;  // profiles written before the two were fitted apart
    num("decode_attention", eff.decode_attention, 1e-3, 1);
    num("decode_compute", eff.decode_compute, 1e-3, 1);
    num("alu_per_gemm_flop", eff.alu_per_gemm_flop, 0, 100);
    num("moe_tokens_half", eff.moe_tokens_half, 0, 1e6);
    num("gemm_tokens_half", eff.gemm_tokens_half, 0, 1e6);
    num("moe_layer_overhead_s", eff.moe_layer_overhead_s, 0, 1);
    num("multi_die_memory", eff.multi_die_memory, 1e-3, 1);
    num("layer_overhead_s", eff.layer_overhead_s, 0, 1);
    num("host_memory", eff.host_memory, 1e-3, 1);
    num("host_compute", eff.host_compute, 1e-3, 1);
    num("link", eff.link, 1e-3, 1);
    if (auto dq = (*e)["dequant_flops_per_weight"].as_table()) {
      for (const auto& [tn, v] : *dq) {
        auto d = v.value<double>();
        if (!d || *d < 0 || *d > 1e4)
          throw InputError(origin + ": dequant_flops_per_weight." + std::string(tn.str()) + " must be in [0, 1e4]");
        eff.dequant_flops_per_weight[std::string(tn.str())] = *d;
      }
    }
    if (auto b = (*e)["based_on"].value<std::string>()) eff.based_on = *b;
    if (auto b = (*e)["prefill_from"].value<std::string>()) eff.prefill_from = *b;
    if (auto vs = (*e)["fitted_vendors"].as_array()) {
      for (const auto& v : *vs) {
        auto str = v.value<std::string>();
        if (!str) throw InputError(origin + ": entries.\"" + k + "\".fitted_vendors must list strings");
        eff.fitted_vendors.push_back(*str);
      }
    }
    p.entries[k] = eff;
  }
  if (const auto* serving = t["serving"].as_table()) {
    for (const auto& [key, node] : *serving) {
      const auto* e = node.as_table();
      const std::string k(key.str());
      if (!e) throw InputError(origin + ": serving." + k + " must be a table");
      ServingOverheads o;
      auto num = [&](const char* name, double& field, double hi) {
        if (auto v = (*e)[name].value<double>()) {
          if (!(*v >= 0 && *v <= hi))
            throw InputError(origin + ": serving.\"" + k + "\"." + name + " must be in [0, " + FormatFixed(hi, 0) +
                             "]");
          field = *v;
        }
      };
      num("step_overhead_s", o.step_s, 10);
      num("seq_overhead_s", o.seq_s, 1);
      num("frontend_s", o.frontend_s, 10);
      num("request_overhead_s", o.request_s, 100);
      num("loss_before", o.loss_before, 1e3);
      num("loss_after", o.loss_after, 1e3);
      double runs = 0;
      num("runs", runs, 1e9);
      o.runs = static_cast<uint32_t>(runs);
      p.serving[k] = o;
    }
  }
  if (const auto* factors = t["factors"].as_table()) {
    for (const auto& [key, node] : *factors) {
      const auto* e = node.as_table();
      const std::string k(key.str());
      if (!e) throw InputError(origin + ": factors." + k + " must be a table");
      SpeedFactors f;
      for (auto [name, field] : {std::pair{"compute", &f.compute}, std::pair{"memory", &f.memory}}) {
        const auto v = (*e)[name].value<double>();
        if (!v || !(*v > 0.05 && *v <= 2))
          throw InputError(origin + ": factors.\"" + k + "\"." + name + " must be a number in (0.05, 2]");
        *field = *v;
      }
      const double rows = (*e)["rows"].value_or(0.0);
      if (!(rows >= 0 && rows < 1e9)) throw InputError(origin + ": factors.\"" + k + "\".rows must be a count");
      f.rows = static_cast<uint32_t>(rows);
      p.factors[k] = f;
    }
  }
  return p;
}

std::string SerializeEfficiencyProfile(const EfficiencyProfile& p, const std::vector<std::string>& header) {
  std::ostringstream os;
  for (const auto& h : header) os << "# " << h << '\n';
  for (const auto& n : p.notes) os << "# " << n << '\n';
  os << "schema_version = 1\n";
  auto num = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6g", v);
    return std::string(buf);
  };
  for (const auto& [key, e] : p.entries) {
    os << "\n[entries.\"" << key << "\"]\n";
    os << "memory = " << num(e.memory) << '\n';
    os << "compute = " << num(e.compute) << '\n';
    os << "dense_compute = " << num(e.dense_compute) << '\n';
    os << "attention = " << num(e.attention) << '\n';
    os << "decode_attention = " << num(e.decode_attention) << '\n';
    os << "decode_compute = " << num(e.decode_compute) << '\n';
    os << "alu_per_gemm_flop = " << num(e.alu_per_gemm_flop) << '\n';
    os << "moe_tokens_half = " << num(e.moe_tokens_half) << '\n';
    os << "gemm_tokens_half = " << num(e.gemm_tokens_half) << '\n';
    os << "moe_layer_overhead_s = " << num(e.moe_layer_overhead_s) << '\n';
    os << "multi_die_memory = " << num(e.multi_die_memory) << '\n';
    os << "layer_overhead_s = " << num(e.layer_overhead_s) << '\n';
    os << "host_memory = " << num(e.host_memory) << '\n';
    os << "host_compute = " << num(e.host_compute) << '\n';
    os << "link = " << num(e.link) << '\n';
    if (!e.dequant_flops_per_weight.empty()) {
      os << "dequant_flops_per_weight = {";
      bool first = true;
      for (const auto& [t, v] : e.dequant_flops_per_weight) {
        os << (first ? " " : ", ") << (t == "*" ? "\"*\"" : t) << " = " << num(v);
        first = false;
      }
      os << " }\n";
    }
    if (!e.fitted_vendors.empty()) {
      os << "fitted_vendors = [";
      for (size_t i = 0; i < e.fitted_vendors.size(); ++i) os << (i ? ", " : "") << '"' << e.fitted_vendors[i] << '"';
      os << "]\n";
    }
    if (!e.based_on.empty()) os << "based_on = \"" << e.based_on << "\"\n";
    if (!e.prefill_from.empty()) os << "prefill_from = \"" << e.prefill_from << "\"\n";
  }
  for (const auto& [rt, o] : p.serving) {
    os << "\n# " << rt << "'s serving overheads, fitted to " << o.runs
       << " published runs (median |ln(predicted/measured)| per "
       << "test kind, averaged: " << num(o.loss_before) << " with the runtime's priors, " << num(o.loss_after)
       << " fitted)\n";
    os << "[serving.\"" << rt << "\"]\n";
    os << "step_overhead_s = " << num(o.step_s) << '\n';
    os << "seq_overhead_s = " << num(o.seq_s) << '\n';
    os << "frontend_s = " << num(o.frontend_s) << '\n';
    os << "request_overhead_s = " << num(o.request_s) << '\n';
    os << "runs = " << o.runs << '\n';
    os << "loss_before = " << num(o.loss_before) << '\n';
    os << "loss_after = " << num(o.loss_after) << '\n';
  }
  for (const auto& [key, f] : p.factors) {
    os << "\n# speed relative to the entry it applies to, fitted on " << f.rows << " rows\n";
    os << "[factors.\"" << key << "\"]\n";
    os << "compute = " << num(f.compute) << '\n';
    os << "memory = " << num(f.memory) << '\n';
    os << "rows = " << f.rows << '\n';
  }
  return os.str();
}

EfficiencyProfile BuiltinEfficiencyProfile() {
  for (const auto& f : BuiltinFiles()) {
    if (f.path == "efficiency/default.toml") return ParseEfficiencyProfile(f.content, "data/efficiency/default.toml");
  }
  return EfficiencyProfile{};
}

EfficiencyProfile PriorEfficiencyProfile() {
  for (const auto& f : BuiltinFiles()) {
    if (f.path == "efficiency/priors.toml") return ParseEfficiencyProfile(f.content, "data/efficiency/priors.toml");
  }
  return EfficiencyProfile{};
}

std::vector<MeasuredRow> BuiltinMeasurements() {
  std::vector<MeasuredRow> rows;
  for (const auto& f : BuiltinFiles()) {
    if (f.path.rfind("validation/", 0) != 0 || !f.path.ends_with(".csv")) continue;
    auto more = ParseMeasurementsCsv(f.content, "data/" + std::string(f.path));
    rows.insert(rows.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return rows;
}

PredictionIntervals ParseIntervals(std::string_view text, const std::string& origin) {
  const toml::table t = ParseToml(text, origin);
  PredictionIntervals out;
  out.coverage = t["coverage"].value_or(0.8);
  if (!(out.coverage > 0 && out.coverage < 1)) throw InputError(origin + ": coverage must be in (0, 1)");
  if (!t["kinds"].as_table()) throw InputError(origin + ": needs a [kinds] table");
  for (const char* section : {"kinds", "stand_in"}) {
    const auto* kinds = t[section].as_table();
    if (!kinds) continue;
    auto& bands = std::string_view(section) == "kinds" ? out.kinds : out.stand_in;
    for (const auto& [key, node] : *kinds) {
      const std::string k(key.str());
      const std::string where = origin + ": " + section + "." + k;
      const auto kind = TestKindFromString(k);
      const auto* e = node.as_table();
      if (!kind || !e) throw InputError(where + ": not a test kind table");
      IntervalBand b;
      b.low = (*e)["low"].value_or(NAN);
      b.high = (*e)["high"].value_or(NAN);
      const int64_t rows = (*e)["rows"].value_or(int64_t{0});
      if (!(b.low > 0 && b.low <= 1) || !(b.high >= 1 && b.high < 1000) || rows < 0) {
        throw InputError(where + ": low must be in (0, 1], high in [1, 1000), rows >= 0");
      }
      b.rows = static_cast<size_t>(rows);
      bands[*kind] = b;
    }
  }
  return out;
}

std::string SerializeIntervals(const PredictionIntervals& p, const std::vector<std::string>& header) {
  std::ostringstream os;
  for (const auto& h : header) os << "# " << h << '\n';
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g", p.coverage);
  os << "schema_version = 1\ncoverage = " << buf << '\n';
  for (const auto& [section, bands] : {std::pair{"kinds", &p.kinds}, std::pair{"stand_in", &p.stand_in}}) {
    for (const auto& [kind, b] : *bands) {
      os << "\n[" << section << '.' << ToString(kind) << "]\n";
      std::snprintf(buf, sizeof(buf), "%.4f", b.low);
      os << "low = " << buf << '\n';
      std::snprintf(buf, sizeof(buf), "%.4f", b.high);
      os << "high = " << buf << '\n';
      os << "rows = " << b.rows << '\n';
    }
  }
  return os.str();
}

const PredictionIntervals& BuiltinIntervals() {
  static const PredictionIntervals intervals = [] {
    for (const auto& f : BuiltinFiles()) {
      if (f.path == "efficiency/intervals.toml") return ParseIntervals(f.content, "data/efficiency/intervals.toml");
    }
    return PredictionIntervals{};
  }();
  return intervals;
}

}  // namespace tokcast::catalog
