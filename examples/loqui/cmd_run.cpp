// SPDX-License-Identifier: Apache-2.0
// File: `loqui run --agent AGENT.json --in CALLER.wav | --caller CALLER.txt`: a
// whole simulated phone call (sim/call_simulator.hpp) with the providers the
// agent names, then the transcript, a per-turn latency table, usage and cost;
// optionally a stereo recording, a JSON report and an SVG waterfall chart.
#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "loqui/audio/file.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/audio/vad.hpp"
#include "loqui/metrics/chart.hpp"
#include "loqui/metrics/cost.hpp"
#include "loqui/sim/call_simulator.hpp"
#include "provider_cli.hpp"
#include "run_report.hpp"

namespace loqui::cli {
namespace {

using namespace std::chrono_literals;

/// The caller's audio at the line's rate: a recording, or a rendered script.
Result<SimulatedCaller> load_caller(const Args& args, Registry& registry, int line_rate) {
  SimulatedCaller caller;
  if (const auto in = args.get("in")) {
    LOQUI_ASSIGN_OR_RETURN(auto file, read_audio_file(*in, {.mono = true}));
    if (file.audio.samples.empty()) return Error(errc::invalid_argument, *in + ": the file holds no audio");
    LOQUI_ASSIGN_OR_RETURN(caller.recording,
                           resample_buffer(file.audio.samples, file.audio.format.sample_rate_hz, line_rate));
    return caller;
  }
  const std::string path = *args.get("caller");
  LOQUI_ASSIGN_OR_RETURN(auto script, CallerScript::parse_file(path));
  LOQUI_ASSIGN_OR_RETURN(auto config, provider_config(args.get_or("caller-tts", "espeak"), std::nullopt));
  LOQUI_ASSIGN_OR_RETURN(auto tts, registry.make_tts({}, config));
  LOQUI_ASSIGN_OR_RETURN(auto format, pcm16_output_format(*tts, 0));
  LOQUI_ASSIGN_OR_RETURN(auto rt, ProviderRuntime::create(tts->info().needs_real_time));
  const std::string voice = args.get_or("caller-voice", "en-us+m3");
  for (const CallerStep& step : script.steps) {
    RenderedStep r{step, {}};
    for (const CallerSegment& seg : step.segments) {
      auto audio = synthesize(*tts, rt, seg.text, format, voice);
      if (!audio) return Error(audio.error().code(), path + ":" + std::to_string(step.line) + ": " +
                                                         audio.error().message());
      LOQUI_ASSIGN_OR_RETURN(auto pcm, resample_buffer(audio->pcm, format.sample_rate_hz, line_rate));
      r.pcm.insert(r.pcm.end(), pcm.begin(), pcm.end());
      r.pcm.insert(r.pcm.end(), static_cast<std::size_t>(to_ms(seg.pause_after) * line_rate / 1000), std::int16_t{0});
    }
    caller.script.push_back(std::move(r));
  }
  if (caller.script.empty()) return Error(errc::invalid_argument, path + ": the script has no caller lines");
  return caller;
}

/// The provider that needs real time, if any ("stt 'deepgram'").
std::optional<std::string> real_time_provider(const AgentProviders& p) {
  if (p.stt && p.stt->info().needs_real_time) return "stt '" + p.stt->info().name + "'";
  if (p.llm && p.llm->info().needs_real_time) return "llm '" + p.llm->info().name + "'";
  if (p.tts && p.tts->info().needs_real_time) return "tts '" + p.tts->info().name + "'";
  return std::nullopt;
}

int run(const Command& self, const Args& args) {
  const auto agent_path = args.get("agent");
  if (!agent_path) return usage_error(self, "--agent AGENT.json is required");
  if (args.has("in") == args.has("caller")) return usage_error(self, "give exactly one of --in CALLER.wav or --caller CALLER.txt");
  if (args.has("fast") && args.has("realtime")) return usage_error(self, "--fast and --realtime exclude each other");
  auto line = LineProfile::parse(args.get_or("line", "pstn"));
  if (!line) return usage_error(self, "--line: " + line.error().message());

  auto config = AgentConfig::load(*agent_path);
  if (!config) return fail(self, config.error());
  auto registry = make_registry(args);
  if (!registry) return fail(self, registry.error());
  auto providers = make_agent_providers(**registry, *config);
  if (!providers) return fail(self, providers.error());

  const auto needs_real_time = real_time_provider(*providers);
  if (args.has("fast") && needs_real_time)
    return fail(self, "--fast runs in virtual time, but " + *needs_real_time +
                          " talks to a network service and needs real time: drop --fast");
  const bool real_time = args.has("realtime") || needs_real_time.has_value();

  // Everything the report needs is checked before the call, not after it.
  auto prices = load_prices(*config);
  if (!prices) return fail(self, prices.error());
  auto caller = load_caller(args, **registry, line->pcm_rate_hz());
  if (!caller) return fail(self, caller.error());

  const std::string detector = config->vad.detector;
  auto probe = make_voice_detector(detector, 16000);
  if (!probe) return fail(self, "vad: " + probe.error().message());

  auto rt = Runtime::create({.threads = 0, .time = real_time ? TimeMode::real_time : TimeMode::virtual_time});
  if (!rt) return fail(self, rt.error());

  const bool quiet = args.has("quiet");
  const bool tty = isatty(STDERR_FILENO) != 0;
  CallSimulationOptions options;
  options.line = *line;
  if (!quiet) {
    options.progress = [tty](Duration processed) {
      if (tty) std::fprintf(stderr, "\rcall time processed: %6.1f s", to_ms(processed) / 1000);
    };
  }
  SessionOptions session;
  session.session_id = "run";
  session.vad_factory = [detector] { return make_voice_detector(detector, 16000).value(); };
  const auto wall_start = std::chrono::steady_clock::now();
  auto result = simulate_call(**rt, *config, *providers, std::move(caller).value(), std::move(session), options);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!quiet && tty) std::fprintf(stderr, "\n");
  if (!result) return fail(self, result.error());

  const CallCost cost = price_call(result->record, *prices);
  const Json report = make_report(*result, *prices, *line);

  if (const auto out = args.get("out")) {
    if (Status s = write_audio_file(*out, AudioFormat::pcm16(result->rate_hz, 2), result->stereo); !s)
      return fail(self, s.error());
  }
  if (const auto path = args.get("report")) {
    if (Status s = write_text_file(*path, report.dump(2) + "\n"); !s) return fail(self, s.error());
  }
  if (const auto path = args.get("chart")) {
    ChartOptions chart;
    chart.title = config->name + ": voice-to-voice latency per turn";
    if (Status s = write_text_file(*path, render_turn_waterfall_svg(result->record.turns, chart)); !s)
      return fail(self, s.error());
  }
  if (!quiet) print_summary(stdout, *config, *result, cost, real_time, wall_s, *line);
  for (const auto& p : {args.get("out"), args.get("report"), args.get("chart")})
    if (p && !quiet) std::printf("wrote %s\n", p->c_str());
  return kExitOk;
}

}  // namespace

Command run_command() {
  return {"run",
          "simulate a phone call against an agent: transcript, latency per turn, cost",
          "--agent AGENT.json (--in CALLER.wav | --caller CALLER.txt) [--out CALL.wav] [--report R.json]\n"
          "       [--chart TURNS.svg] [--fast | --realtime] [--line pstn[,loss=2%,jitter=30ms]]",
          "Plays the caller into the agent as a phone line would carry it (8 kHz mu-law\n"
          "packets through the jitter buffer by default), runs the whole session with the\n"
          "providers AGENT.json names, and prints the transcript, a per-turn latency table\n"
          "and usage with cost. --in plays a recording from the start; --caller plays a\n"
          "caller script live, reacting to the agent (docs/caller-scripts.md).\n"
          "Time: with embedded and mock providers the call runs in virtual time, as fast\n"
          "as the CPU allows and deterministically (--fast, the default for them); with a\n"
          "network provider it runs in real time (--realtime).\n"
          "Outputs: --out a stereo WAV (caller left, agent right, on the session's\n"
          "timeline), --report the JSON report (docs/run-report.md), --chart an SVG\n"
          "waterfall of each turn's latency. Files appear only when the call succeeded.",
          {{"agent", "FILE", "agent config (required; docs/configuration.md)"},
           {"in", "WAV", "caller recording (any rate; mono or downmixed)"},
           {"caller", "TXT", "caller script, played live against the agent"},
           {"out", "WAV", "write the call as a stereo WAV"},
           {"report", "JSON", "write the JSON report"},
           {"chart", "SVG", "write the per-turn latency waterfall"},
           {"fast", "", "virtual time (embedded/mock providers only)"},
           {"realtime", "", "real time, even with embedded providers"},
           {"line", "SPEC", "phone line: pstn (default), pstn-alaw, wideband, l16; ,loss=2%,jitter=30ms,delay=40ms,seed=N"},
           {"caller-voice", "V", "espeak voice of a scripted caller (default en-us+m3)"},
           {"caller-tts", "NAME", "text-to-speech provider of a scripted caller (default espeak)"},
           {"quiet", "", "print nothing but errors"},
           {"plugin", "LIB", "load a provider plugin first (repeatable)", true}},
          &run,
          0,
          0};
}

}  // namespace loqui::cli
