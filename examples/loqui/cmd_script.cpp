// SPDX-License-Identifier: Apache-2.0
// File: `loqui script CALLER.txt --out CALLER.wav`: renders a caller script's
// non-reactive lines (plain lines and pauses) to a WAV with a text-to-speech
// provider (espeak by default), leaving a gap after each line for the agent.
#include <cstdio>

#include "commands.hpp"
#include "loqui/audio/file.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/sim/caller_script.hpp"
#include "provider_cli.hpp"

namespace loqui::cli {
namespace {

void append_silence(std::vector<std::int16_t>& pcm, int rate, Duration d) {
  pcm.insert(pcm.end(), static_cast<std::size_t>(to_ms(d) * rate / 1000.0), std::int16_t{0});
}

int run(const Command& self, const Args& args) {
  const std::string path = args.positional().at(0);
  const auto out = args.get("out");
  if (!out) return usage_error(self, "--out FILE.wav is required");
  auto rate = args.get_int("rate", 16000);
  if (!rate) return usage_error(self, rate.error().message());
  const auto gap = parse_duration(args.get_or("gap", "5s"));
  if (!gap) return usage_error(self, "--gap: expected a duration like 5s, found '" + args.get_or("gap", "") + "'");
  const auto lead = parse_duration(args.get_or("lead", "5s"));
  if (!lead) return usage_error(self, "--lead: expected a duration like 5s, found '" + args.get_or("lead", "") + "'");

  auto script = CallerScript::parse_file(path);
  if (!script) return fail(self, script.error());
  auto registry = make_registry(args);
  if (!registry) return fail(self, registry.error());
  const std::string tts_name = args.get_or("tts", "espeak");
  auto config = provider_config(tts_name, args.get("config"));
  if (!config) return usage_error(self, config.error().message());
  auto tts = (*registry)->make_tts({}, *config);
  if (!tts) return fail(self, tts.error());
  auto format = pcm16_output_format(**tts, 0);
  if (!format) return fail(self, format.error());
  auto rt = ProviderRuntime::create((*tts)->info().needs_real_time);
  if (!rt) return fail(self, rt.error());

  std::vector<std::int16_t> pcm;
  append_silence(pcm, *rate, *lead);
  int lines = 0;
  int skipped = 0;
  bool after_pause = false;
  for (const CallerStep& step : script->steps) {
    if (step.kind == CallerStep::Kind::pause) {
      append_silence(pcm, *rate, step.delay);
      after_pause = true;
      continue;
    }
    if (step.trigger != CallerStep::Trigger::reply) {
      ++skipped;  // reactive cues need a live agent: `loqui run --caller`
      continue;
    }
    if (lines > 0 && !after_pause) append_silence(pcm, *rate, *gap);
    after_pause = false;
    for (const CallerSegment& seg : step.segments) {
      auto audio = synthesize(**tts, *rt, seg.text, *format, args.get_or("voice", ""));
      if (!audio) return fail(self, path + ":" + std::to_string(step.line) + ": " + audio.error().message());
      auto converted = resample_buffer(audio->pcm, format->sample_rate_hz, static_cast<int>(*rate));
      if (!converted) return fail(self, converted.error());
      pcm.insert(pcm.end(), converted->begin(), converted->end());
      append_silence(pcm, *rate, seg.pause_after);
    }
    ++lines;
  }
  append_silence(pcm, *rate, *gap);
  if (Status s = write_audio_file(*out, AudioFormat::pcm16(static_cast<int>(*rate)), pcm); !s)
    return fail(self, s.error());
  std::printf("%s: %.1f s, %d Hz, %d caller lines", out->c_str(), static_cast<double>(pcm.size()) / *rate,
              static_cast<int>(*rate), lines);
  if (skipped) std::printf(" (%d reactive cues skipped: play them live with 'loqui run --caller %s')", skipped,
                           path.c_str());
  std::printf("\n");
  return kExitOk;
}

}  // namespace

Command script_command() {
  return {"script",
          "render a caller script to a WAV (for 'loqui run --in')",
          "CALLER.txt --out CALLER.wav [--rate HZ] [--gap 5s] [--lead 5s] [--tts NAME] [--voice V]",
          "Speaks each plain line of the script (docs/caller-scripts.md) with a text-to-\n"
          "speech provider, with silence where the script pauses, --lead before the first\n"
          "line (the agent's greeting) and --gap after each line (the agent's answer).\n"
          "Reactive cues ([when agent speaks ...]) are skipped: they need a live agent,\n"
          "so play the script with 'loqui run --caller CALLER.txt' to hear them.",
          {{"out", "FILE", "output audio file (required)"},
           {"rate", "HZ", "output sample rate (default 16000)"},
           {"gap", "DURATION", "silence after each caller line (default 5s)"},
           {"lead", "DURATION", "silence before the first line (default 5s)"},
           {"tts", "NAME", "text-to-speech provider (default espeak)"},
           {"config", "JSON", "provider options: a JSON object, or a file holding one"},
           {"voice", "V", "voice, e.g. en-us+f3 for espeak"},
           {"plugin", "LIB", "load a provider plugin first (repeatable)", true}},
          &run,
          1,
          1};
}

}  // namespace loqui::cli
