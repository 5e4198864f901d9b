#include "measure/serve_client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace tokcast::measure {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// "http://host:8000/v1/" -> "http://host:8000".
std::string Base(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() > 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) url = "http://" + url;
  return url;
}

// Token ids of a prompt: pseudo-random in [1000, 9000), so no id is special and the prompt
// shares no prefix with another beyond a chance match of its first id or two (1 in 8,000 per
// pair of prompts; a server's prefix cache does not shorten it).
std::vector<int> PromptIds(uint32_t n, uint64_t seed) {
  std::vector<int> ids(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  for (auto& id : ids) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    id = 1000 + static_cast<int>(x % 8000);
  }
  return ids;
}

// `run_nonce` (the run's start time) is mixed into every prompt so that no run meets the prompts
// of an earlier one in a server's prefix cache (llama-server keeps each slot's last prompt; vLLM
// and SGLang cache prefixes).
// Chat prompts are text: how many prompt tokens the server counts for a prompt of w filler words
// (`tokens = intercept + slope * w`, the intercept being the chat template and the request's own
// tag), measured once per run from usage.prompt_tokens.
struct ChatCalibration {
  double intercept = 0, slope = 1;
  uint32_t Words(uint32_t tokens) const {
    const double w = (static_cast<double>(tokens) - intercept) / slope;
    return static_cast<uint32_t>(std::clamp(std::llround(w), 1LL, 10'000'000LL));
  }
};

std::string Body(const ServeClientOptions& o, const std::string& model, const LoadRequest& r, uint64_t index,
                 uint64_t run_nonce, const ChatCalibration& chat = {}) {
  json j = {{"model", model},
            {"max_tokens", r.output_tokens},
            {"min_tokens", r.output_tokens},
            {"ignore_eos", true},
            {"temperature", 0},
            {"stream", true},
            {"stream_options", {{"include_usage", true}}}};
  const uint32_t shared = r.prefix_id >= 0 ? std::min(r.prefix_tokens, r.input_tokens) : 0;
  if (o.api == "chat") {
    std::string text;
    text.reserve(static_cast<size_t>(r.input_tokens) * 4 + 48);
    if (shared) {
      text = "prefix " + std::to_string(run_nonce) + "/" + std::to_string(r.prefix_id) + ":";
      for (uint32_t i = 0; i < shared; ++i) text += " a";
    }
    text += std::to_string(run_nonce + index) + ":";  // unique per run and request (no cached prefix)
    const uint32_t words = chat.Words(r.input_tokens);
    for (uint32_t i = std::min(shared, words); i < words; ++i) text += " the";
    j["messages"] = json::array({{{"role", "user"}, {"content", text}}});
  } else {
    // The shared prefix from (run, prefix id), the rest from (run, request): unique after it.
    std::vector<int> ids = PromptIds(shared, run_nonce * 31 + static_cast<uint64_t>(r.prefix_id) + 0x5bd1e995ull);
    const auto rest = PromptIds(r.input_tokens - shared, o.seed * 1000003 + index + run_nonce);
    ids.insert(ids.end(), rest.begin(), rest.end());
    j["prompt"] = std::move(ids);
  }
  return j.dump();
}

struct Shared {
  Clock::time_point start;
  uint64_t nonce = 0;
  std::atomic<double> client_s{0};
  std::atomic<uint64_t> chunks{0};
  std::atomic<size_t> done{0};
  std::mutex progress_mu;
  ChatCalibration chat;
  double Now() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
};

bool Stopped(const ServeClientOptions& o) {
  return o.stop && o.stop->load();
}

void Send(const ServeClientOptions& o, const std::string& base, const std::string& model, const LoadRequest& lr,
          uint64_t index, Shared& shared, MeasuredRequest& m) {
  httplib::Client cli(base);
  const auto timeout = std::chrono::duration<double>(o.timeout_s);
  cli.set_connection_timeout(10);
  cli.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  httplib::Request req;
  req.method = "POST";
  req.path = o.api == "chat" ? "/v1/chat/completions" : "/v1/completions";
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
  req.body = Body(o, model, lr, index, shared.nonce, shared.chat);
  std::string buffer, raw;
  bool done = false;
  double busy = 0;
  uint64_t chunks = 0;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (Stopped(o)) return false;  // Ctrl-C: cancel the stream
    const double t = shared.Now();
    const auto t0 = Clock::now();
    if (raw.size() < 4096) raw.append(data, std::min<size_t>(n, 4096));
    buffer.append(data, n);
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) != 0) continue;
      const std::string payload = line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      if (payload == "[DONE]") {
        done = true;
        continue;
      }
      const json j = json::parse(payload, nullptr, false);
      if (!j.is_object()) continue;
      if (j.contains("usage") && j["usage"].is_object()) {
        const auto& u = j["usage"];
        if (u.contains("completion_tokens") && u["completion_tokens"].is_number_unsigned())
          m.output_tokens = u["completion_tokens"].get<uint32_t>();
        if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number_unsigned())
          m.input_tokens = u["prompt_tokens"].get<uint32_t>();
        if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object() &&
            u["prompt_tokens_details"].value("cached_tokens", json(0)).is_number_unsigned())
          m.cached_tokens = u["prompt_tokens_details"].value("cached_tokens", 0u);
      }
      if (j.contains("timings") && j["timings"].is_object()) {
        const auto& tm = j["timings"];
        if (tm.contains("prompt_ms") && tm["prompt_ms"].is_number()) m.server_prompt_ms = tm["prompt_ms"].get<double>();
        if (tm.contains("predicted_per_token_ms") && tm["predicted_per_token_ms"].is_number())
          m.server_ms_per_token = tm["predicted_per_token_ms"].get<double>();
      }
      if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) continue;
      const auto& c = j["choices"][0];
      std::string text;
      if (c.contains("text") && c["text"].is_string()) text = c["text"].get<std::string>();
      if (c.contains("delta") && c["delta"].is_object() && c["delta"].contains("content") &&
          c["delta"]["content"].is_string())
        text = c["delta"]["content"].get<std::string>();
      if (text.empty()) continue;
      if (m.first_token_s < 0) m.first_token_s = t;
      m.chunk_s.push_back(t);
      ++chunks;
    }
    busy += std::chrono::duration<double>(Clock::now() - t0).count();
    return true;
  };
  m.sent = true;
  m.sent_s = shared.Now();
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = cli.send(req, res, err);
  m.finish_s = shared.Now();
  shared.client_s = shared.client_s + busy;
  shared.chunks += chunks;
  if (!sent && Stopped(o)) {
    m.cancelled = true;
    m.error = "cancelled (the run was stopped)";
  } else if (!sent) {
    m.error = "request failed: " + httplib::to_string(err);
  } else if (res.status != 200) {
    std::string first = raw.substr(0, raw.find('\n'));
    m.error = "HTTP " + std::to_string(res.status) + (first.empty() ? "" : ": " + first.substr(0, 200));
  } else if (m.first_token_s < 0) {
    m.error = "no output streamed";
  } else {
    m.ok = true;
    if (m.output_tokens == 0) m.output_tokens = static_cast<uint32_t>(m.chunk_s.size());
    if (m.input_tokens == 0) m.input_tokens = lr.input_tokens;
    (void)done;
  }
}

// Two short non-streamed chat requests of known word counts, read back from usage.prompt_tokens.
ChatCalibration CalibrateChat(const std::string& base, const std::string& model, uint64_t nonce) {
  auto count = [&](uint32_t words, uint64_t tag) -> double {
    httplib::Client cli(base);
    cli.set_connection_timeout(10);
    cli.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::duration<double>(60)));
    std::string text = std::to_string(nonce + tag) + ":";
    for (uint32_t i = 0; i < words; ++i) text += " the";
    const json body = {{"model", model},
                       {"max_tokens", 1},
                       {"temperature", 0},
                       {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
    auto res = cli.Post("/v1/chat/completions", body.dump(), "application/json");
    if (!res || res->status != 200)
      throw std::runtime_error(base + "/v1/chat/completions: cannot measure the prompt's token count (" +
                               (res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error())) + ")");
    const json j = json::parse(res->body, nullptr, false);
    if (!j.is_object() || !j.contains("usage") || !j["usage"].contains("prompt_tokens") ||
        !j["usage"]["prompt_tokens"].is_number())
      throw std::runtime_error(base + "/v1/chat/completions: no usage.prompt_tokens to size chat prompts by");
    return j["usage"]["prompt_tokens"].get<double>();
  };
  const uint32_t w1 = 16, w2 = 272;
  const double t1 = count(w1, 1ull << 40), t2 = count(w2, (1ull << 40) + 1);
  ChatCalibration c;
  c.slope = (t2 - t1) / (w2 - w1);
  if (!(c.slope > 0.05 && c.slope < 20))
    throw std::runtime_error(base + ": chat prompt token counts do not grow with the prompt");
  c.intercept = t1 - c.slope * w1;
  return c;
}

void Report(const ServeClientOptions& o, Shared& shared, size_t total) {
  const size_t done = ++shared.done;
  if (!o.progress) return;
  std::lock_guard lock(shared.progress_mu);
  o.progress(done, total);
}

}  // namespace

std::optional<std::string> HttpGet(const std::string& url, const std::string& path, double timeout_s) {
  httplib::Client cli(Base(url));
  cli.set_connection_timeout(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::duration<double>(timeout_s)));
  cli.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::duration<double>(timeout_s)));
  auto r = cli.Get(path);
  if (!r || r->status != 200) return std::nullopt;
  return r->body;
}

ServeRun RunServeLoad(const std::vector<LoadRequest>& requests, const ServeClientOptions& o) {
  const std::string base = Base(o.url);
  ServeRun run;
  run.model = o.model;
  if (run.model.empty()) {
    const auto models = HttpGet(base, "/v1/models", 10);
    if (!models)
      throw std::runtime_error(base + ": no answer from /v1/models (is the server up? or give --served-model)");
    const json j = json::parse(*models, nullptr, false);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
        !j["data"][0].contains("id") || !j["data"][0]["id"].is_string())
      throw std::runtime_error(base + "/v1/models: no model listed (give --served-model)");
    run.model = j["data"][0]["id"].get<std::string>();
  }
  run.requests.resize(requests.size());
  Shared shared;
  shared.start = Clock::now();
  shared.nonce = static_cast<uint64_t>(shared.start.time_since_epoch().count());
  if (o.api == "chat") {
    shared.chat = CalibrateChat(base, run.model, shared.nonce);
    run.chat_tokens_per_word = shared.chat.slope;
    run.chat_template_tokens = shared.chat.intercept;
  }
  if (o.concurrency) {
    // Closed loop: each slot sends its next request as soon as the last one ends.
    std::atomic<size_t> next{0};
    std::vector<std::thread> slots;
    for (uint32_t s = 0; s < *o.concurrency && s < requests.size(); ++s) {
      slots.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < requests.size();) {
          if (Stopped(o)) break;
          run.requests[i].arrival_s = shared.Now();
          Send(o, base, run.model, requests[i], i, shared, run.requests[i]);
          Report(o, shared, requests.size());
        }
      });
    }
    for (auto& t : slots) t.join();
  } else {
    std::vector<std::thread> workers;
    workers.reserve(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      const auto due = shared.start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(requests[i].arrival_s));
      // Sleep in short steps, so that a stop ends the wait for the next arrival too.
      while (!Stopped(o) && Clock::now() < due)
        std::this_thread::sleep_until(std::min(due, Clock::now() + std::chrono::milliseconds(50)));
      if (Stopped(o)) break;
      run.requests[i].arrival_s = requests[i].arrival_s;
      workers.emplace_back([&, i] {
        Send(o, base, run.model, requests[i], i, shared, run.requests[i]);
        Report(o, shared, requests.size());
      });
    }
    for (auto& t : workers) t.join();
  }
  run.duration_s = shared.Now();
  run.stopped = Stopped(o);
  const uint64_t chunks = shared.chunks.load();
  run.client_us_per_chunk = chunks ? shared.client_s.load() / static_cast<double>(chunks) * 1e6 : 0;
  return run;
}

}  // namespace tokcast::measure
