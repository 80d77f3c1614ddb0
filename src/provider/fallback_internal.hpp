// SPDX-License-Identifier: Apache-2.0
// File: what the three Fallback providers share: the route table (labels,
// options, circuit breakers, counters), route picking, failure bookkeeping and
// the error reported when every provider failed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "loqui/provider/fallback.hpp"

namespace loqui::detail {

struct RouteState {
  RouteState(std::string label_, RouteOptions options_)
      : label(std::move(label_)),
        options(std::move(options_)),
        breaker(options.failure_threshold, options.cooldown) {}
  std::string label;
  RouteOptions options;
  CircuitBreaker breaker;
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> successes{0};
};

/// The routes of one Fallback provider. Thread-safe (the breakers lock; the rest
/// is immutable after creation).
struct RouteTable {
  ProviderKind kind = ProviderKind::llm;
  std::vector<std::unique_ptr<RouteState>> routes;

  /// Validates options and assigns unique labels (`names[i]` = provider name).
  static Result<RouteTable> build(ProviderKind kind, const std::vector<std::string>& names,
                                  std::vector<RouteOptions> options);

  std::size_t size() const noexcept { return routes.size(); }
  const RouteState& operator[](std::size_t i) const { return *routes[i]; }
  RouteState& operator[](std::size_t i) { return *routes[i]; }
  std::vector<RouteHealth> health(TimePoint now) const;
};

/// The routing state of one turn (LLM generation) or one stream's current
/// episode (TTS/STT: until the next success): which routes were tried and why
/// they failed, and the admission of the current one.
class RouteCursor {
 public:
  explicit RouteCursor(RouteTable& table) : table_(&table) {}

  /// Admits the first untried route whose circuit allows it; -1 if none is left.
  int next(TimePoint now);
  int current() const noexcept { return current_; }
  const RouteState& route() const { return (*table_)[static_cast<std::size_t>(current_)]; }

  /// The current route succeeded: its circuit closes and the episode restarts.
  void succeed(TimePoint now);
  /// The current route failed with `error` (recorded for the final report).
  void fail(TimePoint now, const Error& error);
  /// The current attempt ends without verdict (cancel): frees a half-open probe.
  void abandon() noexcept;
  /// Starts a new turn: every route may be tried again.
  void reset() noexcept;

  /// The error for "no provider left": every failure so far, or the open circuits.
  Error exhausted() const;

 private:
  RouteTable* table_;
  std::uint64_t tried_ = 0;
  int current_ = -1;
  bool probe_ = false;
  std::vector<std::string> reasons_;
  errc last_code_ = errc::provider_unavailable;
  std::string last_label_;
};

/// What every Fallback provider builds from its routes: the providers, the route
/// table and its info (name "fallback", description "a -> b", needs_real_time if
/// any provider needs it).
template <class P>
struct RouteSet {
  std::vector<std::shared_ptr<P>> providers;
  RouteTable table;
  ProviderInfo info;
};

template <class P>
Result<RouteSet<P>> build_routes(ProviderKind kind, std::vector<Route<P>> routes) {
  RouteSet<P> set;
  std::vector<std::string> names;
  std::vector<RouteOptions> options;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (!routes[i].provider) {
      return Error(errc::invalid_argument,
                   std::string(to_string(kind)) + " fallback: route " + std::to_string(i) + " has no provider");
    }
    names.push_back(routes[i].provider->info().name);
    options.push_back(std::move(routes[i].options));
    set.providers.push_back(std::move(routes[i].provider));
  }
  LOQUI_ASSIGN_OR_RETURN(set.table, RouteTable::build(kind, names, std::move(options)));
  set.info.kind = kind;
  set.info.name = "fallback";
  std::string chain;
  for (std::size_t i = 0; i < set.providers.size(); ++i) {
    chain += (i ? " -> " : "") + set.table[i].label;
    set.info.needs_real_time = set.info.needs_real_time || set.providers[i]->info().needs_real_time;
  }
  set.info.description = "fallback: " + chain;
  return set;
}

/// Keeps the formats of `formats` that `other` lists too.
void keep_common_formats(std::vector<AudioFormat>& formats, const std::vector<AudioFormat>& other);

/// Runs `f` and turns an exception thrown by third-party code into an Error.
template <class F>
auto guarded(std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Error(errc::provider_failed, std::string(what) + " threw: " + e.what());
  } catch (...) {
    return Error(errc::provider_failed, std::string(what) + " threw a non-standard exception");
  }
}

/// Runs a call into third-party code that has no way to report failure (cancel,
/// destruction); an exception is logged and dropped.
template <class F>
void guarded_void(std::string_view what, F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    LOQUI_LOG_WARN("fallback", "{} threw: {}", what, e.what());
  } catch (...) {
    LOQUI_LOG_WARN("fallback", "{} threw a non-standard exception", what);
  }
}

}  // namespace loqui::detail
