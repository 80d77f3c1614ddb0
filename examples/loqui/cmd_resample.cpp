// SPDX-License-Identifier: Apache-2.0
// File: `loqui resample IN --rate HZ --out OUT`: converts an audio file's sample
// rate with loqui's streaming resampler (the same code a call uses, 20 ms frames),
// so anyone can hear and measure it on their own files. The output is written to a
// temporary file renamed into place only when complete.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "commands.hpp"
#include "loqui/audio/file.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/pipeline/chain.hpp"

namespace loqui::cli {
namespace {

std::string rates_text() {
  std::string s;
  for (int r : kCommonSampleRates) s += (s.empty() ? "" : ", ") + std::to_string(r);
  return s;
}

/// "mulaw/8000", "pcm16/16000/2" -> a raw input format.
std::optional<AudioFormat> parse_raw_format(const std::string& text) {
  const auto a = text.find('/');
  if (a == std::string::npos) return std::nullopt;
  const auto b = text.find('/', a + 1);
  const auto enc = parse_encoding(text.substr(0, a));
  if (!enc) return std::nullopt;
  try {
    std::size_t used = 0;
    const std::string rate_s = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    const int rate = std::stoi(rate_s, &used);
    if (used != rate_s.size()) return std::nullopt;
    int channels = 1;
    if (b != std::string::npos) {
      const std::string ch_s = text.substr(b + 1);
      channels = std::stoi(ch_s, &used);
      if (used != ch_s.size()) return std::nullopt;
    }
    return AudioFormat{rate, channels, *enc};
  } catch (...) {
    return std::nullopt;
  }
}

int run(const Command& self, const Args& args) {
  const std::string in_path = args.positional().at(0);
  const auto out_path = args.get("out");
  if (!out_path) return usage_error(self, "--out OUT is required");
  if (!args.has("rate")) return usage_error(self, "--rate HZ is required (one of " + rates_text() + ")");
  auto rate = args.get_int("rate", 0);
  if (!rate) return usage_error(self, rate.error().message());
  const bool known_rate =
      std::find(std::begin(kCommonSampleRates), std::end(kCommonSampleRates), *rate) != std::end(kCommonSampleRates);
  if (!known_rate) return usage_error(self, "--rate " + std::to_string(*rate) + ": expected one of " + rates_text());

  ResamplerConfig config;
  config.output_rate_hz = static_cast<int>(*rate);
  if (auto q = args.get("quality")) {
    auto parsed = parse_resampler_quality(*q);
    if (!parsed) return usage_error(self, "--quality: expected quick, medium or high, found '" + *q + "'");
    config.quality = *parsed;
  }
  if (auto b = args.get("backend")) {
    auto parsed = parse_resampler_backend(*b);
    if (!parsed) return usage_error(self, "--backend: expected soxr or samplerate, found '" + *b + "'");
    config.backend = *parsed;
  }
  AudioSourceOptions src_options;
  if (auto f = args.get("in-format")) {
    src_options.raw_format = parse_raw_format(*f);
    if (!src_options.raw_format)
      return usage_error(self, "--in-format: expected ENCODING/RATE[/CHANNELS] (e.g. mulaw/8000), found '" + *f + "'");
  }
  AudioWriteOptions out_options;
  if (auto e = args.get("encoding")) {
    auto parsed = parse_encoding(*e);
    if (!parsed || *parsed == Encoding::opus)
      return usage_error(self, "--encoding: expected pcm16, mulaw, alaw, l16be or f32, found '" + *e + "'");
    out_options.encoding = *parsed;
  }

  auto source = AudioFileSource::open(in_path, src_options);
  if (!source) return fail(self, source.error());
  const AudioFileInfo info = source->info();
  config.input_rate_hz = source->output_format().sample_rate_hz;
  config.channels = source->output_format().channels;
  auto filter = ResampleFilter::create(config);
  if (!filter) return fail(self, in_path + ": " + filter.error().message());
  const Duration latency = filter->resampler().latency();
  auto sink = AudioFileSink::create(*out_path, filter->output_format(), out_options);
  if (!sink) return fail(self, sink.error());
  auto chain = make_chain(std::move(*filter), std::move(*sink));
  if (!chain) return fail(self, chain.error());

  const Flow end = drain(*source, *chain);
  if (end == Flow::error) {
    const Error* e = source->last_error() ? source->last_error() : chain->last_error();
    return fail(self, e ? *e : Error(errc::internal, "resampling failed"));
  }
  // finish() drains the resampler's tail into the sink and renames the file into place.
  if (chain->finish() != Flow::ok) {
    const Error* e = chain->last_error();
    return fail(self, e ? *e : Error(errc::io_error, *out_path + ": cannot finish the file"));
  }
  const auto& written = chain->get<1>();
  const std::string channels = config.channels == 1 ? "mono" : std::to_string(config.channels) + " channels";
  std::printf("%s: %d Hz -> %d Hz, %s, %.3f s, %s/%s (latency %.2f ms) -> %s (%lld samples)\n", in_path.c_str(),
              config.input_rate_hz, config.output_rate_hz, channels.c_str(),
              static_cast<double>(info.duration().count()) / 1e9, std::string(to_string(config.backend)).c_str(),
              std::string(to_string(config.quality)).c_str(), static_cast<double>(latency.count()) / 1e6,
              out_path->c_str(), static_cast<long long>(written.frames_written()));
  return kExitOk;
}

}  // namespace

Command resample_command() {
  return {"resample",
          "convert an audio file's sample rate with loqui's streaming resampler",
          "IN.wav --rate HZ --out OUT.wav [--quality Q] [--backend B]",
          "Reads IN (WAV, FLAC, or raw with --in-format) in 20 ms frames, resamples every\n"
          "channel and writes OUT (WAV, FLAC or raw, by its extension). Rates: 8000, 16000,\n"
          "22050, 24000, 32000, 44100, 48000. OUT appears only once it is complete.",
          {{"rate", "HZ", "output sample rate (required)"},
           {"out", "OUT", "output file (required); .wav, .flac, .raw/.pcm"},
           {"quality", "Q", "quick, medium (default) or high"},
           {"backend", "B", "soxr (default) or samplerate"},
           {"in-format", "ENC/RATE[/CH]", "IN is headerless: its encoding, rate and channels (e.g. mulaw/8000)"},
           {"encoding", "ENC", "sample encoding of OUT: pcm16 (default), mulaw, alaw, l16be (raw), f32"}},
          &run,
          1,
          1};
}

}  // namespace loqui::cli
