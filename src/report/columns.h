// The columns the human views (table, markdown) show for a report: fields picked by their
// `Show` rule, rows that vary, and the terminal width. Internal to src/report.
#pragma once

#include <string>
#include <vector>

#include "report/schema.h"

namespace tokcast::report {

struct Column {
  std::string header;
  bool right_align = false;
  const Field* field = nullptr;   // the field (or object member) shown
  const Field* parent = nullptr;  // the object holding it, if any
  std::string Cell(const nlohmann::json& row) const;
};

struct ColumnPlan {
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> cells;  // [column][row], computed once
  std::vector<std::string> common;              // "runtime: llama.cpp-cuda" for kWhenVaries fields that do not vary
  std::vector<std::string> hidden;              // headers dropped to fit the width
};

// `width` 0 = unlimited; `wide` shows kWide fields and never drops a column.
ColumnPlan PlanColumns(const Report& report, size_t width, bool wide);

// "header  value" lines of one record (vertical view); objects as "header: member value".
std::vector<std::pair<std::string, std::string>> VerticalLines(const Schema& schema, const nlohmann::json& record,
                                                               bool wide);

}  // namespace tokcast::report
