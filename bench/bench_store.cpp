// Results store at scale: `tokcast results list` and `results show` on a database of 100,000
// runs (two measurements each), as the report the CLI prints.
//   cmake --preset bench && cmake --build --preset bench && ./build/bench/bench/tokcast_bench_store
// Target (hostile-input issue): results list under 0.5 s at 100,000 runs.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <sstream>

#include "app/results.h"
#include "report/schema.h"
#include "store/results_store.h"

namespace {

using namespace tokcast;

const std::string& Database() {
  static const std::string path = [] {
    const std::string p = (std::filesystem::temp_directory_path() / "tokcast-bench-store.db").string();
    std::filesystem::remove(p);
    std::filesystem::remove(p + "-wal");
    store::ResultsStore db(p);
    std::vector<store::StoredRun> runs(100'000);
    for (size_t i = 0; i < runs.size(); ++i) {
      auto& r = runs[i];
      r.kind = "bench-model";
      r.tool_version = "0.1.0";
      r.git_commit = "bench";
      r.build_type = "Release";
      r.host_json = R"({"cpu_model": "bench"})";
      r.result_json = R"({"pp_tok_s": 100})";
      for (const char* test : {"pp", "tg"}) {
        MeasuredRow m;
        m.hardware = "local";
        m.runtime = "tokcast-probe";
        m.model = "qwen3-0.6b";
        m.quant = "q4_0";
        m.test = test;
        m.value = 100.0 + static_cast<double>(i % 7);
        m.unit = "tok/s";
        m.source_id = "tokcast-bench";
        r.rows.push_back(m);
      }
    }
    db.InsertMany(runs);
    return p;
  }();
  return path;
}

void BM_ResultsList100kRuns(benchmark::State& state) {
  const std::string& db = Database();
  report::RenderOptions o;
  o.format = report::Format::kTable;
  for (auto _ : state) {
    std::ostringstream out;
    report::Render(app::ResultsListReport(app::ListResults({db, "", 1000})), o, out);
    benchmark::DoNotOptimize(out.str().size());
  }
}
BENCHMARK(BM_ResultsList100kRuns)->Unit(benchmark::kMillisecond);

// Every run, for `results list --limit 0`.
void BM_ResultsListAll100kRuns(benchmark::State& state) {
  const std::string& db = Database();
  report::RenderOptions o;
  for (auto _ : state) {
    std::ostringstream out;
    report::Render(app::ResultsListReport(app::ListResults({db, "", 0})), o, out);
    benchmark::DoNotOptimize(out.str().size());
  }
}
BENCHMARK(BM_ResultsListAll100kRuns)->Unit(benchmark::kMillisecond);

void BM_StoreList100kRuns(benchmark::State& state) {
  const std::string& db = Database();
  for (auto _ : state) benchmark::DoNotOptimize(app::ListResults({db, ""}).runs.size());
}
BENCHMARK(BM_StoreList100kRuns)->Unit(benchmark::kMillisecond);

void BM_ListReport100kRuns(benchmark::State& state) {
  const auto runs = app::ListResults({Database(), ""});
  for (auto _ : state) benchmark::DoNotOptimize(app::ResultsListReport(runs).rows.size());
}
BENCHMARK(BM_ListReport100kRuns)->Unit(benchmark::kMillisecond);

void BM_ResultsShow100kRuns(benchmark::State& state) {
  const std::string& db = Database();
  for (auto _ : state) benchmark::DoNotOptimize(app::ShowStoredRun({db, ""}, 54321).rows.size());
}
BENCHMARK(BM_ResultsShow100kRuns)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
