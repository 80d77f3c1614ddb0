// SPDX-License-Identifier: Apache-2.0
// File: the `flow` dialog engine: a flow file (a small JSON state machine, format in
// docs/flows.md) loaded and validated into a FlowDefinition, and FlowDialog, one
// call's position in it. FlowDialog::respond() reads the conversation so far (the
// caller's last message, or the result of the tool the flow asked for) and says
// what the agent answers: text, at most one tool call, and recognition hints for
// what the caller is expected to say next.
//
// The LanguageModel wrapper (flow_llm.hpp) streams that answer on the strand;
// everything here is synchronous and deterministic, so whole conversations are
// tested directly.
//
// Thread safety: a FlowDefinition is immutable and shared; a FlowDialog is
// confined to one call (one LlmSession).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loqui/config.hpp"
#include "loqui/provider/llm.hpp"
#include "providers/flow/flow_text.hpp"

namespace loqui::detail {

enum class SlotType : std::uint8_t { date, time, number, phone, name, yes_no, choice, text };

struct FlowSlot {
  std::string name;
  SlotType type = SlotType::text;
  std::string prompt;                 ///< asked when this slot is the one missing
  std::vector<ChoiceOption> options;  ///< choice slots
};

/// What happens when an intent matches or a tool result arrives.
struct FlowTransition {
  std::string say;                                       ///< template said before moving
  std::string target;                                    ///< "goto": next state ("" = stay)
  std::vector<std::string> clear;                        ///< slots forgotten
  std::vector<std::pair<std::string, std::string>> set;  ///< variables set (templates)
};

struct FlowIntent {
  std::string name;
  std::vector<std::string> phrases;               ///< as written ($yes/$no expanded)
  std::vector<std::vector<std::string>> normalized;
  /// Whole sentences a caller might say for this intent (recognition hints only;
  /// matching uses `phrases`).
  std::vector<std::string> hints;
  FlowTransition then;
};

struct FlowResultBranch {
  Json when = Json::object();  ///< result fields that must match; {} = always
  FlowTransition then;
};

/// A tool the state calls on entry (also handoff and end, as reserved tools).
struct FlowToolCall {
  std::string name;
  Json arguments = Json::object();  ///< string values are templates
};

struct FlowState {
  std::string name;
  std::string say;
  std::vector<std::string> collect;  ///< slots to fill here
  std::string next;                  ///< after collect / tool result / straight on
  std::vector<FlowIntent> intents;
  std::string fallback;
  std::optional<FlowToolCall> tool;  ///< tool, handoff (transfer_to_human) or end (end_call)
  std::vector<FlowResultBranch> on_result;
  std::vector<std::string> hints;
};

struct FlowDefinition {
  std::string origin;  ///< file path or "inline flow", for messages
  std::string name;
  std::string start;
  std::map<std::string, std::string> variables;
  std::map<std::string, FlowSlot> slots;
  std::vector<FlowIntent> intents;  ///< global: checked in every state
  std::map<std::string, FlowState> states;
  std::string fallback = "Sorry, I didn't catch that.";
  int max_retries = 2;
  std::string on_retries_exhausted;  ///< state entered after max_retries misses ("" = keep asking)
  bool fuzzy = true;
  std::optional<CivilDate> today;  ///< fixed reference date (tests); default: today in UTC

  /// Tools the flow calls (excluding the reserved ones), for host checks.
  std::set<std::string> tools() const;
};

struct FlowLoadOptions {
  /// Variables the host provides (agent variables); templates may use them.
  std::map<std::string, std::string> variables;
  /// Tools the host declared; when set, every tool the flow calls must be in it.
  std::optional<std::set<std::string>> host_tools;
};

/// Parses and validates a flow document. `origin` names it in messages. Errors:
/// errc::invalid_config "<origin>: states.ask_day.intents[0].goto: unknown state
/// 'confirmm' (states: ...)"; every problem at once.
Result<std::shared_ptr<const FlowDefinition>> load_flow(const Json& doc, std::string origin,
                                                        const FlowLoadOptions& options = {});

// ------------------------------------------------------------------ shared pieces
// The parts of the flow syntax other providers reuse (the `router` LanguageModel
// reads intents with the same phrases, templates and reserved actions).

/// Reads the "phrases" list of an intent-like object into `phrases` (as written,
/// "$yes"/"$no" expanded) and `normalized`; phrases that normalise to nothing are
/// dropped. Records "an intent needs at least one phrase" when none remain.
void read_phrases(ConfigReader& r, std::vector<std::string>& phrases, std::vector<std::vector<std::string>>& normalized);

/// Reads the reserved action `key` of `parent`: "handoff" ({reason, urgency}) as a
/// transfer_to_human call, "end" (true or a reason text) as an end_call call. An
/// absent key or `"end": false` gives a call with an empty name. The handoff reason
/// (a template) is appended to `templates` as (path, text) for checking.
FlowToolCall read_reserved_tool(ConfigReader& parent, std::string_view key,
                                std::vector<std::pair<std::string, std::string>>& templates);

/// The {name} placeholders of a template, in order.
std::vector<std::string> template_placeholders(std::string_view text);

/// A template variable's value, or nullopt for an unknown name (rendered as "").
using TemplateLookup = std::function<std::optional<Json>(std::string_view name)>;
/// `text` with every {name} replaced by its value (strings as they are, other JSON
/// values as JSON text).
std::string render_template(std::string_view text, const TemplateLookup& lookup);
/// `value` with every string rendered; a string that is one lone "{name}" becomes
/// the value itself, keeping its JSON type (numbers stay numbers).
Json render_template_json(const Json& value, const TemplateLookup& lookup);

/// One answer of the flow.
struct FlowOutput {
  std::string text;
  std::optional<ToolCall> tool_call;
  RecognitionHints hints;
};

/// One call's dialog state.
class FlowDialog {
 public:
  FlowDialog(std::shared_ptr<const FlowDefinition> flow, std::map<std::string, std::string> variables);

  /// Answers the conversation `messages` (only the last non-system message is new
  /// to the dialog: a user message, or the tool result for the call the flow made).
  FlowOutput respond(const std::vector<ChatMessage>& messages);

  const std::string& state() const noexcept { return state_; }
  const std::map<std::string, SlotValue>& slots() const noexcept { return slots_; }
  /// Recognition hints for the current state.
  RecognitionHints hints() const;

 private:
  const FlowState& current() const { return flow_->states.at(state_); }
  void handle_user(const std::string& text);
  void handle_tool_result(const ChatMessage& message);
  std::map<std::string, SlotValue> extract(const std::vector<std::string>& words) const;
  void apply(const FlowTransition& t, const std::map<std::string, SlotValue>& fresh);
  void enter(std::string state);
  void no_match();
  std::string current_prompt() const;
  bool all_filled(const FlowState& s) const;
  const FlowSlot* first_missing(const FlowState& s) const;
  void say(const std::string& text_template);
  void call_tool(const FlowToolCall& tool);
  std::string render(const std::string& text) const;
  Json render_json(const Json& value) const;
  std::optional<Json> lookup(std::string_view name) const;

  std::shared_ptr<const FlowDefinition> flow_;
  std::map<std::string, std::string> variables_;
  CivilDate today_;
  std::string state_;
  bool started_ = false;
  std::map<std::string, SlotValue> slots_;
  Json result_ = Json::object();  ///< the last tool result
  std::string last_user_;
  int retries_ = 0;
  std::optional<std::string> awaiting_;  ///< tool whose result is due
  int calls_ = 0;
  FlowOutput out_;
};

}  // namespace loqui::detail
