// A step-level discrete-event simulator of an inference server. Requests arrive; before every
// step the scheduler forms one batch (decoding sequences and prefill chunks); the step takes the
// time the cost function gives for exactly that batch, plus a fixed per-step overhead; tokens
// come out at the end of the step. Pure: the cost function is the only model of the hardware.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/perf_model.h"
#include "serve/workload.h"

namespace tokcast::serve {

enum class Policy {
  kContinuous,  // vLLM v1, SGLang, TensorRT-LLM in-flight batching: running requests first, then
                // waiting ones into the token budget (chunked prefill), preemption by recompute
  kSlots        // llama-server -np / Ollama OLLAMA_NUM_PARALLEL: fixed slots, each with its context
};

struct SchedulerConfig {
  Policy policy = Policy::kContinuous;
  uint32_t max_num_seqs = 256;         // running requests at once (slots for kSlots)
  uint32_t max_batched_tokens = 8192;  // tokens per step (vLLM max_num_batched_tokens)
  bool chunked_prefill = true;         // a prompt may be split across steps
  uint32_t block_size = 16;            // KV block (tokens); kSlots reserve a whole slot
  uint64_t kv_capacity_tokens = 0;     // the KV pool: every block of every device
  uint32_t slot_tokens = 0;            // kSlots: context per slot (0: pool / slots)
  double step_overhead_s = 0;          // scheduling, sampling, launch per step
  double request_overhead_s = 0;       // HTTP, tokenization, detokenization per request
  // The API server's serialized work per request (parsing, tokenization, the stream's setup and
  // teardown on one event loop): requests pass it one at a time, in arrival order, before the
  // engine sees them, so it caps request throughput at 1 / frontend_s and queues a burst.
  double frontend_s = 0;
  // CPU work per sequence in a step (sampling, detokenization, output processing and streaming),
  // added to the step's time for every request the step computes.
  double seq_overhead_s = 0;
  double sliding_window = 0;  // tokens a windowed layer attends to (0: none)
  // Automatic prefix caching (vLLM APC, SGLang's radix cache, TensorRT-LLM block reuse): the full
  // KV blocks of a shared prefix (requests with the same prefix_id) stay in the pool after their
  // first prefill, referenced by every later request with that prefix, which prefills only the
  // rest; blocks no running request references are evicted, least recently used first, before
  // anything is preempted. kContinuous only (a slot server keeps no shared cache).
  bool prefix_caching = false;
  // Hybrid models: what each running sequence's fixed recurrent state takes of the pool, in KV
  // tokens (vLLM's hybrid allocator gives it blocks of the same pool).
  uint32_t state_tokens = 0;
};

// The cost of one step (seconds): the roofline of exactly this batch.
using StepCost = std::function<double(const StepBatch&)>;

struct RequestResult {
  uint64_t id = 0;
  double arrival_s = 0;
  double first_token_s = -1;  // time of the first output token (absolute)
  double finish_s = -1;
  uint32_t input_tokens = 0, output_tokens = 0;
  uint32_t preemptions = 0;
  bool completed = false;
};

struct TimePoint {
  double t_s = 0;
  uint32_t waiting = 0, running = 0;
  double kv_used_fraction = 0;
};

struct SimResult {
  std::vector<RequestResult> requests;
  std::vector<float> itl_s;       // every gap between consecutive tokens of a request, pooled
  std::vector<TimePoint> series;  // queue, batch and KV use over time (at most ~2000 points)
  uint64_t steps = 0, preemptions = 0;
  double makespan_s = 0;  // first arrival to last completion
  uint32_t peak_waiting = 0;
  double peak_kv_used_fraction = 0;
  bool truncated = false;  // stopped at the step limit (the load never drained)
  // Prompt tokens admitted (every admission, recomputations after a preemption included) and how
  // many of them came from the prefix cache instead of a prefill.
  uint64_t prompt_tokens = 0, cached_prompt_tokens = 0;
  uint64_t prefix_evictions = 0;  // cached prefixes dropped to make room
  // Some server's queue kept growing (a fleet's parts are judged one by one: the merged
  // timeline can hide one pool's backlog behind another's calm).
  bool queue_grew = false;
};

// Whether a timeline's waiting queue grew through the run: its second half holds more than
// twice its first (plus one request a point).
bool QueueGrew(const std::vector<TimePoint>& series);

// Runs the requests (sorted by arrival; for a closed loop pass `closed_loop_concurrency`: the
// first that many start at 0, each later one when a request finishes). Throws
// std::invalid_argument when a request can never fit the KV pool.
SimResult Simulate(std::vector<Request> requests, const SchedulerConfig& config, const StepCost& cost,
                   std::optional<uint32_t> closed_loop_concurrency = std::nullopt, uint64_t max_steps = 50'000'000);

// Data parallelism: `replicas` identical servers behind a round-robin load balancer (request i
// goes to replica i mod replicas; a closed loop's concurrency is split among them). The result
// is the fleet's: every request, every token gap, the queue and KV use summed over replicas.
SimResult SimulateReplicas(std::vector<Request> requests, const SchedulerConfig& config, const StepCost& cost,
                           uint32_t replicas, std::optional<uint32_t> closed_loop_concurrency = std::nullopt);

// Disaggregated serving: a pool of prefill replicas computes each prompt and its first token;
// its KV then crosses the link (`kv_transfer_s(input tokens)`) to a pool of decode replicas,
// which generate the rest. TTFT comes from the prefill pool, TPOT and ITL from the decode pool
// (the transfer included in the first gap). Open-loop arrivals only.
struct DisaggConfig {
  uint32_t prefill_replicas = 1, decode_replicas = 1;
  SchedulerConfig prefill, decode;
  std::function<double(uint32_t input_tokens)> kv_transfer_s;
};
SimResult SimulateDisaggregated(std::vector<Request> requests, const DisaggConfig& config, const StepCost& cost);

}  // namespace tokcast::serve
