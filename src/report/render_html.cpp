// HTML: one self-contained page (no scripts, no external resources) with the report's charts,
// its table (the markdown view's columns: none dropped for width), notes and context; light or
// dark as the reader's system prefers, readable at phone width.
#include <sstream>

#include "report/charts.h"
#include "report/columns.h"

namespace tokcast::report {

namespace {

using svg::Escape;

constexpr const char* kCss = R"css(
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1a1a1a; --muted: #5a5a5a; --line: #e3e3e3; --head: #f4f5f7; }
@media (prefers-color-scheme: dark) { :root { --bg: #16181c; --fg: #e8e8e8; --muted: #a8a8a8; --line: #33363c; --head: #1f2227; } }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.25rem; margin: 0.2rem 0 1rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 520px), 1fr)); gap: 16px; }
.charts svg { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
.common { color: var(--muted); margin: 1rem 0 0.4rem; }
.scroll { overflow-x: auto; margin-top: 0.5rem; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--head); text-align: left; position: sticky; top: 0; }
td.num { text-align: right; }
.notes { color: var(--muted); font-size: 0.85rem; padding-left: 1.2rem; }
footer { color: var(--muted); font-size: 0.8rem; margin-top: 1rem; }
)css";

void Table(const Report& report, std::ostream& out) {
  if (report.schema->vertical) {
    out << "<div class=\"scroll\"><table>\n";
    for (const auto& r : report.rows)
      for (const auto& [k, v] : VerticalLines(*report.schema, r, true))
        out << "<tr><th>" << Escape(k) << "</th><td>" << Escape(v) << "</td></tr>\n";
    out << "</table></div>\n";
    return;
  }
  const ColumnPlan plan = PlanColumns(report, 0, false);
  if (!plan.common.empty()) {
    out << "<p class=\"common\">";
    for (size_t i = 0; i < plan.common.size(); ++i) out << (i ? " · " : "") << Escape(plan.common[i]);
    out << "</p>\n";
  }
  out << "<div class=\"scroll\"><table>\n<thead><tr>";
  for (const auto& c : plan.columns) out << "<th>" << Escape(c.header) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < report.rows.size(); ++r) {
    out << "<tr>";
    for (size_t c = 0; c < plan.columns.size(); ++c)
      out << (plan.columns[c].right_align ? "<td class=\"num\">" : "<td>") << Escape(plan.cells[c][r]) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody></table></div>\n";
}

}  // namespace

void RenderHtml(const Report& report, const RenderOptions& options, std::ostream& out) {
  const std::string title = report.title.empty() ? "tokcast " + report.schema->kind : report.title;
  out << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
      << Escape(title) << "</title>\n<style>" << kCss << "</style>\n</head>\n<body>\n<main>\n<h1>" << Escape(title)
      << "</h1>\n";
  const auto charts = ChartsFor(report);
  if (!charts.empty()) {
    out << "<section class=\"charts\">\n";
    for (size_t i = 0; i < charts.size(); ++i) out << svg::Draw(charts[i], "chart" + std::to_string(i + 1));
    out << "</section>\n";
  }
  if (report.summary_schema && report.summary_in_table && !report.summary.is_null()) {
    out << "<div class=\"scroll\"><table>\n";
    for (const auto& [k, v] : VerticalLines(*report.summary_schema, report.summary, false))
      out << "<tr><th>" << Escape(k) << "</th><td>" << Escape(v) << "</td></tr>\n";
    out << "</table></div>\n";
  }
  Table(report, out);
  if (!report.notes.empty()) {
    out << "<ul class=\"notes\">\n";
    for (const auto& n : report.notes) out << "<li>" << Escape(n) << "</li>\n";
    out << "</ul>\n";
  }
  out << "<footer>" << Escape(ContextLine(options.context)) << "</footer>\n</main>\n</body>\n</html>\n";
}

}  // namespace tokcast::report
