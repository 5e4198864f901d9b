// JSON: one object {schema_version, kind, context, rows, summary?, notes}, through
// nlohmann::json.
#include "report/schema.h"

namespace tokcast::report {

void RenderJson(const Report& report, const RenderOptions& options, std::ostream& out) {
  nlohmann::json j = {{"schema_version", options.context.schema_version},
                      {"kind", report.schema->kind},
                      {"context", options.context.ToJson()}};
  if (!report.title.empty()) j["title"] = report.title;
  j["rows"] = report.rows;
  if (report.summary_schema && !report.summary.is_null()) j["summary"] = report.summary;
  j["notes"] = report.notes;
  out << j.dump(2) << '\n';
}

}  // namespace tokcast::report
