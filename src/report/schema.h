// One result schema, several renderers. Every result kind (fit, predict, validate, ...) has a
// field table: name, type, unit, a one-line description and how the human views show it. A
// Report holds rows (JSON objects whose keys are the schema's field names), an optional summary
// record and notes; the renderers (table, markdown, CSV, JSON, JSONL, SVG charts, an HTML page:
// one file each) render any kind from its schema, so every format shows the same values.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tokcast::report {

enum class Format { kTable, kMarkdown, kCsv, kJson, kJsonl, kSvg, kHtml };
std::optional<Format> FormatFromString(std::string_view name);
std::string_view ToString(Format f);

enum class FieldType {
  kString,
  kInt,
  kNumber,
  kBool,
  kBytes,   // an integer byte count; the human views show GiB
  kPair,    // {"expected": x, "bound": y}; CSV: name_expected, name_bound
  kObject,  // nested fields (`sub`); CSV: name_sub
  kList,    // an array of scalars; CSV: items joined by "; "
  kRecords  // an array of objects; CSV: compact JSON
};

// How the table view treats a field.
enum class Show {
  kAlways,      // never dropped
  kNormal,      // dropped (highest `rank` first) when the table is wider than the terminal
  kWhenVaries,  // shown only when rows differ; otherwise named once above the table
  kWide,        // only with --wide
  kNever        // JSON and CSV only
};

struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  std::string unit;         // "tok/s", "bytes", "s", "" for none
  std::string description;  // one line
  std::string header;       // table header; default: name
  int decimals = 2;         // table: digits after the point for numbers
  double scale = 1;         // table: value x scale (e.g. 1e-9 for bytes/s -> GB/s)
  Show show = Show::kNormal;
  int rank = 5;            // drop order among kNormal fields: higher goes first
  std::vector<Field> sub;  // kObject members

  Field& Header(std::string h) {
    header = std::move(h);
    return *this;
  }
  Field& Decimals(int d) {
    decimals = d;
    return *this;
  }
  Field& Scale(double s) {
    scale = s;
    return *this;
  }
  Field& Visibility(Show s) {
    show = s;
    return *this;
  }
  Field& Rank(int r) {
    rank = r;
    return *this;
  }
  Field& Sub(std::vector<Field> s) {
    sub = std::move(s);
    return *this;
  }
  // Table text computed from the whole row (e.g. "44/80"); JSON and CSV keep the raw value.
  std::string (*display)(const nlohmann::json& row) = nullptr;
  Field& Display(std::string (*d)(const nlohmann::json&)) {
    display = d;
    return *this;
  }
};

// Field constructors: F(name, type, unit, description).
Field F(std::string name, FieldType type, std::string unit, std::string description);

struct Schema {
  std::string kind;  // "fit", "predict", ...
  std::vector<Field> fields;
  bool vertical = false;    // table: one "header  value" line per field (single-entity views)
  bool csv_context = true;  // CSV: append the context columns (off for interchange formats)
  const Field* Find(std::string_view name) const;
};

// What produced a report: every format carries it (JSON: "context"; CSV: trailing columns;
// table and markdown: a last line).
struct ReportContext {
  int schema_version = 2;
  std::string tool_version, git_commit, build_type;
  std::string host_cpu, host_os, host_arch;
  unsigned host_cores = 0;
  uint64_t host_memory_bytes = 0;
  nlohmann::json ToJson() const;
};
// Tool version, commit and build type of this binary; host facts are filled by the caller.
ReportContext ToolContext();

struct Report {
  const Schema* schema = nullptr;
  std::string title;
  std::vector<nlohmann::json> rows;
  const Schema* summary_schema = nullptr;  // optional single record
  nlohmann::json summary;
  bool summary_in_table = true;    // table/markdown show the summary record
  std::vector<std::string> notes;  // shown under the table; in JSON as "notes"
};

struct RenderOptions {
  Format format = Format::kTable;
  size_t width = 120;  // table: terminal columns (0 = unlimited)
  bool wide = false;   // table: every column
  size_t chart = 0;    // svg: only this chart (from 1); 0 = all
  ReportContext context;
};

// Renders `report` to `out`. Throws std::logic_error when a row carries a key its schema does
// not declare (a programmer error).
void Render(const Report& report, const RenderOptions& options, std::ostream& out);

// The renderers (one file each).
void RenderTable(const Report& report, const RenderOptions& options, std::ostream& out);
void RenderMarkdown(const Report& report, const RenderOptions& options, std::ostream& out);
void RenderCsv(const Report& report, const RenderOptions& options, std::ostream& out);
void RenderJson(const Report& report, const RenderOptions& options, std::ostream& out);
void RenderJsonl(const Report& report, const RenderOptions& options, std::ostream& out);
// Throws std::invalid_argument for a kind without a chart (report/charts.h).
void RenderSvg(const Report& report, const RenderOptions& options, std::ostream& out);
void RenderHtml(const Report& report, const RenderOptions& options, std::ostream& out);

// ---- shared by the renderers ----

// A leaf column: a scalar, a pair half, an object member, a list or records.
struct Leaf {
  std::string name;               // flattened: tg_tok_s_expected, limits_decode
  std::string header;             // for the human views
  const Field* field;             // the leaf's own field (for pairs: the pair)
  std::vector<std::string> path;  // JSON keys from the row
};
std::vector<Leaf> FlattenFields(const std::vector<Field>& fields);
// The value at a leaf's path, or null.
const nlohmann::json* LeafValue(const nlohmann::json& row, const Leaf& leaf);
// Human text of one value for a field (numbers with the field's decimals and scale).
std::string HumanValue(const Field& f, const nlohmann::json& v);
// Human text of a whole field of a row (pairs as "expected / bound").
std::string HumanCell(const Field& f, const nlohmann::json& row);
// Exact CSV text of one value (no quoting).
std::string CsvText(const nlohmann::json& v);
std::string CsvQuote(std::string_view s);
// Checks that every row key is a schema field; throws std::logic_error otherwise.
void CheckRows(const Report& report);
std::string ContextLine(const ReportContext& c);

}  // namespace tokcast::report
