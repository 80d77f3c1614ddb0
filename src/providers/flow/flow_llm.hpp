// SPDX-License-Identifier: Apache-2.0
// File: the `flow` LanguageModel: the deterministic dialog engine of
// flow_engine.hpp behind the LanguageModel interface, the offline default "LLM".
//
// Config: {"provider": "flow", "flow": "flows/clinic.json" | {inline flow},
//          "variables": {...}, "word_interval_ms": 2}. Without "flow" the agent
// document's top-level "flow" is used. A relative path is resolved against
// ProviderContext::base_dir (the agent file's directory) when the file exists
// there, else against the working directory.
//
// Each LlmSession keeps one call's FlowDialog. A generation streams the answer
// word by word (on_text), then the tool call if the state makes one
// (transfer_to_human for a handoff, end_call at the end), then the recognition
// hints of the new state, usage, and on_done (tool_calls or stop). All on the
// session strand through strand timers, so it runs under virtual time.
//
// Thread safety: the provider is immutable and shared; sessions are strand-confined.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "loqui/provider/llm.hpp"
#include "providers/flow/flow_engine.hpp"

namespace loqui {

class Registry;

namespace detail {

struct FlowOptions {
  std::shared_ptr<const FlowDefinition> flow;
  std::map<std::string, std::string> variables;  ///< agent variables, then config "variables"
  Duration word_interval = std::chrono::milliseconds(2);  ///< between streamed words
};

/// A JSON document a provider config names ("flow", "routes"): its content and
/// origin (the file path, or the config path of an inline object) for messages.
struct ConfigDocument {
  Json doc;
  std::string origin;
};
/// Loads `node` (at config path `path`): a file path, resolved against
/// ProviderContext::base_dir when the file exists there, else the working
/// directory; or an inline object. `what` names the document in messages
/// ("flow"). Errors: not_found / io_error / parse_error naming the file and
/// `path`, invalid_config for another JSON type.
Result<ConfigDocument> load_config_document(const ProviderContext& context, const Json& node, const std::string& path,
                                            std::string_view what);

/// What the template providers (`flow`, `router`) take from the host alike.
struct TemplateHostOptions {
  /// The agent document's `agent.variables` (as text), then the config's "variables".
  std::map<std::string, std::string> variables;
  /// The tool names of `agent.tools`; unset when the agent declares none.
  std::optional<std::set<std::string>> host_tools;
  /// "word_interval_ms" (default 2): between the streamed words of an answer.
  Duration word_interval = std::chrono::milliseconds(2);
};
/// Reads them from the agent document and the config `r` (errors go to `r`).
TemplateHostOptions read_template_host_options(const ProviderContext& context, ConfigReader& r);

/// A document's "variables" ({name: text}) into `variables` (overriding).
void read_variables(ConfigReader& r, std::map<std::string, std::string>& variables);

/// Reads a `{"provider": "flow", ...}` config, loading and validating the flow
/// file. Errors: invalid_config with the config path or the flow file's path,
/// not_found / io_error / parse_error naming the flow file.
Result<FlowOptions> parse_flow_options(const ProviderContext& context, const Json& config, std::string_view path);
std::shared_ptr<LanguageModel> make_flow_llm(FlowOptions options);

/// Registers `flow` (builtin_list.cpp calls this).
void register_flow(Registry& registry);

}  // namespace detail
}  // namespace loqui
