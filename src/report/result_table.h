// One result schema, several renderers. A ResultTable holds one JSON object per row (the
// full, machine-readable result) and a list of display columns that pick and format fields
// for the human views. Table, markdown, CSV and JSON are views of the same rows, written to a
// std::ostream&.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tokcast::report {

enum class Format { kTable, kMarkdown, kCsv, kJson };
std::optional<Format> FormatFromString(std::string_view name);

struct Column {
  std::string key;     // field in the row object (also the CSV header)
  std::string header;  // human header
  // Formats the field for table/markdown; default prints strings and numbers as they are.
  std::function<std::string(const nlohmann::json& row)> format;
  bool right_align = false;
};

class ResultTable {
 public:
  std::string title;
  std::vector<Column> columns;
  std::vector<nlohmann::json> rows;
  std::vector<std::string> footnotes;  // shown under table/markdown views

  void Render(std::ostream& out, Format format) const;
};

// Column helpers.
Column TextColumn(std::string key, std::string header);
Column IntColumn(std::string key, std::string header);
Column NumberColumn(std::string key, std::string header, int decimals);
Column GibColumn(std::string key, std::string header, int decimals = 1);  // bytes -> GiB

// Renders key/value pairs (for `show`): two columns, no JSON schema.
void RenderKeyValues(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& kv, Format format);

// Tool context for JSON outputs and --version.
std::string ToolVersion();
std::string GitCommit();
std::string BuildType();

}  // namespace tokcast::report
