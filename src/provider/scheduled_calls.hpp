// SPDX-License-Identifier: Apache-2.0
// File: ScheduledCalls, a strand-confined queue of tasks due at given times, run
// by one re-armable Timer. Providers use it to deliver results "later on the
// strand" (never inside the starting call) with latency that runs under virtual
// time, and drop everything at once on cancel().
#pragma once

#include <memory>
#include <vector>

#include "loqui/runtime/runtime.hpp"

namespace loqui::detail {

/// Tasks due at given strand times, run in (due time, insertion) order.
///
/// Thread safety: strand-confined. The owner may be destroyed by a task it runs:
/// the task is the last thing the timer callback touches.
/// Steady state does not allocate: the queue's capacity is reused and tasks with
/// small captures are stored inline (Task).
class ScheduledCalls {
 public:
  ScheduledCalls() = default;
  explicit ScheduledCalls(std::shared_ptr<Strand> strand) : strand_(strand), timer_(std::move(strand)) {}

  /// Runs `task` at `due` (at once, but never inside this call, if it has passed).
  void at(TimePoint due, Task task) {
    auto it = queue_.begin();
    while (it != queue_.end() && it->due <= due) ++it;
    const bool new_front = it == queue_.begin();
    queue_.insert(it, Entry{due, std::move(task)});
    if (new_front) arm();
  }
  void after(Duration delay, Task task) { at(strand_->now() + delay, std::move(task)); }
  /// Drops every pending task; none of them runs.
  void clear() noexcept {
    timer_.cancel();
    queue_.clear();
  }
  bool empty() const noexcept { return queue_.empty(); }
  std::size_t size() const noexcept { return queue_.size(); }
  TimePoint now() const { return strand_->now(); }
  const std::shared_ptr<Strand>& strand() const noexcept { return strand_; }

 private:
  struct Entry {
    TimePoint due;
    Task task;
  };
  void arm() {
    if (queue_.empty()) {
      timer_.cancel();
      return;
    }
    // A failing arm means the runtime stopped: nothing will run any more anyway.
    (void)timer_.arm_at(queue_.front().due, [this] { fire(); });
  }
  void fire() {
    if (queue_.empty()) return;
    Task task = std::move(queue_.front().task);
    queue_.erase(queue_.begin());
    arm();
    task();  // last: may destroy *this
  }

  std::shared_ptr<Strand> strand_;
  Timer timer_;
  std::vector<Entry> queue_;
};

}  // namespace loqui::detail
