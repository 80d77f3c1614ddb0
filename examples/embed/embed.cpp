// SPDX-License-Identifier: Apache-2.0
// File: loqui inside your own telephony stack. Your RTP/SIP code receives caller
// audio and sends agent audio; loqui runs everything between. Here a WAV file
// stands in for the caller and agent audio is only counted.
// Usage: loqui_embed_example AGENT.json CALLER.wav
#include <chrono>
#include <cstdio>
#include <thread>

#include "loqui/loqui.hpp"

struct Transport final : loqui::AgentAudioSink {  // your RTP sender
  void on_agent_audio(const loqui::AudioFrame& audio, loqui::TimePoint) override { samples += audio.sample_count(); }
  void on_clear() override { std::puts("  (barge-in: flush the send queue)"); }
  std::size_t samples = 0;
};

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: %s AGENT.json CALLER.wav\n", argv[0]), 2;
  auto runtime = loqui::Runtime::create({.threads = 1}).value();  // one event loop thread, real time
  loqui::Registry registry;
  loqui::register_builtin_providers(registry);
  auto config = loqui::AgentConfig::load(argv[1]);
  auto caller = loqui::read_audio_file(argv[2], {.mono = true});
  if (!config || !caller) return std::fprintf(stderr, "%s\n", (!config ? config.error() : caller.error()).message().c_str()), 1;
  auto providers = loqui::make_agent_providers(registry, *config);
  if (!providers) return std::fprintf(stderr, "%s\n", providers.error().message().c_str()), 1;

  Transport transport;
  auto session = loqui::Session::create(*runtime, *config, *providers,
      {.audio_sink = &transport, .vad_factory = [] { return loqui::make_voice_detector("loqui", 16000).value(); },
       .session_id = "call-1", .caller_sample_rate_hz = caller->audio.format.sample_rate_hz}).value();
  auto subscription = session->subscribe([](const loqui::SessionEvent& e) {
    if (auto* t = std::get_if<loqui::TranscriptReceived>(&e); t && t->transcript.is_final && !t->transcript.text.empty())
      std::printf("caller: %s\n", t->transcript.text.c_str());
    if (auto* a = std::get_if<loqui::AgentText>(&e)) std::printf("agent:  %s\n", a->text.c_str());
  });
  (void)session->start();
  const auto& pcm = caller->audio.samples;  // feed 20 ms frames as your RTP receiver would
  const std::size_t frame = static_cast<std::size_t>(caller->audio.format.sample_rate_hz / 50);
  for (std::size_t at = 0; at + frame <= pcm.size(); at += frame) {
    (void)session->push_audio(loqui::AudioFrame::view(caller->audio.format, std::span(pcm).subspan(at, frame)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  session->stop("caller_hangup");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::printf("agent audio: %.1f s\n%s\n", static_cast<double>(transport.samples) / 16000,
              loqui::to_json(session->call_record()).dump(2).c_str());
}
