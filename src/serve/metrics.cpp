#include "serve/metrics.h"

#include <algorithm>
#include <cmath>

namespace tokcast::serve {

namespace {
// Linear interpolation between closest ranks (numpy's default, as vLLM reports), by selection:
// the ranks are placed with nth_element (linear time), never a full sort (an ITL vector holds
// every token gap of the run).
double Quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<long>(lo) + 1, v.end());
  return a + (b - a) * (pos - static_cast<double>(lo));
}
}  // namespace

Distribution Distribute(std::vector<double> v) {
  Distribution d;
  d.n = v.size();
  if (v.empty()) return d;
  double sum = 0;
  for (double x : v) sum += x;
  d.mean = sum / static_cast<double>(v.size());
  d.max = *std::max_element(v.begin(), v.end());
  // Highest rank first: each selection leaves the lower ranks in front for the next.
  d.p99 = Quantile(v, 0.99);
  d.p95 = Quantile(v, 0.95);
  d.p90 = Quantile(v, 0.9);
  d.median = Quantile(v, 0.5);
  return d;
}

ServeMetrics Summarize(const SimResult& r, const Slo& slo) {
  ServeMetrics m;
  m.requests = r.requests.size();
  std::vector<double> ttft, tpot, e2e;
  double first_arrival = 1e300, last_finish = 0, out_tokens = 0, in_tokens = 0;
  size_t good = 0;
  for (const auto& q : r.requests) {
    first_arrival = std::min(first_arrival, q.arrival_s);
    if (!q.completed) {
      ++m.failed;
      continue;
    }
    ++m.completed;
    last_finish = std::max(last_finish, q.finish_s);
    out_tokens += q.output_tokens;
    in_tokens += q.input_tokens;
    const double t = q.first_token_s - q.arrival_s;
    const double e = q.finish_s - q.arrival_s;
    ttft.push_back(t);
    e2e.push_back(e);
    double tp = 0;
    if (q.output_tokens > 1) {
      tp = (e - t) / (q.output_tokens - 1);
      tpot.push_back(tp);
    }
    if ((!slo.ttft_s || t <= *slo.ttft_s) && (!slo.tpot_s || tp <= *slo.tpot_s)) ++good;
  }
  m.duration_s = m.completed ? last_finish - first_arrival : 0;
  if (m.duration_s > 0) {
    m.request_throughput = static_cast<double>(m.completed) / m.duration_s;
    m.output_throughput = out_tokens / m.duration_s;
    m.total_throughput = (out_tokens + in_tokens) / m.duration_s;
    m.goodput = static_cast<double>(good) / m.duration_s;
  }
  m.slo_attainment = m.completed ? static_cast<double>(good) / static_cast<double>(m.completed) : 0;
  m.ttft_s = Distribute(std::move(ttft));
  m.tpot_s = Distribute(std::move(tpot));
  m.e2e_s = Distribute(std::move(e2e));
  m.itl_s = Distribute(std::vector<double>(r.itl_s.begin(), r.itl_s.end()));
  m.preemptions = r.preemptions;
  m.steps = r.steps;
  m.peak_waiting = r.peak_waiting;
  m.peak_kv_used_fraction = r.peak_kv_used_fraction;
  // The queue at the end of the run against its start: a backlog that keeps growing means the
  // arrival rate is above what the server sustains.
  std::vector<std::string> why;
  if (r.preemptions > 0) why.push_back(std::to_string(r.preemptions) + " preemptions");
  if (r.peak_kv_used_fraction > 0.95) why.push_back("the KV cache filled");
  if (r.queue_grew || QueueGrew(r.series)) why.push_back("the queue kept growing");
  if (r.truncated) why.push_back("the run never drained");
  m.near_saturation = !why.empty();
  for (size_t i = 0; i < why.size(); ++i) m.confidence_note += (i ? ", " : "") + why[i];
  return m;
}

}  // namespace tokcast::serve
