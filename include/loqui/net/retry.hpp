// SPDX-License-Identifier: Apache-2.0
// File: the retry policy shared by every network adapter: exponential backoff with
// full jitter, capped, honouring a server's Retry-After (PROTOCOLS.md section 0.3).
//
// Thread safety: a value type; next_delay() mutates, so one object per retry loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "loqui/error.hpp"

namespace loqui {

struct RetryPolicy {
  int max_attempts = 3;                              ///< total tries, including the first
  std::chrono::milliseconds initial_delay{500};
  std::chrono::milliseconds max_delay{8000};
  double multiplier = 2.0;
  bool jitter = true;                                ///< full jitter: uniform in [0, delay]
  std::chrono::milliseconds max_retry_after{30000};  ///< never wait longer than this for Retry-After
};

/// Decides whether and when to retry.
///
/// @code
///   loqui::Backoff backoff(policy, seed);
///   if (auto delay = backoff.next_delay(error)) timer.arm(*delay, retry);
///   else report(error);
/// @endcode
class Backoff {
 public:
  explicit Backoff(RetryPolicy policy = {}, std::uint64_t seed = 0x9e3779b97f4a7c15ull) noexcept
      : policy_(policy), state_(seed == 0 ? 1 : seed) {}

  /// The wait before the next attempt after `error`, or nullopt when the error is
  /// not retryable or attempts are exhausted. A Retry-After on the error wins over
  /// the computed delay (capped by max_retry_after).
  std::optional<std::chrono::milliseconds> next_delay(const Error& error) noexcept;
  /// Attempts made so far (the first call counts as attempt 1).
  int attempts() const noexcept { return attempts_; }
  void reset() noexcept { attempts_ = 1; }

 private:
  std::uint64_t next_random() noexcept;
  RetryPolicy policy_;
  std::uint64_t state_;
  int attempts_ = 1;
};

}  // namespace loqui
