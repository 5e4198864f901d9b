// `tokcast bench serve`: load on a real OpenAI-compatible server (vLLM, SGLang, llama-server,
// TensorRT-LLM, mlx_lm.server, Ollama's /v1), streamed, with a timestamp (monotonic clock) on
// every token chunk. Requests come with their arrival times (open loop) or go round C slots
// (closed loop); prompts are token ids of exactly the asked length on /v1/completions, or text on
// /v1/chat/completions; output length forced with max_tokens + min_tokens + ignore_eos, actual
// counts from `usage`. One thread per request in flight.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tokcast::measure {

struct LoadRequest {
  double arrival_s = 0;  // open loop: seconds after the start
  uint32_t input_tokens = 1, output_tokens = 1;
  // Requests with the same prefix_id (>= 0) start with the same prefix_tokens (a trace's shared
  // system prompt or document), so a server's prefix cache can reuse them; the rest is unique.
  int64_t prefix_id = -1;
  uint32_t prefix_tokens = 0;
};

struct ServeClientOptions {
  std::string url;                      // http://HOST:PORT (a path prefix such as /v1 is added)
  std::string api = "completions";      // or "chat"
  std::string model;                    // "model" in the request body; empty: the first of /v1/models
  double timeout_s = 600;               // per request
  std::optional<uint32_t> concurrency;  // closed loop with this many slots; else open loop
  uint64_t seed = 0;                    // token ids of the prompts
  // Set (by a Ctrl-C handler): no request starts after it, those in flight are cancelled.
  const std::atomic<bool>* stop = nullptr;
  // Called (from the request threads, serialized) after each request ends: done, total.
  std::function<void(size_t, size_t)> progress;
};

struct MeasuredRequest {
  double arrival_s = 0, sent_s = 0;  // scheduled arrival and when it was sent (seconds from start)
  double first_token_s = -1, finish_s = -1;
  std::vector<double> chunk_s;                   // every streamed chunk that carried output
  uint32_t input_tokens = 0, output_tokens = 0;  // from usage (else the asked / chunks counted)
  uint32_t cached_tokens = 0;                    // usage.prompt_tokens_details.cached_tokens
  // The server's own account where it gives one (llama-server's `timings`).
  std::optional<double> server_prompt_ms, server_ms_per_token;
  bool ok = false;
  bool sent = false;       // false: the run was stopped before this request's turn
  bool cancelled = false;  // in flight when the run was stopped
  std::string error;
};

struct ServeRun {
  std::vector<MeasuredRequest> requests;
  std::string model;               // as the server named it
  double client_us_per_chunk = 0;  // the client's own work per chunk (parsing, bookkeeping)
  double duration_s = 0;
  bool stopped = false;  // ended early by `stop`
  // Chat prompts: the server's prompt tokens per filler word and for the template (from usage).
  double chat_tokens_per_word = 0, chat_template_tokens = 0;
};

// Throws std::runtime_error with a one-line message when the server cannot be reached at all;
// a request that fails is counted in its MeasuredRequest, never dropped.
ServeRun RunServeLoad(const std::vector<LoadRequest>& requests, const ServeClientOptions& options);

// GET url + path (for /v1/models, /props, /version, /metrics): the body, or nullopt.
std::optional<std::string> HttpGet(const std::string& url, const std::string& path, double timeout_s = 5);

}  // namespace tokcast::measure
