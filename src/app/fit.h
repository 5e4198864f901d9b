// tokcast fit: the memory plan of every scenario of a sweep.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/memory_plan.h"
#include "core/model.h"
#include "report/schema.h"

namespace tokcast::app {

struct FitRequest {
  std::vector<std::string> models;               // ids or files
  std::vector<std::string> quants = {"q4_k_m"};  // ignored for file-based weights
  std::vector<std::string> hardware;
  std::vector<std::string> runtimes;  // empty: each platform's default
  std::vector<uint64_t> ctx = {4096};
  std::vector<uint64_t> batch = {1};
  std::vector<TensorType> kv_types = {TensorType::kF16};
  std::vector<uint32_t> devices = {1};
  std::vector<double> usable_fractions;    // empty: the platform's rule
  std::vector<uint32_t> layers_on_device;  // empty: as many as fit
  std::optional<double> memory_gib, host_memory_gib;
  bool search = true;  // max ctx, max batch, best quant
};

struct FitRow {
  std::string hardware, model, quant, runtime, weights_source;
  uint64_t ctx = 0, batch = 0;
  TensorType kv_type = TensorType::kF16;
  uint32_t devices = 1;
  MemoryPlan plan;
  ParamCounts counts;
  std::optional<uint64_t> max_ctx;
  std::optional<uint32_t> max_batch;
  std::optional<std::string> best_quant;  // searched, none fits: empty string
  std::vector<std::string> warnings;
};

struct FitResult {
  std::vector<FitRow> rows;
};

// Throws InputError for unknown ids, unreadable files and combinations that cannot run.
FitResult Fit(const catalog::Catalog& cat, const FitRequest& request);
report::Report FitReport(const FitResult& result);

// The KV cache types a plan accepts.
bool IsKvType(TensorType t);

}  // namespace tokcast::app
