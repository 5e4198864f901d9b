#include "catalog/catalog.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "catalog/builtin_catalog.h"
#include "catalog/hf_config.h"
#include "core/text.h"

namespace tokcast::catalog {
namespace {

constexpr int64_t kSchemaVersion = 1;

// Reads typed values out of one TOML entity, naming file, entity and key in every error.
class Entity {
 public:
  Entity(const toml::table& t, std::string origin) : t_(t), origin_(std::move(origin)) {
    if (auto id = t_["id"].value<std::string>()) id_ = *id;
  }

  [[noreturn]] void Fail(std::string_view key, std::string_view expected, std::string_view got) const {
    throw InputError(origin_ + ": " + (id_.empty() ? std::string("entry") : "'" + id_ + "'") + ": key '" +
                     std::string(key) + "': expected " + std::string(expected) + ", got " + std::string(got));
  }

  toml::node_view<const toml::node> At(std::string_view dotted) const { return t_.at_path(dotted); }
  bool Has(std::string_view key) const { return static_cast<bool>(At(key)); }

  std::string Str(std::string_view key) const {
    auto v = At(key);
    if (!v) Fail(key, "a string", "nothing");
    if (!v.is_string()) Fail(key, "a string", Describe(v));
    return *v.value<std::string>();
  }
  std::string StrOr(std::string_view key, std::string fallback = {}) const { return Has(key) ? Str(key) : fallback; }
  double Num(std::string_view key) const {
    auto v = At(key);
    if (!v) Fail(key, "a number", "nothing");
    if (!v.is_number()) Fail(key, "a number", Describe(v));
    return *v.value<double>();
  }
  std::optional<double> OptNum(std::string_view key) const {
    return Has(key) ? std::optional<double>(Num(key)) : std::nullopt;
  }
  // A whole number in [0, max], else a one-line error naming the key.
  uint32_t CountOr(std::string_view key, uint32_t fallback, uint32_t max) const {
    if (!Has(key)) return fallback;
    const double v = Num(key);
    if (!(v >= 0 && v <= max && v == std::floor(v)))
      Fail(key, "a whole number in 0.." + std::to_string(max), std::to_string(v));
    return static_cast<uint32_t>(v);
  }
  bool BoolOr(std::string_view key, bool fallback) const {
    auto v = At(key);
    if (!v) return fallback;
    if (!v.is_boolean()) Fail(key, "true or false", Describe(v));
    return *v.value<bool>();
  }
  std::vector<std::string> StrList(std::string_view key) const {
    std::vector<std::string> out;
    auto v = At(key);
    if (!v) return out;
    if (!v.is_array()) Fail(key, "a list of strings", Describe(v));
    for (const auto& e : *v.as_array()) {
      if (!e.is_string()) Fail(key, "a list of strings", "a list with a non-string");
      out.push_back(*e.value<std::string>());
    }
    return out;
  }
  std::vector<double> NumList(std::string_view key) const {
    std::vector<double> out;
    auto v = At(key);
    if (!v || !v.is_array()) Fail(key, "a list of numbers", v ? Describe(v) : "nothing");
    for (const auto& e : *v.as_array()) {
      if (!e.is_number()) Fail(key, "a list of numbers", "a list with a non-number");
      out.push_back(*e.value<double>());
    }
    return out;
  }
  TensorType Type(std::string_view key) const {
    const std::string name = Str(key);
    auto t = TensorTypeFromString(name);
    if (!t) Fail(key, "a tensor type (F16, Q4_K, MXFP4, MLX_Q4_G64, ...)", "'" + name + "'");
    return *t;
  }
  void CheckSchema() const {
    auto v = At("schema_version");
    if (!v || !v.is_integer()) Fail("schema_version", "an integer", v ? Describe(v) : "nothing");
    if (*v.value<int64_t>() != kSchemaVersion) {
      Fail("schema_version", std::to_string(kSchemaVersion), std::to_string(*v.value<int64_t>()));
    }
    if (id_.empty()) Fail("id", "a non-empty string", "nothing");
  }
  const std::string& id() const { return id_; }
  const std::string& origin() const { return origin_; }
  const toml::table& table() const { return t_; }

  static std::string Describe(toml::node_view<const toml::node> v) {
    std::ostringstream os;
    os << v;
    std::string s = os.str();
    if (s.size() > 40) s = s.substr(0, 40) + "...";
    return s;
  }

 private:
  const toml::table& t_;
  std::string origin_;
  std::string id_;
};

nlohmann::json TomlToJson(const toml::node& n) {
  if (auto t = n.as_table()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : *t) j[std::string(k.str())] = TomlToJson(v);
    return j;
  }
  if (auto a = n.as_array()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& v : *a) j.push_back(TomlToJson(v));
    return j;
  }
  if (auto v = n.value<int64_t>(); v && n.is_integer()) return *v;
  if (n.is_floating_point()) return *n.value<double>();
  if (n.is_boolean()) return *n.value<bool>();
  if (n.is_string()) return *n.value<std::string>();
  return nullptr;
}

HardwareSpec ParseHardware(const Entity& e) {
  HardwareSpec h;
  h.id = e.id();
  h.name = e.Str("name");
  h.vendor = e.Str("vendor");
  const std::string cls = e.Str("class");
  auto c = HardwareClassFromString(cls);
  if (!c) e.Fail("class", "discrete_gpu, unified_soc, cpu or accelerator", "'" + cls + "'");
  h.hw_class = *c;
  h.specs_id = e.StrOr("specs_id");
  h.verified = e.BoolOr("verified", false);
  if (auto m = e.OptNum("max_devices")) h.max_devices = static_cast<uint32_t>(*m);
  if (auto d = e.OptNum("dies")) {
    if (!(*d >= 1 && *d <= 64)) e.Fail("dies", "a count in 1..64", std::to_string(*d));
    h.dies = static_cast<uint32_t>(*d);
  }
  h.launch_date = e.StrOr("launch_date");
  h.memory_options_gib = e.NumList("memory.options_gib");
  h.memory_type = e.StrOr("memory.type");
  h.bandwidth_bytes_per_s = e.Num("memory.bandwidth_bytes_per_s");
  h.measured_bandwidth_bytes_per_s = e.OptNum("memory.measured_bandwidth_bytes_per_s");
  h.gpu_usable_note = e.StrOr("memory.gpu_usable_note");
  if (auto f = e.OptNum("memory.gpu_usable_fraction")) h.gpu_usable.push_back({std::nullopt, *f});
  if (auto rules = e.At("memory.gpu_usable")) {
    if (!rules.is_array_of_tables()) e.Fail("memory.gpu_usable", "an array of tables", Entity::Describe(rules));
    for (const auto& rule : *rules.as_array()) {
      Entity r(*rule.as_table(), e.origin());
      UsableRule u;
      u.max_gib = r.OptNum("max_gib");
      u.fraction = r.Num("fraction");
      h.gpu_usable.push_back(u);
    }
  }
  if (auto pf = e.At("peak_flops"); pf && pf.is_table()) {
    for (const auto& [k, v] : *pf.as_table()) {
      const std::string key(k.str());
      if (key == "measured_gemm_note") {
        h.measured_gemm_note = v.value<std::string>().value_or("");
        continue;
      }
      if (!v.is_number()) e.Fail("peak_flops." + key, "a number (FLOP/s)", "a non-number");
      auto p = PrecisionFromString(key);
      if (!p) e.Fail("peak_flops." + key, "fp32, fp16, bf16, fp8, fp4, int8 or fp16_fp16acc", "'" + key + "'");
      h.peak_flops[*p] = *v.value<double>();
    }
  }
  if (auto mu = e.At("matrix_unit_flops"); mu && mu.is_table()) {
    for (const auto& [k, v] : *mu.as_table()) {
      const std::string key(k.str());
      auto p = PrecisionFromString(key);
      if (!p) e.Fail("matrix_unit_flops." + key, "fp32, fp16, bf16, fp8, fp4, int8 or fp16_fp16acc", "'" + key + "'");
      if (!v.is_number() || !(*v.value<double>() > 0 && *v.value<double>() < 1e18))
        e.Fail("matrix_unit_flops." + key, "a number of FLOP/s in (0, 1e18)", "something else");
      h.matrix_unit_flops[*p] = *v.value<double>();
    }
  }
  h.headline = e.StrOr("headline.figure");
  h.headline_is_sparse = e.BoolOr("headline.is_sparse", false);
  h.host_link = e.StrOr("host.link");
  h.host_link_bytes_per_s = e.OptNum("host.link_bytes_per_s");
  h.host_memory_bandwidth_bytes_per_s = e.Num("host.memory_bandwidth_bytes_per_s");
  h.host_cpu_flops_per_s = e.OptNum("host.cpu_flops_per_s");
  h.host_note = e.StrOr("host.note");
  h.scaleup_link = e.StrOr("scaleup.link");
  h.scaleup_bytes_per_s = e.OptNum("scaleup.bytes_per_s");
  h.tdp_w = e.OptNum("power.tdp_w");
  h.idle_w = e.OptNum("power.idle_w");
  h.power_note = e.StrOr("power.note");
  h.price_usd = e.OptNum("price.usd");
  h.price_date = e.StrOr("price.date");
  h.price_note = e.StrOr("price.note");
  if (h.price_usd && h.price_date.empty()) e.Fail("price.date", "the date of the price", "nothing");
  h.derived = e.StrList("derived");
  h.notes = e.StrOr("notes");
  h.sources = e.StrList("sources");
  if (h.sources.empty()) e.Fail("sources", "at least one source", "an empty list");
  if (auto err = Validate(h)) throw InputError(e.origin() + ": '" + h.id + "': " + *err);
  return h;
}

ModelEntry ParseModel(const Entity& e) {
  auto cfg = e.At("config");
  if (!cfg || !cfg.is_table()) e.Fail("config", "a [config] table of HF config.json facts", "nothing");
  ModelEntry m;
  m.spec = ModelSpecFromHfConfig(TomlToJson(*cfg.node()), e.origin() + ": '" + e.id() + "' [config]");
  m.spec.id = e.id();
  m.spec.name = e.Str("name");
  m.spec.published_params_b = e.OptNum("published_params_b");
  m.spec.published_active_params_b = e.OptNum("published_active_params_b");
  m.spec.notes = e.StrOr("notes");
  m.hf_repo = e.StrOr("hf_repo");
  m.sources = e.StrList("sources");
  m.origin = e.origin();
  return m;
}

QuantRecipe ParseQuant(const Entity& e) {
  QuantRecipe q;
  q.id = e.id();
  q.name = e.Str("name");
  q.format = e.Str("format");
  q.default_type = e.Type("default_type");
  if (e.Has("output_type")) q.output_type = e.Type("output_type");
  if (e.Has("token_embd_type")) q.token_embd_type = e.Type("token_embd_type");
  const std::string compute = e.StrOr("compute_precision", "fp16");
  auto p = PrecisionFromString(compute);
  if (!p) e.Fail("compute_precision", "fp32, fp16, bf16, fp8, fp4 or int8", "'" + compute + "'");
  q.compute = *p;
  if (auto ov = e.At("override")) {
    if (!ov.is_array_of_tables()) e.Fail("override", "[[override]] tables", Entity::Describe(ov));
    for (const auto& node : *ov.as_array()) {
      Entity o(*node.as_table(), e.origin());
      QuantOverride qo;
      for (const auto& role : o.StrList("roles")) {
        auto r = TensorRoleFromString(role);
        if (!r) e.Fail("override.roles", "tensor roles such as attn_v, ffn_down, ffn_up_exps", "'" + role + "'");
        qo.roles.push_back(*r);
      }
      const std::string layers = o.StrOr("layers", "all");
      auto sel = ParseLayerSelector(layers);
      if (!sel) e.Fail("override.layers", "all, more_bits, first:N or first_fraction:F", "'" + layers + "'");
      qo.layers = *sel;
      qo.type = o.Type("type");
      q.overrides.push_back(qo);
    }
  }
  q.moe_only = e.BoolOr("moe_only", false);
  q.notes = e.StrOr("notes");
  q.sources = e.StrList("sources");
  return q;
}

RuntimeProfile ParseRuntime(const Entity& e) {
  RuntimeProfile r;
  r.id = e.id();
  r.name = e.Str("name");
  r.engine = e.Str("engine");
  r.backend = e.StrOr("backend");
  r.flash_attention = e.BoolOr("features.flash_attention", true);
  r.mla_absorbed_prefill = e.BoolOr("features.mla_absorbed_prefill", false);
  r.paged_kv = e.BoolOr("features.paged_kv", false);
  r.continuous_batching = e.BoolOr("features.continuous_batching", false);
  r.embedding_on_host = e.BoolOr("features.embedding_on_host", false);
  r.kv_preallocated = e.BoolOr("features.kv_preallocated", true);
  const std::string off = e.StrOr("features.offload", "none");
  auto style = OffloadStyleFromString(off);
  if (!style) e.Fail("features.offload", "host_layers, stream or none", "'" + off + "'");
  r.offload = *style;
  r.context_overhead_bytes = e.OptNum("memory.context_overhead_bytes").value_or(0);
  r.device_memory_fraction = e.OptNum("memory.device_memory_fraction").value_or(1.0);
  r.ubatch_tokens = static_cast<uint32_t>(e.OptNum("memory.ubatch_tokens").value_or(512));
  r.max_batch = static_cast<uint32_t>(e.OptNum("memory.max_batch").value_or(256));
  r.efficiency_like = e.StrOr("efficiency_like");
  for (auto [key, field] :
       {std::pair{"compute.quantized", &r.quantized_precision}, std::pair{"compute.dense", &r.dense_precision}}) {
    const std::string v = e.StrOr(key, "fp16");
    auto p = PrecisionFromString(v);
    if (!p) e.Fail(key, "fp32, fp16, bf16, fp8, fp4, int8 or fp16_fp16acc", "'" + v + "'");
    *field = *p;
  }
  r.vendors = e.StrList("support.vendors");
  r.classes = e.StrList("support.classes");
  for (const auto& c : r.classes) {
    if (!HardwareClassFromString(c))
      e.Fail("support.classes", "discrete_gpu, unified_soc, cpu or accelerator", "'" + c + "'");
  }
  r.formats = e.StrList("support.formats");
  r.tensor_parallel = e.BoolOr("support.tensor_parallel", false);
  r.row_split = e.BoolOr("support.row_split", false);
  r.per_vendor_efficiency = e.BoolOr("support.per_vendor_efficiency", false);
  r.kernels.matvec_max_tokens = e.CountOr("kernels.matvec_max_tokens", 0, 4096);
  r.kernels.gemm_tile_tokens = e.CountOr("kernels.gemm_tile_tokens", 0, 4096);
  r.kernels.moe_gemm_min_tokens = e.CountOr("kernels.moe_gemm_min_tokens", 0, 4096);
  r.kernels.fa_query_rows = e.CountOr("kernels.fa_query_rows", 0, 4096);
  r.kernels.fa_vec_max_tokens = e.CountOr("kernels.fa_vec_max_tokens", 0, 4096);
  r.kernels.sources = e.StrList("kernels.sources");
  auto& sc = r.scheduler;
  sc.policy = e.StrOr("scheduler.policy", r.continuous_batching ? "continuous" : "slots");
  if (sc.policy != "continuous" && sc.policy != "slots") e.Fail("scheduler.policy", "continuous or slots", sc.policy);
  sc.block_size = static_cast<uint32_t>(e.OptNum("scheduler.block_size").value_or(16));
  sc.chunked_prefill = e.BoolOr("scheduler.chunked_prefill", true);
  sc.max_num_seqs = static_cast<uint32_t>(e.OptNum("scheduler.max_num_seqs").value_or(r.max_batch));
  sc.max_batched_tokens = static_cast<uint32_t>(e.OptNum("scheduler.max_batched_tokens").value_or(r.ubatch_tokens));
  sc.large_gpu_gib = e.OptNum("scheduler.large_gpu_gib").value_or(0);
  sc.large_gpu_max_num_seqs =
      static_cast<uint32_t>(e.OptNum("scheduler.large_gpu_max_num_seqs").value_or(sc.max_num_seqs));
  sc.large_gpu_max_batched_tokens =
      static_cast<uint32_t>(e.OptNum("scheduler.large_gpu_max_batched_tokens").value_or(sc.max_batched_tokens));
  sc.large_gpu_exclude = e.StrList("scheduler.large_gpu_exclude");
  sc.step_overhead_s = e.OptNum("scheduler.step_overhead_s").value_or(0);
  sc.request_overhead_s = e.OptNum("scheduler.request_overhead_s").value_or(0);
  sc.frontend_s = e.OptNum("scheduler.frontend_s").value_or(0);
  sc.seq_overhead_s = e.OptNum("scheduler.seq_overhead_s").value_or(0);
  sc.overheads_measured = e.BoolOr("scheduler.overheads_measured", false);
  sc.fp8_kv_for_fp8_weights = e.BoolOr("scheduler.fp8_kv_for_fp8_weights", false);
  sc.prefix_caching = e.BoolOr("scheduler.prefix_caching", false);
  if (sc.block_size == 0 || sc.max_num_seqs == 0 || sc.max_batched_tokens == 0 || !(sc.step_overhead_s >= 0) ||
      !(sc.request_overhead_s >= 0) || sc.step_overhead_s > 10 || sc.request_overhead_s > 100 ||
      !(sc.frontend_s >= 0 && sc.frontend_s <= 10) || !(sc.seq_overhead_s >= 0 && sc.seq_overhead_s <= 1)) {
    e.Fail("scheduler", "positive block size, sequences and tokens, overheads in [0, 10] s", "a value out of range");
  }
  if (auto by = e.At("efficiency_like_by")) {
    if (!by.is_table()) e.Fail("efficiency_like_by", "a table of vendor or class = runtime id", Entity::Describe(by));
    for (const auto& [on, id] : *by.as_table()) {
      if (!id.is_string()) e.Fail("efficiency_like_by." + std::string(on.str()), "a runtime id", "a non-string");
      r.efficiency_like_by.emplace_back(std::string(on.str()), *id.value<std::string>());
    }
  }
  if (e.Has("relative_speed")) {
    RelativeSpeed rs;
    rs.compute = e.Num("relative_speed.compute");
    rs.memory = e.Num("relative_speed.memory");
    rs.sources = e.StrList("relative_speed.sources");
    r.relative_speed = rs;
  }
  if (auto eras = e.At("era")) {
    if (!eras.is_array_of_tables()) e.Fail("era", "[[era]] tables", Entity::Describe(eras));
    for (const auto& node : *eras.as_array()) {
      Entity x(*node.as_table(), e.origin());
      RuntimeEra era;
      era.id = x.Str("id");
      const std::string until = x.Str("until");
      const auto day = ParseIsoDay(until);
      if (!day) e.Fail("era.until", "a date YYYY-MM-DD", "'" + until + "'");
      era.until = *day;
      era.what = x.Str("what");
      era.prior_compute = x.OptNum("prior_compute").value_or(1);
      era.prior_memory = x.OptNum("prior_memory").value_or(1);
      era.sources = x.StrList("sources");
      r.eras.push_back(std::move(era));
    }
  }
  r.notes = e.StrOr("notes");
  r.sources = e.StrList("sources");
  if (auto err = Validate(r)) throw InputError(e.origin() + ": '" + r.id + "': " + *err);
  return r;
}

Defaults ParseDefaults(const Entity& e) {
  Defaults d;
  if (auto rules = e.At("default_runtime")) {
    if (!rules.is_array_of_tables()) e.Fail("default_runtime", "[[default_runtime]] tables", Entity::Describe(rules));
    for (const auto& node : *rules.as_array()) {
      Entity r(*node.as_table(), e.origin());
      DefaultRuntimeRule rule;
      rule.vendor = r.StrOr("vendor");
      if (r.Has("class")) {
        const std::string c = r.Str("class");
        rule.hw_class = HardwareClassFromString(c);
        if (!rule.hw_class)
          e.Fail("default_runtime.class", "discrete_gpu, unified_soc, cpu or accelerator", "'" + c + "'");
      }
      rule.runtime = r.Str("runtime");
      d.runtimes.push_back(std::move(rule));
    }
  }
  if (auto ladders = e.At("quant_ladder"); ladders && ladders.is_table()) {
    for (const auto& [engine, list] : *ladders.as_table()) {
      d.quant_ladders[std::string(engine.str())] = e.StrList("quant_ladder." + std::string(engine.str()));
    }
  }
  d.show_quants = e.StrList("show_quants");
  if (auto dates = e.At("build_date")) {
    if (!dates.is_array_of_tables()) e.Fail("build_date", "[[build_date]] tables", Entity::Describe(dates));
    for (const auto& node : *dates.as_array()) {
      Entity b(*node.as_table(), e.origin());
      const double build = b.Num("build");
      const std::string date = b.Str("date");
      const auto day = ParseIsoDay(date);
      if (!day) e.Fail("build_date.date", "a date YYYY-MM-DD", "'" + date + "'");
      if (!(build >= 1 && build < 1e7) || build != std::floor(build))
        e.Fail("build_date.build", "a build number", std::to_string(build));
      d.build_dates[b.Str("engine")].emplace_back(static_cast<uint32_t>(build), *day);
    }
  }
  if (auto rope = e.At("rope")) {
    if (!rope.is_array_of_tables()) e.Fail("rope", "[[rope]] tables", Entity::Describe(rope));
    for (const auto& node : *rope.as_array()) {
      Entity r(*node.as_table(), e.origin());
      const std::string style = r.Str("style");
      if (style != "neox" && style != "normal") e.Fail("rope.style", "neox or normal", style);
      d.rope.push_back({r.StrOr("arch_prefix"), style == "neox", r.Num("theta")});
    }
  }
  return d;
}

Article ParseArticle(const Entity& e) {
  Article a;
  a.id = e.id();
  a.title = e.Str("title");
  a.publisher = e.Str("publisher");
  a.date = e.StrOr("date");
  a.sources = e.StrList("sources");
  a.models = e.StrList("scenario.models");
  a.hardware = e.StrList("scenario.hardware");
  a.quant = e.Str("scenario.quant");
  if (auto claims = e.At("claim")) {
    if (!claims.is_array_of_tables()) e.Fail("claim", "[[claim]] tables", Entity::Describe(claims));
    for (const auto& node : *claims.as_array()) {
      Entity c(*node.as_table(), e.origin());
      ArticleClaim claim{c.Str("hardware"), c.Str("model"), c.Str("metric"), c.Str("text"), c.Num("value")};
      if (claim.metric != "tg" && claim.metric != "pp" && claim.metric != "ttft")
        e.Fail("claim.metric", "tg, pp or ttft", claim.metric);
      if (!(claim.value > 0) || !std::isfinite(claim.value))
        e.Fail("claim.value", "a positive number", std::to_string(claim.value));
      a.claims.push_back(std::move(claim));
    }
  }
  return a;
}

template <typename Map>
auto FindIn(const Map& m, std::string_view id) -> const typename Map::mapped_type* {
  auto it = m.find(id);
  return it == m.end() ? nullptr : &it->second;
}

template <typename Map>
std::vector<std::string> Keys(const Map& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

[[noreturn]] void Unknown(std::string_view what, std::string_view id, const std::vector<std::string>& keys) {
  std::string msg = "unknown " + std::string(what) + " '" + std::string(id) + "'";
  const auto close = ClosestMatches(id, keys, 3);
  if (!close.empty()) {
    msg += "; closest: ";
    for (size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : "") + close[i];
  }
  msg += " (tokcast list " + std::string(what == "hardware" ? "hardware" : std::string(what) + "s") + ")";
  throw InputError(msg);
}

}  // namespace

Catalog Catalog::Builtin() {
  Catalog c;
  for (const auto& f : BuiltinFiles()) {
    const auto slash = f.path.find('/');
    const auto kind = f.path.substr(0, slash);
    if (kind == "efficiency" || kind == "validation") continue;  // not catalog entities
    c.AddFile(f.path.substr(0, slash), "data/" + std::string(f.path), f.content);
  }
  return c;
}

void Catalog::AddFile(std::string_view kind, std::string_view origin, std::string_view text) {
  toml::table table;
  try {
    table = toml::parse(text, std::string(origin));
  } catch (const toml::parse_error& err) {
    const auto& where = err.source().begin;
    throw InputError(std::string(origin) + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
                     ": malformed TOML: " + std::string(err.description()));
  }
  Entity e(table, std::string(origin));
  e.CheckSchema();
  if (kind == "hardware") {
    HardwareSpec h = ParseHardware(e);
    if (!h.specs_id.empty()) hardware_alias_[h.specs_id] = h.id;
    hardware_[h.id] = std::move(h);
  } else if (kind == "models") {
    ModelEntry m = ParseModel(e);
    models_[m.spec.id] = std::move(m);
  } else if (kind == "quants") {
    QuantRecipe q = ParseQuant(e);
    quants_[q.id] = std::move(q);
  } else if (kind == "runtimes") {
    RuntimeProfile r = ParseRuntime(e);
    runtimes_[r.id] = std::move(r);
  } else if (kind == "defaults") {
    defaults_ = ParseDefaults(e);
  } else if (kind == "articles") {
    Article a = ParseArticle(e);
    articles_[a.id] = std::move(a);
  } else {
    throw InputError(std::string(origin) +
                     ": catalog files live in hardware/, models/, quants/, runtimes/, defaults/ or articles/");
  }
}

void Catalog::AddDirectory(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir.string() + ": a catalog directory must be a directory");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".toml") files.push_back(it->path());
  }
  if (ec) throw InputError(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string kind = f.parent_path().filename().string();
    std::ifstream in(f, std::ios::binary);
    if (!in) throw InputError(f.string() + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    AddFile(kind, f.string(), ss.str());
  }
}

namespace {

// Lowercase letters and digits only: "RTX 4090", "rtx-4090" and "rtx_4090" compare equal.
std::string Normalize(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Exact, then normalized equality over `keys` (each key with its alternative spellings).
template <typename Map>
const typename Map::mapped_type* FindNormalized(const Map& m, std::string_view id) {
  if (auto v = FindIn(m, id)) return v;
  const std::string n = Normalize(id);
  if (n.empty()) return nullptr;
  for (const auto& [k, v] : m) {
    if (Normalize(k) == n) return &v;
  }
  return nullptr;
}

std::string NameOf(const HardwareSpec& h) {
  return h.name + " " + h.specs_id;
}
std::string NameOf(const ModelEntry& m) {
  return m.spec.name + " " + m.hf_repo;
}
std::string NameOf(const QuantRecipe& q) {
  return q.name;
}
std::string NameOf(const RuntimeProfile& r) {
  return r.name;
}

// What the user meant: the unique entry whose id (or name) contains `id`, compared
// normalized; among several, the one whose id ends with it ("rtx4090" -> nvidia-rtx-4090), or
// whose id the others extend ("strix-halo" -> amd-ryzen-ai-max-395, not ...-cpu); otherwise an
// ambiguity error naming them. nullptr when nothing contains it.
template <typename Map>
const typename Map::mapped_type* FindBySubstring(const Map& m, std::string_view what, std::string_view id) {
  const std::string n = Normalize(id);
  if (n.size() < 2) return nullptr;
  using Hit = std::pair<std::string, const typename Map::mapped_type*>;
  std::vector<Hit> hits;
  for (const auto& [k, v] : m) {
    if (Normalize(k).find(n) != std::string::npos || Normalize(NameOf(v)).find(n) != std::string::npos)
      hits.emplace_back(k, &v);
  }
  if (hits.size() == 1) return hits.front().second;
  if (hits.empty()) return nullptr;
  std::vector<Hit> suffix;
  for (const auto& h : hits) {
    const std::string k = Normalize(h.first);
    if (k.size() >= n.size() && k.compare(k.size() - n.size(), n.size(), n) == 0) suffix.push_back(h);
  }
  if (suffix.size() == 1) return suffix.front().second;
  for (const auto& h : hits) {
    const bool extended_by_all =
        std::all_of(hits.begin(), hits.end(), [&](const Hit& o) { return o.first.rfind(h.first, 0) == 0; });
    if (extended_by_all) return h.second;
  }
  std::string msg = std::string(what) + " '" + std::string(id) + "' is ambiguous: it matches ";
  for (size_t i = 0; i < hits.size() && i < 8; ++i) msg += (i ? ", " : "") + hits[i].first;
  if (hits.size() > 8) msg += " and " + std::to_string(hits.size() - 8) + " more";
  throw InputError(msg + "; say which");
}

}  // namespace

const HardwareSpec* Catalog::FindHardware(std::string_view id) const {
  if (auto h = FindNormalized(hardware_, id)) return h;
  if (auto alias = FindNormalized(hardware_alias_, id)) return FindIn(hardware_, *alias);
  return nullptr;
}
const ModelEntry* Catalog::FindModel(std::string_view id) const {
  return FindNormalized(models_, id);
}
const QuantRecipe* Catalog::FindQuant(std::string_view id) const {
  return FindNormalized(quants_, id);
}
const RuntimeProfile* Catalog::FindRuntime(std::string_view id) const {
  return FindNormalized(runtimes_, id);
}

const HardwareSpec& Catalog::Hardware(std::string_view id) const {
  if (auto h = FindHardware(id)) return *h;
  if (auto h = FindBySubstring(hardware_, "hardware", id)) return *h;
  Unknown("hardware", id, Keys(hardware_));
}
const ModelEntry& Catalog::Model(std::string_view id) const {
  if (auto m = FindModel(id)) return *m;
  if (auto m = FindBySubstring(models_, "model", id)) return *m;
  Unknown("model", id, Keys(models_));
}
const QuantRecipe& Catalog::Quant(std::string_view id) const {
  if (auto q = FindQuant(id)) return *q;
  if (auto q = FindBySubstring(quants_, "quant", id)) return *q;
  Unknown("quant", id, Keys(quants_));
}
const RuntimeProfile& Catalog::Runtime(std::string_view id) const {
  if (auto r = FindRuntime(id)) return *r;
  if (auto r = FindBySubstring(runtimes_, "runtime", id)) return *r;
  Unknown("runtime", id, Keys(runtimes_));
}

const Article& Catalog::GetArticle(std::string_view id) const {
  if (auto a = FindNormalized(articles_, id)) return *a;
  Unknown("article", id, Keys(articles_));
}

std::vector<const Article*> Catalog::AllArticles() const {
  std::vector<const Article*> out;
  for (const auto& [k, v] : articles_) out.push_back(&v);
  return out;
}

std::vector<const HardwareSpec*> Catalog::AllHardware() const {
  std::vector<const HardwareSpec*> out;
  for (const auto& [k, v] : hardware_) out.push_back(&v);
  return out;
}
std::vector<const ModelEntry*> Catalog::AllModels() const {
  std::vector<const ModelEntry*> out;
  for (const auto& [k, v] : models_) out.push_back(&v);
  return out;
}
std::vector<const QuantRecipe*> Catalog::AllQuants() const {
  std::vector<const QuantRecipe*> out;
  for (const auto& [k, v] : quants_) out.push_back(&v);
  return out;
}
std::vector<const RuntimeProfile*> Catalog::AllRuntimes() const {
  std::vector<const RuntimeProfile*> out;
  for (const auto& [k, v] : runtimes_) out.push_back(&v);
  return out;
}

const RuntimeProfile& Catalog::DefaultRuntimeFor(const HardwareSpec& hw) const {
  for (const auto& rule : defaults_.runtimes) {
    if (!rule.vendor.empty() && ToLower(rule.vendor) != ToLower(hw.vendor)) continue;
    if (rule.hw_class && *rule.hw_class != hw.hw_class) continue;
    return Runtime(rule.runtime);
  }
  throw InputError("no default runtime for " + hw.id + " (data/defaults/defaults.toml); give --runtime");
}

std::optional<Day> Catalog::BuildDay(std::string_view engine, uint32_t build) const {
  auto it = defaults_.build_dates.find(engine);
  if (it == defaults_.build_dates.end()) return std::nullopt;
  return tokcast::BuildDay(it->second, build);
}

Day Catalog::VersionDay(const RuntimeProfile& rt, std::string_view version, std::string_view where) const {
  if (auto day = ParseIsoDay(version)) return *day;
  std::string_view digits = version;
  if (!digits.empty() && (digits[0] == 'b' || digits[0] == 'B')) digits.remove_prefix(1);
  uint32_t build = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), build);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || build == 0) {
    throw InputError(std::string(where) + ": '" + std::string(version) +
                     "' is not a version: give a build number (b3622) or a release date (2024-08-26)");
  }
  auto day = BuildDay(rt.engine, build);
  if (!day) {
    throw InputError(std::string(where) + ": " + rt.engine +
                     " has no numbered builds in the catalog; give the build's release date (2024-08-26)");
  }
  return *day;
}

void Catalog::FillRopeDefaults(ModelSpec& spec) const {
  for (const auto& r : defaults_.rope) {
    if (spec.arch.rfind(r.arch_prefix, 0) != 0) continue;
    if (!spec.rope_neox) spec.rope_neox = r.neox;
    if (!spec.rope_theta) spec.rope_theta = r.theta;
    return;
  }
}

const std::vector<std::string>& Catalog::QuantLadder(const RuntimeProfile& rt) const {
  static const std::vector<std::string> kNone;
  if (auto it = defaults_.quant_ladders.find(rt.engine); it != defaults_.quant_ladders.end()) return it->second;
  if (auto it = defaults_.quant_ladders.find("*"); it != defaults_.quant_ladders.end()) return it->second;
  return kNone;
}

void Catalog::AddModel(ModelEntry entry) {
  if (entry.spec.id.empty()) throw InputError("a model needs an id");
  std::string id = entry.spec.id;
  models_[id] = std::move(entry);
}

}  // namespace tokcast::catalog
