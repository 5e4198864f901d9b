#include "report/result_table.h"

#include <algorithm>
#include <cmath>

#include "core/text.h"

namespace tokcast::report {
namespace {

using nlohmann::json;

std::string Plain(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return FormatFixed(d, std::fabs(d) >= 100 ? 1 : (std::fabs(d) >= 1 ? 2 : 4));
  }
  return v.dump();
}

std::string Cell(const Column& c, const json& row) {
  if (c.format) return c.format(row);
  return row.contains(c.key) ? Plain(row[c.key]) : "";
}

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string CsvValue(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return CsvQuote(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.10g", v.get<double>());
    return buf;
  }
  if (v.is_number()) return v.dump();
  return CsvQuote(v.dump());
}

void RenderAligned(std::ostream& out, const std::vector<std::string>& headers, const std::vector<bool>& right,
                   const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width(headers.size());
  for (size_t c = 0; c < headers.size(); ++c) {
    width[c] = headers[c].size();
    for (const auto& r : cells) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t c = 0; c < r.size(); ++c) {
      const size_t pad = width[c] - r[c].size();
      if (c) s += "  ";
      if (right[c]) s += std::string(pad, ' ') + r[c];
      else s += r[c] + (c + 1 < r.size() ? std::string(pad, ' ') : "");
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  line(headers);
  std::vector<std::string> rule;
  for (size_t c = 0; c < headers.size(); ++c) rule.push_back(std::string(width[c], '-'));
  line(rule);
  for (const auto& r : cells) line(r);
}

std::string MdEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace

std::optional<Format> FormatFromString(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "md" || name == "markdown") return Format::kMarkdown;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

void ResultTable::Render(std::ostream& out, Format format) const {
  switch (format) {
    case Format::kJson: {
      json arr = json::array();
      for (const auto& r : rows) arr.push_back(r);
      out << arr.dump(2) << '\n';
      return;
    }
    case Format::kCsv: {
      for (size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c].key;
      out << '\n';
      for (const auto& r : rows) {
        for (size_t c = 0; c < columns.size(); ++c) {
          out << (c ? "," : "") << (r.contains(columns[c].key) ? CsvValue(r[columns[c].key]) : "");
        }
        out << '\n';
      }
      return;
    }
    case Format::kMarkdown: {
      if (!title.empty()) out << "### " << MdEscape(title) << "\n\n";
      out << '|';
      for (const auto& c : columns) out << ' ' << MdEscape(c.header) << " |";
      out << "\n|";
      for (const auto& c : columns) out << (c.right_align ? " ---: |" : " --- |");
      out << '\n';
      for (const auto& r : rows) {
        out << '|';
        for (const auto& c : columns) out << ' ' << MdEscape(Cell(c, r)) << " |";
        out << '\n';
      }
      for (const auto& f : footnotes) out << "\n" << MdEscape(f) << '\n';
      return;
    }
    case Format::kTable: {
      if (!title.empty()) out << title << "\n\n";
      std::vector<std::string> headers;
      std::vector<bool> right;
      for (const auto& c : columns) {
        headers.push_back(c.header);
        right.push_back(c.right_align);
      }
      std::vector<std::vector<std::string>> cells;
      for (const auto& r : rows) {
        std::vector<std::string> line;
        for (const auto& c : columns) line.push_back(Cell(c, r));
        cells.push_back(std::move(line));
      }
      RenderAligned(out, headers, right, cells);
      for (const auto& f : footnotes) out << f << '\n';
      return;
    }
  }
}

Column TextColumn(std::string key, std::string header) { return Column{std::move(key), std::move(header), nullptr, false}; }

Column IntColumn(std::string key, std::string header) {
  Column c{key, std::move(header), nullptr, true};
  return c;
}

Column NumberColumn(std::string key, std::string header, int decimals) {
  Column c{key, std::move(header), nullptr, true};
  c.format = [key, decimals](const json& row) -> std::string {
    if (!row.contains(key) || !row[key].is_number()) return "";
    return FormatFixed(row[key].get<double>(), decimals);
  };
  return c;
}

Column GibColumn(std::string key, std::string header, int decimals) {
  Column c{key, std::move(header), nullptr, true};
  c.format = [key, decimals](const json& row) -> std::string {
    if (!row.contains(key) || !row[key].is_number()) return "";
    return FormatFixed(row[key].get<double>() / (1024.0 * 1024.0 * 1024.0), decimals);
  };
  return c;
}

void RenderKeyValues(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& kv, Format format) {
  ResultTable t;
  t.columns = {TextColumn("field", "field"), TextColumn("value", "value")};
  for (const auto& [k, v] : kv) t.rows.push_back({{"field", k}, {"value", v}});
  if (format == Format::kJson) {
    json obj = json::object();
    for (const auto& [k, v] : kv) obj[k] = v;
    out << obj.dump(2) << '\n';
    return;
  }
  t.Render(out, format);
}

std::string ToolVersion() { return TOKCAST_VERSION; }
std::string GitCommit() { return TOKCAST_GIT_COMMIT; }
std::string BuildType() { return TOKCAST_BUILD_TYPE; }

}  // namespace tokcast::report
