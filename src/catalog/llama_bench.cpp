#include "catalog/llama_bench.h"

#include <algorithm>
#include <cmath>

#include <sstream>

#include <nlohmann/json.hpp>

#include "catalog/error.h"
#include "catalog/json_lines.h"
#include "catalog/measurements.h"
#include "core/text.h"

namespace tokcast::catalog {
namespace {

using nlohmann::json;

// llama_model_ftype_name() strings -> catalog quant ids.
std::string QuantFromModelType(const std::string& model_type) {
  static const std::pair<const char*, const char*> kMap[] = {{"Q4_K - Medium", "q4_k_m"},
                                                             {"Q4_K - Small", "q4_k_s"},
                                                             {"Q5_K - Medium", "q5_k_m"},
                                                             {"Q5_K - Small", "q5_k_s"},
                                                             {"Q3_K - Medium", "q3_k_m"},
                                                             {"Q3_K - Small", "q3_k_s"},
                                                             {"Q6_K", "q6_k"},
                                                             {"Q2_K", "q2_k"},
                                                             {"Q8_0", "q8_0"},
                                                             {"Q4_0", "q4_0"},
                                                             {"Q4_1", "q4_1"},
                                                             {"Q5_0", "q5_0"},
                                                             {"Q5_1", "q5_1"},
                                                             {"BF16", "bf16"},
                                                             {"F16", "f16"},
                                                             {"F32", "f32"},
                                                             {"MXFP4", "mxfp4"},
                                                             {"IQ4_XS", "iq4_xs"},
                                                             {"IQ2_XXS", "iq2_xxs"}};
  for (const auto& [k, v] : kMap) {
    if (model_type.find(k) != std::string::npos) return v;
  }
  return "";
}

std::string RuntimeFromBackends(const std::string& b) {
  const std::string l = ToLower(b);
  if (l.find("cuda") != std::string::npos) return "llama.cpp-cuda";
  if (l.find("metal") != std::string::npos || l.find("mtl") != std::string::npos) return "llama.cpp-metal";
  if (l.find("rocm") != std::string::npos || l.find("hip") != std::string::npos) return "llama.cpp-rocm";
  if (l.find("vulkan") != std::string::npos) return "llama.cpp-vulkan";
  if (l.find("cpu") != std::string::npos || l.find("blas") != std::string::npos) return "llama.cpp-cpu";
  return "";
}

// Values arrive as JSON numbers/bools or as CSV strings.
std::string Str(const json& o, const char* k) {
  if (!o.contains(k) || o[k].is_null()) return "";
  return o[k].is_string() ? o[k].get<std::string>() : o[k].dump();
}
double Num(const json& o, const char* k, const std::string& where) {
  const std::string s = Str(o, k);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v))
    throw InputError(where + ": field '" + k + "': expected a finite number, got '" + s + "'");
  return v;
}

MeasuredRow ToRow(const json& o, const std::string& where, const LlamaBenchIds& ids) {
  MeasuredRow r;
  for (const char* k : {"n_prompt", "n_gen", "avg_ts", "backends", "model_type"}) {
    if (!o.contains(k)) throw InputError(where + ": not llama-bench output (no '" + std::string(k) + "' field)");
  }
  const double n_prompt = Num(o, "n_prompt", where), n_gen = Num(o, "n_gen", where);
  const double depth = o.contains("n_depth") ? Num(o, "n_depth", where) : 0;
  if (n_prompt < 0 || n_gen < 0 || depth < 0 || n_prompt > 1e8 || n_gen > 1e8 || depth > 1e9) {
    throw InputError(where + ": absurd n_prompt / n_gen / n_depth");
  }
  if (n_prompt > 0 && n_gen > 0) {
    r.test = "pp+tg";  // -pg tests: not a single-phase rate
  } else {
    r.test = n_prompt > 0 ? "pp" : "tg";
  }
  if (n_prompt > 0) r.n_prompt = static_cast<uint64_t>(n_prompt);
  if (n_gen > 0) r.n_gen = static_cast<uint64_t>(n_gen);
  r.depth = static_cast<uint64_t>(depth);
  r.batch = 1;
  r.value = Num(o, "avg_ts", where);
  if (!(r.value > 0)) throw InputError(where + ": avg_ts must be positive");
  r.unit = "tok/s";
  r.hardware = ids.hardware;
  r.model = ids.model;
  r.quant = ids.quant.empty() ? QuantFromModelType(Str(o, "model_type")) : ids.quant;
  r.runtime = ids.runtime.empty() ? RuntimeFromBackends(Str(o, "backends")) : ids.runtime;
  if (r.quant.empty())
    throw InputError(where + ": cannot tell the quant from '" + Str(o, "model_type") + "'; name the quant id");
  if (r.runtime.empty())
    throw InputError(where + ": cannot tell the runtime from '" + Str(o, "backends") + "'; name the runtime id");
  r.source_id = "llama-bench";
  std::ostringstream notes;
  notes << "build: " << Str(o, "build_commit") << " (" << Str(o, "build_number")
        << "); model_type: " << Str(o, "model_type") << "; size: " << Str(o, "model_size")
        << " B; flags: fa=" << (Str(o, "flash_attn") == "true" || Str(o, "flash_attn") == "1" ? 1 : 0)
        << ", ub=" << Str(o, "n_ubatch") << ", b=" << Str(o, "n_batch") << ", ngl=" << Str(o, "n_gpu_layers")
        << ", threads=" << Str(o, "n_threads") << "; sd: " << Str(o, "stddev_ts") << "; cpu: " << Str(o, "cpu_info")
        << "; gpu: " << Str(o, "gpu_info") << "; time: " << Str(o, "test_time");
  r.notes = notes.str();
  return r;
}

}  // namespace

namespace {

std::vector<std::string> MarkdownCells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line.substr(1));
  for (std::string cell; std::getline(ss, cell, '|');) cells.push_back(Trim(cell));
  if (!cells.empty() && cells.back().empty() && line.back() == '|') cells.pop_back();
  return cells;
}

// "pp512", "tg128", "pp512+tg128", "pp512 @ d1024": the sizes into the record.
bool ParseTestName(const std::string& test, json& o) {
  std::string t = test, depth = "0";
  if (auto at = t.find(" @ d"); at != std::string::npos) {
    depth = t.substr(at + 4);
    t = t.substr(0, at);
  }
  std::string pp = "0", tg = "0";
  auto digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (auto plus = t.find("+tg"); plus != std::string::npos && t.rfind("pp", 0) == 0) {
    pp = t.substr(2, plus - 2);
    tg = t.substr(plus + 3);
  } else if (t.rfind("pp", 0) == 0) {
    pp = t.substr(2);
  } else if (t.rfind("tg", 0) == 0) {
    tg = t.substr(2);
  } else {
    return false;
  }
  if (!digits(pp) || !digits(tg) || !digits(depth)) return false;
  o["n_prompt"] = pp;
  o["n_gen"] = tg;
  o["n_depth"] = depth;
  return true;
}

void ParseMarkdown(const std::string& text, const std::string& origin, const LlamaBenchIds& ids,
                   std::vector<MeasuredRow>& rows) {
  std::istringstream in(text);
  std::string line, build_commit, build_number;
  std::vector<std::string> header;
  std::vector<std::pair<size_t, json>> records;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.rfind("build: ", 0) == 0) {  // "build: 8b3d4c5 (5431)"
      std::istringstream b(line.substr(7));
      b >> build_commit >> build_number;
      if (build_number.size() > 2) build_number = build_number.substr(1, build_number.size() - 2);
      continue;
    }
    if (line.empty() || line[0] != '|') continue;
    const auto cells = MarkdownCells(line);
    if (header.empty()) {
      header = cells;
      continue;
    }
    if (!cells.empty() && cells[0].find("---") != std::string::npos) continue;
    const std::string where = origin + ":" + std::to_string(n);
    if (cells.size() != header.size()) {
      throw InputError(where + ": " + std::to_string(cells.size()) + " cells, the header has " +
                       std::to_string(header.size()));
    }
    json o = json::object();
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string& h = header[i];
      const std::string& v = cells[i];
      if (h == "model") {
        o["model_type"] = v;
      } else if (h == "backend") {
        o["backends"] = v;
      } else if (h == "threads") {
        o["n_threads"] = v;
      } else if (h == "ngl") {
        o["n_gpu_layers"] = v;
      } else if (h == "fa") {
        o["flash_attn"] = v;
      } else if (h == "size") {
        o["model_size"] = v;
      } else if (h == "test") {
        if (!ParseTestName(v, o)) throw InputError(where + ": unknown test '" + v + "'");
      } else if (h == "t/s") {  // "95.12 ± 0.55"
        const auto pm = v.find("\u00b1");
        o["avg_ts"] = Trim(v.substr(0, pm));
        if (pm != std::string::npos) o["stddev_ts"] = Trim(v.substr(pm + 2));
      } else {
        o[h] = v;
      }
    }
    records.emplace_back(n, std::move(o));
  }
  if (header.empty() || std::find(header.begin(), header.end(), "t/s") == header.end() ||
      std::find(header.begin(), header.end(), "test") == header.end()) {
    throw InputError(origin + ": not llama-bench's markdown table (no test and t/s columns)");
  }
  for (auto& [n, o] : records) {
    o["build_commit"] = build_commit;
    o["build_number"] = build_number;
    rows.push_back(ToRow(o, origin + ":" + std::to_string(n), ids));
  }
}

}  // namespace

std::vector<MeasuredRow> ParseLlamaBench(const std::string& text, const std::string& origin, const LlamaBenchIds& ids) {
  if (ids.hardware.empty() || ids.model.empty()) {
    throw InputError("llama-bench output names no catalog ids: name the hardware and model ids");
  }
  std::vector<MeasuredRow> rows;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw InputError(origin + ": empty file");
  if (text[first] == '[') {  // JSON array
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) throw InputError(origin + ": not a JSON array");
    for (size_t i = 0; i < j.size(); ++i) {
      if (!j[i].is_object()) throw InputError(origin + ": record " + std::to_string(i + 1) + " is not an object");
      rows.push_back(ToRow(j[i], origin + ": record " + std::to_string(i + 1), ids));
    }
  } else if (text[first] == '{') {  // JSONL
    ForEachJsonLine(text, origin,
                    [&](const json& j, const std::string& where) { rows.push_back(ToRow(j, where, ids)); });
  } else if (text[first] == '|') {  // -o md: the markdown table, then "build: COMMIT (NUMBER)"
    ParseMarkdown(text, origin, ids, rows);
  } else {  // CSV with a header
    std::istringstream in(text);
    std::string header_line;
    std::getline(in, header_line);
    auto split = [&](const std::string& line, size_t n) {
      std::vector<std::string> f(1);
      bool q = false;
      for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (q) {
          if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            f.back() += '"';
            ++i;
          } else if (c == '"') {
            q = false;
          } else {
            f.back() += c;
          }
        } else if (c == '"') {
          q = true;
        } else if (c == ',') {
          f.emplace_back();
        } else if (c != '\r') {
          f.back() += c;
        }
      }
      if (q) throw InputError(origin + ":" + std::to_string(n) + ": unterminated quote");
      return f;
    };
    const auto header = split(header_line, 1);
    std::string line;
    for (size_t n = 2; std::getline(in, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const auto f = split(line, n);
      if (f.size() != header.size()) {
        throw InputError(origin + ":" + std::to_string(n) + ": " + std::to_string(f.size()) +
                         " fields, the header has " + std::to_string(header.size()));
      }
      json o = json::object();
      for (size_t i = 0; i < f.size(); ++i) o[header[i]] = f[i];
      rows.push_back(ToRow(o, origin + ":" + std::to_string(n), ids));
    }
  }
  if (rows.empty()) throw InputError(origin + ": no llama-bench records");
  return rows;
}

}  // namespace tokcast::catalog
