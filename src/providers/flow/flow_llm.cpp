// SPDX-License-Identifier: Apache-2.0
// File: the `flow` LanguageModel (see flow_llm.hpp): config, sessions that stream
// the dialog engine's answers on the strand, registration.
#include "providers/flow/flow_llm.hpp"

#include <filesystem>

#include "common/log.hpp"
#include "loqui/config.hpp"
#include "loqui/provider/registry.hpp"
#include "provider/scheduled_calls.hpp"

namespace loqui::detail {
namespace {

constexpr std::string_view kName = "flow";

// Deltas whose concatenation is `text`: each word with its leading space.
std::vector<std::string> word_deltas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] == ' ') ++j;
    while (j < text.size() && text[j] != ' ') ++j;
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::int64_t count_words(std::string_view text) { return static_cast<std::int64_t>(word_deltas(text).size()); }

class FlowSession final : public LlmSession {
 public:
  FlowSession(std::shared_ptr<const FlowOptions> options, const SessionContext& session)
      : options_(std::move(options)), dialog_(options_->flow, options_->variables), calls_(session.strand) {}
  ~FlowSession() override { cancel(); }

  Status generate(const LlmRequest& request, LlmObserver& observer) override {
    if (observer_) return Error(errc::invalid_argument, "flow: a generation is already running").set_provider("flow");
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
    deltas_ = word_deltas(out.text);
    tool_call_ = std::move(out.tool_call);
    hints_ = std::move(out.hints);
    usage_ = {};
    for (const auto& m : request.messages) usage_.input_tokens += count_words(m.content);
    usage_.output_tokens = static_cast<std::int64_t>(deltas_.size());
    next_ = 0;
    observer_ = &observer;
    calls_.after(Duration::zero(), [this] { step(); });
    return ok_status();
  }

  void cancel() noexcept override {
    observer_ = nullptr;
    calls_.clear();
  }

  bool busy() const noexcept override { return observer_ != nullptr; }

  const FlowDialog& dialog() const noexcept { return dialog_; }

 private:
  // One output per strand task: the words, the tool call, then hints, usage, done.
  void step() {
    LlmObserver* o = observer_;
    if (!o) return;
    if (next_ < deltas_.size()) {
      o->on_text(deltas_[next_++]);
      if (observer_) calls_.after(options_->word_interval, [this] { step(); });
      return;
    }
    if (tool_call_) {
      const ToolCall call = std::move(*tool_call_);
      tool_call_.reset();
      finish_ = FinishReason::tool_calls;
      o->on_tool_call(call);
      if (observer_) calls_.after(Duration::zero(), [this] { step(); });
      return;
    }
    o->on_recognition_hints(hints_);
    if (!observer_) return;
    o->on_usage(usage_);
    if (!observer_) return;
    observer_ = nullptr;  // before on_done: the observer may start the next generation
    const FinishReason reason = std::exchange(finish_, FinishReason::stop);
    o->on_done(reason);
  }

  std::shared_ptr<const FlowOptions> options_;
  FlowDialog dialog_;
  ScheduledCalls calls_;
  LlmObserver* observer_ = nullptr;
  std::vector<std::string> deltas_;
  std::size_t next_ = 0;
  std::optional<ToolCall> tool_call_;
  RecognitionHints hints_;
  TokenUsage usage_;
  FinishReason finish_ = FinishReason::stop;
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

// The agent document's variables and declared tool names.
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

std::filesystem::path resolve(const ProviderContext& context, const std::string& file) {
  std::filesystem::path p(file);
  if (p.is_absolute() || context.base_dir.empty()) return p;
  std::error_code ec;
  if (std::filesystem::exists(context.base_dir / p, ec)) return context.base_dir / p;
  return p;
}

}  // namespace

Result<FlowOptions> parse_flow_options(const ProviderContext& context, const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  FlowOptions o;
  FlowLoadOptions load;
  read_agent(context.agent, load.variables, load.host_tools);
  if (const Json* vars = r.get_raw("variables")) {
    if (!vars->is_object()) {
      r.error_at("variables", "expected an object of name: text, found " + vars->describe());
    } else {
      for (const auto& m : vars->as_object()) {
        if (m.value.is_string()) {
          load.variables[m.key] = m.value.as_string();
        } else {
          r.error_at("variables", m.key + ": expected a string, found " + m.value.describe());
        }
      }
    }
  }
  o.word_interval = std::chrono::milliseconds(r.get_int("word_interval_ms", 2, {.min = 0, .max = 10'000}));
  const Json* flow = r.get_raw("flow");
  std::string flow_path = r.path_of("flow");
  if (!flow && context.agent) {
    flow = context.agent->find("flow");
    flow_path = "flow";
  }
  if (!flow) r.error_at("flow", "missing required key (a flow file path or an inline flow object)");
  LOQUI_TRY(r.finish());

  Json doc;
  std::string origin;
  if (flow->is_string()) {
    const std::filesystem::path file = resolve(context, flow->as_string());
    auto parsed = Json::parse_file(file);
    if (!parsed) return std::move(parsed).error().add_context(flow_path).set_provider("flow");
    doc = std::move(*parsed);
    origin = file.string();
  } else if (flow->is_object()) {
    doc = *flow;
    origin = flow_path;
  } else {
    return Error(errc::invalid_config,
                 flow_path + ": expected a flow file path or an inline flow object, found " + flow->describe());
  }
  auto def = load_flow(doc, origin, load);
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
