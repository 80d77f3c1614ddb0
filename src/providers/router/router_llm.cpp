// SPDX-License-Identifier: Apache-2.0
// File: the `router` LanguageModel (see router_llm.hpp): the routes document, the
// matching rule, sessions that answer from templates or relay the LLM, and
// registration.
#include "providers/router/router_llm.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "loqui/config.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/flow/answer_stream.hpp"
#include "providers/flow/flow_llm.hpp"

namespace loqui::detail {
namespace {

constexpr std::string_view kName = "router";

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

template <class Map>
std::vector<std::string> keys_of(const Map& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

}  // namespace

const std::set<std::string>& default_filler_words() {
  // Normalised (no apostrophes). Deliberately absent: yes/no/not/okay and the like
  // ("no thanks" may decline an offer), question words other than "what", names,
  // numbers: they change what the caller means, so the LLM should hear them.
  static const std::set<std::string> words = {
      "a",     "an",    "the",   "and",   "or",    "but",    "so",     "then",  "well",   "um",   "uh",
      "uhm",   "er",    "erm",   "ah",    "oh",    "hmm",    "mm",     "just",  "really", "very", "much",
      "please", "there", "here", "again", "now",   "too",    "also",   "i",     "im",     "id",   "ive",
      "ill",   "me",    "my",    "we",    "us",    "our",    "you",    "youre", "your",   "it",   "its",
      "this",  "that",  "thats", "is",    "are",   "was",    "be",     "am",    "do",     "does", "did",
      "have",  "has",   "can",   "could", "would", "will",   "to",     "of",    "for",    "with", "at",
      "in",    "on",    "about", "from",  "what",  "whats"};
  return words;
}

// ------------------------------------------------------------------ loading

Result<std::shared_ptr<const RouteTable>> load_routes(const Json& doc, std::string origin,
                                                      const RouteLoadOptions& options) {
  if (!doc.is_object()) return Error(errc::invalid_config, origin + ": expected a JSON object, found " + doc.describe());
  RouteTable t;
  t.origin = std::move(origin);
  ConfigErrors errors;
  ConfigReader root(doc, "", errors);
  std::vector<std::pair<std::string, std::string>> templates;  // path, text
  t.name = root.get_string("name", "routes");
  t.greeting = root.get_string("greeting", "");
  templates.push_back({"greeting", t.greeting});
  t.fuzzy = root.get_bool("fuzzy", t.fuzzy);
  t.max_extra_words = static_cast<int>(root.get_int("max_extra_words", t.max_extra_words, {.min = 0, .max = 100}));
  read_variables(root, t.variables);
  t.filler_words = default_filler_words();
  for (const auto& w : root.get_string_list("filler_words"))
    for (auto& n : normalize_words(w)) t.filler_words.insert(std::move(n));

  std::vector<std::pair<std::string, std::string>> actions;  // path, tool
  const Json* list = root.get_raw("routes");
  if (!list) {
    root.error_at("routes", "missing required key (an array of routes)");
  } else if (!list->is_array() || list->size() == 0) {
    root.error_at("routes", "expected a non-empty array of routes, found " + list->describe());
  } else {
    for (std::size_t i = 0; i < list->size(); ++i) {
      ConfigReader r(list->as_array()[i], root.path_of("routes") + "[" + std::to_string(i) + "]", errors);
      RouterRoute route;
      r.allow({"end", "handoff"});  // listed among the known keys in messages
      route.name = r.get_string("name", "route" + std::to_string(i));
      read_phrases(r, route.phrases, route.normalized);
      route.say = r.get_string("say", "");
      templates.push_back({r.path_of("say"), route.say});
      int count = 0;
      for (std::string_view key : {"end", "handoff"}) {
        if (!r.has(key)) continue;
        FlowToolCall call = read_reserved_tool(r, key, templates);
        if (call.name.empty()) continue;
        if (++count > 1) r.error_at(key, "a route has at most one of \"end\" and \"handoff\"");
        actions.push_back({r.path_of(key), call.name});
        route.action = std::move(call);
      }
      if (route.say.empty() && !r.has("handoff")) {
        r.error_at("say", "missing required key (a route says something, or hands off)");
      }
      (void)r.finish();
      t.routes.push_back(std::move(route));
    }
  }
  (void)root.finish();

  for (const auto& [k, v] : options.variables) t.variables[k] = v;
  for (const auto& [path, text] : templates) {
    for (const auto& name : template_placeholders(text)) {
      if (name == "user" || t.variables.count(name)) continue;
      errors.add(path + ": unknown variable {" + name + "} (variables: " +
                 (t.variables.empty() ? std::string("none") : join(keys_of(t.variables))) + "; and user)");
    }
  }
  if (options.host_tools) {
    for (const auto& [path, tool] : actions) {
      if (options.host_tools->count(tool)) continue;
      const std::vector<std::string> host(options.host_tools->begin(), options.host_tools->end());
      errors.add(path + ": tool '" + tool + "' is not declared by the agent (agent tools: " +
                 (host.empty() ? std::string("none") : join(host)) + ")");
    }
  }
  if (!errors.empty()) return std::move(errors.status()).error().add_context(t.origin);
  return std::shared_ptr<const RouteTable>(std::make_shared<RouteTable>(std::move(t)));
}

// ------------------------------------------------------------------ matching

RouteDecision match_route(const RouteTable& table, std::string_view text) {
  RouteDecision d;
  const std::vector<std::string> words = normalize_words(text);
  std::vector<bool> covered(words.size(), false);
  for (const auto& route : table.routes) {
    bool found = false;
    for (const auto& phrase : route.normalized) {
      for (std::size_t i = 0; i + phrase.size() <= words.size(); ++i) {
        if (phrase_score_at(words, i, phrase, table.fuzzy) <= 0) continue;
        std::fill(covered.begin() + static_cast<std::ptrdiff_t>(i),
                  covered.begin() + static_cast<std::ptrdiff_t>(i + phrase.size()), true);
        found = true;
      }
    }
    if (found && !d.matched) d.matched = &route;
  }
  for (std::size_t i = 0; i < words.size(); ++i)
    if (!covered[i] && !table.filler_words.count(words[i])) d.extra_words.push_back(words[i]);
  if (d.matched && static_cast<int>(d.extra_words.size()) <= table.max_extra_words) d.route = d.matched;
  return d;
}

// ------------------------------------------------------------------ options

Result<RouterOptions> parse_router_options(const ProviderContext& context, const Json& config, std::string_view path) {
  ConfigErrors errors;
  ConfigReader r(config, std::string(path), errors);
  r.allow({"provider"});
  TemplateHostOptions host = read_template_host_options(context, r);
  RouterOptions o;
  o.word_interval = host.word_interval;
  RouteLoadOptions load{.variables = std::move(host.variables), .host_tools = std::move(host.host_tools)};
  if (!r.get_raw("llm")) {
    r.error_at("llm", "missing required key (the LLM that answers whatever no route does, e.g. "
                      "{\"provider\": \"openai\", \"model\": ...})");
  }
  const Json* routes = r.get_raw("routes");
  if (!routes) r.error_at("routes", "missing required key (a routes file path or an inline routes object)");
  LOQUI_TRY(r.finish());
  auto doc = load_config_document(context, *routes, r.path_of("routes"), "routes");
  if (!doc) return std::move(doc).error().set_provider(std::string(kName));
  auto table = load_routes(doc->doc, doc->origin, load);
  if (!table) return std::move(table).error().set_provider(std::string(kName));
  o.routes = std::move(*table);
  return o;
}

namespace {

// ------------------------------------------------------------------ sessions

// Forwards the LLM's generation to the consumer's observer, naming the LLM with
// on_provider before its first output unless it named itself.
class Relay final : public LlmObserver {
 public:
  void start(LlmObserver& observer, const std::string& label) {
    observer_ = &observer;
    label_ = &label;
    announced_ = false;
  }
  void stop() noexcept { observer_ = nullptr; }
  bool active() const noexcept { return observer_ != nullptr; }

  void on_provider(std::string_view provider, bool restarted) override {
    if (!observer_) return;
    announced_ = true;
    observer_->on_provider(provider, restarted);
  }
  void on_text(std::string_view delta) override {
    if (LlmObserver* o = output()) o->on_text(delta);
  }
  void on_tool_call(const ToolCall& call) override {
    if (LlmObserver* o = output()) o->on_tool_call(call);
  }
  void on_usage(const TokenUsage& usage) override {
    if (LlmObserver* o = output()) o->on_usage(usage);
  }
  void on_recognition_hints(const RecognitionHints& hints) override {
    if (LlmObserver* o = output()) o->on_recognition_hints(hints);
  }
  void on_done(FinishReason reason) override {
    if (LlmObserver* o = output()) {
      observer_ = nullptr;  // before on_done: the consumer may start the next generation
      o->on_done(reason);
    }
  }
  void on_error(const Error& error) override {
    if (LlmObserver* o = output()) {
      observer_ = nullptr;
      o->on_error(error);
    }
  }

 private:
  // The consumer's observer for the next output (null once cancelled).
  LlmObserver* output() {
    if (observer_ && !announced_) {
      announced_ = true;
      observer_->on_provider(*label_, false);  // may cancel
    }
    return observer_;
  }

  LlmObserver* observer_ = nullptr;
  const std::string* label_ = nullptr;
  bool announced_ = false;
};

class RouterSession final : public LlmSession {
 public:
  RouterSession(std::shared_ptr<const RouterOptions> options, std::unique_ptr<LlmSession> llm, std::string label,
                const SessionContext& session)
      : options_(std::move(options)),
        label_(std::move(label)),
        stream_(session.strand, options_->word_interval),
        llm_(std::move(llm)) {}
  ~RouterSession() override { cancel(); }

  Status generate(const LlmRequest& request, LlmObserver& observer) override {
    if (busy()) {
      return Error(errc::invalid_argument, "router: a generation is already running").set_provider(std::string(kName));
    }
    if (auto answer = route(request)) {
      stream_.start(std::move(*answer), observer);
      return ok_status();
    }
    relay_.start(observer, label_);
    Status st = ok_status();
    try {
      st = llm_->generate(request, relay_);
    } catch (const std::exception& e) {
      llm_->cancel();
      st = Error(errc::provider_failed, "router: llm '" + label_ + "' threw: " + e.what()).set_provider(label_);
    } catch (...) {
      llm_->cancel();
      st = Error(errc::provider_failed, "router: llm '" + label_ + "' threw").set_provider(label_);
    }
    if (!st) relay_.stop();
    return st;
  }

  void cancel() noexcept override {
    stream_.cancel();
    relay_.stop();
    llm_->cancel();
  }

  bool busy() const noexcept override { return stream_.busy() || relay_.active(); }

 private:
  // The router's own answer to `request`, or nullopt to delegate it.
  std::optional<PreparedAnswer> route(const LlmRequest& request) {
    const RouteTable& table = *options_->routes;
    const ChatMessage* last = nullptr;
    for (auto it = request.messages.rbegin(); it != request.messages.rend() && !last; ++it)
      if (it->role != Role::system) last = &*it;
    PreparedAnswer answer{.provider = std::string(kName), .text = {}, .tool_call = {}, .hints = {}, .usage = {}};
    if (!last) {  // the opening request: the greeting template, if there is one
      if (table.greeting.empty()) return std::nullopt;
      answer.text = render(table.greeting, "");
      return answer;
    }
    if (last->role == Role::tool) {  // the result of our own end_call / handoff: nothing to add
      if (!calls_.count(last->tool_call_id)) return std::nullopt;
      return answer;
    }
    if (last->role != Role::user) return std::nullopt;
    const RouteDecision d = match_route(table, last->content);
    if (!d.route) {
      if (d.matched) {
        LOQUI_LOG_DEBUG("router", "route '{}' matched, but {} other word(s): to the llm", d.matched->name,
                        d.extra_words.size());
      }
      return std::nullopt;
    }
    LOQUI_LOG_DEBUG("router", "answered by route '{}'", d.route->name);
    answer.text = render(d.route->say, last->content);
    const FlowToolCall& action = d.route->action;
    const bool offered = std::any_of(request.tools.begin(), request.tools.end(),
                                     [&](const ToolSpec& t) { return t.name == action.name; });
    if (!action.name.empty() && offered) {
      ToolCall call;
      call.id = "router_call_" + std::to_string(calls_.size() + 1);
      call.name = action.name;
      Json args = render_template_json(action.arguments, lookup(last->content));
      if (action.name == "transfer_to_human") {
        args["summary"] = "route " + d.route->name + "; caller said: \"" + last->content + "\"";
      }
      call.arguments = args.dump();
      calls_.insert(call.id);
      answer.tool_call = std::move(call);
    }
    return answer;
  }

  TemplateLookup lookup(const std::string& user) const {
    return [this, &user](std::string_view name) -> std::optional<Json> {
      if (name == "user") return Json(user);
      const auto& vars = options_->routes->variables;
      if (auto it = vars.find(std::string(name)); it != vars.end()) return Json(it->second);
      return std::nullopt;
    };
  }
  std::string render(const std::string& text, const std::string& user) const {
    return render_template(text, lookup(user));
  }

  std::shared_ptr<const RouterOptions> options_;
  std::string label_;  ///< the LLM's name, announced before its output
  Relay relay_;
  AnswerStream stream_;
  std::unique_ptr<LlmSession> llm_;  ///< declared last: destroyed first, while relay_ still exists
  std::set<std::string> calls_;      ///< ids of the tool calls the router made
};

class RouterModel final : public LanguageModel {
 public:
  RouterModel(RouterOptions options, std::shared_ptr<LanguageModel> llm)
      : options_(std::make_shared<const RouterOptions>(std::move(options))), llm_(std::move(llm)) {
    const RouteTable& t = *options_->routes;
    info_.kind = ProviderKind::llm;
    info_.name = std::string(kName);
    info_.description = "router '" + t.name + "' (" + std::to_string(t.routes.size()) + " routes, " + t.origin +
                        ") in front of " + llm_->info().name;
    info_.needs_real_time = llm_->info().needs_real_time;
    capabilities_ = llm_->capabilities();
  }
  const ProviderInfo& info() const noexcept override { return info_; }
  const LlmCapabilities& capabilities() const noexcept override { return capabilities_; }
  Result<std::unique_ptr<LlmSession>> open(const SessionContext& session) override {
    if (!session.strand) {
      return Error(errc::invalid_argument, "router: session has no strand").set_provider(std::string(kName));
    }
    Result<std::unique_ptr<LlmSession>> inner = Error(errc::internal, "router: llm not opened");
    try {
      inner = llm_->open(session);
    } catch (const std::exception& e) {
      return Error(errc::provider_failed, "router: llm '" + llm_->info().name + "' open() threw: " + e.what())
          .set_provider(llm_->info().name);
    } catch (...) {
      return Error(errc::provider_failed, "router: llm '" + llm_->info().name + "' open() threw")
          .set_provider(llm_->info().name);
    }
    if (!inner) return std::move(inner).error();
    if (!*inner) {
      return Error(errc::internal, "router: llm '" + llm_->info().name + "' opened a null session")
          .set_provider(llm_->info().name);
    }
    return std::unique_ptr<LlmSession>(new RouterSession(options_, std::move(*inner), llm_->info().name, session));
  }

 private:
  std::shared_ptr<const RouterOptions> options_;
  std::shared_ptr<LanguageModel> llm_;
  ProviderInfo info_;
  LlmCapabilities capabilities_;
};

}  // namespace

std::shared_ptr<LanguageModel> make_router_llm(RouterOptions options, std::shared_ptr<LanguageModel> llm) {
  return std::make_shared<RouterModel>(std::move(options), std::move(llm));
}

void register_router(Registry& registry) {
  Status s = registry.add_llm(
      std::string(kName),
      "quick route in front of an LLM: greetings, farewells and FAQ answers from templates (no tokens), "
      "everything else to its \"llm\"",
      [&registry](const ProviderContext& context, const Json& config,
                  std::string_view path) -> Result<std::shared_ptr<LanguageModel>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, parse_router_options(context, config, path));
        LOQUI_ASSIGN_OR_RETURN(auto llm, registry.make_llm(context, *config.find("llm"), std::string(path) + ".llm"));
        return make_router_llm(std::move(options), std::move(llm));
      });
  if (!s) LOQUI_LOG_ERROR("registry", "cannot register router: {}", s.error().to_string());
}

}  // namespace loqui::detail
