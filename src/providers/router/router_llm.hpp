// SPDX-License-Identifier: Apache-2.0
// File: the `router` LanguageModel: a quick route in front of a real LLM. Caller
// messages that are only a greeting, a thank-you, a goodbye or a frequent question
// are answered from templates (no LLM latency, no tokens); everything else goes,
// unchanged, to the LLM configured under "llm". Format and rule: docs/providers/router.md.
//
// Config: {"provider": "router", "routes": "routes/front_desk.json" | {inline},
//          "llm": {any LLM provider config}, "variables": {...}, "word_interval_ms": 2}.
//
// A routes document reuses the flow syntax (docs/flows.md): each route is an intent
// (`phrases`, `$yes`/`$no`, fuzzy matching) with a `say` template and optionally
// `end` or `handoff`, as in flow states.
//
// The matching rule (match_route): the caller's words are normalised; every route
// whose phrases occur covers the words they match; the message is routed only when
// at most `max_extra_words` (default 0) of its words are covered by no route and
// are not filler words (articles, pronouns, auxiliaries, prepositions, "please",
// "um" ...). Then the first matching route in document order answers. So "thanks,
// bye" is routed, "hi, I'd like to move my appointment to Tuesday" is not.
//
// Attribution: a routed answer starts with on_provider("router"), reports zero
// tokens and finishes like any generation; a delegated one starts with
// on_provider(<the LLM's name>) unless the LLM names itself (a Fallback does), so
// the turn metrics say which one answered.
//
// Thread safety: the provider is immutable and shared; sessions are strand-confined.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "providers/flow/flow_engine.hpp"

namespace loqui {

class Registry;

namespace detail {

/// One route: the flow intent syntax plus a reserved action.
struct RouterRoute {
  std::string name;
  std::vector<std::string> phrases;                  ///< as written ($yes/$no expanded)
  std::vector<std::vector<std::string>> normalized;  ///< normalised phrases
  std::string say;                                   ///< template
  FlowToolCall action;  ///< end_call ("end") or transfer_to_human ("handoff"); empty name = none
};

/// A loaded routes document.
struct RouteTable {
  std::string origin;  ///< file path or config path, for messages
  std::string name;
  std::string greeting;  ///< template for the opening request ("" = the LLM greets)
  std::vector<RouterRoute> routes;
  std::map<std::string, std::string> variables;  ///< the document's, then the host's
  bool fuzzy = true;
  int max_extra_words = 0;
  std::set<std::string> filler_words;  ///< built-in list plus the document's "filler_words"
};

/// The filler words that never count against a route (normalised).
const std::set<std::string>& default_filler_words();

struct RouteLoadOptions {
  /// Variables the host provides (agent variables, then the config's "variables").
  std::map<std::string, std::string> variables;
  /// Tools the agent declared; when set, a route's `end`/`handoff` tool must be in it.
  std::optional<std::set<std::string>> host_tools;
};

/// Parses and validates a routes document. Errors: errc::invalid_config with
/// `origin` and the JSON path of every problem at once ("routes[1].say: unknown
/// variable {clinc} (variables: ...; and user)").
Result<std::shared_ptr<const RouteTable>> load_routes(const Json& doc, std::string origin,
                                                      const RouteLoadOptions& options = {});

/// The decision for one caller message.
struct RouteDecision {
  const RouterRoute* route = nullptr;  ///< the answering route; null = delegate
  const RouterRoute* matched = nullptr;  ///< the first route whose phrases occur (even if not taken)
  std::vector<std::string> extra_words;  ///< words no route covers, fillers excluded
};
RouteDecision match_route(const RouteTable& table, std::string_view text);

struct RouterOptions {
  std::shared_ptr<const RouteTable> routes;
  Duration word_interval = std::chrono::milliseconds(2);  ///< between the words of a routed answer
};

/// Reads a `{"provider": "router", ...}` config except its "llm" (which the
/// factory builds through the Registry). Errors: invalid_config with paths; the
/// routes file's not_found / io_error / parse_error naming it.
Result<RouterOptions> parse_router_options(const ProviderContext& context, const Json& config, std::string_view path);

/// The router over `llm` (not null).
std::shared_ptr<LanguageModel> make_router_llm(RouterOptions options, std::shared_ptr<LanguageModel> llm);

/// Registers `router` (builtin_list.cpp calls this). Its factory builds the nested
/// "llm" with `registry`, which must outlive it (it owns the factory).
void register_router(Registry& registry);

}  // namespace detail
}  // namespace loqui
