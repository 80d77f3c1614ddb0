// SPDX-License-Identifier: Apache-2.0
// File: how many calls one core carries. Runs whole simulated calls (caller over
// a phone line -> jitter buffer -> decode -> resample -> VAD -> Session with the
// turn manager -> playout) with mock providers under virtual time, so the
// process CPU time is loqui's own work for the media path and the turn logic
// (providers' network time is not CPU). Prints CPU per call-second, calls per
// core, and allocations per 20 ms frame in the steady state of the call.
//
// Usage: call_capacity_bench [call_seconds]   (default 120)
#include <ctime>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "loqui/agent/session.hpp"
#include "loqui/audio/vad.hpp"
#include "loqui/provider/registry.hpp"
#include "loqui/sim/call_simulator.hpp"
#include "support/dsp_signals.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

constexpr const char* kAgent = R"({
  "agent": {"name": "capacity", "greeting": "Thanks for calling, how can I help?"},
  "stt": {"provider": "mock", "default_text": "I would like to book an appointment tomorrow at ten",
          "endpointing_ms": 300, "final_latency_ms": 150},
  "llm": {"provider": "mock", "first_token_ms": 200, "tokens_per_s": 60,
          "default_reply": "Sure. Tomorrow at ten is free. Shall I book it for you?"},
  "tts": {"provider": "mock", "first_audio_ms": 80}
})";

struct Row {
  std::string line;
  double call_s = 0, cpu_s = 0;
  std::uint64_t allocs = 0;
  std::size_t turns = 0;
};

Row run(const std::string& line_spec, double call_seconds, loqui::Registry& registry) {
  auto config = loqui::AgentConfig::parse(loqui::Json::parse(kAgent).value(), ".").value();
  auto providers = loqui::make_agent_providers(registry, config).value();
  auto line = loqui::LineProfile::parse(line_spec).value();
  // The caller: 2 s of speech-like sound, then 5 s for the agent, repeated.
  loqui::SimulatedCaller caller;
  const int rate = line.pcm_rate_hz();
  const auto speech = loqui::testing::speechlike(rate, 2.0);
  while (static_cast<double>(caller.recording.size()) / rate < call_seconds) {
    caller.recording.insert(caller.recording.end(), static_cast<std::size_t>(rate) * 5, std::int16_t{0});
    caller.recording.insert(caller.recording.end(), speech.begin(), speech.end());
  }
  auto rt = loqui::Runtime::create({.threads = 0, .time = loqui::TimeMode::virtual_time}).value();
  loqui::SessionOptions session;
  session.vad_factory = [] { return loqui::make_voice_detector("loqui", 16000).value(); };
  loqui::CallSimulationOptions options;
  options.line = line;
  const auto allocs0 = loqui::bench::allocations();
  const double cpu0 = cpu_seconds();
  auto result = loqui::simulate_call(*rt, config, providers, std::move(caller), std::move(session), options);
  const double cpu1 = cpu_seconds();
  if (!result) {
    std::fprintf(stderr, "call failed: %s\n", result.error().message().c_str());
    std::exit(1);
  }
  return {line.name, loqui::to_ms(result->record.duration()) / 1000, cpu1 - cpu0,
          loqui::bench::allocations() - allocs0, result->record.turns.size()};
}

}  // namespace

int main(int argc, char** argv) {
  const double call_seconds = argc > 1 ? std::atof(argv[1]) : 120.0;
  loqui::Registry registry;
  loqui::register_builtin_providers(registry);
  fmt::print("whole calls with mock providers under virtual time: loqui's own CPU per call\n");
  fmt::print("{:<10} {:>8} {:>6} {:>10} {:>14} {:>14} {:>14}\n", "line", "call_s", "turns", "cpu_ms",
             "cpu_us/call_s", "calls/core", "allocs/frame");
  for (const char* line : {"l16", "pstn", "pstn,loss=3%,jitter=30ms", "wideband"}) {
    run(line, 10, registry);  // warm-up: caches, lazily built tables
    const Row r = run(line, call_seconds, registry);
    const double frames = r.call_s * 50;
    fmt::print("{:<10} {:>8.1f} {:>6} {:>10.1f} {:>14.1f} {:>14.0f} {:>14.2f}\n", std::string(line).substr(0, 10),
               r.call_s, r.turns, r.cpu_s * 1000, r.cpu_s / r.call_s * 1e6, r.call_s / r.cpu_s,
               static_cast<double>(r.allocs) / frames);
  }
  fmt::print("\ncalls/core = call seconds per CPU second: how many such calls one core could\n"
             "carry concurrently (media path + turn manager + simulated transport; no network).\n"
             "The simulated caller's encoder runs in the same process: for wideband its Opus\n"
             "encoding is most of the figure, and is not loqui's cost on a real line.\n");
}
