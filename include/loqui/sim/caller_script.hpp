// SPDX-License-Identifier: Apache-2.0
// File: the caller-script format: a simulated caller's lines, pauses and reactive
// cues timed against the agent (docs/caller-scripts.md). Parsed here; spoken by
// `loqui script` (non-reactive parts to a WAV) and `loqui run --caller` (live).
//
//   # a booking call
//   Hi, I'd like to book an appointment.
//   Next Tuesday [pause 0.8s] at three in the afternoon.
//   [when agent speaks, after 1.2s] wait, stop, I have a question
//   [when agent stops, after 0.3s] yes please
//   [pause 2s]
//   Thanks, bye.
//
// Thread safety: value types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

/// A piece of one utterance; `pause_after` is silence inside the utterance (a
/// mid-sentence pause written as `[pause 0.8s]` within a line).
struct CallerSegment {
  std::string text;
  Duration pause_after{};
};

struct CallerStep {
  enum class Kind : std::uint8_t { say, pause };
  /// When a `say` step starts:
  ///  * reply        — a plain line: after the agent's next turn ends (agent stops
  ///                   speaking), plus `delay` (default 0.6 s); if the previous step
  ///                   was a pause, right after it instead;
  ///  * agent_speaks — `delay` after the agent starts speaking (barge-in, backchannel);
  ///  * agent_stops  — `delay` after the agent stops speaking.
  enum class Trigger : std::uint8_t { reply, agent_speaks, agent_stops };

  Kind kind = Kind::say;
  Trigger trigger = Trigger::reply;
  Duration delay{};                     ///< pause length, or delay after the trigger
  std::vector<CallerSegment> segments;  ///< say: the utterance
  int line = 0;                         ///< 1-based line in the script

  /// The utterance's text without pause markers.
  std::string text() const;
};

struct CallerScript {
  std::vector<CallerStep> steps;

  /// Parses script text. `source` names the file in errors:
  /// "booking.txt:4: unknown cue '[whne agent speaks]' (expected [pause 1.5s],
  /// [when agent speaks, after 1.2s] TEXT or [when agent stops, after 0.3s] TEXT)".
  static Result<CallerScript> parse(std::string_view text, std::string_view source = "script");
  static Result<CallerScript> parse_file(const std::string& path);
};

/// Default delay of a plain reply line after the agent stops speaking.
/// "1.5s", "1.5 s", "800ms", "2" (seconds); nullopt if malformed or over an hour.
std::optional<Duration> parse_duration(std::string_view text);

inline constexpr Duration kDefaultReplyDelay = std::chrono::milliseconds(600);

}  // namespace loqui
