// SVG: the report's charts (report/charts.h) stacked into one standalone document. A report
// kind without a picture is an error the caller turns into a one-line message.
#include <stdexcept>
#include <string>

#include "report/charts.h"

namespace tokcast::report {

void RenderSvg(const Report& report, const RenderOptions& options, std::ostream& out) {
  auto charts = ChartsFor(report);
  if (charts.empty()) {
    throw std::invalid_argument(std::string("no chart for this result (") + (report.schema ? report.schema->kind : "") +
                                "): --format svg draws " + ChartedKinds() + "; --format html shows any result");
  }
  if (options.chart) {
    if (options.chart > charts.size()) {
      throw std::invalid_argument("--chart " + std::to_string(options.chart) + ": this result has " +
                                  std::to_string(charts.size()) + " charts");
    }
    charts = {charts[options.chart - 1]};
  }
  out << svg::Document(charts);
}

}  // namespace tokcast::report
