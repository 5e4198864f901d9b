// tokcast bench model: a real forward pass of a catalogued architecture (synthetic weights) or
// a GGUF file on this machine's CPU, reported like llama-bench (pp and tg tokens/s, mean and
// standard deviation over repetitions), next to tokcast's own prediction for this machine.
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>

#include "catalog/error.h"
#include "catalog/gguf.h"
#include "catalog/measurements.h"
#include "catalog/model_source.h"
#include "cli/context.h"
#include "cli/scenario.h"
#include "core/text.h"
#include "measure/microbench.h"
#include "measure/probe.h"
#include "measure/thread_pool.h"

namespace tokcast::cli {

nlohmann::json HostJson(const measure::HostFacts& h);

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct ModelUnderTest {
  std::unique_ptr<measure::ProbeModel> probe;
  ModelSpec spec;
  std::vector<TensorInfo> tensors;  // as the planner sees them
  std::string label;
};

ModelUnderTest Load(const catalog::Catalog& cat, const std::string& model, const std::string& quant, size_t ctx,
                    uint64_t seed) {
  ModelUnderTest m;
  if (model.ends_with(".gguf")) {
    auto file = std::make_shared<catalog::GgufFile>(catalog::GgufFile::Open(model));
    m.spec = catalog::ModelSpecFromGguf(file->header(), file->bytes(), model);
    m.tensors = catalog::TensorsFromGguf(file->header());
    try {
      m.probe = measure::ProbeModel::FromGguf(file, m.spec, ctx);
    } catch (const std::invalid_argument& e) {
      throw catalog::InputError(model + ": " + e.what());
    }
    m.label = "GGUF";
    return m;
  }
  m.spec = cat.Model(model).spec;
  auto type = TensorTypeFromString(quant);
  if (!type || !(*type == TensorType::kF32 || *type == TensorType::kF16 || *type == TensorType::kQ8_0 ||
                 *type == TensorType::kQ4_0)) {
    throw catalog::InputError("--quant '" + quant + "': the probe engine runs f32, f16, q8_0 and q4_0");
  }
  try {
    m.probe = measure::ProbeModel::Synthesize(m.spec, *type, seed, ctx);
  } catch (const std::invalid_argument& e) {
    throw catalog::InputError(e.what());
  }
  // The planner's view: every matrix at this type, norms and biases F32 (what was synthesized).
  QuantRecipe r;
  r.id = ToLower(ToString(*type));
  r.default_type = *type;
  r.compute = *type == TensorType::kF32 ? Precision::kFp32 : Precision::kFp16;
  m.tensors = BuildTensorInventory(m.spec);
  ApplyRecipe(r, m.spec.n_layers, m.tensors);
  m.label = "synthetic " + std::string(ToString(*type));
  return m;
}

}  // namespace

Runner RegisterBenchModel(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string model, quant = "q4_0";
    uint64_t prompt = 512, gen = 128, depth = 0, seed = 1;
    unsigned threads = 0;
    int reps = 5;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->model, "Catalog model id (synthetic weights) or a .gguf file")->required();
  app.add_option("--quant", o->quant, "Synthetic weight type: f32, f16, q8_0 or q4_0")->capture_default_str();
  app.add_option("-p,--n-prompt", o->prompt, "Prompt tokens (pp test; 0 skips it)")->capture_default_str();
  app.add_option("-n,--n-gen", o->gen, "Generated tokens (tg test; 0 skips it)")->capture_default_str();
  app.add_option("-d,--depth", o->depth, "Tokens already in the KV cache")->capture_default_str();
  app.add_option("-t,--threads", o->threads, "Threads (default: every logical core)");
  app.add_option("-r,--repetitions", o->reps, "Repetitions (after one warm-up)")->capture_default_str();
  app.add_option("--seed", o->seed, "Seed of the synthetic weights")->capture_default_str();
  return [o, &ctx]() {
    if (o->reps < 1 || o->reps > 1000) throw catalog::InputError("--repetitions must be in 1..1000");
    if (o->prompt > 1'000'000 || o->gen > 1'000'000 || o->depth > 10'000'000) throw catalog::InputError("-p, -n, -d are absurd");
    if (o->prompt == 0 && o->gen == 0) throw catalog::InputError("nothing to run: -p and -n are both 0");
    const auto& cat = ctx.Catalog();
    const measure::HostFacts host = measure::ProbeHost();
    const unsigned threads = o->threads ? o->threads : host.logical_cores;
    if (threads == 0 || threads > 1024) throw catalog::InputError("--threads must be in 1..1024");
    const size_t ctx_len = o->depth + std::max(o->prompt, o->gen) + 1;
    ModelUnderTest m = Load(cat, o->model, o->quant, ctx_len, o->seed);
    measure::ThreadPool pool(threads);
    const bool tty = &ctx.Out() == &std::cout && isatty(2) != 0;
    std::vector<int32_t> toks(std::max<size_t>(o->prompt, o->depth) + 1);
    for (size_t i = 0; i < toks.size(); ++i) toks[i] = static_cast<int32_t>((i * 7919 + 13) % m.spec.vocab);
    auto fill_depth = [&]() {
      m.probe->Reset();
      for (uint64_t done = 0; done < o->depth;) {
        const uint64_t n = std::min<uint64_t>(512, o->depth - done);
        m.probe->Forward(pool, toks.data(), n, nullptr);
        done += n;
      }
    };
    // The read bandwidth of the weights' own pages, measured just before and just after each
    // decode run: on a machine whose bandwidth moves (other tenants, page placement), the
    // ceiling decode met at that moment, where `bench machine` measured other pages earlier.
    auto read_weights = [&]() -> double {
      if (m.probe->owned_weights_bytes() < (64u << 20)) return 0;
      return measure::MeasureReadBandwidth(pool, m.probe->owned_weights(), m.probe->owned_weights_bytes(), 1).max;
    };
    std::vector<double> pp, tg, weights_read;
    std::vector<float> logits;
    for (int rep = 0; rep <= o->reps; ++rep) {
      if (tty) ctx.Err() << "\r\033[Krepetition " << rep << "/" << o->reps << (rep == 0 ? " (warm-up)" : "") << std::flush;
      if (o->prompt > 0) {
        fill_depth();
        const auto t0 = Clock::now();
        m.probe->Forward(pool, toks.data(), o->prompt, &logits);
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (rep > 0) pp.push_back(static_cast<double>(o->prompt) / s);
      }
      if (o->gen > 0) {
        fill_depth();
        const double read_before = rep > 0 ? read_weights() : 0;
        int32_t tok = 1;
        const auto t0 = Clock::now();
        for (uint64_t i = 0; i < o->gen; ++i) m.probe->Forward(pool, &tok, 1, &logits);
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        const double read_after = rep > 0 ? read_weights() : 0;
        if (rep > 0) {
          tg.push_back(static_cast<double>(o->gen) / s);
          if (read_before > 0) weights_read.push_back((read_before + read_after) / 2);
        }
      }
    }
    if (tty) ctx.Err() << "\r\033[K" << std::flush;
    const auto pps = measure::Summarize(pp), tgs = measure::Summarize(tg);

    json r = {{"schema_version", 1}, {"tool_version", report::ToolVersion()}, {"git_commit", report::GitCommit()},
              {"build_type", report::BuildType()}, {"host", HostJson(host)}, {"model", m.spec.id}, {"weights", m.label},
              {"n_prompt", o->prompt}, {"n_gen", o->gen}, {"depth", o->depth}, {"threads", threads},
              {"repetitions", o->reps}, {"weights_bytes", m.probe->weights_bytes()},
              {"decode_bytes_per_token", m.probe->DecodeBytesPerToken(o->depth + o->gen / 2)}};
    if (o->prompt > 0) {
      r["pp_tok_s"] = pps.mean;
      r["pp_tok_s_sd"] = pps.stddev;
    }
    if (o->gen > 0) {
      r["tg_tok_s"] = tgs.mean;
      r["tg_tok_s_sd"] = tgs.stddev;
      const double decode_bytes = static_cast<double>(m.probe->DecodeBytesPerToken(o->depth + o->gen / 2));
      r["decode_bytes_per_s"] = tgs.mean * decode_bytes;
      if (weights_read.size() == tg.size()) {
        double read = 0, fraction = 0;
        for (size_t i = 0; i < tg.size(); ++i) {
          read += weights_read[i] / static_cast<double>(tg.size());
          fraction += tg[i] * decode_bytes / weights_read[i] / static_cast<double>(tg.size());
        }
        r["weights_read_bytes_per_s"] = read;
        r["decode_weights_read_fraction"] = fraction;
      }
    }
    // Prediction for this machine, from the profile `tokcast bench machine` wrote.
    std::vector<std::string> notes;
    const HardwareSpec* local = cat.FindHardware("local");
    if (local) {
      const RuntimeProfile& rt = cat.Runtime("tokcast-probe");
      PerfWorkload w;
      w.prompt = std::max<uint64_t>(o->prompt, 1);
      w.gen = std::max<uint64_t>(o->gen, 1);
      w.depth = o->depth;
      const PreparedModel pm = PrepareModel(m.spec, m.tensors, nullptr);
      const auto plan = PlanMemory(m.spec, MakeFootprint(m.spec, m.tensors), *local, rt,
                                   Workload{ctx_len, 1, TensorType::kF16}, {}).plan;
      const EfficiencyProfile profile = catalog::BuiltinEfficiencyProfile();
      const Prediction p = Predict(PerfContext{pm, *local, rt, plan, profile.For(rt, *local)}, w);
      if (o->prompt > 0) {
        r["predicted_pp_tok_s"] = p.pp_tok_s;
        r["predicted_pp_tok_s_bound"] = p.pp_tok_s_bound;
        r["pp_error_pct"] = (p.pp_tok_s / pps.mean - 1) * 100;
      }
      if (o->gen > 0) {
        r["predicted_tg_tok_s"] = p.tg_tok_s;
        r["predicted_tg_tok_s_bound"] = p.tg_tok_s_bound;
        r["tg_error_pct"] = (p.tg_tok_s / tgs.mean - 1) * 100;
        // The same prediction with the bandwidth this run's pages gave: the model's own error,
        // apart from the machine's drift since `bench machine`.
        if (r.contains("weights_read_bytes_per_s")) {
          HardwareSpec now = *local;
          now.bandwidth_bytes_per_s = now.host_memory_bandwidth_bytes_per_s = r["weights_read_bytes_per_s"].get<double>();
          const Prediction pn = Predict(PerfContext{pm, now, rt, plan, profile.For(rt, now)}, w);
          r["predicted_tg_tok_s_at_run_bandwidth"] = pn.tg_tok_s;
          r["tg_error_pct_at_run_bandwidth"] = (pn.tg_tok_s / tgs.mean - 1) * 100;
        }
      }
      // Measured ratios against the machine's own measured ceilings.
      if (o->gen > 0 && local->measured_bandwidth_bytes_per_s) {
        r["decode_bandwidth_fraction"] = r["decode_bytes_per_s"].get<double>() / *local->measured_bandwidth_bytes_per_s;
      }
      if (o->prompt > 0) {
        const double flops_per_token = 2.0 * static_cast<double>(CountParams(m.spec, m.tensors).active -
                                                                 CountParams(m.spec, m.tensors).embedding);
        const Precision prec = pm.quantized ? Precision::kInt8 : Precision::kFp16;
        if (auto peak = local->PeakFlops(prec)) {
          r["prefill_flops_per_s"] = flops_per_token * pps.mean;
          r["prefill_matmul_fraction"] = flops_per_token * pps.mean / *peak;
        }
      }
    } else {
      notes.push_back("no prediction: run `tokcast bench machine` first to write the local hardware profile");
    }
    if (r.contains("decode_weights_read_fraction")) {
      const double read = r["weights_read_bytes_per_s"].get<double>();
      notes.push_back("decode read its weights at " + FormatFixed(r["decode_bytes_per_s"].get<double>() / 1e9, 1) +
                      " GB/s: " + FormatFixed(100 * r["decode_weights_read_fraction"].get<double>(), 0) +
                      "% of the read bandwidth of the same pages around each run (" + FormatFixed(read / 1e9, 1) +
                      " GB/s)");
      if (r.contains("predicted_tg_tok_s_at_run_bandwidth")) {
        notes.push_back("predicted tg at the bandwidth of this run's pages: " +
                        FormatFixed(r["predicted_tg_tok_s_at_run_bandwidth"].get<double>(), 2) + " t/s (" +
                        FormatFixed(r["tg_error_pct_at_run_bandwidth"].get<double>(), 0) + "% vs measured)");
      }
      if (local && local->measured_bandwidth_bytes_per_s) {
        const double ratio = read / *local->measured_bandwidth_bytes_per_s;
        if (ratio < 0.8 || ratio > 1.25) {
          notes.push_back("warning: this run's memory read at " + FormatFixed(100 * ratio, 0) +
                          "% of the bandwidth `tokcast bench machine` measured: the machine's bandwidth moved (other "
                          "tenants, page placement), and the ceiling ratios move with it");
        }
      }
    }
    for (const auto& w : measure::ReliabilityWarnings(host, std::max(pps.Spread(), tgs.Spread()))) notes.push_back("warning: " + w);
    r["notes"] = notes;
    ctx.last_result = r;
    if (!ctx.no_store) {
      // One row per test in the validation schema, so validate --db compares them with the model.
      std::vector<MeasuredRow> rows;
      const std::string quant = m.label.rfind("synthetic ", 0) == 0 ? ToLower(m.label.substr(10)) : "";
      for (const bool pp_row : {true, false}) {
        if ((pp_row && o->prompt == 0) || (!pp_row && o->gen == 0) || quant.empty()) continue;
        MeasuredRow row;
        row.hardware = "local";
        row.runtime = "tokcast-probe";
        row.model = m.spec.id;
        row.quant = quant;
        row.test = pp_row ? "pp" : "tg";
        if (pp_row) row.n_prompt = o->prompt;
        else row.n_gen = o->gen;
        row.depth = o->depth;
        row.batch = 1;
        row.value = pp_row ? pps.mean : tgs.mean;
        row.unit = "tok/s";
        row.source_id = "tokcast-bench";
        row.notes = "sd: " + FormatFixed(pp_row ? pps.stddev : tgs.stddev, 3) + "; threads: " + std::to_string(threads) +
                    "; weights: " + m.label;
        rows.push_back(std::move(row));
      }
      r["run_id"] = StoreRun(ctx, "bench-model", r, rows);
    }

    if (ctx.Format() == report::Format::kJson) {
      ctx.Out() << r.dump(2) << '\n';
      return 0;
    }
    report::ResultTable t;
    t.columns = {report::TextColumn("model", "model"), report::TextColumn("weights", "weights"),
                 report::NumberColumn("size_gib", "size GiB", 2), report::IntColumn("threads", "threads"),
                 report::TextColumn("test", "test"), report::TextColumn("ts", "t/s"),
                 report::TextColumn("predicted", "predicted t/s (bound)"), report::TextColumn("ratio", "of machine ceiling")};
    auto row = [&](const std::string& test, const measure::Stat& s, const char* pred, const char* bound, const char* frac) {
      json j = {{"model", m.spec.id}, {"weights", m.label},
                {"size_gib", static_cast<double>(m.probe->weights_bytes()) / (1ull << 30)}, {"threads", threads},
                {"test", test}, {"ts", FormatFixed(s.mean, 2) + " ± " + FormatFixed(s.stddev, 2)}};
      if (r.contains(pred)) j["predicted"] = FormatFixed(r[pred].get<double>(), 2) + " (" + FormatFixed(r[bound].get<double>(), 2) + ")";
      if (r.contains(frac)) j["ratio"] = FormatFixed(100 * r[frac].get<double>(), 0) + "%";
      t.rows.push_back(j);
    };
    const std::string dep = o->depth ? " @ d" + std::to_string(o->depth) : "";
    if (o->prompt > 0) row("pp" + std::to_string(o->prompt) + dep, pps, "predicted_pp_tok_s", "predicted_pp_tok_s_bound", "prefill_matmul_fraction");
    if (o->gen > 0) row("tg" + std::to_string(o->gen) + dep, tgs, "predicted_tg_tok_s", "predicted_tg_tok_s_bound", "decode_bandwidth_fraction");
    t.footnotes.push_back("of machine ceiling: decode bytes/s over the measured memory bandwidth; prefill FLOP/s over the "
                          "measured matmul throughput (tokcast bench machine)");
    for (const auto& n : notes) t.footnotes.push_back(n);
    t.Render(ctx.Out(), ctx.Format());
    return 0;
  };
}

}  // namespace tokcast::cli
