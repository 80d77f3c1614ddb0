// SPDX-License-Identifier: Apache-2.0
// File: the agent document (ARCHITECTURE.md section 8) parsed into AgentConfig, and
// the providers it names built through a Registry.
//
// One JSON document describes an agent; the CLI, `loqui serve` and embedding hosts
// all read the same shape (docs/turn-manager.md lists every key). Unknown keys are
// errors naming their path, so a typo never silently changes behaviour:
//
//   turn.endpointing_ms.mx: unknown key (known keys: min, max)
//
// The stt/llm/tts sections are provider configs ({"provider": name, ...}) kept as
// JSON and validated by the provider's own factory when make_agent_providers()
// builds them.
//
// Thread safety: value types; make_agent_providers() may be called from any thread
// once the Registry is set up.
//
// @code
//   auto doc = loqui::Json::parse_file("agents/clinic.json");
//   auto cfg = loqui::AgentConfig::parse(*doc, "agents");
//   if (!cfg) { std::cerr << cfg.error().message() << "\n"; return 1; }
//   loqui::Registry registry;
//   loqui::register_builtin_providers(registry);
//   auto providers = loqui::make_agent_providers(registry, *cfg, runtime.get());
// @endcode
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loqui/audio/vad.hpp"
#include "loqui/error.hpp"
#include "loqui/json.hpp"
#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"
#include "loqui/provider/tts.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

class Registry;
class Runtime;

/// A tool declared in the agent file with canned results, so example agents run
/// offline: {"name", "description", "parameters", "result" | "results", "latency_ms"}.
/// With "results" (an array) each call returns the next entry; the last repeats.
struct SimulatedTool {
  ToolSpec spec;
  std::vector<Json> results;   ///< at least one
  Duration latency{};          ///< simulated execution time (on the session clock)
};

/// Turn-taking parameters ("turn" section).
struct TurnConfig {
  /// Silence after the caller's last speech before the turn ends: `min` when the
  /// transcript looks finished ("... on Tuesday."), `max` when it clearly is not
  /// ("... and", "um"), halfway between otherwise.
  Duration endpointing_min = std::chrono::milliseconds(300);
  Duration endpointing_max = std::chrono::milliseconds(1500);
  /// Barge-in: the caller must speak this long ...
  Duration interruption_min_duration = std::chrono::milliseconds(300);
  /// ... and say this many words that are not backchannels (0 = duration alone).
  int interruption_min_words = 1;
  /// Words that never interrupt the agent ("uh-huh", "yeah" ...), lower case.
  std::vector<std::string> backchannels = {"uh-huh", "uh huh", "mm-hmm", "mhm", "mm", "yeah", "yes",
                                           "okay", "ok", "right", "sure", "yep", "uh", "um", "hmm"};
  /// An interruption whose speech brought no words is false: the agent says the rest,
  /// if the speech ended no longer ago than this (STT finals arriving later count).
  Duration false_interruption_timeout = std::chrono::milliseconds(1000);
  bool preemptive_generation = false;
  /// Silence after the agent spoke before a re-prompt; 0 = never.
  Duration idle_reprompt = std::chrono::seconds(8);
  /// Re-prompts before the agent says goodbye and ends the call.
  int idle_reprompts = 1;
  /// Whole-call limit; 0 = none.
  Duration max_call = std::chrono::seconds(900);
  /// A tool still running after this long makes the agent say a filler phrase.
  Duration tool_filler_after = std::chrono::milliseconds(1000);
  /// LLM rounds with tool calls per caller turn before the agent gives up.
  int max_tool_rounds = 4;
  /// Watchdogs: an LLM without output (token, tool call, done) for this long, or a
  /// TTS without audio for an utterance it owes, fails the turn instead of hanging.
  Duration llm_timeout = std::chrono::seconds(10);
  Duration tts_timeout = std::chrono::seconds(5);
  /// Keypad digits become a caller turn "DTMF: <digits>" for the LLM/flow, sent at
  /// the terminator or after the timeout (they interrupt the agent like speech).
  /// Off: digits are only Dtmf events.
  bool dtmf_to_llm = false;
  char dtmf_terminator = '#';
  Duration dtmf_timeout = std::chrono::milliseconds(2000);
  /// Token budget of the LLM history (estimated at 4 characters per token); the
  /// oldest turns are dropped first, tool calls with their results. 0 = unlimited.
  std::int64_t history_max_tokens = 0;
  /// Characters the first spoken chunk needs before it may end at a clause (",").
  int first_chunk_min_chars = 20;
};

/// Hand-over to a human ("handoff" section).
struct HandoffConfig {
  std::vector<std::string> phrases = {"talk to a person", "speak to a person", "talk to a human",
                                      "speak to a human", "representative", "real person", "an agent",
                                      "operator"};
  /// Consecutive turns the agent could not handle (LLM/tool failures, "I don't
  /// understand"-style fallbacks) before a handoff; 0 = off.
  int after_failed_turns = 0;
  std::vector<std::string> keywords;  ///< policy words: "complaint", "refund", "emergency"
  /// Keywords (of `keywords`) that make the handoff's urgency "emergency".
  std::vector<std::string> urgent_keywords = {"emergency", "chest pain", "can't breathe", "cannot breathe",
                                              "bleeding", "unconscious", "heart attack", "stroke",
                                              "overdose", "suicide"};
  std::string message = "Let me connect you with a colleague who can help. Please hold.";
};

struct TenantConfig {
  std::string id;
  int max_concurrent_calls = 0;  ///< 0 = unlimited
};

/// "vad" section: which detector and the segmenter's hysteresis.
struct VadSettings {
  std::string detector = "loqui";  ///< name for make_voice_detector(); hosts may ignore
  VadConfig segmenter{.threshold = 0.5f, .start_ms = 60, .start_window_ms = 100, .stop_ms = 200,
                      .min_volume_dbfs = -55.0f};
};

/// Phrases the agent says on its own ("agent" section).
struct AgentPhrases {
  std::string reprompt = "Are you still there?";
  std::string goodbye = "It seems we got disconnected. Goodbye.";
  std::string max_duration = "I'm sorry, we have reached the time limit for this call. Goodbye.";
  std::string fallback = "I'm sorry, I'm having trouble with that right now.";
  std::vector<std::string> fillers = {"One moment, please.", "Let me check that for you."};
};

/// The agent document.
struct AgentConfig {
  std::string name = "agent";
  std::string language = "en-US";
  std::string greeting;  ///< empty: the caller speaks first (unless greet_with_llm)
  /// No fixed greeting: at call start the LLM is asked for the opening line (no
  /// user message yet). A flow engine then opens in its start state and sends the
  /// recognition hints for the caller's first answer.
  bool greet_with_llm = false;
  std::string system_prompt;
  std::vector<std::pair<std::string, std::string>> variables;  ///< {name} in the prompt
  /// Tools the agent may use: names of host-registered tools (and the built-ins
  /// transfer_to_human / end_call), plus the simulated ones below.
  std::vector<std::string> tools;
  std::vector<SimulatedTool> simulated_tools;
  AgentPhrases phrases;
  /// Normalise text for speech before TTS (numbers, money, dates, times, phone
  /// numbers ...; see text_normalizer.hpp) for languages loqui has rules for.
  bool normalize_text = true;

  Json stt = Json::object({{"provider", "mock"}});  ///< provider configs, as written
  Json llm = Json::object({{"provider", "mock"}});  ///< (+ "flow": path for the flow provider)
  Json tts = Json::object({{"provider", "mock"}});
  std::string flow;  ///< resolved path of the flow file, or empty

  TurnConfig turn;
  HandoffConfig handoff;
  TenantConfig tenant;
  std::string prices_file;       ///< resolved path, or empty
  Json prices = nullptr;         ///< inline price table, or null
  VadSettings vad;

  std::filesystem::path base_dir;
  Json document = Json::object();  ///< the whole document (ProviderContext::agent)

  /// Parses and validates. Relative paths (flow, prices) resolve against
  /// `base_dir`. Errors: errc::invalid_config listing every problem with its path.
  static Result<AgentConfig> parse(const Json& document, std::string_view base_dir);
  /// Reads the file and parses it with the file's directory as base_dir.
  static Result<AgentConfig> load(const std::filesystem::path& file);

  /// The system prompt with {variable} placeholders replaced.
  std::string rendered_system_prompt() const;
  /// The provider name of a section ("mock", "openai" ...).
  static std::string provider_name(const Json& section);
};

/// The three providers a session talks to.
struct AgentProviders {
  std::shared_ptr<SpeechToText> stt;
  std::shared_ptr<LanguageModel> llm;
  std::shared_ptr<TextToSpeech> tts;
};

/// Builds the providers the config names. `runtime` (not owned; may be null) is
/// passed to factories in ProviderContext. Errors: the Registry's, naming the
/// section ("llm.provider: unknown provider 'opanai' ...").
Result<AgentProviders> make_agent_providers(Registry& registry, const AgentConfig& config,
                                            Runtime* runtime = nullptr);

}  // namespace loqui
