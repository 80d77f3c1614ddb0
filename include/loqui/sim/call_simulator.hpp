// SPDX-License-Identifier: Apache-2.0
// File: a whole simulated phone call: a caller (a recording, or a caller script
// that reacts to the agent) speaks over a PhoneLine into a Session; the agent's
// audio leaves through a PlayoutQueue at real-time pace and reports playback.
// The result is the session's CallRecord plus a stereo recording of the call
// on the session's timeline (caller left, as the session heard it; agent right,
// as it was played). `loqui run` is a thin front end over simulate_call().
//
// Time: the runtime decides. Under virtual time the call runs as fast as the
// CPU allows and two runs with the same inputs give identical results; under
// real time it takes as long as the call (network providers need that).
//
// Threading: simulate_call() drives `runtime` on the calling thread, which must
// be the only thread driving it (RuntimeOptions::threads = 0).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "loqui/agent/agent_config.hpp"
#include "loqui/agent/call_record.hpp"
#include "loqui/agent/session.hpp"
#include "loqui/audio/jitter_buffer.hpp"
#include "loqui/sim/caller_script.hpp"
#include "loqui/sim/phone_line.hpp"

namespace loqui {

/// One caller utterance of a script, rendered to PCM at the line's rate
/// (segments joined with their pauses).
struct RenderedStep {
  CallerStep step;
  std::vector<std::int16_t> pcm;
};

/// Who calls: a recording played from the start (`recording`), or a script
/// whose lines fire on their cues (`script`). Both at LineProfile::pcm_rate_hz().
struct SimulatedCaller {
  std::vector<std::int16_t> recording;
  std::vector<RenderedStep> script;
  bool scripted() const noexcept { return !script.empty(); }
};

struct CallSimulationOptions {
  LineProfile line;
  int session_rate_hz = 16000;  ///< agent audio out and the recording (the caller enters at the line's rate)
  Duration max_duration = std::chrono::minutes(15);
  /// Hang up once the caller has nothing left to say and the agent has been
  /// silent this long.
  Duration hangup_after = std::chrono::seconds(4);
  /// A reply cue waits for the agent to answer; after this long without agent
  /// speech the caller speaks anyway.
  Duration reply_timeout = std::chrono::seconds(10);
  /// Agent silence that ends an agent "speaking" stretch for the cues.
  Duration agent_pause = std::chrono::milliseconds(400);
  /// Called about once per simulated second with the call time processed.
  std::function<void(Duration)> progress;
  /// Every session event, as it happens (on the driving thread).
  std::function<void(const SessionEvent&)> on_event;
};

struct CallSimulationResult {
  CallRecord record;
  int rate_hz = 16000;
  std::vector<std::int16_t> stereo;  ///< interleaved: caller left, agent right
  JitterStats line_stats;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_dropped = 0;
  std::vector<Error> errors;  ///< ErrorEvents the session reported (the call went on)
  Duration duration() const noexcept;
};

/// Runs one call to its end (the caller hangs up, the session ends it, or
/// max_duration). Errors: invalid_argument (no caller audio), the session's
/// create/start errors (providers that cannot open, format mismatch).
Result<CallSimulationResult> simulate_call(Runtime& runtime, const AgentConfig& config,
                                           const AgentProviders& providers, SimulatedCaller caller,
                                           SessionOptions session_options, const CallSimulationOptions& options);

}  // namespace loqui
