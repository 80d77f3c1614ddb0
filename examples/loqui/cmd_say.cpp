// SPDX-License-Identifier: Apache-2.0
// File: `loqui say "TEXT" --tts NAME --out FILE.wav`: synthesises TEXT with a
// text-to-speech provider and writes the audio (word timings with --verbose).
// Local providers run in virtual time; network providers in real time.
#include <cstdio>

#include "commands.hpp"
#include "loqui/audio/file.hpp"
#include "provider_cli.hpp"

namespace loqui::cli {
namespace {

using namespace std::chrono_literals;

int run(const Command& self, const Args& args) {
  const std::string text = args.positional().at(0);
  const auto name = args.get("tts");
  if (!name) return usage_error(self, "--tts NAME is required (see 'loqui providers')");
  const auto out = args.get("out");
  if (!out) return usage_error(self, "--out FILE.wav is required");
  auto rate = args.get_int("rate", 0);
  if (!rate) return usage_error(self, rate.error().message());
  auto registry = make_registry(args);
  if (!registry) return fail(self, registry.error());
  auto config = provider_config(*name, args.get("config"));
  if (!config) return usage_error(self, config.error().message());
  auto tts = (*registry)->make_tts({}, *config);
  if (!tts) return fail(self, tts.error());

  auto format = pcm16_output_format(**tts, *rate);
  if (!format) return fail(self, format.error());
  auto rt = ProviderRuntime::create((*tts)->info().needs_real_time);
  if (!rt) return fail(self, rt.error());
  auto audio = synthesize(**tts, *rt, text, *format, args.get_or("voice", ""));
  if (!audio) return fail(self, audio.error());

  if (Status s = write_audio_file(*out, *format, audio->pcm); !s) return fail(self, s.error());
  std::printf("%s: %.3f s, %d Hz, %zu words\n", out->c_str(),
              to_ms(format->duration_of(static_cast<std::int64_t>(audio->pcm.size()))) / 1000,
              format->sample_rate_hz, audio->words.size());
  if (args.has("verbose")) {
    for (const auto& w : audio->words)
      std::printf("  %7.3f %7.3f  %s\n", to_ms(w.start) / 1000, to_ms(w.end) / 1000, w.word.c_str());
  }
  return kExitOk;
}

}  // namespace

Command say_command() {
  return {"say",
          "synthesise text with a text-to-speech provider into an audio file",
          "\"TEXT\" --tts NAME --out FILE.wav [--config JSON] [--rate HZ] [--voice V]",
          "Sends TEXT to the provider, flushes, and writes the audio it produced to FILE\n"
          "(WAV, FLAC or raw by its extension). --config is the provider's options as a\n"
          "JSON object, inline or in a file. --verbose prints the word timings.",
          {{"tts", "NAME", "provider name (required; see 'loqui providers')"},
           {"out", "FILE", "output audio file (required)"},
           {"config", "JSON", "provider options: a JSON object, or a file holding one"},
           {"rate", "HZ", "output sample rate (default: the provider's native rate)"},
           {"voice", "V", "voice, overriding the configured one"},
           {"verbose", "", "print the word timings"},
           {"plugin", "LIB", "load a provider plugin first (repeatable)", true}},
          &run,
          1,
          1};
}

}  // namespace loqui::cli
