// SPDX-License-Identifier: Apache-2.0
// File: `loqui vad IN.wav [--out FRAMES.tsv] [--detector NAME]`: runs loqui's voice
// activity detection (the VadFilter a call uses, 20 ms frames) over a file. Prints
// one line per 10 ms frame, `start_ms<TAB>probability<TAB>0|1`, then the speech
// segments the segmenter found, `speech<TAB>start_ms<TAB>end_ms`. With --out the
// frame lines go to that file (written to a temporary name, renamed when complete)
// and only the segments to stdout.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "loqui/audio/file.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/audio/vad.hpp"

namespace loqui::cli {
namespace {

std::string detector_list() {
  std::string s;
  for (auto n : voice_detector_names()) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

long long to_ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

/// Writes frame lines and collects segments.
struct Printer final : VadObserver {
  std::string* frames = nullptr;  ///< with --out: the file's text; else stdout
  std::vector<std::pair<Duration, Duration>> segments;
  Duration open_start{};
  bool open = false;
  void on_vad_frame(const VadFrame& f) override {
    char line[64];
    std::snprintf(line, sizeof line, "%lld\t%.3f\t%d\n", to_ms(f.start), static_cast<double>(f.probability),
                  f.speech ? 1 : 0);
    if (frames) *frames += line;
    else std::fputs(line, stdout);
  }
  void on_vad_event(const VadEvent& e) override {
    if (e.kind == VadEvent::Kind::speech_started) {
      open_start = e.at;
      open = true;
    } else if (open) {
      segments.emplace_back(open_start, e.at);
      open = false;
    }
  }
};

struct Discard {
  Flow push(const AudioFrame&) { return Flow::ok; }
};

/// 8 kHz stays 8 kHz; anything else is analysed at 16 kHz.
int run(const Command& self, const Args& args) {
  const std::string in_path = args.positional().at(0);
  const std::string name = args.get_or("detector", "loqui");
  VadConfig config;
  auto threshold = args.get_number("threshold", config.threshold);
  if (!threshold) return usage_error(self, threshold.error().message());
  if (*threshold < 0 || *threshold > 1) return usage_error(self, "--threshold: expected a number in [0, 1]");
  auto start_ms = args.get_int("start-ms", config.start_ms);
  auto stop_ms = args.get_int("stop-ms", config.stop_ms);
  auto min_volume = args.get_number("min-volume", config.min_volume_dbfs);
  if (!start_ms) return usage_error(self, start_ms.error().message());
  if (!stop_ms) return usage_error(self, stop_ms.error().message());
  if (!min_volume) return usage_error(self, min_volume.error().message());
  if (*start_ms < 10 || *start_ms > 300) return usage_error(self, "--start-ms: expected 10..300");
  if (*stop_ms < 10 || *stop_ms > 10000) return usage_error(self, "--stop-ms: expected 10..10000");
  config.threshold = static_cast<float>(*threshold);
  config.start_ms = static_cast<int>(*start_ms);
  config.start_window_ms = std::max(config.start_window_ms, config.start_ms);
  config.stop_ms = static_cast<int>(*stop_ms);
  config.min_volume_dbfs = static_cast<float>(*min_volume);
  // Check the detector name before reading anything.
  if (auto probe = make_voice_detector(name, 16000); !probe) return usage_error(self, "--detector: " + probe.error().message());

  auto file = read_audio_file(in_path, {.mono = true});
  if (!file) return fail(self, file.error());
  const int in_rate = file->audio.format.sample_rate_hz;
  const int rate = in_rate == 8000 ? 8000 : 16000;
  auto pcm = resample_buffer(file->audio.samples, in_rate, rate, ResamplerQuality::medium);
  if (!pcm) return fail(self, in_path + ": " + pcm.error().message());
  auto detector = make_voice_detector(name, rate);
  if (!detector) return fail(self, detector.error());
  auto filter = VadFilter::create(std::move(*detector), config);
  if (!filter) return fail(self, filter.error());

  const auto out_path = args.get("out");
  std::string frame_text;
  Printer printer;
  if (out_path) printer.frames = &frame_text;
  filter->set_observer(&printer);
  Discard discard;
  const std::size_t chunk = static_cast<std::size_t>(rate / 50);
  const AudioFormat fmt = AudioFormat::pcm16(rate);
  for (std::size_t i = 0; i < pcm->size(); i += chunk) {
    const auto n = std::min(chunk, pcm->size() - i);
    if (filter->push(AudioFrame::view(fmt, std::span(*pcm).subspan(i, n), static_cast<std::int64_t>(i)), discard) !=
        Flow::ok) {
      const Error* e = filter->last_error();
      return fail(self, e ? *e : Error(errc::internal, "vad failed"));
    }
  }
  if (printer.open) printer.segments.emplace_back(printer.open_start, fmt.duration_of(static_cast<std::int64_t>(pcm->size())));
  if (out_path) {
    if (Status st = write_text_file(*out_path, frame_text); !st) return fail(self, st.error());
  }
  Duration total{};
  for (const auto& [a, b] : printer.segments) {
    std::printf("speech\t%lld\t%lld\n", to_ms(a), to_ms(b));
    total += b - a;
  }
  std::fprintf(stderr, "%s: %d Hz%s, %.2f s, detector %s: %zu speech segment(s), %.2f s of speech\n", in_path.c_str(),
               in_rate, in_rate == rate ? "" : (" (analysed at " + std::to_string(rate) + " Hz)").c_str(),
               static_cast<double>(fmt.duration_of(static_cast<std::int64_t>(pcm->size())).count()) / 1e9, name.c_str(),
               printer.segments.size(), static_cast<double>(total.count()) / 1e9);
  return kExitOk;
}

}  // namespace

Command vad_command() {
  static const std::string detectors = "voice detector: " + detector_list() + " (default loqui)";
  return {"vad",
          "voice activity detection over an audio file (per-frame probability and speech segments)",
          "IN.wav [--out FRAMES.tsv] [--detector NAME] [--threshold P] [--start-ms MS] [--stop-ms MS]",
          "Reads IN (WAV, FLAC; any rate: 8 kHz is analysed as is, anything else at 16 kHz;\n"
          "channels are averaged) in 20 ms frames through loqui's VadFilter. Prints one line\n"
          "per 10 ms frame, start_ms<TAB>probability<TAB>0|1 (1: probability >= threshold\n"
          "and level >= min-volume), then one line per speech segment the hysteresis found,\n"
          "speech<TAB>start_ms<TAB>end_ms. With --out the frame lines go to that file.",
          {{"out", "FRAMES.tsv", "write the frame lines to this file instead of stdout"},
           {"detector", "NAME", detectors},
           {"threshold", "P", "probability counted as speech (default 0.5)"},
           {"start-ms", "MS", "speech needed to start a segment (default 60)"},
           {"stop-ms", "MS", "silence needed to end a segment (default 250)"},
           {"min-volume", "DBFS", "quieter frames are never speech (default -55)"}},
          &run,
          1,
          1};
}

}  // namespace loqui::cli
