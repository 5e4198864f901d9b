// Charts as SVG: a small chart model (lines, grouped bars, stacked horizontal bars, scatter) and
// its drawing, with readable ticks on linear and log axes, units, a legend, reference rules and
// a palette that survives colour blindness (Okabe and Ito), in light and dark.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tokcast::report::svg {

enum class ChartKind {
  kLine,          // x/y series; a series may carry a band (lo..hi) per point
  kBars,          // categories along x, one bar per series in each group
  kStackedHBars,  // categories down the y axis, series stacked left to right
  kScatter        // x/y markers; optional y = x diagonal
};

enum class Style {
  kSolid,    // line, filled bar, filled marker
  kDashed,   // dashed line (a bound), outlined bar
  kMarkers,  // markers only (a line chart's measured points)
  kHollow    // hollow markers (scatter)
};

struct Point {
  double x = 0, y = 0;
  std::optional<double> lo, hi;  // band (line charts)
  std::string label;             // tooltip text
};

struct Series {
  std::string name;
  std::vector<Point> points;  // bars: x = category index
  Style style = Style::kSolid;
  int color = -1;  // palette index; -1 = the series' own position
  bool in_legend = true;
};

struct Axis {
  std::string label;  // "decode tok/s"
  bool log = false;
  bool binary = false;             // log axis with ticks at powers of two, as 1k, 2k, 128k, 1M (token counts)
  std::optional<double> min, max;  // default: from the data (0 included on linear value axes)
};

// A horizontal (value) rule across the plot: "usable 23.3 GiB".
struct Rule {
  double value = 0;
  std::string label;
  bool on_x = false;  // a vertical rule at x = value
};

struct Chart {
  ChartKind kind = ChartKind::kLine;
  std::string title, subtitle;
  Axis x, y;
  std::vector<std::string> categories;  // bars and stacked bars
  std::vector<Series> series;
  std::vector<Rule> rules;
  // Stacked bars: a limit per category (usable memory), drawn as a mark across its bar.
  std::vector<std::optional<double>> category_limits;
  std::string limit_label;
  bool diagonal = false;  // scatter: the y = x line
  std::string diagonal_label;
  std::string note;  // one line under the plot
};

struct Size {
  int width = 760, height = 420;
};

// One chart as an <svg> element (no XML declaration), with its own styles. `id` prefixes the
// element ids so several charts can share a page.
std::string Draw(const Chart& chart, const std::string& id, Size size = {});

// Several charts stacked into one standalone SVG document (XML declaration included).
std::string Document(const std::vector<Chart>& charts, Size size = {});

// Tick values for an axis over [lo, hi]: 1-2-5 steps on linear axes, decades (with 2 and 5
// between when few decades) on log axes. Exposed for tests.
std::vector<double> Ticks(double lo, double hi, bool log);
// Compact tick text: 0.5, 12, 1.5k, 20k, 3M; `binary`: powers of two as 1k, 128k, 1M (x1024).
std::string TickText(double v, bool binary = false);
// Text safe inside XML.
std::string Escape(const std::string& text);

}  // namespace tokcast::report::svg
