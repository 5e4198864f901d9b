#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace tokcast::report::svg {

namespace {

// Okabe & Ito's palette (black left out: it is the text colour), most distinct first.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#F0E442", "#999999"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

const char* Color(const Series& s, size_t index) {
  const int i = s.color >= 0 ? s.color : static_cast<int>(index);
  return kPalette[i % kPaletteSize];
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

double TextWidth(const std::string& s, double px) {
  return static_cast<double>(s.size()) * px * 0.56;
}

// A mapping from data to pixels along one axis.
struct Scale {
  double lo = 0, hi = 1;  // data domain (log10 of it on log axes)
  double p0 = 0, p1 = 1;  // pixels
  bool log = false;
  double operator()(double v) const {
    const double t = log ? std::log10(std::max(v, 1e-300)) : v;
    return p0 + (t - lo) / (hi - lo) * (p1 - p0);
  }
};

struct Domain {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
};

// Domain and ticks for values in [mn, mx]; linear value axes start at zero.
Domain MakeDomain(double mn, double mx, const Axis& a, bool include_zero) {
  if (a.log) {
    mn = std::max(mn, 1e-12);
    mx = std::max(mx, mn);
  } else if (include_zero) {
    mn = std::min(mn, 0.0);
    mx = std::max(mx, 0.0);
  }
  if (a.min) mn = *a.min;
  if (a.max) mx = *a.max;
  if (!(mx > mn)) {
    if (a.log) {
      mn /= 2;
      mx *= 2;
    } else {
      const double pad = mn == 0 ? 1 : std::abs(mn) * 0.5;
      mx = mn + pad;
      if (!include_zero) mn -= pad;
    }
  }
  Domain d;
  if (a.log && a.binary) {
    d.lo = std::log10(mn) - 0.04;
    d.hi = std::log10(mx) + 0.04;
    const int p0 = static_cast<int>(std::ceil(std::log2(mn) - 1e-9)),
              p1 = static_cast<int>(std::floor(std::log2(mx) + 1e-9));
    const int step = std::max(1, (p1 - p0 + 9) / 10);
    for (int p = p0; p <= p1; p += step) d.ticks.push_back(std::ldexp(1.0, p));
  } else if (a.log) {
    // Whole decades when the data span several, else the data's own range with 1-2-5 ticks.
    const double dl = std::floor(std::log10(mn) + 1e-9), dh = std::ceil(std::log10(mx) - 1e-9);
    if (dh - dl >= 3) {
      d.lo = dl;
      d.hi = dh;
    } else {
      d.lo = std::log10(mn) - 0.05;
      d.hi = std::log10(mx) + 0.05;
    }
    d.ticks = Ticks(std::pow(10, d.lo), std::pow(10, d.hi), true);
    if (d.ticks.size() < 2) d.ticks = {mn, mx};
  } else {
    if (!a.max) mx += (mx - mn) * 0.04;
    d.ticks = Ticks(mn, mx, false);
    const double step = d.ticks.size() > 1 ? d.ticks[1] - d.ticks[0] : 1;
    d.lo = a.min ? mn : std::floor(mn / step + 1e-9) * step;
    d.hi = a.max ? mx : std::ceil(mx / step - 1e-9) * step;
    if (!a.max && d.ticks.back() < d.hi - step * 1e-6) d.ticks.push_back(d.hi);
  }
  return d;
}

struct Box {
  double left, right, top, bottom;
};

class Writer {
 public:
  explicit Writer(std::string id) : id_(std::move(id)) {}
  std::ostringstream& out() { return o_; }
  const std::string& id() const { return id_; }

  void Line(double x1, double y1, double x2, double y2, const std::string& cls, const std::string& extra = "") {
    o_ << "<line class=\"" << cls << "\" x1=\"" << Num(x1) << "\" y1=\"" << Num(y1) << "\" x2=\"" << Num(x2)
       << "\" y2=\"" << Num(y2) << "\"" << extra << "/>\n";
  }
  void Text(double x, double y, const std::string& text, const std::string& cls, const char* anchor = "start",
            const std::string& extra = "") {
    o_ << "<text class=\"" << cls << "\" x=\"" << Num(x) << "\" y=\"" << Num(y) << "\" text-anchor=\"" << anchor << "\""
       << extra << ">" << Escape(text) << "</text>\n";
  }

 private:
  std::string id_;
  std::ostringstream o_;
};

void Styles(Writer& w) {
  w.out() << "<style>\n"
             "#"
          << w.id()
          << " { --bg: #ffffff; --fg: #1a1a1a; --muted: #5a5a5a; --grid: #e3e3e3; --axis: #8a8a8a; }\n"
             "@media (prefers-color-scheme: dark) { #"
          << w.id()
          << " { --bg: #16181c; --fg: #e8e8e8; --muted: #a8a8a8; --grid: #33363c; --axis: #777b82; } }\n"
             "#"
          << w.id() << " .bg { fill: var(--bg); }\n#" << w.id()
          << " text { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; fill: var(--fg); }\n#" << w.id()
          << " .title { font-size: 16px; font-weight: 600; }\n#" << w.id()
          << " .subtitle, .note { font-size: 12px; fill: var(--muted); }\n#" << w.id()
          << " .tick { font-size: 11px; fill: var(--muted); }\n#" << w.id() << " .label { font-size: 12px; }\n#"
          << w.id() << " .legend { font-size: 12px; }\n#" << w.id()
          << " .value { font-size: 10px; fill: var(--muted); }\n#" << w.id()
          << " .grid { stroke: var(--grid); stroke-width: 1; }\n#" << w.id()
          << " .axis { stroke: var(--axis); stroke-width: 1; }\n#" << w.id()
          << " .rule, .diagonal { stroke: var(--fg); stroke-width: 1.2; stroke-dasharray: 5 4; opacity: 0.7; }\n#"
          << w.id() << " .limit { stroke: var(--fg); stroke-width: 2.5; }\n#" << w.id()
          << " .whisker { stroke: var(--fg); stroke-width: 1.2; opacity: 0.75; }\n"
          << "</style>\n";
}

void Header(Writer& w, const Chart& c, const Size& size) {
  w.out() << "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" << w.id() << "\" class=\"tokcast-chart\" width=\""
          << size.width << "\" height=\"" << size.height << "\" viewBox=\"0 0 " << size.width << " " << size.height
          << "\" role=\"img\" aria-labelledby=\"" << w.id() << "-title\">\n"
          << "<title id=\"" << w.id() << "-title\">" << Escape(c.title + (c.subtitle.empty() ? "" : ": " + c.subtitle))
          << "</title>\n";
  Styles(w);
  w.out() << "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"" << size.width << "\" height=\"" << size.height << "\"/>\n";
  w.Text(16, 24, c.title, "title");
  if (!c.subtitle.empty()) w.Text(16, 42, c.subtitle, "subtitle");
}

// The legend in rows under the title; returns the y below it.
double Legend(Writer& w, const Chart& c, double y, double width) {
  double x = 16;
  bool any = false;
  for (size_t i = 0; i < c.series.size(); ++i) {
    const Series& s = c.series[i];
    if (!s.in_legend) continue;
    any = true;
    const double item = 26 + TextWidth(s.name, 12) + 18;
    if (x + item > width - 8 && x > 16) {
      x = 16;
      y += 18;
    }
    const char* col = Color(s, i);
    w.out() << "<g class=\"legend-item\">";
    if (c.kind == ChartKind::kLine && s.style != Style::kMarkers) {
      w.Line(x, y - 4, x + 20, y - 4, "swatch",
             std::string(" stroke=\"") + col + "\" stroke-width=\"2.5\"" +
                 (s.style == Style::kDashed ? " stroke-dasharray=\"6 4\"" : ""));
    } else if (c.kind == ChartKind::kBars && s.style == Style::kMarkers) {
      w.out() << "<path d=\"M" << Num(x + 10) << " " << Num(y - 10) << " L" << Num(x + 16) << " " << Num(y - 4) << " L"
              << Num(x + 10) << " " << Num(y + 2) << " L" << Num(x + 4) << " " << Num(y - 4) << " Z\" fill=\"" << col
              << "\"/>";
    } else if (c.kind == ChartKind::kScatter || s.style == Style::kMarkers || s.style == Style::kHollow) {
      w.out() << "<circle cx=\"" << Num(x + 10) << "\" cy=\"" << Num(y - 4) << "\" r=\"4\" "
              << (s.style == Style::kHollow ? std::string("fill=\"none\" stroke=\"") + col + "\" stroke-width=\"1.5\""
                                            : std::string("fill=\"") + col + "\"")
              << "/>";
    } else {
      w.out() << "<rect x=\"" << Num(x + 2) << "\" y=\"" << Num(y - 10) << "\" width=\"16\" height=\"11\" "
              << (s.style == Style::kDashed ? std::string("fill=\"") + col + "\" fill-opacity=\"0.15\" stroke=\"" +
                                                  col + "\" stroke-width=\"1.5\""
                                            : std::string("fill=\"") + col + "\"")
              << "/>";
    }
    w.Text(x + 26, y, s.name, "legend");
    w.out() << "</g>\n";
    x += item;
  }
  return any ? y + 14 : y - 10;
}

void ValueGrid(Writer& w, const Box& b, const Scale& s, const Domain& d, bool vertical_axis, bool binary = false) {
  for (double t : d.ticks) {
    const double p = s(t);
    if (vertical_axis) {
      w.Line(b.left, p, b.right, p, "grid");
      w.Text(b.left - 6, p + 4, TickText(t, binary), "tick", "end");
    } else {
      w.Line(p, b.top, p, b.bottom, "grid");
      w.Text(p, b.bottom + 16, TickText(t, binary), "tick", "middle");
    }
  }
}

void AxisLabels(Writer& w, const Chart& c, const Box& b, const Size& size) {
  if (!c.x.label.empty()) w.Text((b.left + b.right) / 2, b.bottom + 36, c.x.label, "label", "middle");
  if (!c.y.label.empty()) {
    const double cy = (b.top + b.bottom) / 2;
    w.Text(16, cy, c.y.label, "label", "middle", " transform=\"rotate(-90 16 " + Num(cy) + ")\"");
  }
  if (!c.note.empty()) w.Text(16, size.height - 8, c.note, "note");
}

void Rules(Writer& w, const Chart& c, const Box& b, const Scale& xs, const Scale& ys) {
  for (const Rule& r : c.rules) {
    if (r.on_x) {
      const double x = xs(r.value);
      if (x < b.left - 0.5 || x > b.right + 0.5) continue;
      w.Line(x, b.top, x, b.bottom, "rule");
      w.Text(x + 4, b.top + 12, r.label, "value");
    } else {
      const double y = ys(r.value);
      if (y < b.top - 0.5 || y > b.bottom + 0.5) continue;
      w.Line(b.left, y, b.right, y, "rule");
      w.Text(b.right - 4, y - 5, r.label, "value", "end");
    }
  }
}

bool Usable(double v, bool log) {
  return std::isfinite(v) && (!log || v > 0);
}

void DrawXY(Writer& w, const Chart& c, const Box& b) {
  double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
  for (const Series& s : c.series) {
    for (const Point& p : s.points) {
      if (!Usable(p.x, c.x.log) || !Usable(p.y, c.y.log)) continue;
      xmn = std::min(xmn, p.x);
      xmx = std::max(xmx, p.x);
      ymn = std::min({ymn, p.y, p.lo.value_or(p.y)});
      ymx = std::max({ymx, p.y, p.hi.value_or(p.y)});
    }
  }
  for (const Rule& r : c.rules) {
    if (r.on_x) {
      xmn = std::min(xmn, r.value);
      xmx = std::max(xmx, r.value);
    } else {
      ymn = std::min(ymn, r.value);
      ymx = std::max(ymx, r.value);
    }
  }
  if (!std::isfinite(xmn)) xmn = 0, xmx = 1, ymn = 0, ymx = 1;
  if (c.diagonal) {
    xmn = ymn = std::min(xmn, ymn);
    xmx = ymx = std::max(xmx, ymx);
  }
  const Domain xd = MakeDomain(xmn, xmx, c.x, c.kind == ChartKind::kScatter && !c.x.log && !c.diagonal ? true : false);
  const Domain yd = MakeDomain(ymn, ymx, c.y, !c.diagonal);
  const Scale xs{xd.lo, xd.hi, b.left, b.right, c.x.log};
  const Scale ys{yd.lo, yd.hi, b.bottom, b.top, c.y.log};
  ValueGrid(w, b, ys, yd, true, c.y.binary);
  ValueGrid(w, b, xs, xd, false, c.x.binary);
  w.Line(b.left, b.bottom, b.right, b.bottom, "axis");
  w.Line(b.left, b.top, b.left, b.bottom, "axis");
  w.out() << "<clipPath id=\"" << w.id() << "-clip\"><rect x=\"" << Num(b.left) << "\" y=\"" << Num(b.top - 4)
          << "\" width=\"" << Num(b.right - b.left + 4) << "\" height=\"" << Num(b.bottom - b.top + 8)
          << "\"/></clipPath>\n<g clip-path=\"url(#" << w.id() << "-clip)\">\n";
  if (c.diagonal) {
    const double lo = c.x.log ? std::pow(10, xd.lo) : xd.lo, hi = c.x.log ? std::pow(10, xd.hi) : xd.hi;
    w.Line(xs(lo), ys(lo), xs(hi), ys(hi), "diagonal");
  }
  for (size_t i = 0; i < c.series.size(); ++i) {
    const Series& s = c.series[i];
    const char* col = Color(s, i);
    std::vector<const Point*> pts;
    for (const Point& p : s.points)
      if (Usable(p.x, c.x.log) && Usable(p.y, c.y.log)) pts.push_back(&p);
    w.out() << "<g class=\"series\" data-name=\"" << Escape(s.name) << "\">\n";
    if (c.kind == ChartKind::kLine) {
      std::string band_top, band_bottom;
      for (const Point* p : pts) {
        if (!p->lo || !p->hi) continue;
        band_top += (band_top.empty() ? "M" : " L") + Num(xs(p->x)) + " " + Num(ys(*p->hi));
        band_bottom = " L" + Num(xs(p->x)) + " " + Num(ys(*p->lo)) + band_bottom;
      }
      if (!band_top.empty()) {
        w.out() << "<path class=\"band\" d=\"" << band_top << band_bottom << " Z\" fill=\"" << col
                << "\" fill-opacity=\"0.18\" stroke=\"none\"/>\n";
      }
    }
    const bool path = (c.kind == ChartKind::kLine && s.style != Style::kMarkers && s.style != Style::kHollow) ||
                      (c.kind == ChartKind::kScatter && s.style == Style::kDashed);
    {
      if (path && pts.size() > 1) {
        w.out() << "<path class=\"line\" fill=\"none\" stroke=\"" << col << "\" stroke-width=\"2.2\""
                << (s.style == Style::kDashed ? " stroke-dasharray=\"6 4\"" : "") << " d=\"";
        for (size_t k = 0; k < pts.size(); ++k)
          w.out() << (k ? " L" : "M") << Num(xs(pts[k]->x)) << " " << Num(ys(pts[k]->y));
        w.out() << "\"/>\n";
      }
    }
    const bool markers = c.kind == ChartKind::kScatter
                             ? s.style != Style::kDashed
                             : s.style == Style::kMarkers || s.style == Style::kHollow || pts.size() == 1 ||
                                   (s.style == Style::kSolid && pts.size() <= 24);
    if (markers) {
      for (const Point* p : pts) {
        const bool hollow = s.style == Style::kHollow || (c.kind == ChartKind::kLine && s.style == Style::kDashed);
        w.out() << "<circle cx=\"" << Num(xs(p->x)) << "\" cy=\"" << Num(ys(p->y)) << "\" r=\""
                << (c.kind == ChartKind::kScatter ? "4" : "3") << "\" "
                << (hollow ? std::string("fill=\"none\" stroke=\"") + col + "\" stroke-width=\"1.5\""
                           : std::string("fill=\"") + col + "\"")
                << ">";
        if (!p->label.empty()) w.out() << "<title>" << Escape(p->label) << "</title>";
        w.out() << "</circle>\n";
      }
    }
    w.out() << "</g>\n";
  }
  Rules(w, c, b, xs, ys);
  w.out() << "</g>\n";
}

void DrawBars(Writer& w, const Chart& c, const Box& b) {
  double ymn = 0, ymx = 0;
  for (const Series& s : c.series)
    for (const Point& p : s.points)
      if (Usable(p.y, c.y.log)) ymn = std::min(ymn, p.y), ymx = std::max({ymx, p.y, p.hi.value_or(p.y)});
  for (const Rule& r : c.rules) ymx = std::max(ymx, r.value);
  if (c.y.log) {
    ymn = INFINITY;
    for (const Series& s : c.series)
      for (const Point& p : s.points)
        if (Usable(p.y, true)) ymn = std::min(ymn, p.y);
    if (!std::isfinite(ymn)) ymn = 1;
  }
  const Domain yd = MakeDomain(ymn, ymx, c.y, true);
  const Scale ys{yd.lo, yd.hi, b.bottom, b.top, c.y.log};
  ValueGrid(w, b, ys, yd, true);
  const size_t groups = std::max<size_t>(c.categories.size(), 1);
  const double slot = (b.right - b.left) / static_cast<double>(groups);
  size_t bar_series = 0;
  for (const Series& s : c.series) bar_series += s.style == Style::kMarkers ? 0 : 1;
  const size_t per_group = std::max<size_t>(bar_series, 1);
  const double bar = std::min(48.0, slot * 0.8 / static_cast<double>(per_group));
  const bool values = groups * per_group <= 32;
  const double base = c.y.log ? b.bottom : ys(0);
  for (size_t g = 0; g < c.categories.size(); ++g) {
    const double cx = b.left + slot * (static_cast<double>(g) + 0.5);
    const std::string& name = c.categories[g];
    // Category labels: straight when they fit, else turned.
    if (TextWidth(name, 11) < slot - 4) {
      w.Text(cx, b.bottom + 16, name, "tick", "middle");
    } else {
      w.Text(cx + 3, b.bottom + 10, name, "tick", "end",
             " transform=\"rotate(-30 " + Num(cx + 3) + " " + Num(b.bottom + 10) + ")\"");
    }
  }
  size_t bar_index = 0;
  for (size_t i = 0; i < c.series.size(); ++i) {
    const Series& s = c.series[i];
    const char* col = Color(s, i);
    w.out() << "<g class=\"series\" data-name=\"" << Escape(s.name) << "\">\n";
    if (s.style == Style::kMarkers) {
      // Markers over the group (a claimed figure): a diamond at the value.
      for (const Point& p : s.points) {
        if (!Usable(p.y, c.y.log) || p.x < 0 || p.x >= static_cast<double>(groups)) continue;
        const double cx = b.left + slot * (p.x + 0.5), cy = ys(p.y);
        w.out() << "<path class=\"marker\" d=\"M" << Num(cx) << " " << Num(cy - 6) << " L" << Num(cx + 6) << " "
                << Num(cy) << " L" << Num(cx) << " " << Num(cy + 6) << " L" << Num(cx - 6) << " " << Num(cy)
                << " Z\" fill=\"" << col << "\" stroke=\"var(--bg)\" stroke-width=\"1\">";
        if (!p.label.empty()) w.out() << "<title>" << Escape(p.label) << "</title>";
        w.out() << "</path>\n";
      }
      w.out() << "</g>\n";
      continue;
    }
    const size_t slot_index = bar_index++;
    for (const Point& p : s.points) {
      if (!Usable(p.y, c.y.log) || p.x < 0 || p.x >= static_cast<double>(groups)) continue;
      const double x0 = b.left + slot * (p.x + 0.5) - bar * static_cast<double>(per_group) / 2 +
                        bar * static_cast<double>(slot_index);
      const double top = ys(p.y);
      const double y0 = std::min(top, base), h = std::max(std::abs(base - top), 0.5);
      w.out() << "<rect class=\"bar\" x=\"" << Num(x0 + 1) << "\" y=\"" << Num(y0) << "\" width=\""
              << Num(std::max(bar - 2, 1.0)) << "\" height=\"" << Num(h) << "\" "
              << (s.style == Style::kDashed ? std::string("fill=\"") + col + "\" fill-opacity=\"0.15\" stroke=\"" +
                                                  col + "\" stroke-width=\"1.5\""
                                            : std::string("fill=\"") + col + "\"")
              << ">";
      if (!p.label.empty()) w.out() << "<title>" << Escape(p.label) << "</title>";
      w.out() << "</rect>\n";
      if (p.lo && p.hi && Usable(*p.lo, c.y.log) && Usable(*p.hi, c.y.log)) {
        // The prediction interval as a whisker over the bar.
        const double cx = x0 + bar / 2, y_lo = ys(*p.lo), y_hi = ys(*p.hi);
        w.Line(cx, y_lo, cx, y_hi, "whisker");
        w.Line(cx - 4, y_lo, cx + 4, y_lo, "whisker");
        w.Line(cx - 4, y_hi, cx + 4, y_hi, "whisker");
      }
      if (values) w.Text(x0 + bar / 2, std::min(y0, p.hi ? ys(*p.hi) : y0) - 3, TickText(p.y), "value", "middle");
    }
    w.out() << "</g>\n";
  }
  w.Line(b.left, base, b.right, base, "axis");
  w.Line(b.left, b.top, b.left, b.bottom, "axis");
  const Scale xs{0, 1, b.left, b.right, false};
  Rules(w, c, b, xs, ys);
}

void DrawStackedHBars(Writer& w, const Chart& c, const Box& b) {
  const size_t rows = c.categories.size();
  std::vector<double> total(rows, 0);
  for (const Series& s : c.series)
    for (const Point& p : s.points)
      if (p.x >= 0 && static_cast<size_t>(p.x) < rows && std::isfinite(p.y) && p.y > 0)
        total[static_cast<size_t>(p.x)] += p.y;
  double mx = 0;
  for (size_t r = 0; r < rows; ++r) {
    mx = std::max(mx, total[r]);
    if (r < c.category_limits.size() && c.category_limits[r]) mx = std::max(mx, *c.category_limits[r]);
  }
  for (const Rule& r : c.rules) mx = std::max(mx, r.value);
  const Domain xd = MakeDomain(0, mx, c.x, true);
  const Scale xs{xd.lo, xd.hi, b.left, b.right, false};
  ValueGrid(w, b, xs, xd, false);
  const double slot = (b.bottom - b.top) / static_cast<double>(std::max<size_t>(rows, 1));
  const double h = std::min(28.0, slot * 0.7);
  auto center = [&](size_t r) { return b.top + slot * (static_cast<double>(r) + 0.5); };
  for (size_t r = 0; r < rows; ++r) w.Text(b.left - 8, center(r) + 4, c.categories[r], "tick", "end");
  // Series by series, each segment starting where the row's earlier series ended.
  std::vector<double> offset(rows, 0);
  for (size_t i = 0; i < c.series.size(); ++i) {
    const Series& s = c.series[i];
    w.out() << "<g class=\"series\" data-name=\"" << Escape(s.name) << "\">\n";
    for (const Point& p : s.points) {
      if (p.x < 0 || static_cast<size_t>(p.x) >= rows || !std::isfinite(p.y) || p.y <= 0) continue;
      const size_t r = static_cast<size_t>(p.x);
      w.out() << "<rect class=\"bar\" x=\"" << Num(xs(offset[r])) << "\" y=\"" << Num(center(r) - h / 2)
              << "\" width=\"" << Num(std::max(xs(offset[r] + p.y) - xs(offset[r]), 0.5)) << "\" height=\"" << Num(h)
              << "\" fill=\"" << Color(s, i) << "\">";
      if (!p.label.empty()) w.out() << "<title>" << Escape(p.label) << "</title>";
      w.out() << "</rect>\n";
      offset[r] += p.y;
    }
    w.out() << "</g>\n";
  }
  for (size_t r = 0; r < rows && r < c.category_limits.size(); ++r) {
    if (!c.category_limits[r]) continue;
    const double lx = xs(*c.category_limits[r]), cy = center(r);
    w.Line(lx, cy - h / 2 - 4, lx, cy + h / 2 + 4, "limit");
    if (r == 0 && !c.limit_label.empty()) w.Text(lx + 4, cy - h / 2 - 4, c.limit_label, "value");
  }
  w.Line(b.left, b.top, b.left, b.bottom, "axis");
  w.Line(b.left, b.bottom, b.right, b.bottom, "axis");
  const Scale ys{0, 1, b.bottom, b.top, false};
  Rules(w, c, b, xs, ys);
}

}  // namespace

std::vector<double> Ticks(double lo, double hi, bool log) {
  std::vector<double> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  if (log) {
    const int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    const int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    const bool fill = d1 - d0 <= 2;
    for (int d = d0; d <= d1; ++d) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (m != 1.0 && !fill) continue;
        const double v = m * std::pow(10.0, d);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push_back(v);
      }
    }
    return out;
  }
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  // k x step, computed so that decimal steps come out exact (3 x 0.2 = 0.6, not 0.6000000000000001).
  const double inv = mag < 1 ? std::round(1 / mag) : 1;
  const double unit = mag < 1 ? step * inv : step;  // a whole number when mag < 1
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k) {
    const double v = mag < 1 ? k * unit / inv : k * step;
    out.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

std::string TickText(double v, bool binary) {
  const double a = std::abs(v);
  char buf[32];
  if (binary && a >= 1024) {
    const double k = a >= 1024.0 * 1024 ? v / (1024.0 * 1024) : v / 1024;
    std::snprintf(buf, sizeof(buf), "%g%s", k, a >= 1024.0 * 1024 ? "M" : "k");
    return buf;
  }
  auto trim = [](double x, const char* suffix) {
    char b[32];
    if (std::abs(x - std::round(x)) < 1e-9 * std::max(1.0, std::abs(x)))
      std::snprintf(b, sizeof(b), "%.0f%s", x, suffix);
    else
      std::snprintf(b, sizeof(b), "%.3g%s", x, suffix);
    return std::string(b);
  };
  if (a >= 1e9) return trim(v / 1e9, "G");
  if (a >= 1e6) return trim(v / 1e6, "M");
  if (a >= 1e4) return trim(v / 1e3, "k");
  if (a >= 100) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  if (a >= 1 || a == 0) return trim(v, "");
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') continue;
        out += ch;
    }
  }
  return out;
}

std::string Draw(const Chart& c, const std::string& id, Size size) {
  Writer w(id);
  Header(w, c, size);
  const double legend_bottom = Legend(w, c, c.subtitle.empty() ? 48 : 64, size.width);
  Box b{72, static_cast<double>(size.width) - 24, legend_bottom + 14,
        static_cast<double>(size.height) - (c.note.empty() ? 52 : 66)};
  if (c.kind == ChartKind::kStackedHBars) {
    double longest = 0;
    for (const auto& cat : c.categories) longest = std::max(longest, TextWidth(cat, 11));
    b.left = std::clamp(longest + 20, 72.0, size.width * 0.4);
  }
  if (c.kind == ChartKind::kBars) {
    // Room for turned category labels.
    const double slot = (b.right - b.left) / static_cast<double>(std::max<size_t>(c.categories.size(), 1));
    double longest = 0;
    for (const auto& cat : c.categories) longest = std::max(longest, TextWidth(cat, 11));
    if (longest >= slot - 4) b.bottom -= std::min(longest * 0.5, 90.0) - 10;
  }
  switch (c.kind) {
    case ChartKind::kLine:
    case ChartKind::kScatter:
      DrawXY(w, c, b);
      break;
    case ChartKind::kBars:
      DrawBars(w, c, b);
      break;
    case ChartKind::kStackedHBars:
      DrawStackedHBars(w, c, b);
      break;
  }
  AxisLabels(w, c, b, size);
  w.out() << "</svg>\n";
  return w.out().str();
}

std::string Document(const std::vector<Chart>& charts, Size size) {
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const int total = size.height * static_cast<int>(std::max<size_t>(charts.size(), 1));
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << size.width << "\" height=\"" << total
    << "\" viewBox=\"0 0 " << size.width << " " << total << "\">\n";
  for (size_t i = 0; i < charts.size(); ++i) {
    std::string one = Draw(charts[i], "chart" + std::to_string(i + 1), size);
    // Nested charts are placed by their y attribute.
    one.insert(one.find(' '), " y=\"" + std::to_string(size.height * static_cast<int>(i)) + "\"");
    o << one;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace tokcast::report::svg
