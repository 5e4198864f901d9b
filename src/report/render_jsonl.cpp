// JSON Lines: one self-describing object per row (kind, schema version, tool version and commit
// with the row's fields); the summary, when there is one, as a last line of kind "<kind>_summary".
#include "report/schema.h"

namespace tokcast::report {

void RenderJsonl(const Report& report, const RenderOptions& options, std::ostream& out) {
  const auto& c = options.context;
  auto line = [&](const std::string& kind, const nlohmann::json& record) {
    nlohmann::json j = {{"kind", kind},
                        {"schema_version", c.schema_version},
                        {"tool_version", c.tool_version},
                        {"git_commit", c.git_commit},
                        {"build_type", c.build_type}};
    for (auto it = record.begin(); it != record.end(); ++it) j[it.key()] = it.value();
    out << j.dump() << '\n';
  };
  for (const auto& r : report.rows) line(report.schema->kind, r);
  if (report.summary_schema && !report.summary.is_null()) line(report.schema->kind + "_summary", report.summary);
}

}  // namespace tokcast::report
