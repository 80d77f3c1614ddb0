// SPDX-License-Identifier: Apache-2.0
// File: loqui's voice detectors ("loqui": spectral features + trained MLP;
// "energy": level over an adaptive noise floor), the factory, and the checked
// VoiceDetector::score() entry points.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "audio/vad_features.hpp"
#include "loqui/audio/vad.hpp"

namespace loqui {

namespace {

constexpr std::array<std::string_view, 2> kNames = {"loqui", "energy"};

std::string names_list() {
  std::string s;
  for (auto n : kNames) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

class LoquiDetector final : public VoiceDetector {
 public:
  explicit LoquiDetector(int rate)
      : features_(rate), model_(rate >= 16000 ? detail::kVadModel16k : detail::kVadModel8k), rate_(rate) {}
  std::string_view name() const noexcept override { return "loqui"; }
  AudioFormat format() const noexcept override { return AudioFormat::pcm16(rate_); }
  std::size_t frame_samples() const noexcept override { return features_.frame_samples(); }
  float process(std::span<const std::int16_t> frame) override {
    features_.compute(frame, x_);
    return detail::vad_model_eval(model_, x_);
  }
  void reset() override { features_.reset(); }

 private:
  detail::VadFeatureExtractor features_;
  const detail::VadModel& model_;
  std::array<float, detail::kVadInputs> x_{};
  int rate_;
};

/// Frame level against a leaky-minimum noise floor; probability is a logistic of
/// the SNR centred on 9 dB.
class EnergyDetector final : public VoiceDetector {
 public:
  explicit EnergyDetector(int rate) : rate_(rate) {}
  std::string_view name() const noexcept override { return "energy"; }
  AudioFormat format() const noexcept override { return AudioFormat::pcm16(rate_); }
  std::size_t frame_samples() const noexcept override { return static_cast<std::size_t>(rate_ / 100); }
  float process(std::span<const std::int16_t> frame) override {
    double acc = 0;
    for (auto s : frame) acc += static_cast<double>(s) * s;
    const double ms = acc / static_cast<double>(std::max<std::size_t>(frame.size(), 1)) / (32768.0 * 32768.0);
    const float level = static_cast<float>(10.0 * std::log10(ms + 1e-12));
    if (!primed_) {
      floor_.floor_db = level;
      mod_.mean = level;
      primed_ = true;
    }
    const float snr = level - floor_.floor_db;
    floor_.update(level, mod_.steadiness());
    mod_.update(level);
    return 1.0f / (1.0f + std::exp(-(snr - 9.0f) / 2.0f));
  }
  void reset() override {
    primed_ = false;
    floor_ = {};
    mod_ = {};
  }

 private:
  int rate_;
  detail::NoiseFloor floor_;
  detail::Modulation mod_;
  bool primed_ = false;
};

}  // namespace

Result<float> VoiceDetector::score(std::span<const std::int16_t> frame) {
  if (frame.size() != frame_samples())
    return make_error(errc::invalid_argument, "voice detector '" + std::string(name()) + "': a frame must be " +
                                                  std::to_string(frame_samples()) + " samples (10 ms at " +
                                                  std::to_string(format().sample_rate_hz) + " Hz), got " +
                                                  std::to_string(frame.size()));
  return process(frame);
}

Result<float> VoiceDetector::score(std::span<const float> frame) {
  constexpr std::size_t kMaxFrame = 480;  // 10 ms at 48 kHz: more than any detector takes
  if (frame.size() != frame_samples() || frame.size() > kMaxFrame)
    return make_error(errc::invalid_argument, "voice detector '" + std::string(name()) + "': a frame must be " +
                                                  std::to_string(frame_samples()) + " samples (10 ms at " +
                                                  std::to_string(format().sample_rate_hz) + " Hz), got " +
                                                  std::to_string(frame.size()));
  std::array<std::int16_t, kMaxFrame> pcm{};
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const float v = frame[i];
    if (!std::isfinite(v))
      return make_error(errc::invalid_argument, "voice detector '" + std::string(name()) + "': sample " +
                                                    std::to_string(i) + " is " + (std::isnan(v) ? "NaN" : "infinite"));
    pcm[i] = static_cast<std::int16_t>(std::lround(std::clamp(v, -1.0f, 32767.0f / 32768.0f) * 32768.0f));
  }
  return process(std::span<const std::int16_t>(pcm.data(), frame.size()));
}

std::span<const std::string_view> voice_detector_names() noexcept { return kNames; }

Result<std::unique_ptr<VoiceDetector>> make_voice_detector(std::string_view name, int sample_rate) {
  if (sample_rate != 8000 && sample_rate != 16000)
    return make_error(errc::invalid_argument, "voice detector '" + std::string(name) + "': sample rate " +
                                                  std::to_string(sample_rate) + " Hz is not supported (8000 or 16000)");
  if (name.empty() || name == "loqui") {
    const detail::VadModel& m = sample_rate >= 16000 ? detail::kVadModel16k : detail::kVadModel8k;
    if (!m.shape_ok())
      return make_error(errc::internal, "voice detector 'loqui': the compiled-in model has " + std::to_string(m.inputs) +
                                            " inputs and " + std::to_string(m.hidden) + " hidden units, the features " +
                                            std::to_string(detail::kVadInputs) + " and " +
                                            std::to_string(detail::kVadHidden) + ": rerun bench/vad/vad_train");
    return std::unique_ptr<VoiceDetector>(new LoquiDetector(sample_rate));
  }
  if (name == "energy") return std::unique_ptr<VoiceDetector>(new EnergyDetector(sample_rate));
  return make_error(errc::not_found,
                    "unknown voice detector '" + std::string(name) + "' (valid: " + names_list() + ")");
}

}  // namespace loqui
