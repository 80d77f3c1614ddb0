// SPDX-License-Identifier: Apache-2.0
// File: a virtual-time runtime with one session strand, plus helpers to feed
// synthetic speech to an STT stream and build LLM requests, for provider tests.
#pragma once

#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"

namespace loqui::testing {

/// Milliseconds since the virtual epoch.
inline TimePoint at_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

/// A virtual-time Runtime and one session strand.
struct VirtualSession {
  std::unique_ptr<Runtime> rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  std::shared_ptr<Strand> strand = rt->make_strand("call");
  SessionContext ctx{.strand = strand, .session_id = "s1"};

  void advance(Duration d) { (void)rt->advance_by(d); }
  void advance_to(TimePoint t) { (void)rt->advance_to(t); }
  /// Runs everything pending (at most a minute of virtual time ahead).
  void run_until_quiet() { (void)rt->run_until_quiet(rt->now() + std::chrono::minutes(1)); }
};

/// Sends 20 ms pcm16 frames to `stream`: `speech` of a 300 Hz tone, then
/// `silence`, each at its real position in time (virtual time advances 20 ms per
/// frame). Stops at the first frame the stream refuses and returns that status.
inline Status feed(VirtualSession& s, SttStream& stream, Duration speech, Duration silence, int rate = 16000) {
  const AudioFormat fmt = AudioFormat::pcm16(rate);
  const std::int64_t n = fmt.samples_in(std::chrono::milliseconds(20));
  std::vector<std::int16_t> buf(static_cast<std::size_t>(n));
  std::int64_t phase = 0;
  for (Duration t{}; t < speech + silence; t += std::chrono::milliseconds(20)) {
    for (std::int64_t i = 0; i < n; ++i) {
      buf[static_cast<std::size_t>(i)] =
          t < speech ? static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * 300 * static_cast<double>(phase + i) / rate))
                     : std::int16_t{0};
    }
    phase += n;
    if (Status st = stream.send_audio(AudioFrame::view(fmt, buf)); !st) return st;
    s.advance(std::chrono::milliseconds(20));
  }
  return ok_status();
}

/// A request with a system prompt and one user message.
inline LlmRequest user_says(std::string text) {
  LlmRequest r;
  r.messages.push_back({.role = Role::system, .content = "You are a test."});
  r.messages.push_back({.role = Role::user, .content = std::move(text)});
  return r;
}

}  // namespace loqui::testing
