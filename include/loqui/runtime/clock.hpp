// SPDX-License-Identifier: Apache-2.0
// File: loqui's time base. Every timestamp in the SDK (frame capture times, turn
// metrics, timers) is a loqui::TimePoint: nanoseconds on the owning Runtime's
// clock. Under real time that is std::chrono::steady_clock measured from the
// Runtime's creation; under virtual time it starts at zero and only moves when the
// host (a test, the CLI's --fast mode) advances it.
#pragma once

#include <chrono>
#include <cstdint>

namespace loqui {

/// Clock tag for TimePoint; it has no now(): ask the Runtime or a Strand.
struct Clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<Clock, duration>;
  static constexpr bool is_steady = true;
};

using Duration = Clock::duration;
using TimePoint = Clock::time_point;

/// Milliseconds as a double, for reports and metrics.
constexpr double to_ms(Duration d) noexcept { return static_cast<double>(d.count()) / 1e6; }
constexpr double to_ms(TimePoint t) noexcept { return to_ms(t.time_since_epoch()); }
constexpr TimePoint time_from_ms(double ms) noexcept {
  return TimePoint(Duration(static_cast<std::int64_t>(ms * 1e6)));
}

}  // namespace loqui
