#include "report/columns.h"

#include <algorithm>

namespace tokcast::report {

using nlohmann::json;

namespace {

bool RightAligned(const Field& f) {
  return f.type == FieldType::kInt || f.type == FieldType::kNumber || f.type == FieldType::kBytes ||
         f.type == FieldType::kPair;
}

std::string HeaderOf(const Field& f) {
  return f.header.empty() ? f.name : f.header;
}

void AddColumns(const Field& f, const Field* parent, bool wide, std::vector<Column>& out) {
  if (f.show == Show::kNever || f.type == FieldType::kRecords) return;
  if (f.show == Show::kWide && !wide) return;
  if (f.type == FieldType::kObject && !f.sub.empty()) {
    for (const auto& s : f.sub) AddColumns(s, &f, wide, out);
    return;
  }
  out.push_back({HeaderOf(f), RightAligned(f), &f, parent});
}

size_t TotalWidth(const std::vector<Column>& cols, const std::vector<size_t>& widths) {
  size_t total = 0;
  for (size_t i = 0; i < cols.size(); ++i) total += widths[i] + (i ? 2 : 0);
  return total;
}

}  // namespace

std::string Column::Cell(const json& row) const {
  if (!parent) return HumanCell(*field, row);
  auto it = row.find(parent->name);
  if (it == row.end() || !it->is_object()) return "";
  return HumanCell(*field, *it);
}

ColumnPlan PlanColumns(const Report& report, size_t width, bool wide) {
  ColumnPlan plan;
  std::vector<Column> all;
  for (const auto& f : report.schema->fields) AddColumns(f, nullptr, wide, all);
  for (auto& c : all) {
    std::vector<std::string> cells;
    cells.reserve(report.rows.size());
    for (const auto& r : report.rows) cells.push_back(c.Cell(r));
    // A column no row fills says nothing.
    if (c.field->show != Show::kAlways &&
        std::all_of(cells.begin(), cells.end(), [](const std::string& x) { return x.empty(); })) {
      continue;
    }
    if (c.field->show == Show::kWhenVaries && !wide) {
      const bool same =
          std::all_of(cells.begin(), cells.end(), [&](const std::string& x) { return x == cells.front(); });
      if (same) {
        if (!cells.empty() && !cells.front().empty()) plan.common.push_back(c.header + ": " + cells.front());
        continue;
      }
    }
    plan.columns.push_back(std::move(c));
    plan.cells.push_back(std::move(cells));
  }
  if (width == 0 || wide) return plan;
  std::vector<size_t> widths;
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    size_t w = plan.columns[i].header.size();
    for (const auto& cell : plan.cells[i]) w = std::max(w, cell.size());
    widths.push_back(w);
  }
  while (TotalWidth(plan.columns, widths) > width) {
    int victim = -1;
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      const Field& f = *plan.columns[i].field;
      if (f.show != Show::kNormal) continue;
      if (victim < 0 || f.rank >= plan.columns[static_cast<size_t>(victim)].field->rank) victim = static_cast<int>(i);
    }
    if (victim < 0) break;
    plan.hidden.push_back(plan.columns[static_cast<size_t>(victim)].header);
    plan.columns.erase(plan.columns.begin() + victim);
    plan.cells.erase(plan.cells.begin() + victim);
    widths.erase(widths.begin() + victim);
  }
  return plan;
}

std::vector<std::pair<std::string, std::string>> VerticalLines(const Schema& schema, const json& record, bool wide) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::vector<Column> cols;
  for (const auto& f : schema.fields) AddColumns(f, nullptr, wide, cols);
  for (const auto& c : cols) {
    std::string v = c.Cell(record);
    if (v.empty()) continue;
    if (!c.field->unit.empty() && c.field->header.empty() && c.field->type != FieldType::kString)
      v += " " + c.field->unit;
    lines.emplace_back(c.parent ? HeaderOf(*c.parent) + ": " + c.header : c.header, std::move(v));
  }
  return lines;
}

}  // namespace tokcast::report
