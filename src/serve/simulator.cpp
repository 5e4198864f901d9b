#include "serve/simulator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace tokcast::serve {

namespace {

// A request the server has accepted: its prefill progress, its output so far, its KV blocks.
struct Live {
  size_t idx = 0;           // into the requests / results
  uint32_t prompt_len = 0;  // tokens to prefill (input; input + output so far after a preemption)
  uint32_t prompt_done = 0;
  uint32_t fed = 0;  // generated tokens fed back by decode steps since the last prefill
  uint32_t generated = 0;
  uint64_t blocks = 0;  // its own KV blocks
  int64_t prefix = -1;  // its shared prefix, if any
  uint64_t shared = 0;  // blocks of that prefix it reads from the cache (not in `blocks`)
  double last_token_s = 0;
  uint64_t KvTokens() const { return uint64_t{prompt_done} + fed; }
};

// What one step does for one live request.
struct Work {
  size_t live = 0;  // index into `running`
  uint32_t tokens = 0;
  bool prefill = false;
};

class Engine {
 public:
  Engine(std::vector<Request> reqs, const SchedulerConfig& cfg, const StepCost& cost, std::optional<uint32_t> closed)
      : reqs_(std::move(reqs)), cfg_(cfg), cost_(cost), closed_(closed) {
    block_ = std::max<uint32_t>(cfg_.block_size, 1);
    total_blocks_ = cfg_.kv_capacity_tokens / block_;
    free_blocks_ = total_blocks_;
    slot_tokens_ = cfg_.slot_tokens
                       ? cfg_.slot_tokens
                       : static_cast<uint32_t>(std::min<uint64_t>(
                             cfg_.kv_capacity_tokens / std::max<uint32_t>(cfg_.max_num_seqs, 1), UINT32_MAX));
    res_.requests.resize(reqs_.size());
    for (size_t i = 0; i < reqs_.size(); ++i) {
      const Request& r = reqs_[i];
      auto& out = res_.requests[i];
      out.id = r.id;
      out.arrival_s = r.arrival_s;
      out.input_tokens = r.input_tokens;
      const uint64_t need = uint64_t{r.input_tokens} + r.output_tokens + cfg_.state_tokens;
      if (cfg_.policy == Policy::kContinuous && Blocks(need) > total_blocks_) {
        throw std::invalid_argument("request " + std::to_string(r.id) + " needs " + std::to_string(need) +
                                    " tokens of KV cache; the pool holds " + std::to_string(cfg_.kv_capacity_tokens));
      }
    }
    if (closed_) {
      for (size_t i = 0; i < reqs_.size(); ++i) reqs_[i].arrival_s = 0;  // set when a slot frees
      released_ = std::min<size_t>(*closed_, reqs_.size());
    } else {
      released_ = reqs_.size();
    }
    visible_.resize(reqs_.size());
    for (size_t i = 0; i < released_; ++i) Accept(i);
  }

  SimResult Run(uint64_t max_steps) {
    double t = 0;
    while (done_ < reqs_.size()) {
      Admit(t);
      if (running_.empty() && waiting_.empty()) {
        if (next_ >= released_) break;  // closed loop with nothing released: cannot happen
        t = std::max(t, Visible(next_));
        continue;
      }
      if (res_.steps >= max_steps) {
        res_.truncated = true;
        break;
      }
      now_ = t;
      std::vector<Work> work = Schedule();
      if (work.empty()) {
        // Nothing fits this step (all waiting requests blocked, nothing running): wait for an arrival.
        if (next_ < released_) {
          t = std::max(t, Visible(next_));
          continue;
        }
        res_.truncated = true;
        break;
      }
      t += Price(work) + cfg_.step_overhead_s;
      ++res_.steps;
      Complete(work, t);
      Record(t);
    }
    for (const auto& r : res_.requests) {
      if (r.completed) res_.makespan_s = std::max(res_.makespan_s, r.finish_s);
    }
    Downsample();
    res_.queue_grew = QueueGrew(res_.series);
    return std::move(res_);
  }

 private:
  uint64_t Blocks(uint64_t tokens) const { return (tokens + block_ - 1) / block_; }
  double Visible(size_t i) const { return visible_[i]; }

  // The frontend takes released request `i` (in order): it waits for the frontend, spends
  // frontend_s there, then request_overhead_s more (in parallel with others) before the
  // engine's queue sees it.
  void Accept(size_t i) {
    const double start = std::max(reqs_[i].arrival_s, frontend_free_);
    frontend_free_ = start + cfg_.frontend_s;
    visible_[i] = frontend_free_ + cfg_.request_overhead_s;
  }

  void Admit(double t) {
    while (next_ < released_ && Visible(next_) <= t) {
      Live l;
      l.idx = next_;
      l.prompt_len = reqs_[next_].input_tokens;
      l.prefix = reqs_[next_].prefix_id;
      if (reqs_[next_].prefilled) l.prompt_done = l.prompt_len;  // its KV came from a prefill replica
      res_.requests[next_].arrival_s = reqs_[next_].arrival_s;
      waiting_.push_back(l);
      ++next_;
    }
    res_.peak_waiting = std::max<uint32_t>(res_.peak_waiting, static_cast<uint32_t>(waiting_.size()));
  }

  // Frees the KV of running request `i` and sends it back to the front of the queue, to be
  // recomputed (prompt and output so far): vLLM's preemption by recompute.
  void Requeue(size_t i) {
    Live l = running_[i];
    running_.erase(running_.begin() + static_cast<long>(i));
    free_blocks_ += l.blocks;
    l.blocks = 0;
    Unshare(l);
    l.prompt_len = reqs_[l.idx].input_tokens + l.generated;
    l.prompt_done = 0;
    l.fed = 0;
    waiting_.push_front(l);
    ++res_.requests[l.idx].preemptions;
    ++res_.preemptions;
  }

  // Preempts the most recently admitted request; false when only `keep` and those before it are left.
  bool PreemptLast(size_t keep) {
    if (running_.size() <= keep + 1) return false;
    Requeue(running_.size() - 1);
    return true;
  }

  // Blocks of its own `l` needs to hold `tokens` (the cached prefix it reads is not its own).
  uint64_t OwnBlocks(const Live& l, uint64_t tokens) const {
    const uint64_t b = Blocks(tokens + cfg_.state_tokens);
    return b > l.shared ? b - l.shared : 0;
  }

  // Takes blocks so that `l` holds `tokens`: free ones, then evicted cached prefixes, then by
  // preempting later requests.
  bool Reserve(size_t i, uint64_t tokens) {
    if (cfg_.policy == Policy::kSlots) return true;  // a slot's context is reserved up front
    const uint64_t need = OwnBlocks(running_[i], tokens);
    while (need > running_[i].blocks + free_blocks_) {
      if (EvictOne()) continue;
      if (!PreemptLast(i)) return false;
    }
    if (need > running_[i].blocks) {
      free_blocks_ -= need - running_[i].blocks;
      running_[i].blocks = need;
    }
    return true;
  }

  // The prefix cache. An entry holds the full blocks of one prefix; `refs` running requests read
  // it; one no request reads is evictable.
  struct Cached {
    uint64_t blocks = 0;
    uint32_t refs = 0;
    uint64_t last_use = 0;
  };

  // Drops the least recently used cached prefix no running request reads; false when there is none.
  bool EvictOne() {
    if (evictable_ == 0) return false;
    auto victim = cache_.end();
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->second.refs == 0 && (victim == cache_.end() || it->second.last_use < victim->second.last_use))
        victim = it;
    }
    if (victim == cache_.end()) return false;
    free_blocks_ += victim->second.blocks;
    evictable_ -= victim->second.blocks;
    cache_.erase(victim);
    ++res_.prefix_evictions;
    return true;
  }

  // How many cached blocks a request about to start its prefill would read: the blocks of its
  // prefix, leaving at least one prompt token to compute (the step that yields its first token).
  uint64_t HitBlocks(const Live& l) const {
    if (!cfg_.prefix_caching || l.prefix < 0 || l.prompt_done > 0) return 0;
    const auto it = cache_.find(l.prefix);
    if (it == cache_.end()) return 0;
    return std::min<uint64_t>(it->second.blocks, (l.prompt_len - 1) / block_);
  }

  // Blocks free for a new request that reads `hit` blocks of its prefix's entry: free ones and
  // evictable ones, less that entry's own if reading it makes it unevictable.
  uint64_t AvailableFor(const Live& l, uint64_t hit) const {
    uint64_t avail = free_blocks_ + evictable_;
    if (hit > 0) {
      const Cached& c = cache_.at(l.prefix);
      if (c.refs == 0) avail -= c.blocks;
    }
    return avail;
  }

  void ReadCache(Live& l, uint64_t hit) {
    if (hit == 0) return;
    Cached& c = cache_.at(l.prefix);
    if (c.refs++ == 0) evictable_ -= c.blocks;
    c.last_use = ++tick_;
    l.shared = hit;
    l.prompt_done = static_cast<uint32_t>(hit * block_);
    res_.cached_prompt_tokens += l.prompt_done;
  }

  void Unshare(Live& l) {
    if (l.shared == 0) return;
    auto it = cache_.find(l.prefix);
    if (it != cache_.end() && --it->second.refs == 0) {
      evictable_ += it->second.blocks;
      it->second.last_use = ++tick_;
    }
    l.shared = 0;
  }

  // Once a request has prefilled its whole prefix and no entry holds it, its full prefix blocks
  // become the entry (it reads them from there from now on).
  void Insert(Live& l) {
    if (!cfg_.prefix_caching || l.prefix < 0 || l.shared > 0) return;
    const Request& r = reqs_[l.idx];
    const uint64_t blocks = std::min(r.prefix_tokens, r.input_tokens) / block_;
    if (blocks == 0 || l.prompt_done < blocks * block_ || cache_.count(l.prefix)) return;
    cache_[l.prefix] = {blocks, 1, ++tick_};
    l.blocks -= blocks;
    l.shared = blocks;
  }

  std::vector<Work> Schedule() {
    std::vector<Work> work;
    uint64_t budget = cfg_.max_batched_tokens;
    bool preempted = false;
    // Running requests first, oldest first.
    for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
      Live& l = running_[i];
      const bool prefill = l.prompt_done < l.prompt_len;
      const uint32_t n = prefill ? static_cast<uint32_t>(std::min<uint64_t>(l.prompt_len - l.prompt_done, budget)) : 1;
      if (prefill && !cfg_.chunked_prefill && n < l.prompt_len - l.prompt_done) break;
      const size_t before = running_.size();
      if (!Reserve(i, l.KvTokens() + n)) {
        Requeue(i);  // it cannot grow even after every later request left
        preempted = true;
        break;
      }
      preempted |= running_.size() < before;
      work.push_back({i, n, prefill});
      budget -= n;
    }
    // Then waiting requests into what is left of the budget.
    while (!preempted && budget > 0 && !waiting_.empty() && running_.size() < cfg_.max_num_seqs) {
      Live l = waiting_.front();
      if (cfg_.policy == Policy::kSlots &&
          uint64_t{reqs_[l.idx].input_tokens} + reqs_[l.idx].output_tokens > slot_tokens_) {
        Fail(l);  // llama-server rejects a request longer than its slot's context
        waiting_.pop_front();
        continue;
      }
      if (l.prompt_done == l.prompt_len) {  // prefilled elsewhere: it decodes at once
        if (cfg_.policy == Policy::kContinuous &&
            Blocks(uint64_t{l.prompt_len} + 1 + cfg_.state_tokens) > free_blocks_ + evictable_)
          break;
        waiting_.pop_front();
        running_.push_back(l);
        Reserve(running_.size() - 1, uint64_t{l.prompt_len} + 1);
        work.push_back({running_.size() - 1, 1, false});
        budget -= 1;
        continue;
      }
      const uint64_t hit = HitBlocks(l);
      const uint64_t start = hit * block_;
      const uint32_t left = static_cast<uint32_t>(l.prompt_len - start);
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(left, budget));
      if (!cfg_.chunked_prefill && n < left) break;
      if (cfg_.policy == Policy::kContinuous && Blocks(start + n + cfg_.state_tokens) - hit > AvailableFor(l, hit))
        break;
      waiting_.pop_front();
      res_.prompt_tokens += l.prompt_len;
      ReadCache(l, hit);
      running_.push_back(l);
      Reserve(running_.size() - 1, uint64_t{l.prompt_done} + n);
      work.push_back({running_.size() - 1, n, true});
      budget -= n;
    }
    return work;
  }

  void Fail(const Live& l) {
    res_.requests[l.idx].completed = false;
    ++done_;
    Release(now_);
  }

  double Price(const std::vector<Work>& work) const {
    StepBatch b;
    for (const Work& w : work) {
      const Live& l = running_[w.live];
      if (w.prefill) {
        b.chunks.push_back({static_cast<double>(l.prompt_done), static_cast<double>(w.tokens),
                            l.prompt_done + w.tokens == l.prompt_len});
      } else {
        const double ctx = static_cast<double>(l.KvTokens() + 1);
        b.decode_seqs += 1;
        b.decode_ctx_sum += ctx;
        b.decode_ctx_sum_local += cfg_.sliding_window > 0 ? std::min(ctx, cfg_.sliding_window) : ctx;
      }
    }
    return cost_(b) + cfg_.seq_overhead_s * static_cast<double>(work.size());
  }

  void Complete(const std::vector<Work>& work, double t) {
    std::vector<size_t> finished;
    for (const Work& w : work) {
      Live& l = running_[w.live];
      auto& r = res_.requests[l.idx];
      bool token = false;
      if (w.prefill) {
        l.prompt_done += w.tokens;
        token = l.prompt_done == l.prompt_len;
        Insert(l);
      } else {
        ++l.fed;
        token = true;
      }
      if (!token) continue;
      if (r.first_token_s < 0)
        r.first_token_s = t;
      else
        res_.itl_s.push_back(static_cast<float>(t - l.last_token_s));
      l.last_token_s = t;
      ++l.generated;
      if (l.generated >= reqs_[l.idx].output_tokens) finished.push_back(w.live);
    }
    std::sort(finished.rbegin(), finished.rend());
    for (size_t i : finished) {
      const Live& l = running_[i];
      auto& r = res_.requests[l.idx];
      r.finish_s = t;
      r.output_tokens = l.generated;
      r.completed = true;
      free_blocks_ += l.blocks;
      Unshare(running_[i]);
      running_.erase(running_.begin() + static_cast<long>(i));
      ++done_;
      Release(t);
    }
  }

  // Closed loop: a finished request lets the next one in.
  void Release(double t) {
    if (!closed_ || released_ >= reqs_.size()) return;
    reqs_[released_].arrival_s = t;
    Accept(released_);
    ++released_;
  }

  void Record(double t) {
    const double used =
        total_blocks_ ? 1.0 - static_cast<double>(free_blocks_) / static_cast<double>(total_blocks_) : 0;
    res_.peak_kv_used_fraction = std::max(res_.peak_kv_used_fraction, used);
    res_.series.push_back({t, static_cast<uint32_t>(waiting_.size()), static_cast<uint32_t>(running_.size()), used});
  }

  void Downsample() {
    constexpr size_t kMax = 2000;
    if (res_.series.size() <= kMax) return;
    const size_t stride = (res_.series.size() + kMax - 1) / kMax;
    std::vector<TimePoint> out;
    for (size_t i = 0; i < res_.series.size(); i += stride) out.push_back(res_.series[i]);
    out.push_back(res_.series.back());
    res_.series = std::move(out);
  }

  std::vector<Request> reqs_;
  SchedulerConfig cfg_;
  const StepCost& cost_;
  std::optional<uint32_t> closed_;
  uint32_t block_ = 16;
  uint64_t total_blocks_ = 0, free_blocks_ = 0;
  std::unordered_map<int64_t, Cached> cache_;
  uint64_t evictable_ = 0, tick_ = 0;
  uint32_t slot_tokens_ = 0;
  size_t next_ = 0, released_ = 0, done_ = 0;
  double now_ = 0, frontend_free_ = 0;
  std::vector<double> visible_;  // when each released request reaches the engine's queue
  std::deque<Live> waiting_;
  std::vector<Live> running_;
  SimResult res_;
};

}  // namespace

bool QueueGrew(const std::vector<TimePoint>& series) {
  const size_t n = series.size();
  double first = 0, second = 0;
  for (size_t i = 0; i < n / 2; ++i) first += series[i].waiting;
  for (size_t i = n / 2; i < n; ++i) second += series[i].waiting;
  return n > 0 && second > 2 * first + static_cast<double>(n);
}

SimResult Simulate(std::vector<Request> requests, const SchedulerConfig& config, const StepCost& cost,
                   std::optional<uint32_t> closed_loop_concurrency, uint64_t max_steps) {
  if (config.max_num_seqs == 0 || config.max_batched_tokens == 0)
    throw std::invalid_argument("the scheduler admits nothing");
  if (config.policy == Policy::kContinuous && config.kv_capacity_tokens < config.block_size) {
    throw std::invalid_argument("the KV pool holds no block");
  }
  Engine e(std::move(requests), config, cost, closed_loop_concurrency);
  return e.Run(max_steps);
}

namespace {

// The fleet's timeline from each part's: at every point, the sum of every part's latest state.
std::vector<TimePoint> MergeSeries(const std::vector<const std::vector<TimePoint>*>& parts) {
  struct Ev {
    double t;
    size_t part;
    TimePoint p;
  };
  std::vector<Ev> evs;
  for (size_t i = 0; i < parts.size(); ++i)
    for (const auto& p : *parts[i]) evs.push_back({p.t_s, i, p});
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.t < b.t; });
  std::vector<TimePoint> latest(parts.size()), out;
  const size_t stride = std::max<size_t>(1, evs.size() / 2000);
  for (size_t i = 0; i < evs.size(); ++i) {
    latest[evs[i].part] = evs[i].p;
    if (i % stride != 0 && i + 1 != evs.size()) continue;
    TimePoint sum{evs[i].t, 0, 0, 0};
    for (const auto& l : latest) {
      sum.waiting += l.waiting;
      sum.running += l.running;
      sum.kv_used_fraction += l.kv_used_fraction / static_cast<double>(parts.size());
    }
    out.push_back(sum);
  }
  return out;
}

// Adds a part's counters into the fleet's.
void Accumulate(SimResult& into, const SimResult& part) {
  into.steps += part.steps;
  into.preemptions += part.preemptions;
  into.makespan_s = std::max(into.makespan_s, part.makespan_s);
  into.peak_kv_used_fraction = std::max(into.peak_kv_used_fraction, part.peak_kv_used_fraction);
  into.truncated = into.truncated || part.truncated;
  into.queue_grew = into.queue_grew || part.queue_grew;
  into.prompt_tokens += part.prompt_tokens;
  into.cached_prompt_tokens += part.cached_prompt_tokens;
  into.prefix_evictions += part.prefix_evictions;
  into.itl_s.insert(into.itl_s.end(), part.itl_s.begin(), part.itl_s.end());
}

uint32_t PeakWaiting(const std::vector<TimePoint>& series) {
  uint32_t peak = 0;
  for (const auto& p : series) peak = std::max(peak, p.waiting);
  return peak;
}

}  // namespace

SimResult SimulateReplicas(std::vector<Request> requests, const SchedulerConfig& config, const StepCost& cost,
                           uint32_t replicas, std::optional<uint32_t> closed_loop_concurrency) {
  if (replicas == 0) throw std::invalid_argument("replicas must be positive");
  if (replicas == 1) return Simulate(std::move(requests), config, cost, closed_loop_concurrency);
  std::vector<std::vector<Request>> shards(replicas);
  std::vector<std::vector<size_t>> index(replicas);
  for (size_t i = 0; i < requests.size(); ++i) {
    shards[i % replicas].push_back(requests[i]);
    index[i % replicas].push_back(i);
  }
  SimResult out;
  out.requests.resize(requests.size());
  std::vector<SimResult> parts;
  parts.reserve(replicas);
  for (uint32_t r = 0; r < replicas; ++r) {
    std::optional<uint32_t> closed;
    if (closed_loop_concurrency) {
      closed = *closed_loop_concurrency / replicas + (r < *closed_loop_concurrency % replicas ? 1 : 0);
      if (*closed == 0) closed = 1;
    }
    if (shards[r].empty()) continue;
    parts.push_back(Simulate(std::move(shards[r]), config, cost, closed));
    const SimResult& part = parts.back();
    for (size_t k = 0; k < part.requests.size(); ++k) out.requests[index[r][k]] = part.requests[k];
    Accumulate(out, part);
  }
  std::vector<const std::vector<TimePoint>*> series;
  for (const auto& p : parts) series.push_back(&p.series);
  out.series = MergeSeries(series);
  out.peak_waiting = PeakWaiting(out.series);
  for (const auto& p : parts) out.peak_waiting = std::max(out.peak_waiting, p.peak_waiting);
  return out;
}

SimResult SimulateDisaggregated(std::vector<Request> requests, const DisaggConfig& config, const StepCost& cost) {
  if (config.prefill_replicas == 0 || config.decode_replicas == 0)
    throw std::invalid_argument("a disaggregated fleet needs prefill and decode replicas");
  // Prefill pool: each request's prompt and first token.
  std::vector<Request> first = requests;
  for (auto& q : first) q.output_tokens = 1;
  SimResult pre = SimulateReplicas(std::move(first), config.prefill, cost, config.prefill_replicas);
  // Decode pool: what is left, arriving when its KV does.
  std::vector<Request> rest;
  std::vector<size_t> index;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& p = pre.requests[i];
    if (!p.completed || requests[i].output_tokens <= 1) continue;
    Request q = requests[i];
    q.arrival_s = p.first_token_s + (config.kv_transfer_s ? config.kv_transfer_s(q.input_tokens) : 0.0);
    q.output_tokens = requests[i].output_tokens - 1;
    q.prefilled = true;
    q.prefix_id = -1;
    rest.push_back(q);
    index.push_back(i);
  }
  // The decode pool sees arrivals in time order.
  std::vector<size_t> order(rest.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rest[a].arrival_s < rest[b].arrival_s; });
  std::vector<Request> sorted;
  std::vector<size_t> sorted_index;
  for (size_t k : order) {
    sorted.push_back(rest[k]);
    sorted.back().id = sorted.size() - 1;
    sorted_index.push_back(index[k]);
  }
  SchedulerConfig dec = config.decode;
  dec.request_overhead_s = 0;  // the request was accepted once, by the prefill pool
  dec.frontend_s = 0;
  SimResult post;
  if (!sorted.empty()) post = SimulateReplicas(std::move(sorted), dec, cost, config.decode_replicas);
  SimResult out;
  out.requests = pre.requests;
  for (size_t i = 0; i < out.requests.size(); ++i) {
    out.requests[i].id = requests[i].id;
    out.requests[i].output_tokens = out.requests[i].completed ? 1 : 0;
  }
  for (size_t k = 0; k < post.requests.size(); ++k) {
    const auto& d = post.requests[k];
    auto& r = out.requests[sorted_index[k]];
    r.completed = d.completed;
    r.preemptions += d.preemptions;
    if (!d.completed) continue;
    r.finish_s = d.finish_s;
    r.output_tokens = 1 + d.output_tokens;
    out.itl_s.push_back(static_cast<float>(d.first_token_s - r.first_token_s));  // the gap the transfer is in
  }
  Accumulate(out, pre);
  Accumulate(out, post);
  for (const auto& r : out.requests)
    if (r.completed) out.makespan_s = std::max(out.makespan_s, r.finish_s);
  out.series = MergeSeries({&pre.series, &post.series});
  out.peak_waiting = std::max({PeakWaiting(out.series), pre.peak_waiting, post.peak_waiting});
  return out;
}

}  // namespace tokcast::serve
