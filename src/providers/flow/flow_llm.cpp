// SPDX-License-Identifier: Apache-2.0
// File: the `flow` LanguageModel (see flow_llm.hpp): config, sessions that stream
// the dialog engine's answers on the strand, registration.
#include "providers/flow/flow_llm.hpp"

#include <filesystem>

#include "common/log.hpp"
#include "loqui/config.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/flow/answer_stream.hpp"

namespace loqui::detail {
namespace {

constexpr std::string_view kName = "flow";

class FlowSession final : public LlmSession {
 public:
  FlowSession(std::shared_ptr<const FlowOptions> options, const SessionContext& session)
      : options_(std::move(options)),
        dialog_(options_->flow, options_->variables),
        stream_(session.strand, options_->word_interval) {}
  ~FlowSession() override { cancel(); }

  Status generate(const LlmRequest& request, LlmObserver& observer) override {
    if (stream_.busy()) return Error(errc::invalid_argument, "flow: a generation is already running").set_provider("flow");
    if (!request.tools.empty()) {
      for (const auto& tool : options_->flow->tools()) {
        const bool offered = std::any_of(request.tools.begin(), request.tools.end(),
                                         [&](const ToolSpec& t) { return t.name == tool; });
        if (!offered) {
          std::string list;
          for (const auto& t : request.tools) list += (list.empty() ? "" : ", ") + t.name;
          return Error(errc::not_found, "flow '" + options_->flow->name + "' calls tool '" + tool +
                                            "', which the host did not register (tools: " + list + ")")
              .set_provider("flow");
        }
      }
    }
    FlowOutput out = dialog_.respond(request.messages);
    PreparedAnswer answer{.provider = {},
                          .text = std::move(out.text), .tool_call = std::move(out.tool_call),
                          .hints = std::move(out.hints), .usage = {}};
    for (const auto& m : request.messages) answer.usage.input_tokens += count_words(m.content);
    answer.usage.output_tokens = count_words(answer.text);
    stream_.start(std::move(answer), observer);
    return ok_status();
  }

  void cancel() noexcept override { stream_.cancel(); }
  bool busy() const noexcept override { return stream_.busy(); }

 private:
  std::shared_ptr<const FlowOptions> options_;
  FlowDialog dialog_;
  AnswerStream stream_;
};

class FlowModel final : public LanguageModel {
 public:
  explicit FlowModel(FlowOptions options) : options_(std::make_shared<const FlowOptions>(std::move(options))) {
    info_.kind = ProviderKind::llm;
    info_.name = std::string(kName);
    info_.description = "flow dialog engine '" + options_->flow->name + "' (" + options_->flow->origin + ")";
    capabilities_.tool_calling = true;
    capabilities_.reports_usage = true;
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const LlmCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<LlmSession>> open(const SessionContext& session) override {
    if (!session.strand) return Error(errc::invalid_argument, "flow: session has no strand").set_provider("flow");
    return std::unique_ptr<LlmSession>(new FlowSession(options_, session));
  }

 private:
  std::shared_ptr<const FlowOptions> options_;
  ProviderInfo info_;
  LlmCapabilities capabilities_;
};

// The agent document's `agent.variables` (as text) and declared tool names.
void read_agent(const Json* agent, std::map<std::string, std::string>& variables,
                std::optional<std::set<std::string>>& tools) {
  if (!agent) return;
  const Json* a = agent->find("agent");
  if (!a) return;
  if (const Json* vars = a->find("variables"); vars && vars->is_object()) {
    for (const auto& m : vars->as_object()) variables[m.key] = m.value.is_string() ? m.value.as_string() : m.value.dump();
  }
  if (const Json* list = a->find("tools"); list && list->is_array()) {
    tools.emplace();
    for (const auto& t : list->as_array()) {
      if (t.is_string()) tools->insert(t.as_string());
      if (const Json* name = t.find("name"); name && name->is_string()) tools->insert(name->as_string());
    }
  }
}

}  // namespace

void read_variables(ConfigReader& r, std::map<std::string, std::string>& variables) {
  const Json* vars = r.get_raw("variables");
  if (!vars) return;
  if (!vars->is_object()) {
    r.error_at("variables", "expected an object of name: text, found " + vars->describe());
    return;
  }
  for (const auto& m : vars->as_object()) {
    if (m.value.is_string()) {
      variables[m.key] = m.value.as_string();
    } else {
      r.error_at("variables", m.key + ": expected a string, found " + m.value.describe());
    }
  }
}

Result<ConfigDocument> load_config_document(const ProviderContext& context, const Json& node, const std::string& path,
                                            std::string_view what) {
  if (node.is_string()) {
    std::filesystem::path file(node.as_string());
    std::error_code ec;
    if (!file.is_absolute() && !context.base_dir.empty() && std::filesystem::exists(context.base_dir / file, ec)) {
      file = context.base_dir / file;
    }
    auto parsed = Json::parse_file(file);
    if (!parsed) return std::move(parsed).error().add_context(path);
    return ConfigDocument{std::move(*parsed), file.string()};
  }
  if (node.is_object()) return ConfigDocument{node, path};
  return Error(errc::invalid_config, path + ": expected a " + std::string(what) + " file path or an inline " +
                                         std::string(what) + " object, found " + node.describe());
}

TemplateHostOptions read_template_host_options(const ProviderContext& context, ConfigReader& r) {
  TemplateHostOptions o;
  read_agent(context.agent, o.variables, o.host_tools);
  read_variables(r, o.variables);
  o.word_interval = std::chrono::milliseconds(r.get_int("word_interval_ms", 2, {.min = 0, .max = 10'000}));
  return o;
}

Result<FlowOptions> parse_flow_options(const ProviderContext& context, const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  TemplateHostOptions host = read_template_host_options(context, r);
  FlowOptions o;
  o.word_interval = host.word_interval;
  FlowLoadOptions load{.variables = std::move(host.variables), .host_tools = std::move(host.host_tools)};
  const Json* flow = r.get_raw("flow");
  std::string flow_path = r.path_of("flow");
  if (!flow && context.agent) {
    flow = context.agent->find("flow");
    flow_path = "flow";
  }
  if (!flow) r.error_at("flow", "missing required key (a flow file path or an inline flow object)");
  LOQUI_TRY(r.finish());

  auto doc = load_config_document(context, *flow, flow_path, "flow");
  if (!doc) return std::move(doc).error().set_provider("flow");
  auto def = load_flow(doc->doc, doc->origin, load);
  if (!def) return std::move(def).error().set_provider("flow");
  o.flow = std::move(*def);
  o.variables = std::move(load.variables);
  return o;
}

std::shared_ptr<LanguageModel> make_flow_llm(FlowOptions options) {
  return std::make_shared<FlowModel>(std::move(options));
}

void register_flow(Registry& registry) {
  Status s = registry.add_llm(
      std::string(kName), "embedded dialog engine: a JSON state machine with intents, slots, tools and handoff",
      [](const ProviderContext& context, const Json& config,
         std::string_view path) -> Result<std::shared_ptr<LanguageModel>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, parse_flow_options(context, config, path));
        return make_flow_llm(std::move(options));
      },
      LlmCapabilities{.tool_calling = true, .reports_usage = true});
  if (!s) LOQUI_LOG_ERROR("registry", "cannot register flow: {}", s.error().to_string());
}

}  // namespace loqui::detail
