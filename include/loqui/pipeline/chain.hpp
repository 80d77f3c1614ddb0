// SPDX-License-Identifier: Apache-2.0
// File: compile-time chains: Filter... -> Sink composed into one object whose
// push() inlines through every stage (zero virtual calls, zero allocations).
//
// @code
//   auto chain = loqui::make_chain(MulawDecoder{}, Resampler8to16{}, Vad{}, Collector{});
//   if (!chain) return chain.error();        // names both ends of a format mismatch
//   chain->push(frame);                       // Flow
//   // or:  auto chain = (MulawDecoder{} | Resampler8to16{} | Vad{} | Collector{}).build();
// @endcode
//
// Thread safety: a chain is confined to its session's strand.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "loqui/pipeline/concepts.hpp"

namespace loqui {

namespace detail {

template <class S>
constexpr bool kHasFlush = requires(S& s) { s.flush(); };
template <class S>
constexpr bool kHasLastError = requires(const S& s) { { s.last_error() } -> std::convertible_to<const Error*>; };

template <class... S>
struct ChainImpl;

template <class Last>
struct ChainImpl<Last> {
  Last stage;
  explicit ChainImpl(Last&& s) : stage(std::move(s)) {}
  Flow push(const AudioFrame& f) { return stage.push(f); }
  Flow finish() {
    if constexpr (requires(Last& s) { { s.finish() } -> std::same_as<Flow>; }) return stage.finish();
    return Flow::ok;
  }
  void flush() {
    if constexpr (kHasFlush<Last>) stage.flush();
  }
  const Error* last_error() const {
    if constexpr (kHasLastError<Last>) return stage.last_error();
    return nullptr;
  }
  template <std::size_t I>
  auto& get() {
    static_assert(I == 0, "chain index out of range");
    return stage;
  }
};

template <class Head, class... Tail>
struct ChainImpl<Head, Tail...> {
  Head stage;
  ChainImpl<Tail...> tail;
  ChainImpl(Head&& h, Tail&&... t) : stage(std::move(h)), tail(std::move(t)...) {}
  Flow push(const AudioFrame& f) { return stage.push(f, tail); }
  Flow finish() {
    Flow mine = Flow::ok;
    if constexpr (requires(Head& h, ChainImpl<Tail...>& t) { h.finish(t); }) mine = stage.finish(tail);
    Flow rest = tail.finish();
    return mine == Flow::ok ? rest : mine;
  }
  void flush() {
    if constexpr (kHasFlush<Head>) stage.flush();
    tail.flush();
  }
  const Error* last_error() const {
    if constexpr (kHasLastError<Head>) {
      if (const Error* e = stage.last_error()) return e;
    }
    return tail.last_error();
  }
  template <std::size_t I>
  auto& get() {
    if constexpr (I == 0) return stage;
    else return tail.template get<I - 1>();
  }
};

template <class S>
std::string_view stage_name(const S& s) { return s.name(); }

template <class... S>
Status check_links(const S&... stages) {
  constexpr std::size_t n = sizeof...(S);
  const std::array<std::string_view, n> names{stage_name(stages)...};
  std::array<AudioFormat, n> in{};
  std::array<AudioFormat, n> out{};
  std::size_t i = 0;
  auto record = [&](const auto& s) {
    in[i] = s.input_format();
    if constexpr (requires { s.output_format(); }) out[i] = s.output_format();
    ++i;
  };
  (record(stages), ...);
  for (std::size_t k = 0; k + 1 < n; ++k) {
    if (!(out[k] == in[k + 1])) return format_mismatch_error(names[k], out[k], names[k + 1], in[k + 1]);
  }
  return ok_status();
}

template <class... S>
struct AllFiltersThenSink;
template <class Last>
struct AllFiltersThenSink<Last> : std::bool_constant<Sink<Last>> {};
template <class Head, class... Tail>
struct AllFiltersThenSink<Head, Tail...>
    : std::bool_constant<Filter<Head> && AllFiltersThenSink<Tail...>::value> {};

}  // namespace detail

/// Filters followed by a Sink, composed at compile time. A Chain is itself a Sink,
/// so chains nest and can end a Source.
template <class... Stages>
  requires(sizeof...(Stages) >= 1 && detail::AllFiltersThenSink<Stages...>::value)
class Chain {
 public:
  /// Unchecked construction; prefer make_chain(), which validates formats.
  explicit Chain(Stages&&... stages) : impl_(std::move(stages)...) {
    input_ = impl_.template get<0>().input_format();
    name_ = join_names();
  }

  /// Pushes one frame through every stage. A frame whose format differs from the
  /// first stage's input is rejected with Flow::error and last_error() set.
  Flow push(const AudioFrame& frame) {
    if (!(frame.format() == input_)) [[unlikely]] {
      entry_error_ = frame_format_error(name_, frame.format(), input_);
      return Flow::error;
    }
    return impl_.push(frame);
  }
  /// End of stream: lets every stage drain what it buffers.
  Flow finish() { return impl_.finish(); }
  /// Barge-in: every stage drops buffered audio.
  void flush() { impl_.flush(); }
  /// The most recent error of the chain or of any stage (upstream first).
  const Error* last_error() const {
    if (!entry_error_.message().empty()) return &entry_error_;
    return impl_.last_error();
  }
  AudioFormat input_format() const { return input_; }
  std::string_view name() const { return name_; }
  /// The I-th stage.
  template <std::size_t I>
  auto& get() { return impl_.template get<I>(); }

 private:
  std::string join_names() {
    std::string out;
    join_into<0>(out);
    return out;
  }
  template <std::size_t I>
  void join_into(std::string& out) {
    if constexpr (I < sizeof...(Stages)) {
      if (I > 0) out += " | ";
      out += impl_.template get<I>().name();
      join_into<I + 1>(out);
    }
  }
  detail::ChainImpl<Stages...> impl_;
  AudioFormat input_{};
  std::string name_;
  Error entry_error_;
};

/// Builds a chain after checking that each stage's output format equals the next
/// stage's input format. Errors: errc::format_mismatch naming both ends.
template <class... Stages>
  requires(sizeof...(Stages) >= 1 && detail::AllFiltersThenSink<std::decay_t<Stages>...>::value)
Result<Chain<std::decay_t<Stages>...>> make_chain(Stages&&... stages) {
  if (Status s = detail::check_links(stages...); !s) return std::move(s).error();
  return Chain<std::decay_t<Stages>...>(std::decay_t<Stages>(std::forward<Stages>(stages))...);
}

/// Collects stages written `a | b | c`; build() validates and makes the Chain.
template <class... Stages>
class ChainBuilder {
 public:
  explicit ChainBuilder(std::tuple<Stages...>&& stages) : stages_(std::move(stages)) {}
  /// Validates formats and makes the Chain (the last stage must be a Sink).
  auto build() &&
    requires(detail::AllFiltersThenSink<Stages...>::value)
  {
    return std::apply([](auto&&... s) { return make_chain(std::move(s)...); }, std::move(stages_));
  }
  template <class Next>
  ChainBuilder<Stages..., std::decay_t<Next>> append(Next&& next) && {
    return ChainBuilder<Stages..., std::decay_t<Next>>(
        std::tuple_cat(std::move(stages_), std::tuple<std::decay_t<Next>>(std::forward<Next>(next))));
  }

 private:
  std::tuple<Stages...> stages_;
};

template <class A, class B>
  requires(Filter<std::decay_t<A>> && (Filter<std::decay_t<B>> || Sink<std::decay_t<B>>))
ChainBuilder<std::decay_t<A>, std::decay_t<B>> operator|(A&& a, B&& b) {
  return ChainBuilder<std::decay_t<A>, std::decay_t<B>>(
      std::tuple<std::decay_t<A>, std::decay_t<B>>(std::forward<A>(a), std::forward<B>(b)));
}

template <class... S, class B>
  requires(Filter<std::decay_t<B>> || Sink<std::decay_t<B>>)
ChainBuilder<S..., std::decay_t<B>> operator|(ChainBuilder<S...>&& chain, B&& b) {
  return std::move(chain).append(std::forward<B>(b));
}

/// Pulls every frame out of `source` into `target` until the source ends or the
/// target stops accepting. Returns Flow::eos on a clean end of stream.
template <Source Src, PushTarget Target>
Flow drain(Src& source, Target& target) {
  Flow f = Flow::ok;
  while ((f = source.pull(target)) == Flow::ok) {
  }
  return f;
}

}  // namespace loqui
