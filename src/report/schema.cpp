#include "report/schema.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "core/text.h"

namespace tokcast::report {

extern const char* const kGitCommit;  // generated at build time (cmake/GitCommit.cmake)

using nlohmann::json;

std::optional<Format> FormatFromString(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "md" || name == "markdown") return Format::kMarkdown;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  if (name == "jsonl") return Format::kJsonl;
  if (name == "svg") return Format::kSvg;
  if (name == "html") return Format::kHtml;
  return std::nullopt;
}

std::string_view ToString(Format f) {
  switch (f) {
    case Format::kTable:
      return "table";
    case Format::kMarkdown:
      return "md";
    case Format::kCsv:
      return "csv";
    case Format::kJson:
      return "json";
    case Format::kJsonl:
      return "jsonl";
    case Format::kSvg:
      return "svg";
    case Format::kHtml:
      return "html";
  }
  return "table";
}

Field F(std::string name, FieldType type, std::string unit, std::string description) {
  Field f;
  f.name = std::move(name);
  f.type = type;
  f.unit = std::move(unit);
  f.description = std::move(description);
  if (type == FieldType::kRecords) f.show = Show::kNever;
  if (type == FieldType::kInt || type == FieldType::kBool || type == FieldType::kString) f.decimals = 0;
  return f;
}

const Field* Schema::Find(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

json ReportContext::ToJson() const {
  return {{"schema_version", schema_version},
          {"tool_version", tool_version},
          {"git_commit", git_commit},
          {"build_type", build_type},
          {"host",
           {{"cpu", host_cpu},
            {"os", host_os},
            {"arch", host_arch},
            {"logical_cores", host_cores},
            {"memory_bytes", host_memory_bytes}}}};
}

ReportContext ToolContext() {
  ReportContext c;
  c.tool_version = TOKCAST_VERSION;
  c.git_commit = kGitCommit;
  c.build_type = TOKCAST_BUILD_TYPE;
  return c;
}

std::string ContextLine(const ReportContext& c) {
  std::string s = "tokcast " + c.tool_version + " (commit " + c.git_commit + ", " + c.build_type + " build)";
  if (!c.host_cpu.empty()) s += " on " + c.host_cpu;
  if (!c.host_os.empty()) s += ", " + c.host_os;
  return s;
}

std::vector<Leaf> FlattenFields(const std::vector<Field>& fields) {
  std::vector<Leaf> out;
  for (const auto& f : fields) {
    const std::string header = f.header.empty() ? f.name : f.header;
    switch (f.type) {
      case FieldType::kPair:
        out.push_back({f.name + "_expected", header + " exp", &f, {f.name, "expected"}});
        out.push_back({f.name + "_bound", header + " bound", &f, {f.name, "bound"}});
        break;
      case FieldType::kObject:
        if (f.sub.empty()) {  // free-form: one column of compact JSON
          out.push_back({f.name, header, &f, {f.name}});
          break;
        }
        for (const auto& sub : f.sub) {
          for (Leaf l : FlattenFields({sub})) {
            l.name = f.name + "_" + l.name;
            l.path.insert(l.path.begin(), f.name);
            out.push_back(std::move(l));
          }
        }
        break;
      default:
        out.push_back({f.name, header, &f, {f.name}});
    }
  }
  return out;
}

const json* LeafValue(const json& row, const Leaf& leaf) {
  const json* v = &row;
  for (const auto& k : leaf.path) {
    if (!v->is_object()) return nullptr;
    auto it = v->find(k);
    if (it == v->end()) return nullptr;
    v = &*it;
  }
  return v->is_null() ? nullptr : v;
}

std::string HumanValue(const Field& f, const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_array()) {
    std::string s;
    for (const auto& item : v) s += (s.empty() ? "" : ", ") + HumanValue(f, item);
    return s;
  }
  if (v.is_object()) return v.dump();
  if (f.type == FieldType::kBytes) return FormatFixed(v.get<double>() / (1024.0 * 1024.0 * 1024.0), f.decimals);
  if (f.type == FieldType::kInt && f.scale == 1) return v.dump();
  return FormatFixed(v.get<double>() * f.scale, f.decimals);
}

std::string HumanCell(const Field& f, const json& row) {
  if (f.display) return f.display(row);
  auto it = row.find(f.name);
  if (it == row.end() || it->is_null()) return "";
  if (f.type == FieldType::kPair) {
    const json& p = *it;
    const std::string e = p.contains("expected") ? HumanValue(f, p["expected"]) : "";
    const std::string b = p.contains("bound") ? HumanValue(f, p["bound"]) : "";
    return e + " / " + b;
  }
  return HumanValue(f, *it);
}

std::string CsvText(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.10g", v.get<double>());
    return buf;
  }
  if (v.is_number()) return v.dump();
  if (v.is_array()) {
    bool scalars = true;
    for (const auto& item : v) scalars = scalars && !item.is_structured();
    if (!scalars) return v.dump();
    std::string s;
    for (const auto& item : v) s += (s.empty() ? "" : "; ") + CsvText(item);
    return s;
  }
  return v.dump();
}

std::string CsvQuote(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

namespace {
void CheckRecord(const Schema& schema, const std::set<std::string_view>& names, const json& row) {
  if (!row.is_object()) throw std::logic_error(schema.kind + ": a row is not an object");
  for (auto it = row.begin(); it != row.end(); ++it) {
    if (!names.count(it.key()))
      throw std::logic_error(schema.kind + ": row key '" + it.key() + "' is not in the schema");
  }
}
std::set<std::string_view> Names(const Schema& s) {
  std::set<std::string_view> out;
  for (const auto& f : s.fields) out.insert(f.name);
  return out;
}
}  // namespace

void CheckRows(const Report& report) {
  if (!report.schema) throw std::logic_error("report without a schema");
  const auto names = Names(*report.schema);
  for (const auto& r : report.rows) CheckRecord(*report.schema, names, r);
  if (report.summary_schema && !report.summary.is_null()) {
    CheckRecord(*report.summary_schema, Names(*report.summary_schema), report.summary);
  }
}

void Render(const Report& report, const RenderOptions& options, std::ostream& out) {
  CheckRows(report);
  switch (options.format) {
    case Format::kTable:
      return RenderTable(report, options, out);
    case Format::kMarkdown:
      return RenderMarkdown(report, options, out);
    case Format::kCsv:
      return RenderCsv(report, options, out);
    case Format::kJson:
      return RenderJson(report, options, out);
    case Format::kJsonl:
      return RenderJsonl(report, options, out);
    case Format::kSvg:
      return RenderSvg(report, options, out);
    case Format::kHtml:
      return RenderHtml(report, options, out);
  }
}

}  // namespace tokcast::report
