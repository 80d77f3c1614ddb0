// SPDX-License-Identifier: Apache-2.0
// File: `loqui transcribe FILE --stt NAME [--config JSON]`: streams an audio file
// to a speech-to-text provider in 20 ms frames, as a call would, then finalizes and
// prints the final transcript (interim results too with --verbose). Local providers
// run in virtual time (as fast as they compute); network providers in real time,
// with the audio paced at its real rate.
#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "loqui/audio/file.hpp"
#include "loqui/audio/resampler.hpp"
#include "provider_cli.hpp"

namespace loqui::cli {
namespace {

using namespace std::chrono_literals;

class Printer final : public SttObserver {
 public:
  explicit Printer(bool verbose) : verbose_(verbose) {}
  void on_provider(std::string_view provider, bool restarted) override {
    if (verbose_) std::printf("[provider %.*s%s]\n", static_cast<int>(provider.size()), provider.data(),
                              restarted ? ", restarted" : "");
  }
  void on_transcript(const Transcript& t) override {
    if (verbose_) {
      std::printf("[%s %6.2f-%6.2f s] %s\n", t.is_final ? "final  " : "interim", to_ms(t.audio_start) / 1000,
                  to_ms(t.audio_end) / 1000, t.text.c_str());
    }
    if (t.is_final && !t.text.empty()) finals_ += (finals_.empty() ? "" : " ") + t.text;
    if (t.from_finalize) done_ = true;
  }
  void on_error(const Error& e) override { error_ = e; }
  bool finished() const { return done_ || error_.has_value(); }
  const std::optional<Error>& error() const { return error_; }
  const std::string& transcript() const { return finals_; }

 private:
  bool verbose_;
  bool done_ = false;
  std::string finals_;
  std::optional<Error> error_;
};

int run(const Command& self, const Args& args) {
  const std::string path = args.positional().at(0);
  const auto name = args.get("stt");
  if (!name) return usage_error(self, "--stt NAME is required (see 'loqui providers')");
  auto registry = make_registry(args);
  if (!registry) return fail(self, registry.error());
  auto config = provider_config(*name, args.get("config"));
  if (!config) return usage_error(self, config.error().message());
  auto stt = (*registry)->make_stt({}, *config);
  if (!stt) return fail(self, stt.error());

  auto file = read_audio_file(path, {.mono = true});
  if (!file) return fail(self, file.error());
  // The provider's preferred pcm16 format at the file's rate, or the first pcm16
  // format it accepts (the audio is resampled to it).
  const auto& formats = (*stt)->capabilities().input_formats;
  std::optional<AudioFormat> format;
  for (const auto& f : formats) {
    if (f.encoding != Encoding::pcm16 || f.channels != 1) continue;
    if (f.sample_rate_hz == file->audio.format.sample_rate_hz) {
      format = f;
      break;
    }
    if (!format) format = f;
  }
  if (!format) return fail(self, "stt '" + *name + "' accepts no mono pcm16 input");
  std::vector<std::int16_t> pcm = std::move(file->audio.samples);
  if (format->sample_rate_hz != file->audio.format.sample_rate_hz) {
    auto rs = Resampler::create({.input_rate_hz = file->audio.format.sample_rate_hz,
                                 .output_rate_hz = format->sample_rate_hz});
    if (!rs) return fail(self, path + ": " + rs.error().message());
    std::vector<std::int16_t> out(rs->max_output_samples(pcm.size()));
    std::size_t n = rs->process(pcm, out).value_or(0);
    n += rs->finish(std::span(out).subspan(n)).value_or(0);
    out.resize(n);
    pcm = std::move(out);
  }

  auto rt = ProviderRuntime::create((*stt)->info().needs_real_time);
  if (!rt) return fail(self, rt.error());
  Printer printer(args.has("verbose"));
  std::unique_ptr<SttStream> stream;
  Status opened = ok_status();
  rt->on_strand([&] {
    auto s = (*stt)->open({.strand = rt->strand(), .session_id = "transcribe"}, {.format = *format}, printer);
    if (!s) {
      opened = s.error();
      return;
    }
    stream = std::move(s).value();
  });
  if (!opened) return fail(self, opened.error());

  const std::size_t frame = static_cast<std::size_t>(format->samples_in(20ms));
  for (std::size_t i = 0; i < pcm.size() && !printer.finished(); i += frame) {
    const std::size_t n = std::min(frame, pcm.size() - i);
    Status sent = ok_status();
    rt->on_strand([&] {
      sent = stream->send_audio(AudioFrame::view(*format, std::span<const std::int16_t>(pcm.data() + i, n),
                                                 static_cast<std::int64_t>(i)));
    });
    if (!sent && !printer.error()) return fail(self, sent.error());
    rt->pass(format->duration_of(static_cast<std::int64_t>(n)));
  }
  rt->on_strand([&] { stream->finalize(); });
  const bool finished = rt->run_until([&] { return printer.finished(); }, 60s);
  rt->on_strand([&] { stream.reset(); });
  if (printer.error()) return fail(self, *printer.error());
  if (!finished) return fail(self, "stt '" + *name + "' gave no final transcript within 60 s of the end of the audio");
  std::printf("%s\n", printer.transcript().c_str());
  return kExitOk;
}

}  // namespace

Command transcribe_command() {
  return {"transcribe",
          "transcribe an audio file with a speech-to-text provider",
          "FILE --stt NAME [--config JSON] [--verbose]",
          "Streams FILE (WAV, FLAC; mono or downmixed) to the provider in 20 ms frames,\n"
          "resampled to a rate it accepts, then finalizes and prints the final transcript.\n"
          "--config is the provider's options as a JSON object, inline or in a file; it may\n"
          "hold a \"fallback\" list. Local providers run in virtual time, network ones in\n"
          "real time.",
          {{"stt", "NAME", "provider name (required; see 'loqui providers')"},
           {"config", "JSON", "provider options: a JSON object, or a file holding one"},
           {"verbose", "", "also print interim results and provider switches"},
           {"plugin", "LIB", "load a provider plugin first (repeatable)", true}},
          &run,
          1,
          1};
}

}  // namespace loqui::cli
