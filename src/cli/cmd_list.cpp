// tokcast list hardware|models|quants|runtimes [--filter TEXT] [--vendor V] [--class C]
#include <cmath>

#include "catalog/error.h"
#include "cli/context.h"
#include "core/memory_plan.h"
#include "core/text.h"

namespace tokcast::cli {
namespace {

using nlohmann::json;

bool Matches(const std::string& filter, std::initializer_list<std::string> fields) {
  if (filter.empty()) return true;
  const std::string f = ToLower(filter);
  for (const auto& s : fields) {
    if (ToLower(s).find(f) != std::string::npos) return true;
  }
  return false;
}

std::optional<double> Tflops(const HardwareSpec& h, Precision p) {
  auto it = h.peak_flops.find(p);
  if (it == h.peak_flops.end()) return std::nullopt;
  return it->second / 1e12;
}

report::ResultTable ListHardware(const catalog::Catalog& cat, const std::string& filter, const std::string& vendor,
                                 const std::string& cls) {
  report::ResultTable t;
  t.columns = {report::TextColumn("id", "id"),
               report::TextColumn("class", "class"),
               report::TextColumn("memory_gib", "memory GiB"),
               report::NumberColumn("bandwidth_gb_per_s", "GB/s", 0),
               report::NumberColumn("fp16_tflops", "FP16 TFLOPS", 1),
               report::NumberColumn("tdp_w", "W", 0),
               report::NumberColumn("price_usd", "price $", 0),
               report::TextColumn("verified", "verified"),
               report::TextColumn("name", "name")};
  for (const HardwareSpec* h : cat.AllHardware()) {
    if (!Matches(filter, {h->id, h->name, h->vendor, h->specs_id})) continue;
    if (!vendor.empty() && ToLower(h->vendor) != ToLower(vendor)) continue;
    if (!cls.empty() && std::string(ToString(h->hw_class)) != cls) continue;
    std::string mem;
    for (double g : h->memory_options_gib) mem += (mem.empty() ? "" : "/") + FormatFixed(g, 0);
    json row = {{"id", h->id},
                {"name", h->name},
                {"vendor", h->vendor},
                {"class", std::string(ToString(h->hw_class))},
                {"specs_id", h->specs_id},
                {"memory_gib", mem},
                {"bandwidth_gb_per_s", h->bandwidth_bytes_per_s / 1e9},
                {"verified", h->verified ? "yes" : "no"}};
    if (auto f = Tflops(*h, Precision::kFp16)) row["fp16_tflops"] = *f;
    if (auto f = Tflops(*h, Precision::kFp32); f && !row.contains("fp16_tflops")) row["fp32_tflops"] = *f;
    if (h->tdp_w) row["tdp_w"] = *h->tdp_w;
    if (h->price_usd) row["price_usd"] = *h->price_usd;
    t.rows.push_back(row);
  }
  t.footnotes.push_back(std::to_string(t.rows.size()) +
                        " platforms. FP16 = dense tensor/matrix FLOP/s at FP32 accumulate (what frameworks use); "
                        "verified = values from shared/research/hardware-specs.csv.");
  return t;
}

report::ResultTable ListModels(const catalog::Catalog& cat, const std::string& filter) {
  report::ResultTable t;
  t.columns = {report::TextColumn("id", "id"),
               report::TextColumn("arch", "arch"),
               report::NumberColumn("params_b", "params B", 2),
               report::NumberColumn("active_params_b", "active B", 2),
               report::IntColumn("layers", "layers"),
               report::TextColumn("attention", "attention"),
               report::NumberColumn("kv_kib_per_token", "KV KiB/tok f16", 1),
               report::TextColumn("name", "name")};
  for (const catalog::ModelEntry* m : cat.AllModels()) {
    const ModelSpec& s = m->spec;
    if (!Matches(filter, {s.id, s.name, s.arch, m->hf_repo})) continue;
    const auto tensors = BuildTensorInventory(s);
    const auto counts = CountParams(s, tensors);
    const auto kv = KvBytesPerToken(s, TensorType::kF16);
    std::string attn = s.mla ? "MLA" : (s.n_kv_heads == s.n_heads ? "MHA" : (s.n_kv_heads == 1 ? "MQA" : "GQA"));
    if (s.sliding_window) attn += " + window " + std::to_string(s.sliding_window);
    if (s.moe) attn += ", MoE " + std::to_string(s.moe->n_experts_active) + "/" + std::to_string(s.moe->n_experts);
    t.rows.push_back({{"id", s.id},
                      {"name", s.name},
                      {"arch", s.arch},
                      {"params_b", static_cast<double>(counts.total) / 1e9},
                      {"active_params_b", static_cast<double>(counts.active) / 1e9},
                      {"layers", s.n_layers},
                      {"attention", attn},
                      {"kv_kib_per_token", (kv.full_layers_bytes + kv.local_layers_bytes) / 1024.0},
                      {"max_context", s.max_context}});
  }
  t.footnotes.push_back(std::to_string(t.rows.size()) + " models. KV per token counts windowed layers too (they stop growing at the window).");
  return t;
}

report::ResultTable ListQuants(const catalog::Catalog& cat, const std::string& filter) {
  report::ResultTable t;
  t.columns = {report::TextColumn("id", "id"), report::TextColumn("format", "format"),
               report::TextColumn("default_type", "main type"), report::NumberColumn("bits_per_weight", "bpw", 3),
               report::TextColumn("compute", "compute"), report::TextColumn("name", "name")};
  for (const QuantRecipe* q : cat.AllQuants()) {
    if (!Matches(filter, {q->id, q->name, q->format})) continue;
    t.rows.push_back({{"id", q->id},
                      {"name", q->name},
                      {"format", q->format},
                      {"default_type", std::string(ToString(q->default_type))},
                      {"bits_per_weight", BitsPerWeight(q->default_type)},
                      {"compute", std::string(ToString(q->compute))}});
  }
  t.footnotes.push_back("bpw = bits per weight of the main tensor type, block scales included; recipes keep some tensors at other types (tokcast show ID).");
  return t;
}

report::ResultTable ListRuntimes(const catalog::Catalog& cat, const std::string& filter) {
  report::ResultTable t;
  t.columns = {report::TextColumn("id", "id"), report::TextColumn("offload", "offload"),
               report::TextColumn("flash_attention", "FA"), report::TextColumn("paged_kv", "paged KV"),
               report::TextColumn("continuous_batching", "cont. batching"),
               report::NumberColumn("device_memory_fraction", "mem fraction", 2), report::TextColumn("name", "name")};
  for (const RuntimeProfile* r : cat.AllRuntimes()) {
    if (!Matches(filter, {r->id, r->name, r->engine, r->backend})) continue;
    t.rows.push_back({{"id", r->id},
                      {"name", r->name},
                      {"engine", r->engine},
                      {"backend", r->backend},
                      {"offload", std::string(ToString(r->offload))},
                      {"flash_attention", r->flash_attention},
                      {"paged_kv", r->paged_kv},
                      {"continuous_batching", r->continuous_batching},
                      {"device_memory_fraction", r->device_memory_fraction},
                      {"context_overhead_bytes", r->context_overhead_bytes}});
  }
  return t;
}

}  // namespace

Runner RegisterList(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string what, filter, vendor, cls;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("what", o->what, "hardware, models, quants or runtimes")->required();
  app.add_option("--filter", o->filter, "Keep entries whose id or name contains TEXT");
  app.add_option("--vendor", o->vendor, "hardware: keep one vendor (NVIDIA, Apple, AMD, ...)");
  app.add_option("--class", o->cls, "hardware: discrete_gpu, unified_soc, cpu or accelerator");
  return [o, &ctx]() {
    const auto& cat = ctx.Catalog();
    report::ResultTable t;
    if (o->what == "hardware") t = ListHardware(cat, o->filter, o->vendor, o->cls);
    else if (o->what == "models") t = ListModels(cat, o->filter);
    else if (o->what == "quants") t = ListQuants(cat, o->filter);
    else if (o->what == "runtimes") t = ListRuntimes(cat, o->filter);
    else throw catalog::InputError("tokcast list '" + o->what + "': expected hardware, models, quants or runtimes");
    t.Render(ctx.Out(), ctx.Format());
    return 0;
  };
}

}  // namespace tokcast::cli
