// tokcast show ID: everything the catalog knows about one hardware, model, quant or runtime
// id, or about a model file (config.json, GGUF, safetensors).
#include "catalog/error.h"
#include "catalog/model_source.h"
#include "cli/context.h"
#include "core/text.h"

namespace tokcast::cli {
namespace {

using KV = std::vector<std::pair<std::string, std::string>>;

std::string Num(double v, int decimals) { return FormatFixed(v, decimals); }
std::string Join(const std::vector<std::string>& v, const std::string& sep = "; ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

KV ShowHardware(const HardwareSpec& h) {
  KV kv = {{"id", h.id}, {"name", h.name}, {"vendor", h.vendor}, {"class", std::string(ToString(h.hw_class))}};
  if (!h.specs_id.empty()) kv.push_back({"research table id", h.specs_id});
  kv.push_back({"verified", h.verified ? "yes (shared/research/hardware-specs.csv)" : "NO: values unverified"});
  std::string mem;
  for (double g : h.memory_options_gib) mem += (mem.empty() ? "" : ", ") + Num(g, 0);
  kv.push_back({"memory options (GiB)", mem});
  kv.push_back({"memory type", h.memory_type});
  kv.push_back({"bandwidth (GB/s, theoretical)", Num(h.bandwidth_bytes_per_s / 1e9, 1)});
  if (h.measured_bandwidth_bytes_per_s) kv.push_back({"bandwidth (GB/s, measured)", Num(*h.measured_bandwidth_bytes_per_s / 1e9, 1)});
  std::string usable;
  for (const auto& r : h.gpu_usable) {
    usable += (usable.empty() ? "" : ", ") + Num(r.fraction, 3) + (r.max_gib ? " up to " + Num(*r.max_gib, 0) + " GiB" : "");
  }
  kv.push_back({"GPU-usable fraction", usable.empty() ? "1" : usable});
  if (!h.gpu_usable_note.empty()) kv.push_back({"GPU-usable note", h.gpu_usable_note});
  for (const auto& [p, f] : h.peak_flops) {
    kv.push_back({"peak dense " + std::string(ToString(p)) + " (TFLOPS)", Num(f / 1e12, 2)});
  }
  if (!h.headline.empty()) kv.push_back({"vendor headline", h.headline + (h.headline_is_sparse ? " [2:4 sparse: 2x the dense rate]" : "")});
  if (!h.measured_gemm_note.empty()) kv.push_back({"measured GEMM", h.measured_gemm_note});
  kv.push_back({"host link", h.host_link + (h.host_link_bytes_per_s ? " (" + Num(*h.host_link_bytes_per_s / 1e9, 1) + " GB/s per direction)" : "")});
  kv.push_back({"host memory bandwidth (GB/s)", Num(h.host_memory_bandwidth_bytes_per_s / 1e9, 1)});
  if (h.host_cpu_flops_per_s) kv.push_back({"host CPU (TFLOPS fp32)", Num(*h.host_cpu_flops_per_s / 1e12, 2)});
  if (!h.host_note.empty()) kv.push_back({"host note", h.host_note});
  if (!h.scaleup_link.empty()) {
    kv.push_back({"scale-up link", h.scaleup_link + (h.scaleup_bytes_per_s ? " (" + Num(*h.scaleup_bytes_per_s / 1e9, 1) + " GB/s per direction)" : "")});
  }
  if (h.tdp_w) kv.push_back({"power (W)", Num(*h.tdp_w, 0) + (h.idle_w ? ", idle " + Num(*h.idle_w, 0) : "")});
  if (!h.power_note.empty()) kv.push_back({"power note", h.power_note});
  if (h.price_usd) kv.push_back({"price (USD)", Num(*h.price_usd, 0) + " as of " + h.price_date + (h.price_note.empty() ? "" : " (" + h.price_note + ")")});
  if (!h.derived.empty()) kv.push_back({"derived or unverified fields", Join(h.derived, ", ")});
  if (!h.notes.empty()) kv.push_back({"notes", h.notes});
  kv.push_back({"sources", Join(h.sources)});
  return kv;
}

KV ShowModel(const catalog::Catalog& cat, const catalog::ResolvedModel& r, const std::vector<std::string>& sources) {
  const ModelSpec& s = r.spec;
  KV kv = {{"id", s.id}, {"name", s.name}, {"source", r.source}, {"architecture", s.arch}};
  kv.push_back({"layers", std::to_string(s.n_layers)});
  kv.push_back({"hidden size", std::to_string(s.hidden)});
  kv.push_back({"attention heads / KV heads / head dim",
                std::to_string(s.n_heads) + " / " + std::to_string(s.n_kv_heads) + " / " + std::to_string(s.head_dim)});
  if (s.mla) {
    kv.push_back({"MLA (q_lora, kv_lora, nope, rope, v)",
                  std::to_string(s.mla->q_lora_rank) + ", " + std::to_string(s.mla->kv_lora_rank) + ", " +
                      std::to_string(s.mla->qk_nope_head_dim) + ", " + std::to_string(s.mla->qk_rope_head_dim) + ", " +
                      std::to_string(s.mla->v_head_dim)});
  }
  kv.push_back({"FFN size", std::to_string(s.ffn)});
  if (s.moe) {
    kv.push_back({"MoE experts (routed / active / shared)", std::to_string(s.moe->n_experts) + " / " +
                                                              std::to_string(s.moe->n_experts_active) + " / " +
                                                              std::to_string(s.moe->n_shared_experts)});
    kv.push_back({"expert FFN size", std::to_string(s.moe->expert_ffn)});
    if (s.moe->leading_dense_layers) kv.push_back({"leading dense layers", std::to_string(s.moe->leading_dense_layers)});
  }
  if (s.sliding_window) {
    kv.push_back({"sliding window", std::to_string(s.sliding_window) + " tokens on " + std::to_string(s.LocalLayerCount()) +
                                        " of " + std::to_string(s.n_layers) + " layers"});
  }
  kv.push_back({"vocabulary", std::to_string(s.vocab)});
  kv.push_back({"tied embeddings", s.tied_embeddings ? "yes" : "no"});
  if (s.max_context) kv.push_back({"max context", std::to_string(s.max_context)});
  const auto inventory = r.tensors ? *r.tensors : BuildTensorInventory(s);
  const auto counts = CountParams(s, inventory);
  kv.push_back({"parameters (B)", Num(static_cast<double>(counts.total) / 1e9, 3) +
                                      (s.published_params_b ? " (published " + Num(*s.published_params_b, 2) + ")" : "")});
  kv.push_back({"active parameters per token (B)", Num(static_cast<double>(counts.active) / 1e9, 3) + " (" +
                                                       Num(static_cast<double>(counts.active - counts.embedding) / 1e9, 3) +
                                                       " without the input embedding)" +
                                                       (s.published_active_params_b ? " (published " + Num(*s.published_active_params_b, 2) + ")" : "")});
  const auto kvt = KvBytesPerToken(s, TensorType::kF16);
  kv.push_back({"KV cache per token, f16 (KiB)", Num(kvt.full_layers_bytes / 1024.0, 1) + " on full-attention layers" +
                                                    (kvt.local_layers_bytes > 0 ? " + " + Num(kvt.local_layers_bytes / 1024.0, 1) + " on windowed layers (capped at the window)" : "")});
  if (r.tensors) {
    kv.push_back({"weights (file)", r.weights_label + ", " + Num(static_cast<double>(TotalBytes(*r.tensors)) / 1073741824.0, 2) + " GiB in " +
                                        std::to_string(r.tensors->size()) + " tensors"});
  } else {
    for (const char* q : {"f16", "q8_0", "q6_k", "q4_k_m", "q4_0", "mlx-4bit", "fp8"}) {
      const QuantRecipe* recipe = cat.FindQuant(q);
      if (!recipe) continue;
      auto typed = inventory;
      ApplyRecipe(*recipe, s.n_layers, typed);
      kv.push_back({std::string("weights at ") + q + " (GiB)", Num(static_cast<double>(TotalBytes(typed)) / 1073741824.0, 2)});
    }
  }
  if (!s.notes.empty()) kv.push_back({"notes", s.notes});
  if (!sources.empty()) kv.push_back({"sources", Join(sources)});
  return kv;
}

KV ShowQuant(const QuantRecipe& q) {
  KV kv = {{"id", q.id}, {"name", q.name}, {"format", q.format},
           {"main type", std::string(ToString(q.default_type)) + " (" + Num(BitsPerWeight(q.default_type), 4) + " bits per weight)"}};
  const auto& t = Traits(q.default_type);
  kv.push_back({"block", std::to_string(t.block_elems) + " weights in " + std::to_string(t.block_bytes) + " bytes"});
  if (q.output_type) kv.push_back({"output (lm head) type", std::string(ToString(*q.output_type))});
  if (q.token_embd_type) kv.push_back({"token embedding type", std::string(ToString(*q.token_embd_type))});
  for (const auto& o : q.overrides) {
    std::string roles;
    for (auto r : o.roles) roles += (roles.empty() ? "" : ", ") + std::string(ToString(r));
    std::string layers = o.layers.kind == LayerSelector::Kind::kAll ? "all layers"
                         : o.layers.kind == LayerSelector::Kind::kMoreBits ? "use_more_bits layers"
                         : o.layers.kind == LayerSelector::Kind::kFirst ? "first " + Num(o.layers.value, 0) + " layers"
                                                                         : "first " + Num(o.layers.value * 100, 1) + "% of layers";
    kv.push_back({"override", roles + " on " + layers + " -> " + std::string(ToString(o.type))});
  }
  kv.push_back({"compute precision", std::string(ToString(q.compute))});
  if (!q.notes.empty()) kv.push_back({"notes", q.notes});
  kv.push_back({"sources", Join(q.sources)});
  return kv;
}

KV ShowRuntime(const RuntimeProfile& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"engine", r.engine},
          {"backend", r.backend},
          {"flash attention", r.flash_attention ? "yes" : "no"},
          {"paged KV", r.paged_kv ? "yes" : "no"},
          {"continuous batching", r.continuous_batching ? "yes" : "no"},
          {"offload", std::string(ToString(r.offload))},
          {"embedding on host", r.embedding_on_host ? "yes" : "no"},
          {"context overhead (MB)", Num(r.context_overhead_bytes / 1e6, 0)},
          {"device memory fraction", Num(r.device_memory_fraction, 2)},
          {"ubatch tokens", std::to_string(r.ubatch_tokens)},
          {"notes", r.notes},
          {"sources", Join(r.sources)}};
}

}  // namespace

Runner RegisterShow(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  app.add_option("id", *id, "Hardware, model, quant or runtime id, or a model file")->required();
  return [id, &ctx]() {
    const auto& cat = ctx.Catalog();
    KV kv;
    if (const auto* h = cat.FindHardware(*id)) {
      kv = ShowHardware(*h);
    } else if (const auto* q = cat.FindQuant(*id)) {
      kv = ShowQuant(*q);
    } else if (const auto* r = cat.FindRuntime(*id)) {
      kv = ShowRuntime(*r);
    } else {
      const auto* entry = cat.FindModel(*id);
      std::vector<std::string> all;
      for (const auto* h2 : cat.AllHardware()) all.push_back(h2->id);
      for (const auto* m : cat.AllModels()) all.push_back(m->spec.id);
      for (const auto* q2 : cat.AllQuants()) all.push_back(q2->id);
      for (const auto* r2 : cat.AllRuntimes()) all.push_back(r2->id);
      if (!entry && id->find('/') == std::string::npos && id->find('.') == std::string::npos) {
        std::string msg = "unknown id '" + *id + "'; closest: ";
        const auto close = ClosestMatches(*id, all, 3);
        for (size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : "") + close[i];
        throw catalog::InputError(msg);
      }
      const auto resolved = catalog::ResolveModel(cat, *id);
      kv = ShowModel(cat, resolved, entry ? entry->sources : std::vector<std::string>{});
    }
    report::RenderKeyValues(ctx.Out(), kv, ctx.Format());
    return 0;
  };
}

}  // namespace tokcast::cli
