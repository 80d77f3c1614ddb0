// SPDX-License-Identifier: Apache-2.0
// File: compile-time media stages. Source, Filter and Sink are concepts; a Chain
// composes them with no virtual calls so the whole hot path inlines.
//
//  * A Sink consumes frames:        Flow push(const AudioFrame&)
//                                   AudioFormat input_format() const
//  * A Filter transforms frames:    template <PushTarget Next> Flow push(const AudioFrame&, Next&)
//                                   AudioFormat input_format() const, output_format() const
//    and may emit zero, one or many frames per input (a jitter buffer, a resampler).
//  * A Source produces frames:      template <PushTarget Next> Flow pull(Next&)
//                                   AudioFormat output_format() const
//    pull() emits the next frame(s) and returns Flow::eos when exhausted.
// All of them provide `std::string_view name() const`. Optional members, used when
// present: `template <PushTarget Next> Flow finish(Next&)` (drain buffered audio at
// end of stream) and `void flush()` (drop buffered audio: barge-in), and
// `const Error* last_error() const`.
//
// Formats are runtime values (rates come from config), so make_chain() checks that
// neighbours connect and names both ends when they do not.
//
// Thread safety: stages are confined to their session's strand.
#pragma once

#include <concepts>
#include <string_view>

#include "loqui/audio/frame.hpp"
#include "loqui/error.hpp"
#include "loqui/pipeline/flow.hpp"

namespace loqui {

/// Anything frames can be pushed into.
template <class T>
concept PushTarget = requires(T& t, const AudioFrame& f) {
  { t.push(f) } -> std::same_as<Flow>;
};

namespace detail {
/// Stand-in downstream used to check the Filter/Source concepts.
struct ArchetypeTarget {
  Flow push(const AudioFrame&);
};
}  // namespace detail

template <class T>
concept Sink = PushTarget<T> && requires(const T& t) {
  { t.input_format() } -> std::convertible_to<AudioFormat>;
  { t.name() } -> std::convertible_to<std::string_view>;
};

template <class T>
concept Filter = requires(T& t, const T& ct, const AudioFrame& f, detail::ArchetypeTarget& next) {
  { t.push(f, next) } -> std::same_as<Flow>;
  { ct.input_format() } -> std::convertible_to<AudioFormat>;
  { ct.output_format() } -> std::convertible_to<AudioFormat>;
  { ct.name() } -> std::convertible_to<std::string_view>;
};

template <class T>
concept Source = requires(T& t, const T& ct, detail::ArchetypeTarget& next) {
  { t.pull(next) } -> std::same_as<Flow>;
  { ct.output_format() } -> std::convertible_to<AudioFormat>;
  { ct.name() } -> std::convertible_to<std::string_view>;
};

/// Error for two stages whose formats do not connect.
Error format_mismatch_error(std::string_view upstream, const AudioFormat& produces,
                            std::string_view downstream, const AudioFormat& accepts);
/// Error for a frame handed to a stage in the wrong format.
Error frame_format_error(std::string_view stage, const AudioFormat& frame_format,
                         const AudioFormat& accepts);

}  // namespace loqui
