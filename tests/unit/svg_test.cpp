// Charts: tick arithmetic, text escaping, and the structure of every chart the CLI draws (not
// its pixels): titles that state the scenario, one mark per row, legends, axis labels, every
// coordinate inside the picture, no NaN; golden skeletons for the article's comparison.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "report/charts.h"
#include "report/svg.h"
#include "test_util.h"

namespace tokcast {
namespace {

using report::svg::Escape;
using report::svg::Ticks;
using report::svg::TickText;

TEST(Svg, LinearTicksAreOneTwoFiveSteps) {
  EXPECT_EQ(Ticks(0, 100, false), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(Ticks(0, 12.5, false), (std::vector<double>{0, 2.5, 5, 7.5, 10, 12.5}));
  EXPECT_EQ(Ticks(0, 0.9, false), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8}));
}

TEST(Svg, LogTicksAreDecadesWithTwoAndFiveWhenFew) {
  EXPECT_EQ(Ticks(1, 100, true), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
  EXPECT_EQ(Ticks(1, 1e5, true), (std::vector<double>{1, 10, 100, 1000, 1e4, 1e5}));
}

TEST(Svg, TickTextIsCompact) {
  EXPECT_EQ(TickText(0), "0");
  EXPECT_EQ(TickText(2.5), "2.5");
  EXPECT_EQ(TickText(800), "800");
  EXPECT_EQ(TickText(1852.4), "1852");
  EXPECT_EQ(TickText(12500), "12.5k");
  EXPECT_EQ(TickText(3e6), "3M");
  EXPECT_EQ(TickText(0.05), "0.05");
  EXPECT_EQ(TickText(131072, true), "128k");
  EXPECT_EQ(TickText(1048576, true), "1M");
}

TEST(Svg, TextIsEscaped) {
  EXPECT_EQ(Escape("a<b & \"c\">\x01"), "a&lt;b &amp; &quot;c&quot;&gt;");
}

// ---- the structure of what the CLI draws ----

struct Drawn {
  std::string svg;
  int width = 0, height = 0;
};

Drawn Svg(std::vector<std::string> args) {
  args.push_back("--format");
  args.push_back("svg");
  const auto r = test::RunCli(args);
  EXPECT_EQ(r.code, 0) << r.err;
  Drawn d{r.out};
  std::smatch m;
  if (std::regex_search(r.out, m, std::regex(R"re(<svg [^>]*width="(\d+)" height="(\d+)")re"))) {
    d.width = std::stoi(m[1]);
    d.height = std::stoi(m[2]);
  }
  return d;
}

std::vector<std::string> All(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

// Every chart: well-formed enough (balanced svg and g elements), no NaN or infinity, every
// coordinate inside its chart.
void ExpectSound(const Drawn& d) {
  ASSERT_EQ(d.svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(All(d.svg, "(<svg[ >])").size(), All(d.svg, "(</svg>)").size());
  EXPECT_EQ(All(d.svg, "(<g[ >])").size(), All(d.svg, "(</g>)").size());
  EXPECT_EQ(d.svg.find("nan"), std::string::npos);
  EXPECT_EQ(d.svg.find("inf\""), std::string::npos);
  for (const auto& v : All(d.svg, R"re(\s(?:x|x1|x2|cx)="(-?[0-9.]+)")re")) {
    EXPECT_GE(std::stod(v), -0.5) << v;
    EXPECT_LE(std::stod(v), d.width + 0.5) << v;
  }
  for (const auto& v : All(d.svg, R"re(\s(?:y1|y2|cy)="(-?[0-9.]+)")re")) {
    EXPECT_GE(std::stod(v), -0.5) << v;
    EXPECT_LE(std::stod(v), 420.5) << v;  // inside its own chart
  }
}

// A skeleton of the picture without numbers: per chart its title, subtitle, legend, axis labels
// and the number of marks per series.
std::string Skeleton(const std::string& svg) {
  std::ostringstream o;
  const std::regex chart(R"re(<svg [^>]*id="chart[\s\S]*?</svg>)re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), chart); it != std::sregex_iterator(); ++it) {
    const std::string c = (*it)[0];
    for (const char* cls : {"title", "subtitle", "legend", "label", "note"})
      for (const auto& t : All(c, std::string("<text class=\"") + cls + "\"[^>]*>([^<]*)</text>"))
        o << cls << ": " << t << "\n";
    const std::regex series(R"re(<g class="series" data-name="([^"]*)">([\s\S]*?)</g>)re");
    for (auto s = std::sregex_iterator(c.begin(), c.end(), series); s != std::sregex_iterator(); ++s) {
      const std::string body = (*s)[2];
      o << "series " << (*s)[1] << ": " << All(body, "(<rect )").size() << " bars, " << All(body, "(<circle )").size()
        << " markers, " << All(body, R"re((<path class="(?:line|marker)))re").size() << " paths\n";
    }
    o << "--\n";
  }
  return o.str();
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = test::TestDataPath("golden/" + name);
  if (std::getenv("TOKCAST_UPDATE_GOLDEN")) std::ofstream(path) << actual;
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " (run with TOKCAST_UPDATE_GOLDEN=1 to write it)";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(actual, want.str()) << "the picture's structure changed; if on purpose, run with TOKCAST_UPDATE_GOLDEN=1";
}

TEST(Charts, TheArticleComparisonHasBarsPerPlatformWithBoundsAndClaims) {
  const Drawn d = Svg({"compare"});
  ExpectSound(d);
  ExpectGolden("compare_svg.txt", Skeleton(d.svg));
  // Seven platforms in each decode chart, and the article's impossible claims drawn.
  EXPECT_NE(d.svg.find("Skorppio (70B Q4 on M4 Max: ~28 tok/s): beats the bound"), std::string::npos);
}

TEST(Charts, FitAlongContextShowsTheCliff) {
  const Drawn d = Svg({"fit", "--model", "llama-3.1-70b", "--hw", "nvidia-rtx-4090", "--ctx", "1k-128k*2"});
  ExpectSound(d);
  ExpectGolden("fit_ctx_svg.txt", Skeleton(d.svg));
  EXPECT_NE(d.svg.find(">128k</text>"), std::string::npos);  // a power-of-two axis
}

TEST(Charts, EveryChartedCommandDraws) {
  const std::vector<std::vector<std::string>> cases = {
      {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090,apple-m4-max-40c"},
      {"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--depth", "0-16k+4k"},
      {"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--batch", "1,2,4,8,16"},
      {"explain", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090"},
      {"validate", "--source", "S05"},
      {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm", "--request-rate", "1,4",
       "--num-requests", "50"},
      {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm", "--num-requests", "50",
       "--per-request"},
      {"plan", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm,nvidia-l40s", "--request-rate", "5", "--slo-ttft-ms",
       "1000", "--slo-tpot-ms", "60"}};
  for (const auto& args : cases) {
    const Drawn d = Svg(args);
    SCOPED_TRACE(args[0] + " " + args[args.size() - 3]);
    ExpectSound(d);
    const std::string skeleton = Skeleton(d.svg);
    EXPECT_NE(skeleton.find("title: "), std::string::npos) << skeleton;
    EXPECT_TRUE(std::regex_search(skeleton, std::regex("[1-9][0-9]* (bars|markers|paths)"))) << skeleton;
  }
}

TEST(Charts, KindsWithoutAPictureSaySoInOneLine) {
  const auto r = test::RunCli({"list", "hardware", "--format", "svg"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("tokcast: error: no chart for this result (hardware_list)", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(Charts, HtmlIsOnePageWithChartsTableAndNotesAndNothingExternal) {
  const auto r = test::RunCli({"compare", "--format", "html"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(r.out.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(r.out.find("<svg xmlns"), std::string::npos);
  EXPECT_NE(r.out.find("<table>"), std::string::npos);
  EXPECT_NE(r.out.find("IMPOSSIBLE"), std::string::npos);
  EXPECT_NE(r.out.find("prefers-color-scheme: dark"), std::string::npos);
  // No external resource: the only URL is the SVG namespace.
  const std::string stripped = std::regex_replace(r.out, std::regex("http://www\\.w3\\.org/2000/svg"), "");
  EXPECT_EQ(stripped.find("http://"), std::string::npos);
  EXPECT_EQ(stripped.find("https://"), std::string::npos);
  EXPECT_EQ(r.out.find("<script"), std::string::npos);
  // Any result has a page, with or without a chart.
  const auto list = test::RunCli({"list", "hardware", "--format", "html"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("nvidia-rtx-4090"), std::string::npos);
}

}  // namespace
}  // namespace tokcast
