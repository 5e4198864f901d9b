// CSV (RFC 4180): one header line, one line per row, nothing else. Nested values flatten
// predictably (tg_tok_s_expected, limits_decode); lists join with "; ". The context (schema and
// tool version, commit, build type, host) follows as the last columns, as llama-bench does.
#include "report/schema.h"

namespace tokcast::report {

void RenderCsv(const Report& report, const RenderOptions& options, std::ostream& out) {
  const std::vector<Leaf> leaves = FlattenFields(report.schema->fields);
  const auto& c = options.context;
  const bool ctx = report.schema->csv_context;
  std::string line;
  for (const auto& l : leaves) line += (line.empty() ? "" : ",") + l.name;
  if (ctx) line += ",schema_version,tool_version,git_commit,build_type,host_cpu,host_os";
  out << line << '\n';
  std::string tail;
  for (const std::string& v :
       {std::to_string(c.schema_version), c.tool_version, c.git_commit, c.build_type, c.host_cpu, c.host_os}) {
    tail += ',';
    tail += CsvQuote(v);
  }
  for (const auto& r : report.rows) {
    line.clear();
    for (size_t i = 0; i < leaves.size(); ++i) {
      const nlohmann::json* v = LeafValue(r, leaves[i]);
      if (i) line += ',';
      if (v) line += CsvQuote(CsvText(*v));
    }
    if (ctx) line += tail;
    out << line << '\n';
  }
}

}  // namespace tokcast::report
