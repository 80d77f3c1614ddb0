// SPDX-License-Identifier: Apache-2.0
// File: factories of the run-time audio stages (register_audio_stages).
#include "loqui/audio/stages.hpp"

#include "loqui/audio/codecs.hpp"
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

Result<std::unique_ptr<Stage>> make_decode(const Json& opts, const AudioFormat& in, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(opts, std::string(path), errors);
  r.allow({"stage"});
  DecoderOptions o;
  o.plc = r.get_bool("plc", true);
  const auto max_packet_ms = static_cast<int>(r.get_int("max_packet_ms", 120, {.min = 1, .max = 1000}));
  LOQUI_TRY(r.finish());
  if (in.encoding == Encoding::f32) {
    return Error(errc::format_mismatch, std::string(path) + ": stage 'decode' needs encoded input (mulaw, alaw, "
                                                            "l16be, pcm16, opus), the previous stage produces " +
                                            in.to_string());
  }
  auto filter = DecodeFilter::create(in, o, max_packet_ms);
  if (!filter) return std::move(filter).error().add_context(path);
  return make_stage(std::move(*filter));
}

Result<std::unique_ptr<Stage>> make_encode(const Json& opts, const AudioFormat& in, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(opts, std::string(path), errors);
  r.allow({"stage"});
  const std::string encoding = r.get_enum("encoding", "mulaw", {"mulaw", "alaw", "l16be", "pcm16", "opus"});
  EncoderOptions o;
  o.frame_ms = static_cast<int>(r.get_int("frame_ms", 20, {.min = 1, .max = 120}));
  o.opus.bitrate_bps = static_cast<int>(r.get_int("bitrate_bps", 24000, {.min = 0, .max = 510000}));
  o.opus.complexity = static_cast<int>(r.get_int("complexity", 5, {.min = 0, .max = 10}));
  o.opus.inband_fec = r.get_bool("inband_fec", false);
  o.opus.packet_loss_percent = static_cast<int>(r.get_int("packet_loss_percent", 0, {.min = 0, .max = 100}));
  o.opus.dtx = r.get_bool("dtx", false);
  const std::string app = r.get_enum("application", "voip", {"voip", "audio", "low_delay"});
  LOQUI_TRY(r.finish());
  if (in.encoding != Encoding::pcm16) return needs_pcm16(path, "encode", in);
  o.opus.application = app == "audio"       ? OpusEncoderOptions::Application::audio
                       : app == "low_delay" ? OpusEncoderOptions::Application::low_delay
                                            : OpusEncoderOptions::Application::voip;
  const AudioFormat packets{in.sample_rate_hz, in.channels, *parse_encoding(encoding)};
  auto filter = EncodeFilter::create(packets, o);
  if (!filter) return std::move(filter).error().add_context(path);
  return make_stage(std::move(*filter));
}

}  // namespace

void register_audio_stages(StageRegistry& registry) {
  (void)registry.add("resample", &make_resample);
  (void)registry.add("decode", &make_decode);
  (void)registry.add("encode", &make_encode);
}

}  // namespace loqui
