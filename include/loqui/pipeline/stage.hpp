// SPDX-License-Identifier: Apache-2.0
// File: type-erased stages and the Pipeline built from them at run time (from
// configuration), next to the compile-time Chain in chain.hpp. Any compile-time
// Filter or Sink becomes a Stage with make_stage().
//
// Thread safety: stages and pipelines are confined to their session's strand.
// Frames passed to push() are valid only during the call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/json.hpp"
#include "loqui/pipeline/concepts.hpp"

namespace loqui {

/// A run-time push target.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual Flow push(const AudioFrame& frame) = 0;
};

/// A run-time stage: a filter (has an output format) or a sink (terminal).
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual AudioFormat input_format() const = 0;
  /// The format pushed to `next`; std::nullopt for a terminal stage (a sink).
  virtual std::optional<AudioFormat> output_format() const = 0;
  /// Processes one frame, pushing zero or more frames into `next`.
  virtual Flow push(const AudioFrame& frame, FrameSink& next) = 0;
  /// End of stream: push out anything buffered.
  virtual Flow finish(FrameSink& next) { (void)next; return Flow::ok; }
  /// Barge-in: drop anything buffered.
  virtual void flush() {}
  virtual const Error* last_error() const { return nullptr; }
};

namespace detail {
struct FrameSinkRef {
  FrameSink* sink;
  Flow push(const AudioFrame& f) { return sink->push(f); }
};

template <class T>
class StageAdapter final : public Stage {
 public:
  explicit StageAdapter(T s) : s_(std::move(s)) {}
  std::string_view name() const noexcept override { return s_.name(); }
  AudioFormat input_format() const override { return s_.input_format(); }
  std::optional<AudioFormat> output_format() const override {
    if constexpr (Filter<T>) return s_.output_format();
    return std::nullopt;
  }
  Flow push(const AudioFrame& f, FrameSink& next) override {
    if constexpr (Filter<T>) {
      FrameSinkRef ref{&next};
      return s_.push(f, ref);
    } else {
      (void)next;
      return s_.push(f);
    }
  }
  Flow finish(FrameSink& next) override {
    if constexpr (Filter<T> && requires(T& t, FrameSinkRef& r) { t.finish(r); }) {
      FrameSinkRef ref{&next};
      return s_.finish(ref);
    } else if constexpr (requires(T& t) { { t.finish() } -> std::same_as<Flow>; }) {
      (void)next;
      return s_.finish();
    }
    (void)next;
    return Flow::ok;
  }
  void flush() override {
    if constexpr (requires(T& t) { t.flush(); }) s_.flush();
  }
  const Error* last_error() const override {
    if constexpr (requires(const T& t) { { t.last_error() } -> std::convertible_to<const Error*>; })
      return s_.last_error();
    return nullptr;
  }
  T& get() noexcept { return s_; }

 private:
  T s_;
};
}  // namespace detail

/// Wraps a compile-time Filter or Sink as a run-time Stage (one virtual call per push).
template <class T>
  requires(Filter<std::decay_t<T>> || Sink<std::decay_t<T>>)
std::unique_ptr<Stage> make_stage(T&& stage) {
  return std::make_unique<detail::StageAdapter<std::decay_t<T>>>(std::forward<T>(stage));
}

/// A chain of run-time stages. Formats are checked when it is built.
///
/// Output of the last stage (if it is not a sink) goes to the FrameSink given to
/// set_output(); without one, output frames are counted and dropped.
class Pipeline {
 public:
  Pipeline();
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  /// Errors: errc::invalid_argument for an empty list, a null stage or a sink that
  /// is not last; errc::format_mismatch naming both ends of a bad link.
  static Result<Pipeline> build(std::vector<std::unique_ptr<Stage>> stages, std::string name = "pipeline");

  /// Pushes a frame into the first stage. A frame in the wrong format gives
  /// Flow::error with last_error() naming the stage and both formats.
  Flow push(const AudioFrame& frame);
  Flow finish();
  void flush();
  /// `sink` is not owned and must outlive the pipeline (or be reset first).
  void set_output(FrameSink* sink) noexcept;
  const Error* last_error() const;

  std::size_t size() const noexcept;
  Stage& stage(std::size_t index);
  AudioFormat input_format() const;
  std::optional<AudioFormat> output_format() const;
  const std::string& name() const noexcept;
  /// Frames that left the last stage with no output set.
  std::uint64_t dropped_output_frames() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Makes a stage from JSON options, given the format the previous stage produces.
using StageFactory =
    std::function<Result<std::unique_ptr<Stage>>(const Json& options, const AudioFormat& input, std::string_view path)>;

/// Names -> stage factories, for pipelines described in configuration:
///   [ {"stage": "downmix"}, {"stage": "gain", "db": -6} ]
/// Thread safety: add() during setup; make()/build() may then be called from any
/// thread concurrently.
class StageRegistry {
 public:
  /// Errors: errc::already_exists.
  Status add(std::string name, StageFactory factory);
  bool contains(std::string_view name) const;
  std::vector<std::string> names() const;
  /// Builds a Pipeline from a JSON array of {"stage": name, ...options}; the first
  /// stage receives `input`. Errors name the array path ("audio.pipeline[1].stage: unknown
  /// stage 'gian' (known: downmix, gain)").
  Result<Pipeline> build(const Json& spec, const AudioFormat& input, std::string_view path = "pipeline") const;

 private:
  std::map<std::string, StageFactory, std::less<>> factories_;
};

/// Registers the stages that ship with the core: "gain" {db}, "downmix" (N channels
/// -> mono), "to_pcm16" (f32 -> pcm16). Audio modules add more ("resample", ...).
void register_core_stages(StageRegistry& registry);

}  // namespace loqui
