// The catalog: hardware, models, quantization recipes and runtimes, loaded from TOML files
// (the built-in set compiled into the binary, plus --catalog directories that add or override
// entries by id). Lookups by unknown id throw InputError naming the closest matches.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/error.h"
#include "core/hardware.h"
#include "core/model.h"
#include "core/quant.h"
#include "core/runtime.h"

namespace tokcast::catalog {

struct ModelEntry {
  ModelSpec spec;
  std::string hf_repo;
  std::vector<std::string> sources;
  std::string origin;  // file it came from
  // Exact weights of a model that came as a file's header (an uploaded GGUF): used instead of a
  // quantization recipe.
  std::optional<std::vector<TensorInfo>> tensors;
  std::string weights_label;
};

// What tokcast assumes when the user does not say (data/defaults/defaults.toml).
struct DefaultRuntimeRule {
  std::string vendor;                     // empty = any
  std::optional<HardwareClass> hw_class;  // nullopt = any
  std::string runtime;
};
struct Defaults {
  std::vector<DefaultRuntimeRule> runtimes;                                    // first match wins
  std::map<std::string, std::vector<std::string>, std::less<>> quant_ladders;  // by engine; "*" = others
  std::vector<std::string> show_quants;
  struct Rope {
    std::string arch_prefix;
    bool neox = false;
    double theta = 10000;
  };
  std::vector<Rope> rope;  // first matching prefix wins
  // Release days of an engine's numbered builds (llama.cpp b3622), by engine: anchors that
  // BuildDay() interpolates between.
  std::map<std::string, std::vector<std::pair<uint32_t, Day>>, std::less<>> build_dates;
};

// A published analysis whose scenario and claims tokcast checks (data/articles/).
struct ArticleClaim {
  std::string hardware, model, metric, text;  // metric: tg, pp or ttft
  double value = 0;
};
struct Article {
  std::string id, title, publisher, date, quant;
  std::vector<std::string> models, hardware, sources;
  std::vector<ArticleClaim> claims;
};

class Catalog {
 public:
  // The built-in catalog. Throws InputError if an embedded file is invalid (a build defect).
  static Catalog Builtin();

  // Adds every *.toml under dir/{hardware,models,quants,runtimes}/ (or dir itself, routed by
  // the file's folder name); entries with an existing id replace it. Throws InputError.
  void AddDirectory(const std::filesystem::path& dir);
  // Parses one catalog file of the given kind ("hardware", "models", "quants", "runtimes").
  void AddFile(std::string_view kind, std::string_view origin, std::string_view text);
  // Adds (or replaces by id) one model, e.g. one imported from an uploaded config.json.
  void AddModel(ModelEntry entry);

  // Lookups. Hardware also resolves the specification table's spelling (specs_id). The throwing
  // lookups also find what a user meant: case and separators do not matter ("RTX4090"), and a
  // unique substring names its entry ("spark" -> nvidia-dgx-spark); an ambiguous one is an error
  // naming the candidates, an unknown one names the closest ids. The Find* lookups are exact
  // (up to case and separators) and return null.
  const HardwareSpec& Hardware(std::string_view id) const;
  const ModelEntry& Model(std::string_view id) const;
  const QuantRecipe& Quant(std::string_view id) const;
  const RuntimeProfile& Runtime(std::string_view id) const;
  const HardwareSpec* FindHardware(std::string_view id) const;
  const ModelEntry* FindModel(std::string_view id) const;
  const QuantRecipe* FindQuant(std::string_view id) const;
  const RuntimeProfile* FindRuntime(std::string_view id) const;

  // All entries, sorted by id.
  std::vector<const HardwareSpec*> AllHardware() const;
  std::vector<const ModelEntry*> AllModels() const;
  std::vector<const QuantRecipe*> AllQuants() const;
  std::vector<const RuntimeProfile*> AllRuntimes() const;

  // The runtime a platform uses by default (llama.cpp with the platform's native backend).
  const RuntimeProfile& DefaultRuntimeFor(const HardwareSpec& hw) const;
  // The release day of build `build` of `engine` (interpolated between data/defaults anchors).
  std::optional<Day> BuildDay(std::string_view engine, uint32_t build) const;
  // A version as users write it: "b3622" or "3622" (a numbered build), "2024-08-26" or "2024-08"
  // (a date). Throws InputError naming `where` for anything else or an engine without build dates.
  Day VersionDay(const RuntimeProfile& rt, std::string_view version, std::string_view where) const;
  // Quantizations tried, best first, for the best one that fits on `rt`.
  const std::vector<std::string>& QuantLadder(const RuntimeProfile& rt) const;
  const Defaults& defaults() const { return defaults_; }
  // Fills the RoPE style and theta a spec leaves unset from the family defaults.
  void FillRopeDefaults(ModelSpec& spec) const;
  const Article& GetArticle(std::string_view id) const;
  std::vector<const Article*> AllArticles() const;

 private:
  std::map<std::string, HardwareSpec, std::less<>> hardware_;
  std::map<std::string, std::string, std::less<>> hardware_alias_;  // specs_id -> id
  std::map<std::string, ModelEntry, std::less<>> models_;
  std::map<std::string, QuantRecipe, std::less<>> quants_;
  std::map<std::string, RuntimeProfile, std::less<>> runtimes_;
  std::map<std::string, Article, std::less<>> articles_;
  Defaults defaults_;
};

}  // namespace tokcast::catalog
