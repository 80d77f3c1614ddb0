// SPDX-License-Identifier: Apache-2.0
// File: the circuit breaker and the route bookkeeping shared by the Fallback
// providers.
#include <algorithm>
#include <map>

#include "provider/fallback_internal.hpp"

namespace loqui {

std::string_view to_string(CircuitBreaker::State state) noexcept {
  switch (state) {
    case CircuitBreaker::State::closed: return "closed";
    case CircuitBreaker::State::open: return "open";
    case CircuitBreaker::State::half_open: return "half-open";
  }
  return "?";
}

RouteOptions default_route_options(ProviderKind kind) noexcept {
  RouteOptions o;
  switch (kind) {
    case ProviderKind::llm:
      o.first_output_timeout = std::chrono::milliseconds(4000);
      o.idle_timeout = std::chrono::milliseconds(5000);
      break;
    case ProviderKind::tts:
      o.first_output_timeout = std::chrono::milliseconds(3000);
      o.idle_timeout = std::chrono::milliseconds(3000);
      break;
    case ProviderKind::stt:
      o.first_output_timeout = std::chrono::milliseconds(3000);
      break;
  }
  return o;
}

bool CircuitBreaker::try_acquire(TimePoint now, bool* probe) {
  std::lock_guard lock(mu_);
  if (probe) *probe = false;
  if (!open_) return true;
  if (now < opened_at_ + cooldown_ || probe_in_flight_) return false;
  probe_in_flight_ = true;
  if (probe) *probe = true;
  return true;
}

void CircuitBreaker::record_success(TimePoint) {
  std::lock_guard lock(mu_);
  failures_ = 0;
  open_ = false;
  probe_in_flight_ = false;
}

void CircuitBreaker::record_failure(TimePoint now) {
  std::lock_guard lock(mu_);
  ++failures_;
  if (threshold_ <= 0) return;
  // A failed probe re-opens at once; otherwise the threshold decides.
  if (probe_in_flight_ || (open_ && now >= opened_at_ + cooldown_) || failures_ >= threshold_) {
    open_ = true;
    opened_at_ = now;
  }
  probe_in_flight_ = false;
}

void CircuitBreaker::release(bool probe) {
  if (!probe) return;
  std::lock_guard lock(mu_);
  probe_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state(TimePoint now) const {
  std::lock_guard lock(mu_);
  if (!open_) return State::closed;
  return now < opened_at_ + cooldown_ ? State::open : State::half_open;
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

TimePoint CircuitBreaker::reopens_at() const {
  std::lock_guard lock(mu_);
  return opened_at_ + cooldown_;
}

namespace detail {

void keep_common_formats(std::vector<AudioFormat>& formats, const std::vector<AudioFormat>& other) {
  std::erase_if(formats, [&](const AudioFormat& f) { return std::find(other.begin(), other.end(), f) == other.end(); });
}

Result<RouteTable> RouteTable::build(ProviderKind kind, const std::vector<std::string>& names,
                                     std::vector<RouteOptions> options) {
  const std::string what = std::string(to_string(kind)) + " fallback";
  if (names.empty()) return Error(errc::invalid_argument, what + ": no providers");
  if (names.size() > 64) return Error(errc::invalid_argument, what + ": more than 64 providers");
  RouteTable table;
  table.kind = kind;
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    RouteOptions& o = options[i];
    if (o.first_output_timeout < Duration::zero() || o.idle_timeout < Duration::zero() ||
        o.cooldown < Duration::zero() || o.replay_limit < Duration::zero() || o.failure_threshold < 0) {
      return Error(errc::invalid_argument,
                   what + ": route " + std::to_string(i) + " has a negative timeout, cool-down or threshold");
    }
    std::string label = o.label.empty() ? names[i] : o.label;
    if (const int n = ++seen[label]; n > 1) label += "#" + std::to_string(n);
    table.routes.push_back(std::make_unique<RouteState>(std::move(label), std::move(o)));
  }
  return table;
}

std::vector<RouteHealth> RouteTable::health(TimePoint now) const {
  std::vector<RouteHealth> out;
  for (const auto& r : routes) {
    out.push_back({r->label, r->breaker.state(now), r->breaker.consecutive_failures(), r->failures.load(),
                   r->successes.load()});
  }
  return out;
}

int RouteCursor::next(TimePoint now) {
  current_ = -1;
  probe_ = false;
  for (std::size_t i = 0; i < table_->size(); ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (tried_ & bit) continue;
    bool probe = false;
    if (!(*table_)[i].breaker.try_acquire(now, &probe)) continue;
    tried_ |= bit;
    current_ = static_cast<int>(i);
    probe_ = probe;
    return current_;
  }
  return -1;
}

void RouteCursor::succeed(TimePoint now) {
  if (current_ < 0) return;
  RouteState& r = (*table_)[static_cast<std::size_t>(current_)];
  r.breaker.record_success(now);
  r.successes.fetch_add(1, std::memory_order_relaxed);
  probe_ = false;
  tried_ = std::uint64_t{1} << current_;  // a new episode: the others may be tried again
  reasons_.clear();
}

void RouteCursor::fail(TimePoint now, const Error& error) {
  if (current_ < 0) return;
  RouteState& r = (*table_)[static_cast<std::size_t>(current_)];
  if (error.code() == condition::bad_input) {
    r.breaker.release(probe_);  // the request was wrong, not the provider
  } else {
    r.breaker.record_failure(now);
    r.failures.fetch_add(1, std::memory_order_relaxed);
  }
  reasons_.push_back(r.label + ": " + std::string(to_string(static_cast<errc>(error.code().value()))) + ": " +
                     error.message());
  last_code_ = error.code().category() == category() ? static_cast<errc>(error.code().value()) : errc::provider_failed;
  last_label_ = r.label;
  probe_ = false;
  current_ = -1;
}

void RouteCursor::abandon() noexcept {
  if (current_ >= 0) (*table_)[static_cast<std::size_t>(current_)].breaker.release(probe_);
  probe_ = false;
  current_ = -1;
}

void RouteCursor::reset() noexcept {
  abandon();
  tried_ = 0;
  reasons_.clear();
}

Error RouteCursor::exhausted() const {
  const std::string kind(to_string(table_->kind));
  if (reasons_.empty()) {
    std::string open;
    for (const auto& r : table_->routes) open += (open.empty() ? "" : ", ") + r->label;
    return Error(errc::provider_unavailable,
                 kind + " fallback: every provider's circuit is open (" + open + "); try again after the cool-down");
  }
  std::string joined;
  for (const auto& r : reasons_) joined += (joined.empty() ? "" : "; ") + r;
  const std::string n = std::to_string(reasons_.size());
  Error e(last_code_, reasons_.size() == 1 ? kind + " provider failed: " + joined
                                           : "all " + n + " " + kind + " providers failed: " + joined);
  return std::move(e).set_provider(last_label_);
}

}  // namespace detail
}  // namespace loqui
