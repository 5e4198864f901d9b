#include "measure/model_bench.h"

#include <algorithm>
#include <chrono>

namespace tokcast::measure {

ModelBenchResult RunModelBenchmark(ProbeModel& m, ThreadPool& pool, const ModelBenchOptions& o,
                                   const std::function<void(const std::string&)>& progress) {
  using Clock = std::chrono::steady_clock;
  const uint32_t vocab = std::max<uint32_t>(m.spec().vocab, 1);
  std::vector<int32_t> toks(std::max<size_t>(o.prompt, o.depth) + 1);
  for (size_t i = 0; i < toks.size(); ++i) toks[i] = static_cast<int32_t>((i * 7919 + 13) % vocab);
  auto fill_depth = [&]() {
    m.Reset();
    for (uint64_t done = 0; done < o.depth;) {
      const uint64_t n = std::min<uint64_t>(512, o.depth - done);
      m.Forward(pool, toks.data(), n, nullptr);
      done += n;
    }
  };
  // The read bandwidth of the weights' own pages, just before and just after each decode run:
  // on a machine whose bandwidth moves, the ceiling decode met at that moment.
  auto read_weights = [&]() -> double {
    if (m.owned_weights_bytes() < (64u << 20)) return 0;
    return MeasureReadBandwidth(pool, m.owned_weights(), m.owned_weights_bytes(), 1).max;
  };
  ModelBenchResult r;
  std::vector<float> logits;
  for (int rep = 0; rep <= o.reps; ++rep) {
    progress("repetition " + std::to_string(rep) + "/" + std::to_string(o.reps) + (rep == 0 ? " (warm-up)" : ""));
    if (o.prompt > 0) {
      fill_depth();
      const auto t0 = Clock::now();
      m.Forward(pool, toks.data(), o.prompt, &logits);
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep > 0) r.pp_tok_s.push_back(static_cast<double>(o.prompt) / s);
    }
    if (o.gen > 0) {
      fill_depth();
      const double before = rep > 0 ? read_weights() : 0;
      int32_t tok = 1;
      const auto t0 = Clock::now();
      for (uint64_t i = 0; i < o.gen; ++i) m.Forward(pool, &tok, 1, &logits);
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      const double after = rep > 0 ? read_weights() : 0;
      if (rep > 0) {
        r.tg_tok_s.push_back(static_cast<double>(o.gen) / s);
        if (before > 0) r.weights_read_bytes_per_s.push_back((before + after) / 2);
      }
    }
  }
  if (o.profile) {
    progress("profiling each operator");
    if (o.prompt > 0) {
      fill_depth();
      r.pp_profile.emplace();
      m.SetProfile(&*r.pp_profile);
      m.Forward(pool, toks.data(), o.prompt, &logits);
      m.SetProfile(nullptr);
    }
    if (o.gen > 0) {
      fill_depth();
      r.tg_profile.emplace();
      m.SetProfile(&*r.tg_profile);
      int32_t tok = 1;
      for (uint64_t i = 0; i < o.gen; ++i) m.Forward(pool, &tok, 1, &logits);
      m.SetProfile(nullptr);
    }
  }
  progress("");
  return r;
}

}  // namespace tokcast::measure
