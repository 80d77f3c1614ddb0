// SPDX-License-Identifier: Apache-2.0
// File: Backoff (exponential, full jitter, Retry-After aware).
#include "loqui/net/retry.hpp"

#include <algorithm>
#include <cmath>

namespace loqui {

std::uint64_t Backoff::next_random() noexcept {
  // xorshift64*: deterministic for a given seed, so tests can assert delays.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 2685821657736338717ull;
}

std::optional<std::chrono::milliseconds> Backoff::next_delay(const Error& error) noexcept {
  if (!error.retryable() || attempts_ >= policy_.max_attempts) return std::nullopt;
  const int retry_index = attempts_ - 1;
  ++attempts_;
  if (auto ra = error.retry_after()) return std::min(*ra, policy_.max_retry_after);
  const double base = static_cast<double>(policy_.initial_delay.count()) * std::pow(policy_.multiplier, retry_index);
  const double capped = std::min(base, static_cast<double>(policy_.max_delay.count()));
  double delay = capped;
  if (policy_.jitter) delay = capped * (static_cast<double>(next_random() >> 11) / 9007199254740992.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(delay));
}

}  // namespace loqui
