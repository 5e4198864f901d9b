#include "report/kinds.h"

#include "core/text.h"
#include "core/validation.h"

namespace tokcast::report::kinds {

namespace {

using nlohmann::json;
using T = FieldType;

Field Str(std::string n, std::string d) {
  return F(std::move(n), T::kString, "", std::move(d));
}
Field Int(std::string n, std::string unit, std::string d) {
  return F(std::move(n), T::kInt, std::move(unit), std::move(d));
}
Field Num(std::string n, std::string unit, std::string d) {
  return F(std::move(n), T::kNumber, std::move(unit), std::move(d));
}
Field Bool(std::string n, std::string d) {
  return F(std::move(n), T::kBool, "", std::move(d));
}
Field Bytes(std::string n, std::string d) {
  return F(std::move(n), T::kBytes, "bytes", std::move(d));
}
Field Pair(std::string n, std::string unit, std::string d) {
  return F(std::move(n), T::kPair, std::move(unit), std::move(d));
}
Field List(std::string n, std::string d) {
  return F(std::move(n), T::kList, "", std::move(d));
}
Field Records(std::string n, std::string d) {
  return F(std::move(n), T::kRecords, "", std::move(d));
}
Field Object(std::string n, std::string d, std::vector<Field> sub) {
  Field f = F(std::move(n), T::kObject, "", std::move(d));
  f.sub = std::move(sub);
  return f;
}
Field Never(Field f) {
  return f.Visibility(Show::kNever);
}
Field Varies(Field f) {
  return f.Visibility(Show::kWhenVaries);
}
Field Always(Field f) {
  return f.Visibility(Show::kAlways);
}
Field Wide(Field f) {
  return f.Visibility(Show::kWide);
}

// A prediction interval: where 80% of held-out measurements fell (data/efficiency/intervals.toml).
Field Interval(std::string n, std::string unit, std::string what) {
  return Object(
      std::move(n),
      "80% prediction interval of the " + what + " (measured / predicted on held-out sources), capped by the bound",
      {Num("low", unit, "low end of the interval"), Num("high", unit, "high end of the interval")});
}

// The expected half of a pair, for narrow table columns (JSON and CSV keep both halves).
template <int kDecimals>
std::string ExpectedOnly(const json& r, const char* key) {
  if (!r.contains(key) || !r[key].is_object() || !r[key].contains("expected")) return "";
  return FormatFixed(r[key]["expected"].get<double>(), kDecimals);
}
std::string TtftCell(const json& r) {
  return ExpectedOnly<2>(r, "ttft_s");
}
std::string BatchCell(const json& r) {
  return ExpectedOnly<1>(r, "batch_tok_s");
}

std::string LayersCell(const json& r) {
  if (!r.contains("layers_on_device") || !r.contains("layers_total")) return "";
  return r["layers_on_device"].dump() + "/" + r["layers_total"].dump();
}

Schema Make(std::string kind, std::vector<Field> fields, bool vertical = false, bool csv_context = true) {
  Schema s;
  s.kind = std::move(kind);
  s.fields = std::move(fields);
  s.vertical = vertical;
  s.csv_context = csv_context;
  return s;
}

std::vector<Field> PrecisionFields(const std::string& what) {
  std::vector<Field> out;
  for (const char* p : {"fp32", "fp16", "fp16_fp16acc", "bf16", "fp8", "int8", "fp4"}) {
    out.push_back(Num(p, "FLOP/s", what + " at " + p).Header(std::string(p) + " TFLOPS").Scale(1e-12));
  }
  return out;
}

std::vector<Field> PredictFields() {
  return {
      Always(Str("hardware", "hardware id")),
      Varies(Str("model", "model id")),
      Varies(Str("quant", "quantization recipe, or the weights file's label")),
      Varies(Str("runtime", "runtime id")),
      Varies(Int("prompt", "tokens", "prompt tokens (prefill)")),
      Varies(Int("gen", "tokens", "generated tokens")),
      Varies(Int("depth", "tokens", "tokens already in the KV cache")),
      Varies(Int("batch", "sequences", "concurrent sequences")),
      Varies(Int("devices", "", "devices")),
      Varies(Int("tp", "", "tensor-parallel degree")),
      Varies(Str("split_mode",
                 "how the devices share a layer: layer (whole layers each), row (llama.cpp -sm row), tensor")),
      Varies(Int("ep", "", "expert-parallel degree (1: every device holds a slice of every expert)")),
      Varies(Str("kv_type", "KV cache type")),
      Varies(Int("ubatch", "tokens", "prefill tokens per forward pass (null: the runtime's default)")),
      Never(Num("memory_gib", "GiB", "memory configuration per device")),
      Never(Bool("fits", "everything fits on the device")),
      Never(Str("verdict", "fits, offload or does not fit")),
      Int("layers_on_device", "", "layers on the device").Header("layers").Display(LayersCell).Rank(2),
      Never(Int("layers_total", "", "layers of the model")),
      Varies(
          Int("moe_host_layers", "", "layers whose routed experts are in host memory (--n-cpu-moe)").Header("cpu-moe")),
      Never(Bytes("weights_bytes", "weight bytes")),
      Always(Pair("tg_tok_s", "tok/s", "decode tokens/s per sequence: expected / physical bound")
                 .Header("tg tok/s exp/bound")
                 .Decimals(1)),
      Pair("pp_tok_s", "tok/s", "prefill tokens/s: expected / physical bound")
          .Header("pp tok/s exp/bound")
          .Decimals(0)
          .Rank(1),
      Pair("ttft_s", "s", "time to first token: expected / bound")
          .Header("TTFT s")
          .Decimals(2)
          .Display(TtftCell)
          .Rank(3),
      Never(Interval("tg_tok_s_interval", "tok/s", "decode tokens/s per sequence")),
      Never(Interval("pp_tok_s_interval", "tok/s", "prefill tokens/s")),
      Never(Interval("ttft_s_interval", "s", "time to first token")),
      Never(Interval("batch_tok_s_interval", "tok/s", "decode tokens/s of all sequences")),
      Pair("batch_tok_s", "tok/s", "decode tokens/s of all sequences together: expected / bound")
          .Header("batch tok/s")
          .Decimals(1)
          .Display(BatchCell)
          .Rank(7),
      Wide(Pair("e2e_s", "s", "end-to-end latency of one request: expected / bound").Header("e2e s").Decimals(2)),
      Pair("throughput_tok_s", "tok/s", "saturated output throughput (--isl/--osl): expected / bound")
          .Header("sat. tok/s exp/bound")
          .Decimals(0)
          .Rank(2),
      Int("throughput_concurrency", "sequences", "concurrency of the saturated run").Header("conc").Rank(7),
      Object("limits", "what bounds each phase",
             {Wide(Str("prefill", "what bounds prefill").Header("prefill limit")),
              Str("decode", "what bounds decode").Header("decode limit").Rank(6)}),
      Num("power_w", "W", "power (TDP of all devices)").Header("W").Decimals(0).Rank(8),
      Num("joules_per_token", "J/token", "energy per generated token").Header("J/tok").Decimals(2).Rank(5),
      Num("price_usd", "USD", "purchase price of the devices").Header("price $").Decimals(0).Rank(9),
      Wide(Str("price_date", "date of the price")),
      Num("usd_per_mtok", "USD/Mtok", "cost per million generated tokens").Header("$/Mtok").Decimals(2).Rank(4),
      Never(Str("efficiency_from",
                "the calibration group whose efficiencies stand in for this runtime, when not its own")),
      Never(List("speed_factors",
                 "speed factors taken on top of those efficiencies: a wrapper's relative speed, an older build era")),
      Never(Str("offload", "what spills to the host")),
      Never(Str("warning", "why the plan cannot run")),
      Never(List("warnings", "unusual settings (context beyond the trained maximum, ...)")),
      Records("claims",
              "published figures checked against the bound: metric, claimed, bound, expected, possible, "
              "exceeds_bound_by, source"),
  };
}

}  // namespace

const Schema& Fit() {
  static const Schema s = Make(
      "fit",
      {Always(Str("hardware", "hardware id")),
       Varies(Str("model", "model id")),
       Varies(Str("quant", "quantization recipe, or the weights file's label")),
       Varies(Str("runtime", "runtime id")),
       Always(Int("ctx", "tokens", "context tokens per sequence")),
       Always(Int("batch", "sequences", "concurrent sequences")),
       Varies(Str("kv_type", "KV cache type")),
       Varies(Int("devices", "", "identical devices")),
       Wide(Num("usable_fraction", "", "GPU-usable share of memory").Header("usable share")),
       Never(Num("memory_gib", "GiB", "memory configuration per device")),
       Never(Bool("fits", "everything fits on the device")),
       Always(Str("verdict", "fits, offload or does not fit")),
       Bytes("weights_bytes", "weight bytes").Header("weights GiB").Rank(3),
       Never(Bytes("weights_device_bytes", "weight bytes on the devices")),
       Never(Bytes("weights_host_bytes", "weight bytes in host memory")),
       Bytes("kv_bytes", "KV cache bytes").Header("KV GiB").Rank(4),
       Never(Bytes("kv_device_bytes", "KV cache bytes on the devices")),
       Never(Bytes("kv_host_bytes", "KV cache bytes in host memory")),
       Bytes("overhead_bytes", "runtime context and compute buffers").Header("overhead GiB").Rank(8),
       Never(Bytes("compute_buffer_bytes", "compute buffer bytes (part of the overhead)")),
       Bytes("device_used_bytes", "device memory used").Header("used GiB").Decimals(1).Rank(2),
       Bytes("usable_bytes", "device memory usable").Header("usable GiB").Decimals(1).Rank(2),
       Never(Bytes("headroom_bytes", "usable minus used (negative when over)")),
       Never(Bytes("host_bytes", "host memory the plan needs")),
       Int("layers_on_device", "", "layers on the devices").Header("layers").Display(LayersCell).Rank(1),
       Never(Int("layers_total", "", "layers of the model")),
       Never(List("layers_per_device", "layers on each device")),
       Never(Bool("output_on_device", "the output layer is on the device")),
       Never(Int("params_total", "", "parameters")),
       Never(Int("params_active", "", "parameters active per token")),
       Never(Str("weights_source", "catalog, or the file the weights came from")),
       Int("max_ctx", "tokens", "longest context per sequence that fits on the device at this batch")
           .Header("max ctx")
           .Rank(5),
       Int("max_batch", "sequences", "most sequences that fit at this context").Header("max batch").Rank(6),
       Str("best_quant", "highest-precision recipe of the runtime's family that fits").Header("best quant").Rank(7),
       Never(Str("reason", "what spills, or why it does not fit")),
       Never(List("warnings", "unusual settings"))});
  return s;
}

const Schema& Predict() {
  static const Schema s = Make("predict", PredictFields());
  return s;
}
const Schema& Compare() {
  static const Schema s = Make("compare", PredictFields());
  return s;
}

const Schema& Explain() {
  static const Schema s =
      Make("explain", {Always(Str("phase", "prefill or decode")), Always(Str("where", "device, host or link")),
                       Always(Str("op", "operator").Header("operator")),
                       Num("count", "", "layers it covers").Header("layers").Decimals(0),
                       Num("gflop", "GFLOP", "floating-point work").Header("GFLOP").Decimals(3),
                       Num("mb", "MB", "bytes moved (decimal MB)").Header("MB moved").Decimals(2),
                       Always(Num("ms", "ms", "time").Header("time ms").Decimals(3)),
                       Num("share", "%", "share of the phase's time").Header("% of phase").Decimals(1),
                       Always(Str("bound", "what bounds it").Header("bound by"))});
  return s;
}

const Schema& ValidateRow() {
  static const Schema s = Make(
      "validate",
      {Int("line", "", "line of the measurement file").Rank(9), Always(Str("source", "source id").Header("src")),
       Always(Str("hardware", "hardware id")), Never(Int("device_count", "", "devices")),
       Varies(Str("runtime", "runtime id")), Always(Str("model", "model id")), Str("quant", "quant id").Rank(3),
       Always(Str("test", "pp, tg, tg_batch, ...")), Str("shape", "prompt, generated tokens, depth, batch").Rank(4),
       Always(Num("measured", "", "measured value")), Num("predicted", "", "expected value").Decimals(2).Rank(1),
       Num("bound", "", "physical bound").Decimals(2).Rank(2),
       Always(Num("ape", "%", "absolute percentage error").Header("APE %").Decimals(1)),
       Never(Bool("above_bound", "the measurement beats the bound (a catalog or model bug)")),
       Never(Str("unsupported", "why the row cannot be predicted")),
       Always(Str("flag", "ABOVE BOUND or unsupported").Header(""))});
  return s;
}

const Schema& ValidateSummary() {
  auto kind = [](const char* k) {
    return Object(k, std::string("summary of the ") + k + " rows",
                  {Int("rows", "", "rows"), Int("predicted", "", "rows predicted"),
                   Num("median_ape", "%", "median APE").Decimals(1), Num("mean_ape", "%", "mean APE").Decimals(1),
                   Num("within_10", "", "share within 10%"), Num("within_25", "", "share within 25%"),
                   Int("above_bound", "", "rows above the physical bound")});
  };
  static const Schema s = [&] {
    std::vector<Field> fields;
    for (size_t i = 0; i < static_cast<size_t>(TestKind::kCount); ++i) {
      fields.push_back(kind(std::string(ToString(static_cast<TestKind>(i))).c_str()));
    }
    return Make("validate_summary", std::move(fields));
  }();
  return s;
}

const Schema& LeaveOneSourceOut() {
  static const Schema s = Make(
      "leave_one_source_out",
      {Always(Str("source", "held-out source").Header("held out")), Always(Str("test", "test kind")),
       Int("rows", "", "rows predicted"),
       Always(Num("median_ape", "%", "median APE on the held-out source").Header("median APE %").Decimals(1)),
       Num("mean_ape", "%", "mean APE").Header("mean APE %").Decimals(1),
       Num("within_10", "", "share within 10%").Header("within 10%"),
       Num("within_25", "", "share within 25%").Header("within 25%"),
       Int("above_bound", "", "rows above the bound").Header("above bound"),
       Num("in_sample_median_ape", "%", "median APE with every source in the fit")
           .Header("in-sample median %")
           .Decimals(1),
       Num("interval_coverage", "", "share of its rows inside the 80% interval the other sources' held-out rows give")
           .Header("80% interval holds")});
  return s;
}

const Schema& Calibrate() {
  static const Schema s = Make(
      "calibrate",
      {Always(Str("key", "calibration group (runtime/class)")), Num("memory", "", "bandwidth efficiency").Decimals(3),
       Num("compute", "", "quantized-weight GEMM efficiency").Decimals(3),
       Num("dense_compute", "", "16-bit / native FP8 GEMM efficiency").Header("dense").Decimals(3),
       Num("attention", "", "attention-core efficiency").Decimals(3),
       Wide(Num("decode_attention", "", "vector flash-attention efficiency (decode)").Decimals(3)),
       Num("decode_compute", "", "small-batch matmul efficiency").Decimals(3),
       Num("alu_per_gemm_flop", "", "vector-ALU work per quantized GEMM FLOP").Header("alu/flop").Decimals(3),
       Num("layer_overhead_s", "s", "per layer per forward pass").Header("layer overhead us").Scale(1e6).Decimals(1),
       Wide(Num("multi_die_memory", "", "multi-die bandwidth share").Decimals(3)),
       Wide(Num("moe_tokens_half", "tokens", "tokens per expert at half GEMM efficiency").Decimals(1)),
       Wide(Num("gemm_tokens_half", "tokens", "token columns at half GEMM efficiency").Decimals(1)),
       Wide(Num("moe_layer_overhead_s", "s", "per MoE layer per forward pass: routing, gathers, launches")
                .Header("moe overhead us")
                .Scale(1e6)
                .Decimals(1)),
       Wide(Num("host_memory", "", "host bandwidth efficiency").Decimals(3)),
       Wide(Num("host_compute", "", "host compute efficiency").Decimals(3)),
       Wide(Num("link", "", "link efficiency").Decimals(3))});
  return s;
}

const Schema& ListHardware() {
  static const Schema s = Make(
      "hardware_list",
      {Always(Str("id", "hardware id")), Str("class", "discrete_gpu, unified_soc, cpu, accelerator").Rank(4),
       Never(Str("vendor", "vendor")), Str("memory_gib", "capacity options, GiB").Header("memory GiB").Rank(3),
       Num("bandwidth_gb_per_s", "GB/s", "theoretical memory bandwidth").Header("GB/s").Decimals(0),
       Num("fp16_tflops", "TFLOPS", "dense FP16 tensor FLOP/s at FP32 accumulate").Header("FP16 TFLOPS").Decimals(1),
       Wide(Num("fp32_tflops", "TFLOPS", "FP32 FLOP/s, for parts without FP16 figures")
                .Header("FP32 TFLOPS")
                .Decimals(1)),
       Num("tdp_w", "W", "power").Header("W").Decimals(0).Rank(6),
       Num("price_usd", "USD", "price").Header("price $").Decimals(0).Rank(6),
       Bool("verified", "values checked against a sourced specification table").Rank(7), Str("name", "name").Rank(8),
       Never(Str("specs_id", "the specification table's spelling of the id"))});
  return s;
}

const Schema& ListModels() {
  static const Schema s = Make(
      "model_list",
      {Always(Str("id", "model id")), Str("arch", "architecture").Rank(5),
       Num("params_b", "B", "parameters, billions").Header("params B"),
       Num("active_params_b", "B", "active per token, billions").Header("active B"),
       Int("layers", "", "layers").Rank(4), Str("attention", "attention variant, window, MoE").Rank(3),
       Num("kv_kib_per_token", "KiB", "KV cache per token at f16").Header("KV KiB/tok f16").Decimals(1),
       Int("max_context", "tokens", "trained context length").Header("max ctx").Rank(6), Str("name", "name").Rank(8)});
  return s;
}

const Schema& ListQuants() {
  static const Schema s =
      Make("quant_list", {Always(Str("id", "quant id")), Str("format", "file format"),
                          Str("main_type", "the type most weights get").Header("main type"),
                          Wide(Str("default_type", "the type of tensors no override names")),
                          Num("bits_per_weight", "bits", "bits per weight of the main type, block scales included")
                              .Header("bpw")
                              .Decimals(3),
                          Str("compute", "precision the kernels compute in"), Str("name", "name").Rank(8)});
  return s;
}

const Schema& ListRuntimes() {
  static const Schema s =
      Make("runtime_list",
           {Always(Str("id", "runtime id")), Never(Str("engine", "engine")), Never(Str("backend", "backend")),
            Str("offload", "host_layers, stream or none"), Bool("flash_attention", "flash attention").Header("FA"),
            Bool("paged_kv", "paged KV cache").Header("paged KV"),
            Bool("continuous_batching", "continuous batching").Header("cont. batching"),
            Num("device_memory_fraction", "", "share of device memory it uses").Header("mem fraction"),
            Never(Num("context_overhead_bytes", "bytes", "fixed device memory it takes")),
            Str("vendors", "hardware vendors it runs on").Rank(6), Str("name", "name").Rank(8)});
  return s;
}

const Schema& ShowHardware() {
  static const Schema s =
      Make("hardware",
           {Str("id", "hardware id"),
            Str("name", "name"),
            Str("vendor", "vendor"),
            Str("class", "class"),
            Str("specs_id", "id in the sourced specification table"),
            Bool("verified", "values checked against the sourced table"),
            List("memory_options_gib", "capacity options, GiB").Header("memory options (GiB)"),
            Str("memory_type", "memory type"),
            Num("bandwidth_bytes_per_s", "bytes/s", "theoretical bandwidth")
                .Header("bandwidth (GB/s, theoretical)")
                .Scale(1e-9)
                .Decimals(1),
            Num("measured_bandwidth_bytes_per_s", "bytes/s", "measured bandwidth")
                .Header("bandwidth (GB/s, measured)")
                .Scale(1e-9)
                .Decimals(1),
            Records("gpu_usable", "GPU-usable fraction rules: fraction, up to max_gib"),
            Str("gpu_usable_text", "GPU-usable fraction").Header("GPU-usable fraction"),
            Str("gpu_usable_note", "note on the GPU-usable fraction"),
            Object("peak_flops", "dense peak FLOP/s per precision (framework accumulate mode)",
                   PrecisionFields("dense peak")),
            Object("matrix_unit_flops",
                   "a CPU's matrix unit (Intel AMX) peak FLOP/s per precision: the bound's where higher, never the "
                   "expected value's",
                   PrecisionFields("matrix-unit peak")),
            Str("headline", "the vendor's headline figure"),
            Bool("headline_is_sparse", "the headline is 2:4-sparse (2x the dense rate)"),
            Str("measured_gemm_note", "measured GEMM rates"),
            Str("host_link", "host link"),
            Num("host_link_bytes_per_s", "bytes/s", "host link per direction")
                .Header("host link (GB/s)")
                .Scale(1e-9)
                .Decimals(1),
            Num("host_memory_bandwidth_bytes_per_s", "bytes/s", "host memory bandwidth")
                .Header("host memory (GB/s)")
                .Scale(1e-9)
                .Decimals(1),
            Num("host_cpu_flops_per_s", "FLOP/s", "host CPU FP32").Header("host CPU (TFLOPS)").Scale(1e-12),
            Str("host_note", "host note"),
            Str("scaleup_link", "scale-up link"),
            Num("scaleup_bytes_per_s", "bytes/s", "scale-up link per direction")
                .Header("scale-up (GB/s)")
                .Scale(1e-9)
                .Decimals(1),
            Num("tdp_w", "W", "power").Header("power (W)").Decimals(0),
            Num("idle_w", "W", "idle power").Header("idle (W)").Decimals(0),
            Str("power_note", "power note"),
            Num("price_usd", "USD", "price").Header("price (USD)").Decimals(0),
            Str("price_date", "date of the price"),
            Str("price_note", "price note"),
            List("derived", "fields derived or unverified"),
            Str("notes", "notes"),
            List("sources", "sources")},
           true);
  return s;
}

const Schema& ShowModel() {
  static const Schema s = Make(
      "model",
      {Str("id", "model id"),
       Str("name", "name"),
       Str("source", "catalog or the file"),
       Str("arch", "architecture"),
       Int("n_layers", "", "layers").Header("layers"),
       Int("hidden", "", "hidden size"),
       Int("n_heads", "", "attention heads"),
       Int("n_kv_heads", "", "KV heads"),
       Int("head_dim", "", "head dimension"),
       Object("mla", "multi-head latent attention",
              {Int("q_lora_rank", "", "q LoRA rank"), Int("kv_lora_rank", "", "KV LoRA rank"),
               Int("qk_nope_head_dim", "", "no-RoPE head dim"), Int("qk_rope_head_dim", "", "RoPE head dim"),
               Int("v_head_dim", "", "V head dim")}),
       Int("ffn", "", "FFN size"),
       Object("moe", "mixture of experts",
              {Int("n_experts", "", "routed experts"), Int("n_experts_active", "", "experts per token"),
               Int("n_shared_experts", "", "shared experts"), Int("expert_ffn", "", "expert FFN size"),
               Int("leading_dense_layers", "", "leading dense layers")}),
       Int("sliding_window", "tokens", "sliding window"),
       Int("local_layers", "", "layers with the window"),
       Int("vocab", "", "vocabulary"),
       Bool("tied_embeddings", "tied embeddings"),
       Int("max_context", "tokens", "trained context"),
       Int("params_total", "", "parameters"),
       Int("params_active", "", "parameters active per token"),
       Int("params_embedding", "", "input-embedding parameters"),
       Num("published_params_b", "B", "published parameter count"),
       Num("published_active_params_b", "B", "published active parameters"),
       Num("kv_bytes_per_token_f16", "bytes", "KV per token at f16, full-attention layers").Decimals(0),
       Num("kv_bytes_per_token_f16_windowed", "bytes", "KV per token at f16 on windowed layers (capped at the window)")
           .Decimals(0),
       Object("hybrid", "recurrent layers: a fixed-size state per sequence, no KV cache",
              {Str("mixer", "gated_deltanet or mamba2"), Int("attention_layers", "", "layers with a KV cache"),
               Int("recurrent_layers", "", "layers with a fixed state"),
               Int("ffn_only_layers", "", "layers with an FFN and no mixer"),
               Num("state_mib_per_sequence", "MiB", "recurrent state of one sequence, all layers, whatever its length")
                   .Decimals(1)}),
       Str("weights_file", "what the weights file stores"),
       Bytes("weights_file_bytes", "bytes of the file's tensors"),
       Int("tensors", "", "tensors in the file"),
       Object("weights_bytes_by_quant", "weight bytes at common recipes",
              {Bytes("f16", "f16"), Bytes("q8_0", "q8_0"), Bytes("q6_k", "q6_k"), Bytes("q4_k_m", "q4_k_m"),
               Bytes("q4_0", "q4_0"), Bytes("mlx-4bit", "mlx-4bit"), Bytes("fp8", "fp8")}),
       Str("notes", "notes"),
       List("sources", "sources")},
      true);
  return s;
}

const Schema& ShowQuant() {
  static const Schema s =
      Make("quant",
           {Str("id", "quant id"), Str("name", "name"), Str("format", "file format"),
            Str("main_type", "the type most weights get"), Str("default_type", "the type of tensors no override names"),
            Num("bits_per_weight", "bits", "bits per weight of the main type").Decimals(4),
            Int("block_elems", "", "weights per block"), Int("block_bytes", "bytes", "bytes per block"),
            Str("output_type", "lm head type"), Str("token_embd_type", "token embedding type"),
            List("overrides", "per-tensor overrides"), Str("compute", "compute precision"),
            List("runtimes", "runtimes that load it"), Bool("moe_only", "only for MoE models (experts)"),
            Str("notes", "notes"), List("sources", "sources")},
           true);
  return s;
}

const Schema& ShowRuntime() {
  static const Schema s = Make("runtime",
                               {Str("id", "runtime id"),
                                Str("name", "name"),
                                Str("engine", "engine"),
                                Str("backend", "backend"),
                                List("vendors", "hardware vendors it runs on"),
                                List("formats", "weight formats it loads"),
                                Bool("tensor_parallel", "splits tensors across devices"),
                                Bool("row_split", "llama.cpp --split-mode row"),
                                Bool("flash_attention", "flash attention"),
                                Bool("paged_kv", "paged KV"),
                                Bool("continuous_batching", "continuous batching"),
                                Str("offload", "offload style"),
                                Bool("embedding_on_host", "token embedding in host memory"),
                                Num("context_overhead_bytes", "bytes", "fixed device memory")
                                    .Header("context overhead (MB)")
                                    .Scale(1e-6)
                                    .Decimals(0),
                                Num("device_memory_fraction", "", "device memory share"),
                                Int("ubatch_tokens", "tokens", "prefill tokens per pass"),
                                Int("max_batch", "sequences", "scheduler limit"),
                                Str("decode_kernels", "matmul kernels by tokens per decode step"),
                                List("decode_kernel_sources", "sources of the kernel dispatch rules"),
                                Str("quantized_precision", "GEMM precision for quantized weights"),
                                Str("dense_precision", "GEMM precision for 16-bit weights"),
                                Str("efficiency_like", "runtime whose efficiencies stand in"),
                                Str("efficiency_like_by", "the runtime that stands in, by hardware vendor or class"),
                                Str("relative_speed", "a wrapper's speed relative to the runtime it wraps (prior)"),
                                List("eras", "build eras: builds before a date that lacked a change"),
                                Str("notes", "notes"),
                                List("sources", "sources")},
                               true);
  return s;
}

const Schema& BenchMachine() {
  static const Schema s =
      Make("bench_machine", {Always(Str("what", "measurement").Header("measurement")),
                             Always(Num("median", "", "median")), Num("min", "", "slowest"), Num("max", "", "fastest"),
                             Wide(Num("mean", "", "mean")), Wide(Num("stddev", "", "standard deviation")),
                             Wide(Int("reps", "", "timed repetitions")), Always(Str("unit", "unit"))});
  return s;
}

const Schema& BenchMachineSummary() {
  static const Schema s = Make(
      "bench_machine_summary",
      {Str("host_text", "host").Header("host"), Never(Object("host", "host facts", {})), Int("threads", "", "threads"),
       Num("memory_bandwidth_bytes_per_s", "bytes/s",
           "memory bandwidth the profile keeps (median round of STREAM's best rate)")
           .Header("memory bandwidth (GB/s)")
           .Scale(1e-9)
           .Decimals(1),
       Never(Object("bandwidth", "STREAM read/copy/triad statistics (bytes/s), buffer and the best rate of each round",
                    {})),
       Never(Object("matmul_flops_per_s", "GEMM statistics per weight type (FLOP/s)", {})),
       Never(Object(
           "ceilings",
           "the instruction sets' peaks (FMA, int8 dot, BF16 dot; AMX presence) and tokcast's GEMM fraction of them",
           {})),
       Never(Object("gpu", "GPU measurements (null without one)", {})),
       Str("gpu_note", "why there is no GPU measurement").Header("GPU"),
       Str("hardware_profile", "hardware profile written (--hw local)").Header("hardware profile"),
       Str("gpu_hardware_profile", "GPU hardware profile written (--hw local-gpu)").Header("GPU profile"),
       List("warnings", "why a number may be unreliable"),
       Int("run_id", "", "results database run").Header("stored as run")});
  return s;
}

const Schema& BenchModel() {
  static const Schema s = Make(
      "bench_model",
      {Always(Str("model", "model id")), Str("weights", "weights (synthetic type or GGUF)"),
       Bytes("weights_bytes", "weight bytes").Header("size GiB"), Int("threads", "", "threads"),
       Always(Str("test", "pp512, tg128, ...")), Always(Num("tok_s", "tok/s", "mean tokens/s").Header("t/s")),
       Num("tok_s_sd", "tok/s", "standard deviation").Header("sd"),
       Pair("predicted_tok_s", "tok/s", "prediction for this machine: expected / bound")
           .Header("predicted t/s (bound)"),
       Num("ceiling_fraction", "", "decode bytes/s over measured bandwidth; prefill FLOP/s over measured GEMM peak")
           .Header("% of machine ceiling")
           .Scale(100)
           .Decimals(0)});
  return s;
}

const Schema& BenchModelSummary() {
  static const Schema s =
      Make("bench_model_summary",
           {Never(Object("host", "host facts", {})),
            Never(Str("model", "model id")),
            Never(Str("weights", "weights")),
            Never(Int("n_prompt", "tokens", "prompt tokens")),
            Never(Int("n_gen", "tokens", "generated tokens")),
            Never(Int("depth", "tokens", "depth")),
            Never(Int("threads", "", "threads")),
            Never(Int("repetitions", "", "repetitions")),
            Never(Bytes("weights_bytes", "weight bytes")),
            Never(Int("decode_bytes_per_token", "bytes", "bytes a decode step reads")),
            Never(Num("pp_tok_s", "tok/s", "prefill mean")),
            Never(Num("pp_tok_s_sd", "tok/s", "prefill sd")),
            Never(Num("tg_tok_s", "tok/s", "decode mean")),
            Never(Num("tg_tok_s_sd", "tok/s", "decode sd")),
            Never(Num("decode_bytes_per_s", "bytes/s", "decode bytes/s")),
            Never(Num("weights_read_bytes_per_s", "bytes/s",
                      "read bandwidth of the weights' own pages around each decode run")),
            Never(Num("decode_weights_read_fraction", "", "decode bytes/s over that bandwidth")),
            Never(Num("predicted_pp_tok_s", "tok/s", "predicted prefill")),
            Never(Num("predicted_pp_tok_s_bound", "tok/s", "prefill bound")),
            Never(Num("pp_error_pct", "%", "prediction error, prefill")),
            Never(Num("predicted_tg_tok_s", "tok/s", "predicted decode")),
            Never(Num("predicted_tg_tok_s_bound", "tok/s", "decode bound")),
            Never(Num("tg_error_pct", "%", "prediction error, decode")),
            Never(Num("predicted_tg_tok_s_at_run_bandwidth", "tok/s", "decode predicted at the run's own bandwidth")),
            Never(Num("tg_error_pct_at_run_bandwidth", "%", "its error")),
            Never(Num("decode_bandwidth_fraction", "", "decode bytes/s over bench machine's bandwidth")),
            Never(Num("prefill_flops_per_s", "FLOP/s", "prefill FLOP/s")),
            Never(Num("prefill_matmul_fraction", "", "prefill FLOP/s over bench machine's GEMM peak")),
            Never(Object("profile", "with --profile: the per-operator rows", {})),
            Int("run_id", "", "results database run").Header("stored as run")});
  return s;
}

const Schema& BenchModelProfile() {
  static const Schema s =
      Make("bench_model_profile",
           {Always(Str("test", "pp512, tg128, ...")), Always(Str("op", "operator of the forward pass")),
            Always(Num("ms_per_token", "ms", "time per token").Header("ms/token").Decimals(3)),
            Always(Num("share", "", "share of the run's time").Header("% of time").Scale(100).Decimals(1)),
            Num("bytes_per_token", "bytes", "weights and KV cache read per token").Header("MB/token").Scale(1e-6),
            Num("read_bytes_per_s", "bytes/s", "those bytes over the operator's time").Header("GB/s").Scale(1e-9)});
  return s;
}

const Schema& ResultsList() {
  static const Schema s =
      Make("results_list",
           {Always(Int("id", "", "run id").Header("run")), Str("created_at", "UTC time").Header("created (UTC)"),
            Always(Str("kind", "bench-machine, bench-model, llama-bench")), Str("hardware", "hardware id"),
            Str("model", "model id"), Str("quant", "quant id"), Str("tests", "stored tests and values"),
            Str("git_commit", "tokcast commit").Header("commit").Rank(7)});
  return s;
}

const Schema& StoredRun() {
  static const Schema s =
      Make("run",
           {Int("id", "", "run id"), Str("created_at", "UTC time"), Str("kind", "run kind"),
            Str("tool_version", "tokcast version"), Str("git_commit", "commit"), Str("build_type", "build type"),
            Never(Object("host", "host facts", {})), Never(Object("result", "the full result of the run", {})),
            Records("rows", "measurements (validation schema)"), Int("measurements", "", "stored measurement rows")},
           true);
  return s;
}

const Schema& Measurement() {
  static const Schema s = Make(
      "measurement",
      {Always(Str("hardware", "hardware id")), Int("device_count", "", "devices").Rank(8),
       Varies(Str("runtime", "runtime id")), Always(Str("model", "model id")), Str("quant", "quant id"),
       Always(Str("test", "test kind")), Int("n_prompt", "tokens", "prompt tokens"),
       Int("n_gen", "tokens", "generated tokens"), Int("depth", "tokens", "depth"), Int("batch", "sequences", "batch"),
       Always(Num("value", "", "measured value")), Str("unit", "unit"), Str("source_id", "source id").Rank(7),
       Str("source_url", "source URL").Rank(9), Str("notes", "notes").Rank(9)},
      false, false);
  return s;
}

const Schema& Imported() {
  static const Schema s =
      Make("import",
           {Str("file", "imported file"), Int("run_id", "", "run id"), Int("rows", "", "rows imported"),
            Int("skipped", "", "pp+tg tests skipped"), Str("database", "results database")},
           true);
  return s;
}

const Schema& ServingCalibration() {
  static const Schema s =
      Make("serving_calibration",
           {Always(Str("runtime", "runtime id")), Always(Int("runs", "", "stored serving runs fitted")),
            Num("step_overhead_prior_ms", "ms", "the catalog's per-step overhead").Header("step ms prior").Decimals(3),
            Always(Num("step_overhead_ms", "ms", "fitted per-step overhead").Header("step ms").Decimals(3)),
            Num("request_overhead_prior_ms", "ms", "the catalog's per-request overhead")
                .Header("request ms prior")
                .Decimals(2),
            Always(Num("request_overhead_ms", "ms", "fitted per-request overhead").Header("request ms").Decimals(2)),
            Num("ttft_ape_before", "%", "median TTFT error with the priors").Header("TTFT err % before").Decimals(1),
            Num("ttft_ape_after", "%", "median TTFT error fitted").Header("TTFT err % after").Decimals(1),
            Num("tpot_ape_before", "%", "median TPOT error with the priors").Header("TPOT err % before").Decimals(1),
            Num("tpot_ape_after", "%", "median TPOT error fitted").Header("TPOT err % after").Decimals(1),
            Wide(Str("written", "runtime TOML written"))});
  return s;
}

const Schema& Synthesized() {
  static const Schema s =
      Make("synth",
           {Str("path", "GGUF written"), Str("model", "model id"), Str("quant", "weight type"),
            Int("tensors", "", "tensors"), Bytes("file_bytes", "file size").Header("file GiB").Decimals(3)},
           true);
  return s;
}

namespace {
Field Dist(std::string name, std::string unit, std::string what, std::string header, int decimals, Show median_show) {
  auto sub = [&](const char* k, const char* d, Show show, int rank) {
    return Num(k, unit, std::string(d) + " " + what)
        .Header(header + " " + k)
        .Decimals(decimals)
        .Visibility(show)
        .Rank(rank);
  };
  return Object(std::move(name), what + " (mean, median, p90, p95, p99, max)",
                {sub("mean", "mean", Show::kWide, 5), sub("median", "median", median_show, 2),
                 sub("p90", "90th percentile", Show::kWide, 5), sub("p95", "95th percentile", Show::kWide, 5),
                 sub("p99", "99th percentile", median_show, 3), sub("max", "largest", Show::kWide, 5)});
}
}  // namespace

const Schema& Simulate() {
  static const Schema s = Make(
      "simulate",
      {Always(Str("hardware", "hardware id")),
       Varies(Str("model", "model id")),
       Varies(Str("quant", "quant")),
       Always(Str("runtime", "runtime id")),
       Varies(Int("devices", "", "devices")),
       Varies(Int("tp", "", "tensor-parallel degree")),
       Varies(Int("ep", "", "expert-parallel degree (1: every device holds a slice of every expert)")),
       Varies(Int("replicas", "", "data-parallel replicas behind a round-robin balancer")),
       Varies(Int("pp", "", "pipeline-parallel stages per replica")),
       Varies(Str("disagg", "disaggregated serving: prefill:decode replicas")),
       Varies(Str("kv_type", "KV cache type")),
       Wide(Str("arrival", "poisson, gamma, closed-loop, offline or trace")),
       Varies(Num("request_rate", "req/s", "offered request rate").Header("req/s in")),
       Varies(Int("concurrency", "", "closed-loop concurrency").Header("conc")),
       Int("requests", "", "requests").Rank(7),
       Wide(Int("completed", "", "completed requests")),
       Wide(Int("failed", "", "requests that could not run")),
       Wide(Num("duration_s", "s", "first arrival to last completion")),
       Num("request_throughput", "req/s", "completed requests per second").Header("req/s").Rank(5),
       Always(Num("output_throughput", "tok/s", "output tokens per second").Header("out tok/s").Decimals(0)),
       Num("output_throughput_bound", "tok/s", "output tokens/s no schedule on this hardware can beat")
           .Header("bound tok/s")
           .Decimals(0)
           .Rank(4),
       Wide(Num("total_throughput", "tok/s", "input + output tokens per second").Decimals(0)),
       Num("goodput", "req/s", "requests per second meeting every SLO").Rank(6),
       Wide(Num("slo_attainment", "", "share of requests meeting every SLO")),
       Dist("ttft_ms", "ms", "time to first token (queueing included)", "TTFT ms", 0, Show::kNormal),
       Dist("tpot_ms", "ms", "time per output token after the first", "TPOT ms", 1, Show::kNormal),
       Dist("itl_ms", "ms", "inter-token latency over every gap", "ITL ms", 1, Show::kWide),
       Dist("e2e_s", "s", "end-to-end latency", "E2E s", 2, Show::kWide),
       Num("preemptions", "", "preemptions by recompute").Header("preempt").Decimals(0).Rank(7),
       Wide(Bool("prefix_caching", "shared prompt prefixes computed once and reused")),
       Wide(Num("prefix_cache_hit_rate", "", "share of prompt tokens read from the prefix cache").Header("prefix hit")),
       Wide(Int("steps", "", "scheduler steps")),
       Wide(Int("peak_waiting", "", "most requests waiting")),
       Wide(Num("peak_kv_used", "", "largest share of the KV pool in use")),
       Wide(Int("kv_pool_tokens", "tokens", "KV pool")),
       Wide(Int("max_num_seqs", "", "scheduler limit on running requests")),
       Wide(Int("max_batched_tokens", "tokens", "tokens per step")),
       Str("confidence", "normal, or low near saturation").Rank(4),
       Never(Str("efficiency_from", "the calibration group whose efficiencies stand in for this runtime")),
       Never(Records("timeline",
                     "requests running and waiting and the share of the KV pool in use over time: "
                     "t_s, running, waiting, kv_used (at most 200 points)"))});
  return s;
}

const Schema& BenchServe() {
  static const Schema s = [] {
    std::vector<Field> f = {Always(Str("source", "measured (the server) or predicted (the simulator)"))};
    for (const auto& x : Simulate().fields) f.push_back(x);
    f.push_back(Num("errors", "", "requests that failed (counted, never dropped)").Decimals(0).Rank(3));
    f.push_back(Wide(Num("client_us_per_chunk", "us", "the client's own work per streamed chunk")));
    f.push_back(Never(Str("served_model", "the model name the server answered with")));
    f.push_back(Never(Str("tool", "the tool that measured an imported run (vllm bench serve, guidellm, ...)")));
    f.push_back(Never(Int("cached_tokens", "tokens", "prompt tokens the server took from its prefix cache")));
    f.push_back(Wide(Num("server_prompt_ms", "ms", "the server's own prompt time, mean (llama-server timings)")));
    f.push_back(
        Wide(Num("server_ms_per_token", "ms", "the server's own time per generated token, mean (llama-server)")));
    return Make("bench_serve", std::move(f));
  }();
  return s;
}

const Schema& SimulatedRequest() {
  static const Schema s =
      Make("simulate_request",
           {Always(Int("id", "", "request")), Num("arrival_s", "s", "arrival").Header("arrival s").Decimals(3),
            Int("input_tokens", "tokens", "prompt tokens").Header("in"),
            Int("output_tokens", "tokens", "output tokens").Header("out"),
            Always(Num("ttft_ms", "ms", "time to first token").Header("TTFT ms").Decimals(1)),
            Always(Num("tpot_ms", "ms", "time per output token").Header("TPOT ms").Decimals(2)),
            Num("e2e_s", "s", "end-to-end latency").Header("E2E s").Decimals(3),
            Int("preemptions", "", "times preempted").Header("preempt"), Bool("completed", "it ran to the end")});
  return s;
}

const Schema& Plan() {
  static const Schema s = Make(
      "plan",
      {Always(Str("hardware", "hardware id")),
       Always(Str("runtime", "runtime id")),
       Always(Str("quant", "quantization")),
       Always(Int("tp", "", "tensor-parallel degree per replica")),
       Varies(Int("ep", "", "expert-parallel degree (1: every device holds a slice of every expert)")),
       Varies(Int("pp", "", "pipeline stages per replica")),
       Varies(Str("disagg", "disaggregated: prefill:decode replicas per unit (- aggregated)")),
       Always(Int("replicas", "", "replicas the rate needs")),
       Always(Int("devices", "", "devices in all")),
       Num("replica_rate", "req/s", "requests/s one replica sustains within the SLOs").Header("req/s each").Rank(5),
       Num("ttft_p99_ms", "ms", "p99 TTFT at that rate").Header("TTFT p99 ms").Decimals(0).Rank(3),
       Num("tpot_p99_ms", "ms", "p99 TPOT at that rate").Header("TPOT p99 ms").Decimals(1).Rank(3),
       Num("tok_s_per_device", "tok/s", "output tokens/s per device").Header("tok/s/dev").Decimals(0).Rank(4),
       Num("tok_s_per_user", "tok/s", "output tokens/s each user sees (1 / median TPOT)")
           .Header("tok/s/user")
           .Decimals(1)
           .Rank(4),
       Always(Num("usd_per_hour", "USD/h", "the fleet's cost per hour").Header("$/hour").Decimals(1)),
       Num("usd_per_mtok", "USD/Mtok", "cost per million output tokens").Header("$/Mtok").Decimals(3).Rank(2),
       Num("power_w", "W", "the fleet's power").Header("kW").Scale(1e-3).Decimals(1).Rank(6),
       Never(Bool("meets_slo", "one replica meets the SLOs at some rate")),
       Bool("pareto", "on the Pareto front of tokens/s per device against tokens/s per user").Header("front").Rank(5),
       Str("why", "why it cannot meet the SLOs").Rank(7),
       Never(Str("efficiency_from", "the calibration group whose efficiencies stand in"))});
  return s;
}

std::vector<const Schema*> All() {
  return {&Fit(),
          &Predict(),
          &Compare(),
          &Explain(),
          &ValidateRow(),
          &ValidateSummary(),
          &LeaveOneSourceOut(),
          &Calibrate(),
          &ListHardware(),
          &ListModels(),
          &ListQuants(),
          &ListRuntimes(),
          &ShowHardware(),
          &ShowModel(),
          &ShowQuant(),
          &ShowRuntime(),
          &BenchMachine(),
          &BenchMachineSummary(),
          &BenchModel(),
          &BenchModelSummary(),
          &BenchModelProfile(),
          &ResultsList(),
          &StoredRun(),
          &Measurement(),
          &Imported(),
          &ServingCalibration(),
          &Synthesized(),
          &Simulate(),
          &SimulatedRequest(),
          &BenchServe(),
          &Plan()};
}

}  // namespace tokcast::report::kinds
