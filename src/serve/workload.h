// Serving workloads: requests with arrival times and input/output lengths, generated the way
// `vllm bench serve` does (Poisson or gamma arrivals at a rate, a closed loop at a fixed
// concurrency, or everything at once), or read from a trace. Pure: the seed fixes every number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tokcast::serve {

struct Request {
  uint64_t id = 0;
  double arrival_s = 0;  // closed loop: when its predecessor in the slot finishes (set by the simulator)
  uint32_t input_tokens = 1;
  uint32_t output_tokens = 1;
  int64_t prefix_id = -1;  // requests with the same id share their first prefix_tokens
  uint32_t prefix_tokens = 0;
  // Disaggregated serving: its KV arrived from a prefill replica, so the decode replica starts
  // generating at once (its prompt is not recomputed unless it is preempted).
  bool prefilled = false;
};

// An integer length drawn uniformly from [min, max] (min == max: fixed).
struct LengthDist {
  uint32_t min = 1, max = 1;
};

enum class Arrival { kPoisson, kGamma, kClosedLoop, kOffline, kTrace };

struct WorkloadSpec {
  Arrival arrival = Arrival::kPoisson;
  double rate = 1;           // requests/s (Poisson, gamma)
  double burstiness = 1;     // gamma shape: 1 = Poisson, < 1 burstier, > 1 smoother (vLLM --burstiness)
  uint32_t concurrency = 1;  // closed loop: requests in flight
  uint64_t num_requests = 1000;
  std::optional<double> duration_s;  // stop generating arrivals after this (open loop)
  LengthDist isl{1000, 1000}, osl{200, 200};
  // A shared prefix before every prompt (vllm bench serve --random-prefix-len: a system prompt,
  // few-shot examples): this many tokens on top of the input length, the same for every request
  // of a group; requests draw one of `prefix_groups` prefixes uniformly.
  uint32_t shared_prefix = 0;
  uint32_t prefix_groups = 1;
  uint64_t seed = 0;
};

// The requests of a generated workload (not kTrace), sorted by arrival. Throws
// std::invalid_argument for a rate, concurrency or length that cannot be.
std::vector<Request> Generate(const WorkloadSpec& spec);

std::string_view ToString(Arrival a);

}  // namespace tokcast::serve
