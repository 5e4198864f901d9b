// tokcast bench machine / bench model / synth: measuring this machine, and the synthetic model
// as a GGUF file for other engines.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "measure/machine_bench.h"
#include "report/schema.h"

namespace tokcast::measure {
class WeightSource;
}
namespace tokcast::catalog {
class GgufFile;
struct GgufHeader;
}  // namespace tokcast::catalog

namespace tokcast::app {

using Progress = std::function<void(const std::string& what)>;

struct BenchMachineRequest {
  measure::MachineBenchOptions options;
  std::string profile_out;  // "" = LocalHardwarePath()
  bool write_profile = true;
  bool store = true;
  std::string db_path;
};
struct BenchMachineResult {
  measure::MachineBenchResult m;
  std::string profile_path, gpu_profile_path;
  std::optional<int64_t> run_id;
};
BenchMachineResult BenchMachine(const BenchMachineRequest& request, const Progress& progress);
report::Report BenchMachineReport(const BenchMachineResult& result);

struct BenchModelRequest {
  std::string model;  // catalog id (synthetic weights) or a .gguf file
  std::string quant = "q4_0";
  uint64_t prompt = 512, gen = 128, depth = 0, seed = 1;
  unsigned threads = 0;
  int reps = 5;
  bool profile = false;  // also a per-operator profile of each test
  bool store = true;
  std::string db_path;
};
// Every measured and predicted figure, keyed as `bench model --format json` reports them.
struct BenchModelResult {
  nlohmann::json summary;
  std::vector<std::string> notes;
  std::vector<nlohmann::json> profile_rows;  // with `profile`: the report's rows
};
BenchModelResult BenchModel(const catalog::Catalog& cat, const BenchModelRequest& request, const Progress& progress);
report::Report BenchModelReport(const BenchModelResult& result);

struct SynthRequest {
  std::string model, quant = "q4_0", path;
  uint64_t seed = 1;
};
struct SynthResult {
  std::string path, model, quant;
  size_t tensors = 0;
  uint64_t bytes = 0;
};
SynthResult Synth(const catalog::Catalog& cat, const SynthRequest& request);
report::Report SynthReport(const SynthResult& result);

// A GGUF file's tensors as the probe engine's weight source.
std::shared_ptr<const measure::WeightSource> GgufWeights(std::shared_ptr<const catalog::GgufFile> file);
// The same over GGUF bytes in memory (a header parsed from them); `owner` keeps both alive.
std::shared_ptr<const measure::WeightSource> GgufWeights(std::shared_ptr<const void> owner,
                                                         const catalog::GgufHeader& header,
                                                         std::span<const uint8_t> bytes);

nlohmann::json HostJson(const measure::HostFacts& h);

}  // namespace tokcast::app
