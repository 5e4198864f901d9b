// The terminal table: aligned columns that fit the terminal, common values named once above,
// the summary record and notes below, the context line last.
#include <algorithm>

#include "report/columns.h"

namespace tokcast::report {

namespace {

void Aligned(std::ostream& out, const std::vector<std::string>& headers, const std::vector<bool>& right,
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
      s += right[c] ? std::string(pad, ' ') + r[c] : r[c] + std::string(pad, ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  line(headers);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& r : cells) line(r);
}

void Vertical(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& lines) {
  size_t w = 0;
  for (const auto& [k, v] : lines) w = std::max(w, k.size());
  for (const auto& [k, v] : lines) out << k << std::string(w - k.size() + 2, ' ') << v << '\n';
}

}  // namespace

void RenderTable(const Report& report, const RenderOptions& options, std::ostream& out) {
  if (!report.title.empty()) out << report.title << "\n\n";
  if (report.summary_schema && report.summary_in_table && !report.summary.is_null()) {
    Vertical(out, VerticalLines(*report.summary_schema, report.summary, options.wide));
    out << '\n';
  }
  if (report.schema->vertical) {
    for (size_t i = 0; i < report.rows.size(); ++i) {
      if (i) out << '\n';
      Vertical(out, VerticalLines(*report.schema, report.rows[i], true));
    }
  } else {
    const ColumnPlan plan = PlanColumns(report, options.width, options.wide);
    if (!plan.common.empty()) {
      std::string s;
      for (const auto& c : plan.common) s += (s.empty() ? "" : " · ") + c;
      out << s << "\n\n";
    }
    std::vector<std::string> headers;
    std::vector<bool> right;
    for (const auto& c : plan.columns) {
      headers.push_back(c.header);
      right.push_back(c.right_align);
    }
    std::vector<std::vector<std::string>> cells(report.rows.size());
    for (size_t r = 0; r < report.rows.size(); ++r) {
      for (size_t c = 0; c < plan.columns.size(); ++c) cells[r].push_back(plan.cells[c][r]);
    }
    Aligned(out, headers, right, cells);
    if (!plan.hidden.empty()) {
      std::string s;
      for (const auto& h : plan.hidden) s += (s.empty() ? "" : ", ") + h;
      out << "(not shown at this width: " << s << "; --wide shows every column)\n";
    }
  }
  for (const auto& n : report.notes) out << n << '\n';
  out << ContextLine(options.context) << '\n';
}

}  // namespace tokcast::report
