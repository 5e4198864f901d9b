#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/text.h"

namespace tokcast::report {

namespace {

using nlohmann::json;
using svg::Chart;
using svg::ChartKind;
using svg::Point;
using svg::Series;
using svg::Style;
using svg::TickText;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr size_t kMaxGroups = 4;  // charts per quantity when rows fall into groups

double Number(const json& row, const char* key, const char* sub = nullptr) {
  if (!row.contains(key)) return NAN;
  const json* v = &row[key];
  if (sub) {
    if (!v->is_object() || !v->contains(sub)) return NAN;
    v = &(*v)[sub];
  }
  return v->is_number() ? v->get<double>() : NAN;
}

std::string Text(const json& row, const char* key) {
  if (!row.contains(key)) return "";
  const json& v = row[key];
  return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
}

bool Varies(const std::vector<json>& rows, const char* key) {
  for (const auto& r : rows)
    if (Text(r, key) != Text(rows.front(), key)) return true;
  return false;
}

std::vector<const char*> Varying(const std::vector<json>& rows, std::initializer_list<const char*> keys) {
  std::vector<const char*> out;
  for (const char* k : keys)
    if (Varies(rows, k)) out.push_back(k);
  return out;
}

// "prompt 512 · gen 128 · batch 1": the fields every row shares, as the chart's scenario.
std::string Shared(const std::vector<json>& rows, std::initializer_list<std::pair<const char*, const char*>> keys) {
  std::string out;
  for (const auto& [key, label] : keys) {
    if (rows.empty() || !rows.front().contains(key) || Varies(rows, key)) continue;
    const std::string v = Text(rows.front(), key);
    if (v.empty()) continue;
    // Defaults go without saying.
    const std::string k = key;
    if ((k == "depth" && v == "0") || ((k == "devices" || k == "tp") && v == "1")) continue;
    if (!out.empty()) out += " · ";
    out += label;
    if (label[0]) out += ' ';
    out += v;
  }
  return out;
}

std::string Label(const json& row, const std::vector<const char*>& keys) {
  std::string out;
  for (const char* k : keys) {
    if (!out.empty()) out += ' ';
    out += Text(row, k);
  }
  return out;
}

// Rows that fall into groups by `keys`, in first-seen order.
std::vector<std::vector<json>> GroupBy(const std::vector<json>& rows, const std::vector<const char*>& keys) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<json>> groups;
  for (const auto& r : rows) {
    const std::string k = Label(r, keys);
    if (!groups.count(k)) order.push_back(k);
    groups[k].push_back(r);
  }
  std::vector<std::vector<json>> out;
  for (const auto& k : order) out.push_back(std::move(groups[k]));
  return out;
}

bool WideRange(const std::vector<double>& xs) {
  if (xs.empty()) return false;
  const auto [mn, mx] = std::minmax_element(xs.begin(), xs.end());
  return *mn > 0 && *mx / *mn >= 8;
}

// Token counts and batch sizes swept by doubling read best on a power-of-two axis.
void TokenAxis(svg::Axis& a, const std::vector<double>& xs) {
  a.log = WideRange(xs);
  if (!a.log) return;
  size_t pow2 = 0;
  for (double x : xs) pow2 += x >= 1 && std::exp2(std::round(std::log2(x))) == x;
  a.binary = pow2 * 2 >= xs.size();
}

// ---- predict / compare ----

constexpr std::initializer_list<const char*> kSetup = {"hardware", "model", "quant", "runtime", "kv_type"};
constexpr std::initializer_list<const char*> kShape = {"prompt", "gen", "depth", "batch", "devices", "tp"};

std::string ScenarioLine(const std::vector<json>& rows) {
  return Shared(rows, {{"model", ""},
                       {"quant", ""},
                       {"runtime", ""},
                       {"prompt", "prompt"},
                       {"gen", "gen"},
                       {"depth", "depth"},
                       {"batch", "batch"},
                       {"devices", "devices"},
                       {"tp", "TP"},
                       {"kv_type", "KV"}});
}

struct Metric {
  const char* key;
  const char* title;
  const char* axis;
};
constexpr Metric kTg{"tg_tok_s", "Decode speed", "decode tok/s per sequence"};
constexpr Metric kBatchTg{"batch_tok_s", "Decode throughput", "decode tok/s, all sequences"};
constexpr Metric kPp{"pp_tok_s", "Prefill speed", "prefill tok/s"};

// The 80% prediction interval of a speed (held-out error), when the row carries one.
void Interval(const json& row, const char* key, Point& p) {
  const std::string k = std::string(key) + "_interval";
  const double lo = Number(row, k.c_str(), "low"), hi = Number(row, k.c_str(), "high");
  if (std::isfinite(lo) && std::isfinite(hi)) {
    p.lo = lo;
    p.hi = hi;
    p.label += " (80% interval " + TickText(lo) + " to " + TickText(hi) + ")";
  }
}

constexpr const char* kIntervalNote = "whiskers and bands: where 80% of held-out measurements fell";

// Expected bars with the bound as an outlined bar beside them; claims as diamonds.
Chart PairBars(const std::vector<json>& rows, const Metric& m, const std::vector<const char*>& label_keys,
               const std::string& scenario) {
  Chart c;
  c.kind = ChartKind::kBars;
  c.title = std::string(m.title) + " per platform: expected and physical bound";
  c.subtitle = scenario;
  c.y.label = m.axis;
  Series expected{"expected (calibrated)", {}, Style::kSolid, 0},
      bound{"bound (no run can beat it)", {}, Style::kDashed, 0};
  Series claims{"published claim", {}, Style::kMarkers, 3};
  const std::string metric = std::string(m.key) == "pp_tok_s" ? "pp" : "tg";
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& r = rows[i];
    c.categories.push_back(Label(r, label_keys) + (Text(r, "verdict") == "offload" ? " (offload)" : ""));
    const double x = static_cast<double>(i);
    Point e{x, Number(r, m.key, "expected"), {}, {}, c.categories.back() + ": expected"};
    Interval(r, m.key, e);
    expected.points.push_back(e);
    bound.points.push_back({x, Number(r, m.key, "bound"), {}, {}, c.categories.back() + ": bound"});
    if (std::string(m.key) == "batch_tok_s" || !r.contains("claims")) continue;
    for (const auto& cl : r["claims"]) {
      if (cl.value("metric", "") != metric) continue;
      claims.points.push_back({x,
                               cl.value("claimed", NAN),
                               {},
                               {},
                               cl.value("source", "") + (cl.value("possible", true) ? "" : ": beats the bound")});
    }
  }
  c.series = {expected, bound};
  if (!claims.points.empty()) c.series.push_back(claims);
  for (const auto& p : expected.points)
    if (p.lo) c.note = kIntervalNote;
  return c;
}

// Speed along a swept workload dimension: expected solid, bound dashed, one colour per setup.
Chart PairLines(const std::vector<json>& rows, const Metric& m, const char* xkey, const std::vector<const char*>& setup,
                const std::string& scenario) {
  Chart c;
  c.kind = ChartKind::kLine;
  c.title = std::string(m.title) + " against " + xkey + ": expected and bound";
  c.subtitle = scenario;
  c.x.label = std::string(xkey) + (std::string(xkey) == "batch" ? " (sequences)" : " (tokens)");
  c.y.label = m.axis;
  std::vector<double> xs;
  int color = 0;
  for (const auto& group : GroupBy(rows, setup)) {
    const std::string name = setup.empty() ? std::string("") : Label(group.front(), setup);
    Series e{name.empty() ? "expected" : name, {}, Style::kSolid, color};
    Series b{name.empty() ? "bound" : name + " (bound)", {}, Style::kDashed, color};
    for (const auto& r : group) {
      const double x = Number(r, xkey);
      xs.push_back(x);
      Point pe{x, Number(r, m.key, "expected"), {}, {}, name + " @ " + TickText(x)};
      Interval(r, m.key, pe);
      e.points.push_back(pe);
      b.points.push_back({x, Number(r, m.key, "bound"), {}, {}, name + " bound @ " + TickText(x)});
    }
    c.series.push_back(std::move(e));
    c.series.push_back(std::move(b));
    ++color;
  }
  TokenAxis(c.x, xs);
  // Setups an order of magnitude apart read on a log axis.
  std::vector<double> ys;
  for (const auto& se : c.series)
    for (const auto& p : se.points)
      if (p.y > 0) ys.push_back(p.y);
  if (!ys.empty()) {
    const auto [mn, mx] = std::minmax_element(ys.begin(), ys.end());
    c.y.log = *mx / *mn >= 20;
  }
  c.note = "solid: expected with calibrated efficiencies; dashed: the physical bound (every efficiency at 1)";
  for (const auto& se : c.series)
    for (const auto& p : se.points)
      if (p.lo) c.note = "solid: expected; dashed: the physical bound; band: where 80% of held-out measurements fell";
  return c;
}

std::vector<Chart> PredictCharts(const Report& rep) {
  std::vector<json> rows;
  for (const auto& r : rep.rows)
    if (Text(r, "verdict") != "does not fit") rows.push_back(r);
  if (rows.empty()) return {};
  const auto setup = Varying(rows, kSetup);
  const auto shape = Varying(rows, kShape);
  std::vector<Chart> out;
  if (shape.size() == 1) {
    const char* x = shape.front();
    const std::string scenario = ScenarioLine(rows);
    out.push_back(PairLines(rows, std::string(x) == "batch" ? kBatchTg : kTg, x, setup, scenario));
    if (std::string(x) != "gen") out.push_back(PairLines(rows, kPp, x, setup, scenario));
    return out;
  }
  // Bars: one chart per model and weights; a bar per platform (its runtime and the workload
  // named too where one platform appears more than once).
  std::vector<const char*> group_keys;
  for (const char* k : setup)
    if (std::string(k) != "hardware" && std::string(k) != "runtime") group_keys.push_back(k);
  auto groups = GroupBy(rows, group_keys);
  std::vector<const char*> label_keys = {"hardware"};
  auto unique_labels = [&] {
    for (const auto& g : groups) {
      std::set<std::string> seen;
      for (const auto& r : g)
        if (!seen.insert(Label(r, label_keys)).second) return false;
    }
    return true;
  };
  if (!unique_labels() && Varies(rows, "runtime")) label_keys.push_back("runtime");
  if (!unique_labels())
    for (const char* k : shape) label_keys.push_back(k);
  if (groups.size() > kMaxGroups) groups.resize(kMaxGroups);
  for (const Metric& m : {kTg, kPp}) {
    for (const auto& g : groups) out.push_back(PairBars(g, m, label_keys, ScenarioLine(g)));
  }
  for (const auto& [key, title, axis] : {std::tuple{"usd_per_mtok", "Cost per million generated tokens", "USD / Mtok"},
                                         std::tuple{"joules_per_token", "Energy per generated token", "J / token"}}) {
    for (const auto& g : groups) {
      Chart c;
      c.kind = ChartKind::kBars;
      c.title = title;
      c.subtitle = ScenarioLine(g);
      c.y.label = axis;
      Series s{axis, {}, Style::kSolid, 2};
      s.in_legend = false;
      for (size_t i = 0; i < g.size(); ++i) {
        c.categories.push_back(Label(g[i], label_keys));
        const double v = Number(g[i], key);
        if (std::isfinite(v)) s.points.push_back({static_cast<double>(i), v, {}, {}, c.categories.back()});
      }
      if (s.points.empty()) continue;
      c.series.push_back(std::move(s));
      if (std::string(key) == "usd_per_mtok") {
        c.note = "platforms without a catalogued price have no bar";
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

// ---- fit ----

std::vector<Chart> FitCharts(const Report& rep) {
  const auto& rows = rep.rows;
  if (rows.empty()) return {};
  const auto setup = Varying(rows, kSetup);
  const auto shape = Varying(rows, {"ctx", "batch", "devices"});
  const std::string scenario = Shared(
      rows, {{"model", ""}, {"quant", ""}, {"runtime", ""}, {"ctx", "ctx"}, {"batch", "batch"}, {"kv_type", "KV"}});
  std::vector<Chart> out;
  if (shape.size() == 1 && (std::string(shape[0]) == "ctx" || std::string(shape[0]) == "batch")) {
    // Memory along the sweep: device use rising to the usable line, then the host part as
    // layers spill (the VRAM cliff), and the layers left on the device.
    const char* x = shape[0];
    Chart mem, layers;
    mem.kind = layers.kind = ChartKind::kLine;
    const std::string xname = std::string(x) == "ctx" ? "context" : "batch";
    mem.title = "Memory against " + xname + ": needed, on the device, usable";
    layers.title = "Layers on the device against " + xname;
    mem.subtitle = layers.subtitle = scenario;
    mem.x.label = layers.x.label = std::string(x) == "ctx" ? "context (tokens per sequence)" : "batch (sequences)";
    mem.y.label = "GiB";
    layers.y.label = "layers on the device";
    std::vector<double> xs;
    int color = 0;
    for (const auto& g : GroupBy(rows, setup)) {
      const std::string name = setup.empty() ? "" : Label(g.front(), setup) + ": ";
      Series needed{name + "needed", {}, Style::kSolid, color},
          used{name + "on the device", {}, Style::kSolid, color + 1};
      Series usable{name + "usable", {}, Style::kDashed, color + 1},
          lay{name.empty() ? "layers" : name, {}, Style::kSolid, color};
      for (const auto& r : g) {
        const double xv = Number(r, x);
        xs.push_back(xv);
        const double dev = Number(r, "device_used_bytes") / kGiB;
        const double need = (Number(r, "weights_bytes") + Number(r, "kv_bytes") + Number(r, "overhead_bytes")) / kGiB;
        const std::string tip = Text(r, "verdict") + " at " + TickText(xv, true) + ": " + FormatFixed(need, 1) +
                                " GiB needed, " + FormatFixed(dev, 1) + " GiB on the device";
        needed.points.push_back({xv, need, {}, {}, tip});
        used.points.push_back({xv, dev, {}, {}, tip});
        usable.points.push_back({xv, Number(r, "usable_bytes") / kGiB, {}, {}, "usable"});
        lay.points.push_back({xv, Number(r, "layers_on_device"), {}, {}, Text(r, "verdict")});
      }
      mem.series.push_back(needed);
      mem.series.push_back(used);
      mem.series.push_back(usable);
      layers.series.push_back(lay);
      color += 2;
    }
    TokenAxis(mem.x, xs);
    TokenAxis(layers.x, xs);
    mem.note = "above the usable line the rest spills to host memory: layers run on the CPU, and slowly";
    out.push_back(std::move(mem));
    out.push_back(std::move(layers));
    return out;
  }
  Chart c;
  c.kind = ChartKind::kStackedHBars;
  c.title = "Memory per platform against usable capacity";
  c.subtitle = scenario;
  c.x.label = "GiB";
  Series w{"weights on the device", {}, Style::kSolid, 0}, kv{"KV cache on the device", {}, Style::kSolid, 1};
  Series buf{"runtime buffers", {}, Style::kSolid, 7}, host{"in host memory", {}, Style::kSolid, 3};
  std::vector<const char*> label_keys = setup;
  for (const char* k : shape) label_keys.push_back(k);
  if (label_keys.empty()) label_keys.push_back("hardware");
  for (size_t i = 0; i < rows.size() && i < 40; ++i) {
    const json& r = rows[i];
    const double x = static_cast<double>(i);
    const std::string name = Label(r, label_keys);
    c.categories.push_back(name);
    w.points.push_back({x, Number(r, "weights_device_bytes") / kGiB, {}, {}, name + ": weights"});
    kv.points.push_back({x, Number(r, "kv_device_bytes") / kGiB, {}, {}, name + ": KV cache"});
    buf.points.push_back({x, Number(r, "overhead_bytes") / kGiB, {}, {}, name + ": buffers"});
    const double h = (Number(r, "weights_host_bytes") + Number(r, "kv_host_bytes")) / kGiB;
    host.points.push_back({x, h, {}, {}, name + ": host part (" + Text(r, "verdict") + ")"});
    c.category_limits.push_back(Number(r, "usable_bytes") / kGiB);
  }
  c.limit_label = "usable";
  c.series = {w, kv, buf, host};
  c.note = "the black mark is each platform's usable device memory";
  out.push_back(std::move(c));
  return out;
}

// ---- explain ----

std::vector<Chart> ExplainCharts(const Report& rep) {
  std::vector<Chart> out;
  std::vector<std::string> bounds;
  for (const auto& r : rep.rows)
    if (std::find(bounds.begin(), bounds.end(), Text(r, "bound")) == bounds.end()) bounds.push_back(Text(r, "bound"));
  for (const char* phase : {"prefill", "decode"}) {
    Chart c;
    c.kind = ChartKind::kStackedHBars;
    c.title = std::string("Time per operator, ") + phase + ", by what bounds it";
    c.subtitle = rep.title;
    c.x.label = "ms";
    for (size_t b = 0; b < bounds.size(); ++b) c.series.push_back({bounds[b], {}, Style::kSolid, static_cast<int>(b)});
    for (const auto& r : rep.rows) {
      if (Text(r, "phase") != phase) continue;
      const double x = static_cast<double>(c.categories.size());
      std::string name = Text(r, "op");
      if (Text(r, "where") != "device") name += " (" + Text(r, "where") + ")";
      c.categories.push_back(name);
      const auto b = std::find(bounds.begin(), bounds.end(), Text(r, "bound")) - bounds.begin();
      c.series[static_cast<size_t>(b)].points.push_back(
          {x, Number(r, "ms"), {}, {}, name + ": " + FormatFixed(Number(r, "ms"), 3) + " ms, " + Text(r, "bound")});
    }
    if (c.categories.empty()) continue;
    out.push_back(std::move(c));
  }
  return out;
}

// One solid series per name (a source, a platform) in first-seen order, each its own colour.
class SeriesByName {
 public:
  explicit SeriesByName(Chart& c) : c_(c) {}
  Series& operator[](const std::string& name) {
    auto [it, added] = index_.try_emplace(name, c_.series.size());
    if (added) c_.series.push_back({name, {}, Style::kSolid, static_cast<int>(c_.series.size())});
    return c_.series[it->second];
  }

 private:
  Chart& c_;
  std::map<std::string, size_t> index_;
};

// ---- validate ----

std::vector<Chart> ValidateCharts(const Report& rep) {
  std::map<std::string, std::vector<const json*>> by_test;
  for (const auto& r : rep.rows)
    if (std::isfinite(Number(r, "predicted")) && Number(r, "measured") > 0) by_test[Text(r, "test")].push_back(&r);
  std::vector<std::pair<std::string, std::vector<const json*>>> tests(by_test.begin(), by_test.end());
  std::stable_sort(tests.begin(), tests.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  if (tests.size() > 6) tests.resize(6);
  std::vector<Chart> out;
  for (const auto& [test, rows] : tests) {
    Chart c;
    c.kind = ChartKind::kScatter;
    c.title = "Predicted against measured: " + test;
    c.subtitle = std::to_string(rows.size()) + " measurements, coloured by source";
    c.x.label = "measured";
    c.y.label = "predicted";
    c.x.log = c.y.log = true;
    c.diagonal = true;
    SeriesByName by_source(c);
    Series bound{"physical bound", {}, Style::kHollow, 7};
    for (const json* r : rows) {
      const std::string src = Text(*r, "source");
      const std::string tip = Text(*r, "hardware") + " " + Text(*r, "model") + " " + Text(*r, "shape") + ": measured " +
                              TickText(Number(*r, "measured")) + ", predicted " + TickText(Number(*r, "predicted"));
      by_source[src].points.push_back({Number(*r, "measured"), Number(*r, "predicted"), {}, {}, tip});
      bound.points.push_back(
          {Number(*r, "measured"), Number(*r, "bound"), {}, {}, tip + ", bound " + TickText(Number(*r, "bound"))});
    }
    c.series.push_back(bound);
    c.note = "dashed: predicted = measured; every hollow bound must lie above it (a bound below it is a bug)";
    out.push_back(std::move(c));
  }
  return out;
}

// ---- plan ----

std::vector<Chart> PlanCharts(const Report& rep) {
  Chart c;
  c.kind = ChartKind::kScatter;
  c.title = "Throughput per device against speed per user";
  c.subtitle = rep.title;
  c.x.label = "output tok/s each user sees";
  c.y.label = "output tok/s per device";
  SeriesByName by_hardware(c);
  std::vector<Point> all;
  for (const auto& r : rep.rows) {
    const double x = Number(r, "tok_s_per_user"), y = Number(r, "tok_s_per_device");
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    const std::string hw = Text(r, "hardware");
    const double usd = Number(r, "usd_per_hour");
    const std::string tip = hw + " " + Text(r, "runtime") + " " + Text(r, "quant") + " TP" + Text(r, "tp") + ": " +
                            Text(r, "replicas") + " replicas" +
                            (std::isfinite(usd) ? ", $" + FormatFixed(usd, 1) + "/h" : std::string());
    by_hardware[hw].points.push_back({x, y, {}, {}, tip});
    all.push_back({x, y, {}, {}, tip});
  }
  if (all.empty()) return {};
  // The Pareto front: no other configuration is faster per user and per device.
  std::sort(all.begin(), all.end(),
            [](const Point& a, const Point& b) { return a.x > b.x || (a.x == b.x && a.y > b.y); });
  Series front{"Pareto front", {}, Style::kDashed, 7};
  double best = -INFINITY;
  for (const auto& p : all) {
    if (p.y > best) {
      front.points.push_back(p);
      best = p.y;
    }
  }
  std::reverse(front.points.begin(), front.points.end());
  // As a staircase: between two configurations nothing better than the slower one is known.
  std::vector<Point> steps;
  for (size_t i = 0; i < front.points.size(); ++i) {
    if (i) steps.push_back({front.points[i - 1].x, front.points[i].y, {}, {}, ""});
    steps.push_back(front.points[i]);
  }
  front.points = std::move(steps);
  if (front.points.size() > 1) c.series.push_back(front);
  return {c};
}

// ---- simulate ----

std::vector<Chart> SimulateCharts(const Report& rep) {
  std::vector<Chart> out;
  if (rep.schema->kind == "simulate_request") {
    Chart c;
    c.kind = ChartKind::kScatter;
    c.title = "Time to first token of each request against its arrival";
    c.subtitle = rep.title;
    c.x.label = "arrival (s)";
    c.y.label = "TTFT (ms)";
    Series s{"request", {}, Style::kSolid, 0};
    s.in_legend = false;
    for (const auto& r : rep.rows)
      s.points.push_back({Number(r, "arrival_s"), Number(r, "ttft_ms"), {}, {}, "request " + Text(r, "id")});
    c.series.push_back(std::move(s));
    out.push_back(std::move(c));
    return out;
  }
  const auto& rows = rep.rows;
  if (rows.empty()) return {};
  const char* x = rows.size() > 1 && Varies(rows, "request_rate")  ? "request_rate"
                  : rows.size() > 1 && Varies(rows, "concurrency") ? "concurrency"
                                                                   : nullptr;
  const std::string scenario =
      Shared(rows, {{"hardware", ""}, {"model", ""}, {"quant", ""}, {"runtime", ""}, {"tp", "TP"}});
  if (x) {
    const std::string xlabel =
        std::string(x) == "request_rate" ? "request rate (req/s)" : "concurrency (requests in flight)";
    for (const auto& [key, title, axis] : {std::tuple{"ttft_ms", "Time to first token against load", "TTFT (ms)"},
                                           std::tuple{"tpot_ms", "Time per output token against load", "TPOT (ms)"}}) {
      Chart c;
      c.kind = ChartKind::kLine;
      c.title = title;
      c.subtitle = scenario;
      c.x.label = xlabel;
      c.y.label = axis;
      int color = 0;
      for (const char* q : {"median", "p90", "p99"}) {
        Series s{q, {}, Style::kSolid, color++};
        for (const auto& r : rows) s.points.push_back({Number(r, x), Number(r, key, q), {}, {}, q});
        c.series.push_back(std::move(s));
      }
      std::vector<double> ys;
      for (const auto& r : rows) ys.push_back(Number(r, key, "p99"));
      c.y.log = WideRange(ys);
      out.push_back(std::move(c));
    }
    Chart t;
    t.kind = ChartKind::kLine;
    t.title = "Output throughput against load, with the bound";
    t.subtitle = scenario;
    t.x.label = xlabel;
    t.y.label = "output tok/s";
    Series got{"simulated", {}, Style::kSolid, 0}, bound{"bound (no schedule beats it)", {}, Style::kDashed, 0};
    for (const auto& r : rows) {
      got.points.push_back({Number(r, x), Number(r, "output_throughput"), {}, {}, ""});
      bound.points.push_back({Number(r, x), Number(r, "output_throughput_bound"), {}, {}, ""});
    }
    t.series = {got, bound};
    out.push_back(std::move(t));
  }
  // Queue and KV use over time, from the run's timeline (the last row's, for a sweep).
  const json& last = rows.back();
  if (last.contains("timeline") && last["timeline"].is_array() && !last["timeline"].empty()) {
    Chart q, kv;
    q.kind = kv.kind = ChartKind::kLine;
    q.title = "Requests running and waiting over time";
    kv.title = "KV cache in use over time";
    q.subtitle = kv.subtitle = rep.rows.size() > 1 ? scenario + " · the last run of the sweep" : rep.title;
    q.x.label = kv.x.label = "time (s)";
    q.y.label = "requests";
    kv.y.label = "share of the KV pool (%)";
    kv.y.max = 100;
    Series run{"running", {}, Style::kSolid, 0}, wait{"waiting", {}, Style::kSolid, 3},
        used{"KV in use", {}, Style::kSolid, 2};
    used.in_legend = false;
    for (const auto& p : last["timeline"]) {
      const double ts = p.value("t_s", NAN);
      run.points.push_back({ts, p.value("running", NAN), {}, {}, ""});
      wait.points.push_back({ts, p.value("waiting", NAN), {}, {}, ""});
      used.points.push_back({ts, 100 * p.value("kv_used", NAN), {}, {}, ""});
    }
    q.series = {run, wait};
    kv.series = {used};
    out.push_back(std::move(q));
    out.push_back(std::move(kv));
  }
  return out;
}

}  // namespace

const char* ChartedKinds() {
  return "fit, predict, compare, explain, validate, simulate and plan";
}

std::vector<Chart> ChartsFor(const Report& rep) {
  if (!rep.schema) return {};
  const std::string& kind = rep.schema->kind;
  if (kind == "predict" || kind == "compare") return PredictCharts(rep);
  if (kind == "fit") return FitCharts(rep);
  if (kind == "explain") return ExplainCharts(rep);
  if (kind == "validate") return ValidateCharts(rep);
  if (kind == "plan") return PlanCharts(rep);
  if (kind == "simulate" || kind == "simulate_request") return SimulateCharts(rep);
  return {};
}

}  // namespace tokcast::report
