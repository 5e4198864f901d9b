#include "serve/workload.h"

#include <cmath>
#include <random>
#include <stdexcept>

namespace tokcast::serve {

std::string_view ToString(Arrival a) {
  switch (a) {
    case Arrival::kPoisson:
      return "poisson";
    case Arrival::kGamma:
      return "gamma";
    case Arrival::kClosedLoop:
      return "closed-loop";
    case Arrival::kOffline:
      return "offline";
    case Arrival::kTrace:
      return "trace";
  }
  return "poisson";
}

std::vector<Request> Generate(const WorkloadSpec& s) {
  if (s.num_requests == 0 || s.num_requests > 100'000'000)
    throw std::invalid_argument("requests must be in 1..100000000");
  if (s.isl.min == 0 || s.isl.max < s.isl.min || s.osl.min == 0 || s.osl.max < s.osl.min) {
    throw std::invalid_argument("lengths must be positive ranges");
  }
  const bool open = s.arrival == Arrival::kPoisson || s.arrival == Arrival::kGamma;
  if (open && !(s.rate > 0 && std::isfinite(s.rate))) throw std::invalid_argument("the request rate must be positive");
  if (s.arrival == Arrival::kGamma && !(s.burstiness > 0 && std::isfinite(s.burstiness))) {
    throw std::invalid_argument("burstiness must be positive");
  }
  if (s.arrival == Arrival::kClosedLoop && s.concurrency == 0)
    throw std::invalid_argument("concurrency must be positive");
  if (s.arrival == Arrival::kTrace) throw std::invalid_argument("a trace is read, not generated");
  if (s.prefix_groups == 0) throw std::invalid_argument("prefix groups must be positive");
  if (uint64_t{s.shared_prefix} + s.isl.max > 100'000'000)
    throw std::invalid_argument("prompts must be under 1e8 tokens");
  std::mt19937_64 rng(s.seed);
  std::uniform_int_distribution<uint32_t> isl(s.isl.min, s.isl.max), osl(s.osl.min, s.osl.max);
  // Gamma inter-arrival times with shape k and mean 1/rate (k = 1: exponential, i.e. Poisson).
  const double k = s.arrival == Arrival::kGamma ? s.burstiness : 1.0;
  std::gamma_distribution<double> gap(k, 1.0 / (s.rate * k));
  std::uniform_int_distribution<uint32_t> group(0, s.prefix_groups - 1);
  std::vector<Request> out;
  out.reserve(s.num_requests);
  double t = 0;
  for (uint64_t i = 0; i < s.num_requests; ++i) {
    if (open && i > 0) t += gap(rng);
    if (s.duration_s && open && t > *s.duration_s) break;
    Request r;
    r.id = i;
    r.arrival_s = open ? t : 0;
    r.input_tokens = isl(rng);
    r.output_tokens = osl(rng);
    if (s.shared_prefix > 0) {
      r.prefix_id = s.prefix_groups > 1 ? group(rng) : 0;
      r.prefix_tokens = s.shared_prefix;
      r.input_tokens += s.shared_prefix;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace tokcast::serve
