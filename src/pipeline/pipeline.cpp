// SPDX-License-Identifier: Apache-2.0
// File: run-time Pipeline, StageRegistry, format errors, and the core stages.
#include <algorithm>
#include <cmath>

#include "loqui/audio/convert.hpp"
#include "loqui/config.hpp"
#include "loqui/pipeline/stage.hpp"

namespace loqui {

Error format_mismatch_error(std::string_view upstream, const AudioFormat& produces, std::string_view downstream,
                            const AudioFormat& accepts) {
  return Error(errc::format_mismatch, "'" + std::string(upstream) + "' produces " + produces.to_string() +
                                          " but '" + std::string(downstream) + "' accepts " + accepts.to_string());
}

Error frame_format_error(std::string_view stage, const AudioFormat& frame_format, const AudioFormat& accepts) {
  return Error(errc::format_mismatch, "'" + std::string(stage) + "' got a " + frame_format.to_string() +
                                          " frame but accepts " + accepts.to_string());
}

// --- Pipeline ---------------------------------------------------------------------

namespace {
/// Forwards frames from stage i into stage i+1 (or the pipeline's output).
class Link final : public FrameSink {
 public:
  Stage* stage = nullptr;  // next stage; null = pipeline output
  Link* next = nullptr;
  FrameSink** output = nullptr;
  std::uint64_t* dropped = nullptr;
  Flow push(const AudioFrame& f) override {
    if (stage) return stage->push(f, *next);
    if (*output) return (*output)->push(f);
    ++*dropped;
    return Flow::ok;
  }
};
}  // namespace

struct Pipeline::Impl {
  std::string name;
  std::vector<std::unique_ptr<Stage>> stages;
  std::vector<Link> links;  // links[i] receives output of stages[i]
  FrameSink* output = nullptr;
  std::uint64_t dropped = 0;
  Error entry_error;
  AudioFormat input{};

  void wire() {
    links.resize(stages.size());
    for (std::size_t i = 0; i < stages.size(); ++i) {
      Link& l = links[i];
      l.stage = i + 1 < stages.size() ? stages[i + 1].get() : nullptr;
      l.next = i + 1 < stages.size() ? &links[i + 1] : nullptr;
      l.output = &output;
      l.dropped = &dropped;
    }
  }
};

Pipeline::Pipeline() : impl_(std::make_unique<Impl>()) {}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

Result<Pipeline> Pipeline::build(std::vector<std::unique_ptr<Stage>> stages, std::string name) {
  if (stages.empty()) return Error(errc::invalid_argument, name + ": a pipeline needs at least one stage");
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (!stages[i]) return Error(errc::invalid_argument, name + ": stage " + std::to_string(i) + " is null");
    const auto out = stages[i]->output_format();
    if (i + 1 < stages.size()) {
      if (!out) {
        return Error(errc::invalid_argument, name + ": '" + std::string(stages[i]->name()) +
                                                 "' is a sink and must be the last stage");
      }
      const AudioFormat in = stages[i + 1]->input_format();
      if (!(*out == in)) {
        return std::move(format_mismatch_error(stages[i]->name(), *out, stages[i + 1]->name(), in))
            .add_context(name);
      }
    }
  }
  Pipeline p;
  p.impl_->name = std::move(name);
  p.impl_->input = stages.front()->input_format();
  p.impl_->stages = std::move(stages);
  p.impl_->wire();
  return p;
}

Flow Pipeline::push(const AudioFrame& frame) {
  Impl& m = *impl_;
  if (m.stages.empty()) return Flow::error;
  if (!(frame.format() == m.input)) [[unlikely]] {
    m.entry_error = std::move(frame_format_error(m.stages.front()->name(), frame.format(), m.input)).add_context(m.name);
    return Flow::error;
  }
  return m.stages.front()->push(frame, m.links.front());
}

Flow Pipeline::finish() {
  Impl& m = *impl_;
  Flow result = Flow::ok;
  for (std::size_t i = 0; i < m.stages.size(); ++i) {
    const Flow f = m.stages[i]->finish(m.links[i]);
    if (f != Flow::ok && result == Flow::ok) result = f;
  }
  return result;
}

void Pipeline::flush() {
  for (auto& s : impl_->stages) s->flush();
}

void Pipeline::set_output(FrameSink* sink) noexcept { impl_->output = sink; }

const Error* Pipeline::last_error() const {
  if (!impl_->entry_error.message().empty()) return &impl_->entry_error;
  for (const auto& s : impl_->stages)
    if (const Error* e = s->last_error()) return e;
  return nullptr;
}

std::size_t Pipeline::size() const noexcept { return impl_->stages.size(); }
Stage& Pipeline::stage(std::size_t index) { return *impl_->stages.at(index); }
AudioFormat Pipeline::input_format() const { return impl_->input; }
std::optional<AudioFormat> Pipeline::output_format() const {
  if (impl_->stages.empty()) return std::nullopt;
  return impl_->stages.back()->output_format();
}
const std::string& Pipeline::name() const noexcept { return impl_->name; }
std::uint64_t Pipeline::dropped_output_frames() const noexcept { return impl_->dropped; }

// --- StageRegistry ----------------------------------------------------------------

Status StageRegistry::add(std::string name, StageFactory factory) {
  if (name.empty() || !factory) return Error(errc::invalid_argument, "stage registry: empty name or factory");
  if (factories_.count(name)) return Error(errc::already_exists, "stage registry: '" + name + "' is already registered");
  factories_.emplace(std::move(name), std::move(factory));
  return ok_status();
}

bool StageRegistry::contains(std::string_view name) const { return factories_.find(name) != factories_.end(); }

std::vector<std::string> StageRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : factories_) out.push_back(k);
  return out;
}

Result<Pipeline> StageRegistry::build(const Json& spec, const AudioFormat& input, std::string_view path) const {
  if (!spec.is_array()) {
    return Error(errc::invalid_config, std::string(path) + ": expected an array of stages, found " + spec.describe());
  }
  std::vector<std::unique_ptr<Stage>> stages;
  AudioFormat format = input;
  const auto& arr = spec.as_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string where = std::string(path) + "[" + std::to_string(i) + "]";
    const Json* name = arr[i].find("stage");
    if (!arr[i].is_object() || !name || !name->is_string()) {
      return Error(errc::invalid_config, where + ".stage: expected a stage name (string), found " +
                                             (name ? name->describe() : std::string("nothing")));
    }
    auto it = factories_.find(name->as_string());
    if (it == factories_.end()) {
      std::string known;
      for (const auto& [k, v] : factories_) known += (known.empty() ? "" : ", ") + k;
      return Error(errc::not_found, where + ".stage: unknown stage '" + name->as_string() + "' (known: " + known + ")");
    }
    LOQUI_ASSIGN_OR_RETURN(auto stage, it->second(arr[i], format, where));
    if (auto out = stage->output_format()) format = *out;
    stages.push_back(std::move(stage));
  }
  return Pipeline::build(std::move(stages), std::string(path));
}

// --- core stages ------------------------------------------------------------------

namespace {

/// Gain in dB on pcm16, in place on a pooled copy-free path: writes into a scratch
/// frame owned by the stage (no allocation after the first frame of a size).
class GainStage final : public Stage {
 public:
  GainStage(AudioFormat fmt, float db) : fmt_(fmt), gain_(db_to_gain(db)) {}
  std::string_view name() const noexcept override { return "gain"; }
  AudioFormat input_format() const override { return fmt_; }
  std::optional<AudioFormat> output_format() const override { return fmt_; }
  Flow push(const AudioFrame& f, FrameSink& next) override {
    auto in = f.samples();
    if (scratch_.size() < in.size()) scratch_.resize(in.size());
    std::copy(in.begin(), in.end(), scratch_.begin());
    std::span<std::int16_t> out(scratch_.data(), in.size());
    apply_gain(out, gain_);
    AudioFrame o = AudioFrame::view(fmt_, out, f.timestamp());
    o.set_capture_time(f.capture_time());
    o.set_flags(f.flags());
    return next.push(o);
  }

 private:
  AudioFormat fmt_;
  float gain_;
  std::vector<std::int16_t> scratch_;
};

class DownmixStage final : public Stage {
 public:
  explicit DownmixStage(AudioFormat in) : in_(in), out_(AudioFormat::pcm16(in.sample_rate_hz, 1)) {}
  std::string_view name() const noexcept override { return "downmix"; }
  AudioFormat input_format() const override { return in_; }
  std::optional<AudioFormat> output_format() const override { return out_; }
  Flow push(const AudioFrame& f, FrameSink& next) override {
    const auto in = f.samples();
    const std::size_t frames = in.size() / static_cast<std::size_t>(in_.channels);
    if (scratch_.size() < frames) scratch_.resize(frames);
    const std::size_t n = downmix_to_mono(in, in_.channels, scratch_);
    AudioFrame o = AudioFrame::view(out_, std::span<const std::int16_t>(scratch_.data(), n), f.timestamp());
    o.set_capture_time(f.capture_time());
    o.set_flags(f.flags());
    return next.push(o);
  }

 private:
  AudioFormat in_, out_;
  std::vector<std::int16_t> scratch_;
};

class ToPcm16Stage final : public Stage {
 public:
  explicit ToPcm16Stage(AudioFormat in) : in_(in), out_(AudioFormat::pcm16(in.sample_rate_hz, in.channels)) {}
  std::string_view name() const noexcept override { return "to_pcm16"; }
  AudioFormat input_format() const override { return in_; }
  std::optional<AudioFormat> output_format() const override { return out_; }
  Flow push(const AudioFrame& f, FrameSink& next) override {
    const auto in = f.samples_f32();
    if (scratch_.size() < in.size()) scratch_.resize(in.size());
    non_finite_ += f32_to_pcm16(in, scratch_);
    AudioFrame o = AudioFrame::view(out_, std::span<const std::int16_t>(scratch_.data(), in.size()), f.timestamp());
    o.set_capture_time(f.capture_time());
    o.set_flags(f.flags());
    return next.push(o);
  }
  std::uint64_t non_finite_samples() const noexcept { return non_finite_; }

 private:
  AudioFormat in_, out_;
  std::vector<std::int16_t> scratch_;
  std::uint64_t non_finite_ = 0;
};

Error wrong_input(std::string_view path, std::string_view stage, std::string_view wanted, const AudioFormat& got) {
  return Error(errc::format_mismatch, std::string(path) + ": stage '" + std::string(stage) + "' needs " +
                                          std::string(wanted) + " input, the previous stage produces " + got.to_string());
}

}  // namespace

void register_core_stages(StageRegistry& registry) {
  (void)registry.add("gain", [](const Json& opts, const AudioFormat& in, std::string_view path)
                                 -> Result<std::unique_ptr<Stage>> {
    ConfigErrors errors;
    ConfigReader r(opts, std::string(path), errors);
    r.allow({"stage"});
    const double db = r.get_number("db", 0.0, {-60.0, 40.0});
    LOQUI_TRY(r.finish());
    if (in.encoding != Encoding::pcm16) return wrong_input(path, "gain", "pcm16", in);
    return std::unique_ptr<Stage>(std::make_unique<GainStage>(in, static_cast<float>(db)));
  });
  (void)registry.add("downmix", [](const Json& opts, const AudioFormat& in, std::string_view path)
                                    -> Result<std::unique_ptr<Stage>> {
    ConfigErrors errors;
    ConfigReader r(opts, std::string(path), errors);
    r.allow({"stage"});
    LOQUI_TRY(r.finish());
    if (in.encoding != Encoding::pcm16) return wrong_input(path, "downmix", "pcm16", in);
    return std::unique_ptr<Stage>(std::make_unique<DownmixStage>(in));
  });
  (void)registry.add("to_pcm16", [](const Json& opts, const AudioFormat& in, std::string_view path)
                                     -> Result<std::unique_ptr<Stage>> {
    ConfigErrors errors;
    ConfigReader r(opts, std::string(path), errors);
    r.allow({"stage"});
    LOQUI_TRY(r.finish());
    if (in.encoding != Encoding::f32) return wrong_input(path, "to_pcm16", "f32", in);
    return std::unique_ptr<Stage>(std::make_unique<ToPcm16Stage>(in));
  });
}

}  // namespace loqui
