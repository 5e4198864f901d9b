// Markdown: the table view's columns (never dropped for width), pipes escaped.
#include "report/columns.h"

namespace tokcast::report {

namespace {
std::string Md(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += '\\';
    out += ch == '\n' ? ' ' : ch;
  }
  return out;
}
}  // namespace

void RenderMarkdown(const Report& report, const RenderOptions& options, std::ostream& out) {
  if (!report.title.empty()) out << "### " << Md(report.title) << "\n\n";
  if (report.summary_schema && report.summary_in_table && !report.summary.is_null()) {
    for (const auto& [k, v] : VerticalLines(*report.summary_schema, report.summary, options.wide)) {
      out << "- **" << Md(k) << "**: " << Md(v) << '\n';
    }
    out << '\n';
  }
  if (report.schema->vertical) {
    out << "| field | value |\n| --- | --- |\n";
    for (const auto& r : report.rows) {
      for (const auto& [k, v] : VerticalLines(*report.schema, r, true))
        out << "| " << Md(k) << " | " << Md(v) << " |\n";
    }
  } else {
    const ColumnPlan plan = PlanColumns(report, 0, options.wide);
    for (const auto& c : plan.common) out << "- " << Md(c) << '\n';
    if (!plan.common.empty()) out << '\n';
    out << '|';
    for (const auto& c : plan.columns) out << ' ' << Md(c.header) << " |";
    out << "\n|";
    for (const auto& c : plan.columns) out << (c.right_align ? " ---: |" : " --- |");
    out << '\n';
    for (size_t r = 0; r < report.rows.size(); ++r) {
      out << '|';
      for (size_t c = 0; c < plan.columns.size(); ++c) out << ' ' << Md(plan.cells[c][r]) << " |";
      out << '\n';
    }
  }
  for (const auto& n : report.notes) out << '\n' << Md(n) << '\n';
  out << "\n_" << Md(ContextLine(options.context)) << "_\n";
}

}  // namespace tokcast::report
