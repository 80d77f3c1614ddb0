// SPDX-License-Identifier: Apache-2.0
// File: Runtime and Strand, in two flavours:
//  * real time: Boost.Asio io_context + N threads, asio strands, steady_timers;
//  * virtual time: one (time, sequence) min-heap driven by the host; tasks live in a
//    slab so the heap moves 24-byte keys, and timer ids carry a slot generation so
//    cancel needs no map (no allocation per timer in steady state).
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/bind_executor.hpp>

#include "common/log.hpp"
#include "runtime/asio_access.hpp"

namespace loqui {
namespace asio = boost::asio;

namespace {

thread_local const Strand* t_current_strand = nullptr;

struct CurrentStrandScope {
  const Strand* saved;
  explicit CurrentStrandScope(const Strand* s) : saved(t_current_strand) { t_current_strand = s; }
  ~CurrentStrandScope() { t_current_strand = saved; }
};

void run_guarded(Task& task, const std::string& strand_name) {
  try {
    task();
  } catch (const std::exception& e) {
    LOQUI_LOG_ERROR("runtime", "task on strand '{}' threw: {} (ignored; the strand keeps running)", strand_name,
                    e.what());
  } catch (...) {
    LOQUI_LOG_ERROR("runtime", "task on strand '{}' threw a non-std exception (ignored)", strand_name);
  }
}

Error stopped_error(const std::string& what) {
  return Error(errc::closed, "runtime stopped: cannot schedule work on strand '" + what + "'");
}

// ============================== real time ========================================

class RealRuntime;

struct RealCore {
  asio::io_context ioc;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  std::atomic<bool> stopped{false};
  std::atomic<std::uint64_t> tasks_run{0};
  std::atomic<std::uint64_t> next_timer{1};
  explicit RealCore(int hint) : ioc(hint > 0 ? hint : 1) {}
  TimePoint now() const {
    return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch));
  }
};

class RealStrand final : public Strand {
 public:
  RealStrand(std::shared_ptr<RealCore> core, Runtime& rt, std::string name)
      : core_(std::move(core)), rt_(&rt), strand_(asio::make_strand(core_->ioc)), name_(std::move(name)) {}

  Status post(Task task) override {
    if (core_->stopped.load(std::memory_order_acquire)) return stopped_error(name_);
    asio::post(strand_, [self = shared(), t = std::move(task)]() mutable { self->run(t); });
    return ok_status();
  }

  Result<TimerId> call_at(TimePoint deadline, Task task) override {
    if (core_->stopped.load(std::memory_order_acquire)) return stopped_error(name_);
    const std::uint64_t id = core_->next_timer.fetch_add(1, std::memory_order_relaxed);
    auto timer = std::make_shared<asio::steady_timer>(core_->ioc);
    timer->expires_at(core_->epoch + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                         deadline.time_since_epoch()));
    {
      std::lock_guard lock(mu_);
      timers_.emplace(id, timer);
    }
    timer->async_wait(asio::bind_executor(
        strand_, [self = shared(), id, t = std::move(task)](const boost::system::error_code& ec) mutable {
          if (ec) return;
          {
            std::lock_guard lock(self->mu_);
            if (self->timers_.erase(id) == 0) return;  // cancelled
          }
          self->run(t);
        }));
    return TimerId{id};
  }

  bool cancel(TimerId id) override {
    std::shared_ptr<asio::steady_timer> timer;
    {
      std::lock_guard lock(mu_);
      auto it = timers_.find(id.value);
      if (it == timers_.end()) return false;
      timer = std::move(it->second);
      timers_.erase(it);
    }
    timer->cancel();
    return true;
  }

  void cancel_all() {
    std::unordered_map<std::uint64_t, std::shared_ptr<asio::steady_timer>> timers;
    {
      std::lock_guard lock(mu_);
      timers.swap(timers_);
    }
    for (auto& [id, t] : timers) t->cancel();
  }

  TimePoint now() const override { return core_->now(); }
  bool running_in_this_thread() const override { return t_current_strand == this; }
  const std::string& name() const noexcept override { return name_; }
  Runtime& runtime() noexcept override { return *rt_; }
  const detail::AsioStrand& asio_strand() const noexcept { return strand_; }

 private:
  std::shared_ptr<RealStrand> shared() { return std::static_pointer_cast<RealStrand>(shared_from_this()); }
  void run(Task& t) {
    if (core_->stopped.load(std::memory_order_acquire)) return;
    CurrentStrandScope scope(this);
    core_->tasks_run.fetch_add(1, std::memory_order_relaxed);
    run_guarded(t, name_);
  }

  std::shared_ptr<RealCore> core_;
  Runtime* rt_;
  detail::AsioStrand strand_;
  std::string name_;
  std::mutex mu_;
  std::unordered_map<std::uint64_t, std::shared_ptr<asio::steady_timer>> timers_;
};

class RealRuntime final : public Runtime {
 public:
  explicit RealRuntime(const RuntimeOptions& o) : core_(std::make_shared<RealCore>(o.threads)), name_(o.name) {
    if (o.threads > 0) {
      work_.emplace(asio::make_work_guard(core_->ioc));
      for (int i = 0; i < o.threads; ++i) threads_.emplace_back([this] { core_->ioc.run(); });
    }
  }
  ~RealRuntime() override {
    stop();
    // Drain handlers still queued (they see `stopped` and do nothing) so nothing
    // outlives the io_context holding references into it.
    core_->ioc.restart();
    core_->ioc.poll();
  }

  TimeMode time_mode() const noexcept override { return TimeMode::real_time; }
  TimePoint now() const override { return core_->now(); }

  std::shared_ptr<Strand> make_strand(std::string name) override {
    auto s = std::make_shared<RealStrand>(core_, *this, std::move(name));
    std::lock_guard lock(mu_);
    strands_.erase(std::remove_if(strands_.begin(), strands_.end(), [](const auto& w) { return w.expired(); }),
                   strands_.end());
    strands_.push_back(s);
    return s;
  }

  void stop() override {
    if (core_->stopped.exchange(true)) {
      join();
      return;
    }
    std::vector<std::shared_ptr<RealStrand>> live;
    {
      std::lock_guard lock(mu_);
      for (auto& w : strands_)
        if (auto s = w.lock()) live.push_back(std::static_pointer_cast<RealStrand>(s));
    }
    for (auto& s : live) s->cancel_all();
    work_.reset();
    core_->ioc.stop();
    join();
  }
  bool stopped() const noexcept override { return core_->stopped.load(); }

  Result<std::size_t> run() override {
    if (stopped()) return stopped_error(name_);
    return core_->ioc.run();
  }
  Result<std::size_t> poll() override {
    if (stopped()) return stopped_error(name_);
    core_->ioc.restart();
    return core_->ioc.poll();
  }
  Result<std::size_t> run_until_idle() override { return not_virtual(); }
  Result<std::size_t> advance_to(TimePoint) override { return not_virtual(); }
  TimePoint next_deadline() const override { return TimePoint::max(); }
  Result<std::size_t> run_until_quiet(TimePoint) override { return not_virtual(); }
  std::uint64_t tasks_run() const noexcept override { return core_->tasks_run.load(); }

  asio::io_context& ioc() noexcept { return core_->ioc; }

 private:
  static Error not_virtual() {
    return Error(errc::not_supported, "runtime: advancing time needs a virtual-time runtime");
  }
  void join() {
    const auto self = std::this_thread::get_id();
    for (auto& t : threads_) {
      if (t.joinable()) {
        if (t.get_id() == self) t.detach();
        else t.join();
      }
    }
    threads_.clear();
  }

  std::shared_ptr<RealCore> core_;
  std::string name_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<std::weak_ptr<Strand>> strands_;
};

// ============================= virtual time ======================================

class VirtualStrand;

struct VirtualCore {
  struct Key {
    TimePoint at;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  struct Slot {
    Task task;
    std::shared_ptr<VirtualStrand> strand;
    std::uint32_t generation = 0;
    bool is_timer = false;
    bool live = false;
  };
  static bool before(const Key& a, const Key& b) noexcept { return a.at != b.at ? a.at < b.at : a.seq < b.seq; }

  // A 4-ary min-heap on (at, seq): half the depth of a binary heap and children in
  // one cache line, which matters when thousands of timers share the loop.
  void heap_push(Key k) {
    std::size_t i = heap.size();
    heap.push_back(k);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!before(k, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = k;
  }
  Key heap_pop() {
    const Key top = heap.front();
    const Key last = heap.back();
    heap.pop_back();
    const std::size_t n = heap.size();
    if (n == 0) return top;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = std::min(first + 4, n);
      for (std::size_t c = first + 1; c < end; ++c)
        if (before(heap[c], heap[best])) best = c;
      if (!before(heap[best], last)) break;
      heap[i] = heap[best];
      i = best;
    }
    heap[i] = last;
    return top;
  }

  mutable std::mutex mu;
  std::vector<Key> heap;
  std::vector<Slot> slots;
  std::vector<std::uint32_t> free_slots;
  TimePoint now{};
  std::uint64_t seq = 0;
  bool stopped = false;
  std::uint64_t tasks_run = 0;

  // Caller holds mu.
  std::uint64_t schedule(TimePoint at, Task task, std::shared_ptr<VirtualStrand> strand, bool timer) {
    std::uint32_t idx;
    if (!free_slots.empty()) {
      idx = free_slots.back();
      free_slots.pop_back();
    } else {
      idx = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    }
    Slot& s = slots[idx];
    s.task = std::move(task);
    s.strand = std::move(strand);
    s.is_timer = timer;
    s.live = true;
    heap_push({std::max(at, now), ++seq, idx});
    return (static_cast<std::uint64_t>(s.generation) << 32) | (static_cast<std::uint64_t>(idx) + 1);
  }
  // Caller holds mu.
  bool cancel(std::uint64_t id) {
    const std::uint32_t low = static_cast<std::uint32_t>(id & 0xffffffffu);
    if (low == 0) return false;
    const std::uint32_t idx = low - 1;
    const auto gen = static_cast<std::uint32_t>(id >> 32);
    if (idx >= slots.size()) return false;
    Slot& s = slots[idx];
    if (!s.live || !s.is_timer || s.generation != gen) return false;
    s.live = false;  // the heap key stays; popping a dead slot recycles it
    return true;
  }
  // Caller holds mu. Releases a slot (after it ran or was found dead).
  void recycle(std::uint32_t idx) {
    Slot& s = slots[idx];
    s.task.reset();
    s.strand.reset();
    s.live = false;
    ++s.generation;
    free_slots.push_back(idx);
  }
};

class VirtualStrand final : public Strand {
 public:
  VirtualStrand(std::shared_ptr<VirtualCore> core, Runtime& rt, std::string name)
      : core_(std::move(core)), rt_(&rt), name_(std::move(name)) {}

  Status post(Task task) override {
    std::lock_guard lock(core_->mu);
    if (core_->stopped) return stopped_error(name_);
    core_->schedule(core_->now, std::move(task), shared(), false);
    return ok_status();
  }
  Result<TimerId> call_at(TimePoint deadline, Task task) override {
    std::lock_guard lock(core_->mu);
    if (core_->stopped) return stopped_error(name_);
    return TimerId{core_->schedule(deadline, std::move(task), shared(), true)};
  }
  bool cancel(TimerId id) override {
    std::lock_guard lock(core_->mu);
    return core_->cancel(id.value);
  }
  TimePoint now() const override {
    std::lock_guard lock(core_->mu);
    return core_->now;
  }
  bool running_in_this_thread() const override { return t_current_strand == this; }
  const std::string& name() const noexcept override { return name_; }
  Runtime& runtime() noexcept override { return *rt_; }

 private:
  std::shared_ptr<VirtualStrand> shared() { return std::static_pointer_cast<VirtualStrand>(shared_from_this()); }
  std::shared_ptr<VirtualCore> core_;
  Runtime* rt_;
  std::string name_;
};

class VirtualRuntime final : public Runtime {
 public:
  explicit VirtualRuntime(const RuntimeOptions& o) : core_(std::make_shared<VirtualCore>()), name_(o.name) {}
  ~VirtualRuntime() override { stop(); }

  TimeMode time_mode() const noexcept override { return TimeMode::virtual_time; }
  TimePoint now() const override {
    std::lock_guard lock(core_->mu);
    return core_->now;
  }
  std::shared_ptr<Strand> make_strand(std::string name) override {
    return std::make_shared<VirtualStrand>(core_, *this, std::move(name));
  }
  void stop() override {
    std::vector<VirtualCore::Slot> drop;
    {
      std::lock_guard lock(core_->mu);
      if (core_->stopped) return;
      core_->stopped = true;
      core_->heap.clear();
      drop.swap(core_->slots);
      core_->free_slots.clear();
    }
    // Tasks are destroyed outside the lock: their destructors may touch strands.
  }
  bool stopped() const noexcept override {
    std::lock_guard lock(core_->mu);
    return core_->stopped;
  }
  Result<std::size_t> run() override { return not_real(); }
  Result<std::size_t> poll() override { return not_real(); }

  Result<std::size_t> run_until_idle() override {
    TimePoint t;
    {
      std::lock_guard lock(core_->mu);
      t = core_->now;
    }
    return advance_to(t);
  }

  Result<std::size_t> advance_to(TimePoint t) override { return drive(t, /*stop_when_empty=*/false); }
  Result<std::size_t> run_until_quiet(TimePoint limit) override { return drive(limit, true); }

  TimePoint next_deadline() const override {
    std::lock_guard lock(core_->mu);
    return core_->heap.empty() ? TimePoint::max() : core_->heap.front().at;
  }
  std::uint64_t tasks_run() const noexcept override {
    std::lock_guard lock(core_->mu);
    return core_->tasks_run;
  }

 private:
  static Error not_real() { return Error(errc::not_supported, "runtime: run()/poll() need a real-time runtime"); }

  Result<std::size_t> drive(TimePoint limit, bool stop_when_empty) {
    std::size_t ran = 0;
    VirtualCore& c = *core_;
    for (;;) {
      Task task;
      std::shared_ptr<VirtualStrand> strand;
      {
        std::lock_guard lock(c.mu);
        if (c.stopped) return stopped_error(name_);
        if (c.heap.empty() || c.heap.front().at > limit) {
          if (!stop_when_empty && limit > c.now) c.now = limit;
          return ran;
        }
        const VirtualCore::Key key = c.heap_pop();
        VirtualCore::Slot& slot = c.slots[key.slot];
        if (!slot.live) {
          c.recycle(key.slot);
          continue;
        }
        if (key.at > c.now) c.now = key.at;
        task = std::move(slot.task);
        strand = std::move(slot.strand);
        c.recycle(key.slot);
        ++c.tasks_run;
      }
      CurrentStrandScope scope(strand.get());
      run_guarded(task, strand->name());
      ++ran;
    }
  }

  std::shared_ptr<VirtualCore> core_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options) {
  if (options.threads < 0 || options.threads > 256)
    return Error(errc::invalid_argument, "runtime: threads must be 0..256, got " + std::to_string(options.threads));
  if (options.time == TimeMode::virtual_time) {
    if (options.threads != 0)
      return Error(errc::invalid_argument,
                   "runtime: virtual time is driven by the host; use threads = 0 (got " +
                       std::to_string(options.threads) + ")");
    return std::unique_ptr<Runtime>(std::make_unique<VirtualRuntime>(options));
  }
  return std::unique_ptr<Runtime>(std::make_unique<RealRuntime>(options));
}

struct Timer::State {
  TimerId id{};
  Task task;
};

Timer::Timer(std::shared_ptr<Strand> strand) : strand_(std::move(strand)), state_(std::make_shared<State>()) {}

Timer& Timer::operator=(Timer&& o) noexcept {
  if (this != &o) {
    cancel();
    strand_ = std::move(o.strand_);
    state_ = std::move(o.state_);
  }
  return *this;
}

Timer::~Timer() { cancel(); }

bool Timer::armed() const noexcept { return state_ && static_cast<bool>(state_->id); }

Status Timer::arm(Duration delay, Task task) {
  if (!strand_) return Error(errc::invalid_argument, "timer: no strand");
  return arm_at(strand_->now() + delay, std::move(task));
}

Status Timer::arm_at(TimePoint deadline, Task task) {
  if (!strand_ || !state_) return Error(errc::invalid_argument, "timer: no strand");
  cancel();
  state_->task = std::move(task);
  // The callback clears the id before running, so the task may re-arm this timer.
  auto r = strand_->call_at(deadline, [s = state_]() {
    s->id = {};
    Task t = std::move(s->task);
    t();
  });
  if (!r) {
    state_->task.reset();
    return std::move(r).error();
  }
  state_->id = *r;
  return ok_status();
}

void Timer::cancel() noexcept {
  if (strand_ && state_ && state_->id) {
    strand_->cancel(state_->id);
    state_->id = {};
    state_->task.reset();
  }
}

namespace detail {
asio::io_context* asio_context(Runtime& runtime) noexcept {
  if (auto* r = dynamic_cast<RealRuntime*>(&runtime)) return &r->ioc();
  return nullptr;
}
const AsioStrand* asio_strand(const Strand& strand) noexcept {
  if (auto* s = dynamic_cast<const RealStrand*>(&strand)) return &s->asio_strand();
  return nullptr;
}
OnStrandScope::OnStrandScope(const Strand& strand) noexcept : saved_(t_current_strand) { t_current_strand = &strand; }
OnStrandScope::~OnStrandScope() { t_current_strand = saved_; }
}  // namespace detail

}  // namespace loqui
