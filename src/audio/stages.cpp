// SPDX-License-Identifier: Apache-2.0
// File: factories of the run-time audio stages (register_audio_stages).
#include "loqui/audio/stages.hpp"

#include "loqui/audio/resampler.hpp"
#include "loqui/config.hpp"

namespace loqui {
namespace {

Error needs_pcm16(std::string_view path, std::string_view stage, const AudioFormat& got) {
  return Error(errc::format_mismatch, std::string(path) + ": stage '" + std::string(stage) +
                                          "' needs pcm16 input, the previous stage produces " + got.to_string());
}

Result<std::unique_ptr<Stage>> make_resample(const Json& opts, const AudioFormat& in, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(opts, std::string(path), errors);
  r.allow({"stage"});
  ResamplerConfig c;
  c.output_rate_hz = static_cast<int>(r.get_int("rate", 0, {.min = 1, .max = 384000}));
  if (!r.has("rate")) r.error_at("rate", "missing required key (the output rate in Hz)");
  const std::string quality = r.get_enum("quality", "medium", {"quick", "medium", "high"});
  const std::string backend = r.get_enum("backend", "soxr", {"soxr", "samplerate"});
  c.max_input_ms = static_cast<int>(r.get_int("max_input_ms", 100, {.min = 1, .max = 1000}));
  LOQUI_TRY(r.finish());
  if (in.encoding != Encoding::pcm16) return needs_pcm16(path, "resample", in);
  c.input_rate_hz = in.sample_rate_hz;
  c.channels = in.channels;
  c.quality = parse_resampler_quality(quality).value_or(ResamplerQuality::medium);
  c.backend = parse_resampler_backend(backend).value_or(ResamplerBackend::soxr);
  auto filter = ResampleFilter::create(c);
  if (!filter) return std::move(filter).error().add_context(path);
  return make_stage(std::move(*filter));
}

}  // namespace

void register_audio_stages(StageRegistry& registry) {
  (void)registry.add("resample", &make_resample);
}

}  // namespace loqui
