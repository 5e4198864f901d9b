#include "app/catalog_views.h"

#include <algorithm>
#include <cctype>

#include "app/scenario.h"
#include "catalog/error.h"
#include "core/memory_plan.h"
#include "core/text.h"
#include "report/kinds.h"

namespace tokcast::app {

using nlohmann::json;

std::optional<ListWhat> ListWhatFromString(std::string_view s) {
  if (s == "hardware") return ListWhat::kHardware;
  if (s == "models") return ListWhat::kModels;
  if (s == "quants") return ListWhat::kQuants;
  if (s == "runtimes") return ListWhat::kRuntimes;
  return std::nullopt;
}

namespace {

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

std::string JoinList(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

json OptJson(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}
json StrJson(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

json HardwareJson(const HardwareSpec& h) {
  json usable = json::array();
  std::string usable_text;
  for (const auto& r : h.gpu_usable) {
    usable.push_back({{"fraction", r.fraction}, {"max_gib", OptJson(r.max_gib)}});
    usable_text += (usable_text.empty() ? "" : ", ") + FormatFixed(r.fraction, 3) +
                   (r.max_gib ? " up to " + FormatFixed(*r.max_gib, 0) + " GiB" : "");
  }
  json peaks = json::object();
  for (const auto& [p, f] : h.peak_flops) peaks[std::string(ToString(p))] = f;
  json unit = json::object();
  for (const auto& [p, f] : h.matrix_unit_flops) unit[std::string(ToString(p))] = f;
  return {{"id", h.id},
          {"name", h.name},
          {"vendor", h.vendor},
          {"class", std::string(ToString(h.hw_class))},
          {"specs_id", StrJson(h.specs_id)},
          {"verified", h.verified},
          {"memory_options_gib", h.memory_options_gib},
          {"memory_type", StrJson(h.memory_type)},
          {"bandwidth_bytes_per_s", h.bandwidth_bytes_per_s},
          {"measured_bandwidth_bytes_per_s", OptJson(h.measured_bandwidth_bytes_per_s)},
          {"gpu_usable", usable},
          {"gpu_usable_text", usable_text.empty() ? "1" : usable_text},
          {"gpu_usable_note", StrJson(h.gpu_usable_note)},
          {"peak_flops", peaks},
          {"matrix_unit_flops", unit},
          {"headline", StrJson(h.headline)},
          {"headline_is_sparse", h.headline_is_sparse},
          {"measured_gemm_note", StrJson(h.measured_gemm_note)},
          {"host_link", StrJson(h.host_link)},
          {"host_link_bytes_per_s", OptJson(h.host_link_bytes_per_s)},
          {"host_memory_bandwidth_bytes_per_s", h.host_memory_bandwidth_bytes_per_s},
          {"host_cpu_flops_per_s", OptJson(h.host_cpu_flops_per_s)},
          {"host_note", StrJson(h.host_note)},
          {"scaleup_link", StrJson(h.scaleup_link)},
          {"scaleup_bytes_per_s", OptJson(h.scaleup_bytes_per_s)},
          {"tdp_w", OptJson(h.tdp_w)},
          {"idle_w", OptJson(h.idle_w)},
          {"power_note", StrJson(h.power_note)},
          {"price_usd", OptJson(h.price_usd)},
          {"price_date", StrJson(h.price_date)},
          {"price_note", StrJson(h.price_note)},
          {"derived", h.derived},
          {"notes", StrJson(h.notes)},
          {"sources", h.sources}};
}

json ModelJson(const catalog::Catalog& cat, const catalog::ResolvedModel& r, const std::vector<std::string>& sources) {
  const ModelSpec& s = r.spec;
  const auto inventory = r.tensors ? *r.tensors : BuildTensorInventory(s);
  const auto counts = CountParams(s, inventory);
  const auto kvt = KvBytesPerToken(s, TensorType::kF16);
  json j = {
      {"id", s.id},
      {"name", StrJson(s.name)},
      {"source", r.source},
      {"arch", s.arch},
      {"n_layers", s.n_layers},
      {"hidden", s.hidden},
      {"n_heads", s.n_heads},
      {"n_kv_heads", s.n_kv_heads},
      {"head_dim", s.head_dim},
      {"ffn", s.ffn},
      {"vocab", s.vocab},
      {"tied_embeddings", s.tied_embeddings},
      {"max_context", s.max_context ? json(s.max_context) : json(nullptr)},
      {"params_total", counts.total},
      {"params_active", counts.active},
      {"params_embedding", counts.embedding},
      {"published_params_b", OptJson(s.published_params_b)},
      {"published_active_params_b", OptJson(s.published_active_params_b)},
      {"kv_bytes_per_token_f16", kvt.full_layers_bytes},
      {"kv_bytes_per_token_f16_windowed", kvt.local_layers_bytes > 0 ? json(kvt.local_layers_bytes) : json(nullptr)},
      {"notes", StrJson(s.notes)},
      {"sources", sources}};
  if (s.recurrent) {
    const auto& rec = *s.recurrent;
    j["hybrid"] = {
        {"mixer", rec.kind == RecurrentKind::kMamba2 ? "mamba2" : "gated_deltanet"},
        {"attention_layers", s.CountMixer(MixerKind::kAttention)},
        {"recurrent_layers", s.CountMixer(MixerKind::kRecurrent)},
        {"ffn_only_layers", s.CountMixer(MixerKind::kNone)},
        {"state_mib_per_sequence", kvt.state_bytes / (1024.0 * 1024.0)},
    };
  }
  if (s.mla) {
    j["mla"] = {{"q_lora_rank", s.mla->q_lora_rank},
                {"kv_lora_rank", s.mla->kv_lora_rank},
                {"qk_nope_head_dim", s.mla->qk_nope_head_dim},
                {"qk_rope_head_dim", s.mla->qk_rope_head_dim},
                {"v_head_dim", s.mla->v_head_dim}};
  }
  if (s.moe) {
    j["moe"] = {{"n_experts", s.moe->n_experts},
                {"n_experts_active", s.moe->n_experts_active},
                {"n_shared_experts", s.moe->n_shared_experts},
                {"expert_ffn", s.moe->expert_ffn},
                {"leading_dense_layers", s.moe->leading_dense_layers}};
  }
  if (s.sliding_window) {
    j["sliding_window"] = s.sliding_window;
    j["local_layers"] = s.LocalLayerCount();
  }
  if (r.tensors) {
    j["weights_file"] = r.weights_label;
    j["weights_file_bytes"] = TotalBytes(*r.tensors);
    j["tensors"] = r.tensors->size();
  } else {
    json by = json::object();
    for (const auto& q : cat.defaults().show_quants) {
      const QuantRecipe* recipe = cat.FindQuant(q);
      if (!recipe || (recipe->moe_only && !s.moe)) continue;
      auto typed = inventory;
      ApplyRecipe(*recipe, s, typed);
      by[q] = TotalBytes(typed);
    }
    j["weights_bytes_by_quant"] = by;
  }
  return j;
}

json QuantJson(const catalog::Catalog& cat, const QuantRecipe& q) {
  const auto& t = Traits(MainType(q));
  json overrides = json::array();
  for (const auto& o : q.overrides) {
    std::string roles;
    for (auto r : o.roles) roles += (roles.empty() ? "" : ", ") + std::string(ToString(r));
    const std::string layers = o.layers.kind == LayerSelector::Kind::kAll        ? "all layers"
                               : o.layers.kind == LayerSelector::Kind::kMoreBits ? "use_more_bits layers"
                               : o.layers.kind == LayerSelector::Kind::kFirst
                                   ? "first " + FormatFixed(o.layers.value, 0) + " layers"
                                   : "first " + FormatFixed(o.layers.value * 100, 1) + "% of layers";
    overrides.push_back(roles + " on " + layers + " -> " + std::string(ToString(o.type)));
  }
  std::vector<std::string> runtimes;
  for (const RuntimeProfile* r : cat.AllRuntimes()) {
    if (r->formats.empty() || std::find(r->formats.begin(), r->formats.end(), q.format) != r->formats.end())
      runtimes.push_back(r->id);
  }
  return {{"id", q.id},
          {"name", q.name},
          {"format", q.format},
          {"default_type", std::string(ToString(q.default_type))},
          {"main_type", std::string(ToString(MainType(q)))},
          {"bits_per_weight", BitsPerWeight(MainType(q))},
          {"block_elems", t.block_elems},
          {"block_bytes", t.block_bytes},
          {"output_type", q.output_type ? json(std::string(ToString(*q.output_type))) : json(nullptr)},
          {"token_embd_type", q.token_embd_type ? json(std::string(ToString(*q.token_embd_type))) : json(nullptr)},
          {"overrides", overrides},
          {"compute", std::string(ToString(q.compute))},
          {"runtimes", runtimes},
          {"moe_only", q.moe_only},
          {"notes", StrJson(q.notes)},
          {"sources", q.sources}};
}

json RuntimeJson(const RuntimeProfile& r) {
  std::string by;
  for (const auto& [on, id] : r.efficiency_like_by) by += (by.empty() ? "" : ", ") + on + ": " + id;
  std::vector<std::string> eras;
  for (const auto& e : r.eras) {
    eras.push_back(e.id + " (before " + FormatIsoDay(e.until) + ": " + e.what + "; priors GEMMs x" +
                   FormatFixed(e.prior_compute, 2) + ", streaming x" + FormatFixed(e.prior_memory, 2) + ")");
  }
  std::string kernels;
  if (r.kernels.Stated()) {
    const DecodeKernels& k = r.kernels;
    kernels = "matrix-vector up to " + std::to_string(k.matvec_max_tokens) + " tokens, GEMM tiles of " +
              std::to_string(std::max<uint32_t>(k.gemm_tile_tokens, 1)) + " token columns above; MoE experts " +
              (k.moe_gemm_min_tokens > 1 ? "per token and expert below " + std::to_string(k.moe_gemm_min_tokens) +
                                               " tokens, grouped GEMMs from there"
                                         : "as grouped GEMMs");
    if (k.fa_query_rows > 0) {
      kernels += "; flash attention reads each KV head once per " + std::to_string(k.fa_query_rows) +
                 " query rows (tokens x query heads of that KV head)";
    }
    if (k.fa_vec_max_tokens > 0) {
      kernels += "; flash attention for up to " + std::to_string(k.fa_vec_max_tokens) +
                 " query tokens per sequence in the vector kernel";
    }
  }
  return {{"id", r.id},
          {"name", r.name},
          {"engine", r.engine},
          {"backend", r.backend},
          {"vendors", r.vendors},
          {"formats", r.formats},
          {"tensor_parallel", r.tensor_parallel},
          {"row_split", r.row_split},
          {"flash_attention", r.flash_attention},
          {"paged_kv", r.paged_kv},
          {"continuous_batching", r.continuous_batching},
          {"offload", std::string(ToString(r.offload))},
          {"embedding_on_host", r.embedding_on_host},
          {"context_overhead_bytes", r.context_overhead_bytes},
          {"device_memory_fraction", r.device_memory_fraction},
          {"ubatch_tokens", r.ubatch_tokens},
          {"max_batch", r.max_batch},
          {"decode_kernels", StrJson(kernels)},
          {"decode_kernel_sources", r.kernels.sources},
          {"quantized_precision", std::string(ToString(r.quantized_precision))},
          {"dense_precision", std::string(ToString(r.dense_precision))},
          {"efficiency_like", StrJson(r.efficiency_like)},
          {"efficiency_like_by", StrJson(by)},
          {"relative_speed", r.relative_speed ? json("GEMMs x" + FormatFixed(r.relative_speed->compute, 2) +
                                                     ", streaming x" + FormatFixed(r.relative_speed->memory, 2))
                                              : json(nullptr)},
          {"eras", eras},
          {"notes", StrJson(r.notes)},
          {"sources", r.sources}};
}

}  // namespace

ListResult List(const catalog::Catalog& cat, const ListRequest& r) {
  ListResult out;
  out.what = r.what;
  if (!r.hw_class.empty() && !HardwareClassFromString(r.hw_class)) {
    throw catalog::InputError("class '" + r.hw_class + "': expected discrete_gpu, unified_soc, cpu or accelerator");
  }
  switch (r.what) {
    case ListWhat::kHardware:
      for (const HardwareSpec* h : cat.AllHardware()) {
        if (!Matches(r.filter, {h->id, h->name, h->vendor, h->specs_id})) continue;
        if (!r.vendor.empty() && ToLower(h->vendor) != ToLower(r.vendor)) continue;
        if (!r.hw_class.empty() && std::string(ToString(h->hw_class)) != r.hw_class) continue;
        out.hardware.push_back(h);
      }
      break;
    case ListWhat::kModels:
      for (const auto* m : cat.AllModels()) {
        if (Matches(r.filter, {m->spec.id, m->spec.name, m->spec.arch, m->hf_repo})) out.models.push_back(m);
      }
      break;
    case ListWhat::kQuants:
      for (const auto* q : cat.AllQuants()) {
        if (Matches(r.filter, {q->id, q->name, q->format})) out.quants.push_back(q);
      }
      break;
    case ListWhat::kRuntimes:
      for (const auto* rt : cat.AllRuntimes()) {
        if (Matches(r.filter, {rt->id, rt->name, rt->engine, rt->backend})) out.runtimes.push_back(rt);
      }
      break;
  }
  return out;
}

report::Report ListReport(const catalog::Catalog& cat, const ListResult& r) {
  (void)cat;
  report::Report rep;
  switch (r.what) {
    case ListWhat::kHardware:
      rep.schema = &report::kinds::ListHardware();
      for (const HardwareSpec* h : r.hardware) {
        std::string mem;
        for (double g : h->memory_options_gib) {
          if (!mem.empty()) mem += '/';
          mem += FormatFixed(g, 0);
        }
        json row = {{"id", h->id},
                    {"name", h->name},
                    {"vendor", h->vendor},
                    {"class", std::string(ToString(h->hw_class))},
                    {"specs_id", StrJson(h->specs_id)},
                    {"memory_gib", mem},
                    {"bandwidth_gb_per_s", h->bandwidth_bytes_per_s / 1e9},
                    {"verified", h->verified}};
        if (auto f = Tflops(*h, Precision::kFp16))
          row["fp16_tflops"] = *f;
        else if (auto f32 = Tflops(*h, Precision::kFp32))
          row["fp32_tflops"] = *f32;
        if (h->tdp_w) row["tdp_w"] = *h->tdp_w;
        if (h->price_usd) row["price_usd"] = *h->price_usd;
        rep.rows.push_back(std::move(row));
      }
      rep.notes.push_back(
          std::to_string(rep.rows.size()) +
          " platforms. FP16 = dense tensor/matrix FLOP/s at FP32 accumulate (what frameworks use); "
          "verified = values checked against a sourced specification table (tokcast show ID lists the sources).");
      break;
    case ListWhat::kModels:
      rep.schema = &report::kinds::ListModels();
      for (const auto* m : r.models) {
        const ModelSpec& s = m->spec;
        const auto counts = CountParams(s, BuildTensorInventory(s));
        const auto kv = KvBytesPerToken(s, TensorType::kF16);
        std::string attn = s.mla ? "MLA" : (s.n_kv_heads == s.n_heads ? "MHA" : (s.n_kv_heads == 1 ? "MQA" : "GQA"));
        if (s.sliding_window) attn += " + window " + std::to_string(s.sliding_window);
        if (s.recurrent) {
          attn += " in " + std::to_string(s.CountMixer(MixerKind::kAttention)) + " layers + " +
                  std::to_string(s.CountMixer(MixerKind::kRecurrent)) +
                  (s.recurrent->kind == RecurrentKind::kMamba2 ? " Mamba-2" : " DeltaNet");
        }
        if (s.moe) attn += ", MoE " + std::to_string(s.moe->n_experts_active) + "/" + std::to_string(s.moe->n_experts);
        rep.rows.push_back({{"id", s.id},
                            {"name", StrJson(s.name)},
                            {"arch", s.arch},
                            {"params_b", static_cast<double>(counts.total) / 1e9},
                            {"active_params_b", static_cast<double>(counts.active) / 1e9},
                            {"layers", s.n_layers},
                            {"attention", attn},
                            {"kv_kib_per_token", (kv.full_layers_bytes + kv.local_layers_bytes) / 1024.0},
                            {"max_context", s.max_context ? json(s.max_context) : json(nullptr)}});
      }
      rep.notes.push_back(std::to_string(rep.rows.size()) +
                          " models. KV per token counts windowed layers too (they stop growing at the window).");
      break;
    case ListWhat::kQuants:
      rep.schema = &report::kinds::ListQuants();
      for (const auto* q : r.quants) {
        rep.rows.push_back({{"id", q->id},
                            {"name", q->name},
                            {"format", q->format},
                            {"default_type", std::string(ToString(q->default_type))},
                            {"main_type", std::string(ToString(MainType(*q)))},
                            {"bits_per_weight", BitsPerWeight(MainType(*q))},
                            {"compute", std::string(ToString(q->compute))}});
      }
      rep.notes.push_back(
          "bpw = bits per weight of the main tensor type (the experts' for an experts-only recipe), block scales "
          "included; recipes keep some tensors at other types (tokcast show ID).");
      break;
    case ListWhat::kRuntimes:
      rep.schema = &report::kinds::ListRuntimes();
      for (const auto* rt : r.runtimes) {
        rep.rows.push_back({{"id", rt->id},
                            {"name", rt->name},
                            {"engine", rt->engine},
                            {"backend", rt->backend},
                            {"offload", std::string(ToString(rt->offload))},
                            {"flash_attention", rt->flash_attention},
                            {"paged_kv", rt->paged_kv},
                            {"continuous_batching", rt->continuous_batching},
                            {"device_memory_fraction", rt->device_memory_fraction},
                            {"context_overhead_bytes", rt->context_overhead_bytes},
                            {"vendors", rt->vendors.empty() ? "any" : JoinList(rt->vendors, ", ")}});
      }
      break;
  }
  return rep;
}

ShowResult Show(const catalog::Catalog& cat, const std::string& id) {
  ShowResult out;
  if ((out.hardware = cat.FindHardware(id))) return out;
  if ((out.quant = cat.FindQuant(id))) return out;
  if ((out.runtime = cat.FindRuntime(id))) return out;
  const bool looks_like_path =
      id.find('/') != std::string::npos || id.find('.') != std::string::npos || id.starts_with("hf:");
  if (const auto* m = cat.FindModel(id); m || looks_like_path) {
    out.model = ResolveModelArg(cat, id);
    if (m) out.model_sources = m->sources;
    return out;
  }
  // What the user meant: the first kind whose lookup finds one entry; an ambiguity otherwise.
  std::optional<std::string> ambiguity;
  auto attempt = [&](auto&& lookup) {
    try {
      lookup();
      return true;
    } catch (const catalog::InputError& e) {
      const std::string m = e.what();
      if (m.find("ambiguous") != std::string::npos && !ambiguity) ambiguity = m;
      return false;
    }
  };
  if (attempt([&] { out.hardware = &cat.Hardware(id); })) return out;
  if (attempt([&] { out.quant = &cat.Quant(id); })) return out;
  if (attempt([&] { out.runtime = &cat.Runtime(id); })) return out;
  const catalog::ModelEntry* entry = nullptr;
  if (attempt([&] { entry = &cat.Model(id); })) {
    out.model = catalog::ResolveModel(cat, entry->spec.id);
    out.model_sources = entry->sources;
    return out;
  }
  if (ambiguity) throw catalog::InputError(*ambiguity);
  std::vector<std::string> all;
  for (const auto* h : cat.AllHardware()) all.push_back(h->id);
  for (const auto* m : cat.AllModels()) all.push_back(m->spec.id);
  for (const auto* q : cat.AllQuants()) all.push_back(q->id);
  for (const auto* r : cat.AllRuntimes()) all.push_back(r->id);
  std::string msg = "unknown id '" + id + "'";
  const auto close = ClosestMatches(id, all, 3);
  if (!close.empty()) msg += "; closest: ";
  for (size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : "") + close[i];
  throw catalog::InputError(msg);
}

report::Report ShowReport(const catalog::Catalog& cat, const ShowResult& r) {
  report::Report rep;
  if (r.hardware) {
    rep.schema = &report::kinds::ShowHardware();
    rep.rows.push_back(HardwareJson(*r.hardware));
    if (!r.hardware->verified) rep.notes.push_back("values unverified: not in the sourced specification table");
    if (r.hardware->headline_is_sparse)
      rep.notes.push_back("the vendor headline is 2:4 sparse: twice the dense rate tokcast uses");
  } else if (r.quant) {
    rep.schema = &report::kinds::ShowQuant();
    rep.rows.push_back(QuantJson(cat, *r.quant));
  } else if (r.runtime) {
    rep.schema = &report::kinds::ShowRuntime();
    rep.rows.push_back(RuntimeJson(*r.runtime));
  } else {
    rep.schema = &report::kinds::ShowModel();
    rep.rows.push_back(ModelJson(cat, *r.model, r.model_sources));
  }
  // Null fields say nothing in a single-entity view: drop them.
  for (auto it = rep.rows.front().begin(); it != rep.rows.front().end();) {
    if (it->is_null())
      it = rep.rows.front().erase(it);
    else
      ++it;
  }
  return rep;
}

}  // namespace tokcast::app
