// SPDX-License-Identifier: Apache-2.0
// File: the Runtime (one event loop, N worker threads, real or virtual time) and
// Strands (serial executors: one per session, so session code needs no locks).
//
// Real time: a Boost.Asio io_context run by `threads` workers; timers are Asio
// steady_timers; network I/O (HTTP, WebSocket) shares the same loop.
// Virtual time: a priority queue of (time, sequence) entries that the host drives
// with advance_by()/advance_to()/run_until_idle(). Every task of every strand runs
// on the driving thread in (time, post order), so a whole call, or a hundred, is
// simulated in milliseconds and every decision is reproducible.
//
// Threading contract:
//  * Runtime: all methods are thread-safe. The advance/run methods drive virtual time
//    and must be called from one thread at a time.
//  * Strand: post(), call_at(), call_after(), cancel() and now() are thread-safe.
//    Tasks of one strand never run concurrently and run in post order (timers in
//    deadline order). A task is never run inside the call that posted it.
//  * cancel(id) called on the strand guarantees the timer's task will not run.
//  * After Runtime::stop(), scheduling fails with errc::closed and pending tasks
//    are dropped (destroyed without running).
//
// @code
//   auto rt = loqui::Runtime::create({.threads = 0, .time = loqui::TimeMode::virtual_time}).value();
//   auto strand = rt->make_strand("call-1");
//   (void)strand->call_after(std::chrono::milliseconds(300), [] { /* endpointing */ });
//   rt->advance_by(std::chrono::seconds(1));   // runs the timer at t = 300 ms
// @endcode
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "loqui/error.hpp"
#include "loqui/runtime/clock.hpp"
#include "loqui/runtime/task.hpp"

namespace loqui {

enum class TimeMode : std::uint8_t { real_time, virtual_time };

struct RuntimeOptions {
  /// Worker threads running the event loop (real time). 0 = none: the host runs the
  /// loop itself with run()/poll() (real time) or advance_*() (virtual time).
  int threads = 1;
  TimeMode time = TimeMode::real_time;
  std::string name = "loqui";
};

/// Identifies a scheduled timer; 0 is "no timer".
struct TimerId {
  std::uint64_t value = 0;
  explicit operator bool() const noexcept { return value != 0; }
  friend bool operator==(TimerId, TimerId) = default;
};

class Runtime;

/// A serial executor bound to a Runtime. Sessions, provider streams and stages of
/// one call all run on that call's Strand. Create with Runtime::make_strand().
class Strand : public std::enable_shared_from_this<Strand> {
 public:
  virtual ~Strand() = default;

  /// Runs `task` soon on this strand (never inside this call).
  /// Errors: errc::closed if the runtime is stopped.
  virtual Status post(Task task) = 0;
  /// Runs `task` at `deadline` (immediately-ish if already passed).
  virtual Result<TimerId> call_at(TimePoint deadline, Task task) = 0;
  Result<TimerId> call_after(Duration delay, Task task) { return call_at(now() + delay, std::move(task)); }
  /// Cancels a pending timer. Returns false if it already ran, was cancelled or is
  /// unknown. When called on this strand, the task is guaranteed not to run.
  virtual bool cancel(TimerId id) = 0;
  /// Current time on the runtime's clock.
  virtual TimePoint now() const = 0;
  /// True while the calling thread is executing a task of this strand.
  virtual bool running_in_this_thread() const = 0;
  virtual const std::string& name() const noexcept = 0;
  virtual Runtime& runtime() noexcept = 0;
};

/// A re-armable timer owned by an object: cancels on destruction and on re-arm.
/// Use from the strand only. Arming does not allocate (the task is kept in state
/// shared with the scheduled callback).
class Timer {
 public:
  Timer() = default;
  explicit Timer(std::shared_ptr<Strand> strand);
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  Timer(Timer&& o) noexcept = default;
  Timer& operator=(Timer&& o) noexcept;
  ~Timer();

  /// (Re)arms: cancels a pending run, then schedules `task` after `delay`.
  Status arm(Duration delay, Task task);
  Status arm_at(TimePoint deadline, Task task);
  void cancel() noexcept;
  bool armed() const noexcept;

 private:
  struct State;
  std::shared_ptr<Strand> strand_;
  std::shared_ptr<State> state_;
};

/// Owns the event loop. Create one per process (or per isolated subsystem).
class Runtime {
 public:
  /// Errors: errc::invalid_argument for threads < 0 or virtual time with threads > 0.
  static Result<std::unique_ptr<Runtime>> create(RuntimeOptions options = {});
  virtual ~Runtime() = default;

  virtual TimeMode time_mode() const noexcept = 0;
  bool is_virtual() const noexcept { return time_mode() == TimeMode::virtual_time; }
  virtual TimePoint now() const = 0;
  /// A new strand. Strands may be created from any thread.
  virtual std::shared_ptr<Strand> make_strand(std::string name) = 0;

  /// Stops: no new work is accepted; pending timers are cancelled; worker threads
  /// finish their current task and are joined (unless called from one of them).
  virtual void stop() = 0;
  virtual bool stopped() const noexcept = 0;

  /// Real time with threads == 0: runs the loop on the calling thread until stop()
  /// or until no work remains. Errors: errc::not_supported in virtual time.
  virtual Result<std::size_t> run() = 0;
  /// Real time: runs ready handlers without blocking.
  virtual Result<std::size_t> poll() = 0;

  /// Virtual time: runs every task due at or before now() (not advancing time).
  /// Returns tasks run. Errors: errc::not_supported under real time.
  virtual Result<std::size_t> run_until_idle() = 0;
  /// Virtual time: runs tasks in deadline order up to `t`, then sets now() = t.
  virtual Result<std::size_t> advance_to(TimePoint t) = 0;
  Result<std::size_t> advance_by(Duration d) { return advance_to(now() + d); }
  /// Virtual time: the earliest pending deadline, or TimePoint::max() if none.
  virtual TimePoint next_deadline() const = 0;
  /// Virtual time: advances until nothing is pending or `limit` is reached.
  virtual Result<std::size_t> run_until_quiet(TimePoint limit) = 0;

  /// Tasks run since creation (all strands).
  virtual std::uint64_t tasks_run() const noexcept = 0;
};

}  // namespace loqui
