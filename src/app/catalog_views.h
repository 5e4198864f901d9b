// tokcast list / show: the catalog as the user sees it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/model_source.h"
#include "report/schema.h"

namespace tokcast::app {

enum class ListWhat { kHardware, kModels, kQuants, kRuntimes };
std::optional<ListWhat> ListWhatFromString(std::string_view s);

struct ListRequest {
  ListWhat what = ListWhat::kHardware;
  std::string filter, vendor, hw_class;  // hw_class: discrete_gpu, unified_soc, cpu, accelerator
};

struct ListResult {
  ListWhat what = ListWhat::kHardware;
  std::vector<const HardwareSpec*> hardware;
  std::vector<const catalog::ModelEntry*> models;
  std::vector<const QuantRecipe*> quants;
  std::vector<const RuntimeProfile*> runtimes;
};

ListResult List(const catalog::Catalog& cat, const ListRequest& request);
report::Report ListReport(const catalog::Catalog& cat, const ListResult& result);

struct ShowResult {
  const HardwareSpec* hardware = nullptr;
  const QuantRecipe* quant = nullptr;
  const RuntimeProfile* runtime = nullptr;
  std::optional<catalog::ResolvedModel> model;  // a catalog model or a file
  std::vector<std::string> model_sources;
};

// An id of any kind (exact first, then what the user meant), or a model file. Throws InputError.
ShowResult Show(const catalog::Catalog& cat, const std::string& id);
report::Report ShowReport(const catalog::Catalog& cat, const ShowResult& result);

}  // namespace tokcast::app
