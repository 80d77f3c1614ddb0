// SPDX-License-Identifier: Apache-2.0
// File: SwitchingStream, the part the STT and TTS Fallback streams share: one
// current provider stream, switching to the next admissible provider on failure
// (replaying what the derived class keeps), failures met inside a consumer's call
// deferred to a strand task, abandoned streams destroyed outside their own
// callbacks, and the on_provider announcement.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "provider/fallback_internal.hpp"
#include "provider/scheduled_calls.hpp"

namespace loqui::detail {

/// CRTP base. `Relay` is the observer handed to provider streams (it forwards
/// to Derived, tagged with `attempt`; Derived's constructor points
/// `relay_.stream` at itself). Derived provides:
///   static constexpr std::string_view kKind;                  // "stt", "tts"
///   Result<std::unique_ptr<Stream>> open_route(std::size_t i); // open route i and replay
///   bool take_discard();    // was output delivered that the switch voids? (and reset)
///   void watch();           // re-arm the watchdog after a switch
///   void drop_pending();    // every provider failed: forget what was kept
/// Strand-confined, like the streams it serves.
template <class Derived, class Stream, class Observer, class Relay>
class SwitchingStream {
 public:
  /// Opens the first admissible provider. Errors: every provider failed to open.
  Status start() {
    if (open_next()) return ok_status();
    return cursor_.exhausted();
  }

 protected:
  SwitchingStream(RouteTable& table, const SessionContext& session, Observer& observer)
      : ctx_(session), observer_(&observer), cursor_(table), watchdog_(session.strand), deferred_(session.strand) {}
  ~SwitchingStream() {
    close();
    release_streams();
  }

  /// Destroys the provider streams (Derived's destructor calls it first, while the
  /// providers Derived holds are still alive).
  void release_streams() noexcept {
    close();
    guarded_void("stream destructor", [&] {
      stream_.reset();
      graveyard_.clear();
    });
  }

  bool active(std::uint64_t attempt) const noexcept { return !closed_ && !failing_ && attempt == attempt_; }
  const RouteState& route() const { return cursor_.route(); }
  std::string what() const { return std::string(Derived::kKind) + " '" + route().label + "'"; }
  Error tagged(Error e) const {
    if (e.provider().empty()) e.set_provider(route().label);
    return e;
  }
  TimePoint now() const { return ctx_.strand->now(); }

  /// Reports the provider before its first output (with the pending discard flag).
  bool announce(std::uint64_t attempt) {
    if (announced_) return true;
    announced_ = true;
    observer_->on_provider(route().label, std::exchange(restarted_, false));
    return active(attempt);
  }

  /// Calls the current stream on behalf of the consumer. A failure cannot be
  /// reported inside the consumer's call, so the switch is deferred to a task.
  template <class F>
  void forward(F&& f) {
    if (failing_ || !stream_) return;  // the deferred switch replays what is kept
    Status st = guarded(what(), f);
    if (st) return;
    failing_ = true;
    deferred_.after(Duration::zero(), [this, e = std::make_shared<Error>(tagged(std::move(st).error()))] {
      failing_ = false;
      fail(*e);
    });
  }

  /// The stream may be inside its own callback: cancel it now, destroy it later.
  void retire(std::unique_ptr<Stream> s) {
    if (!s) return;
    guarded_void("cancel", [&] { s->cancel(); });
    graveyard_.push_back(std::move(s));
    deferred_.after(Duration::zero(), [this] { guarded_void("stream destructor", [&] { graveyard_.clear(); }); });
  }

  /// Moves to the next admissible provider; false when none is left.
  bool open_next() {
    for (;;) {
      const int i = cursor_.next(now());
      if (i < 0) return false;
      ++attempt_;
      relay_.attempt = attempt_;
      announced_ = false;
      auto opened = self().open_route(static_cast<std::size_t>(i));
      if (!opened) {
        cursor_.fail(now(), tagged(std::move(opened).error()));
        continue;
      }
      stream_ = std::move(opened).value();
      return true;
    }
  }

  /// The current provider failed with `e`: switch, or report that all failed.
  void fail(const Error& e) {
    watchdog_.cancel();
    ++attempt_;
    retire(std::move(stream_));
    cursor_.fail(now(), e);
    const bool discard = self().take_discard();
    if (open_next()) {
      restarted_ = restarted_ || discard;
      self().watch();
      return;
    }
    closed_ = true;
    self().drop_pending();
    observer_->on_error(cursor_.exhausted());
  }

  /// cancel(): no callback after this; idempotent.
  void close() noexcept {
    if (closed_) return;
    closed_ = true;
    ++attempt_;
    watchdog_.cancel();
    deferred_.clear();
    if (stream_) guarded_void("cancel", [&] { stream_->cancel(); });
    cursor_.abandon();
  }

  SessionContext ctx_;
  Observer* observer_;
  RouteCursor cursor_;
  Relay relay_;  // before the streams: they are destroyed first
  std::unique_ptr<Stream> stream_;
  std::vector<std::unique_ptr<Stream>> graveyard_;
  Timer watchdog_;
  ScheduledCalls deferred_;
  std::uint64_t attempt_ = 0;
  bool closed_ = false;
  bool failing_ = false;    // a failure waits for its deferred switch
  bool announced_ = false;  // on_provider sent for the current provider
  bool restarted_ = false;  // the next on_provider says: drop what you got

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace loqui::detail
