// SPDX-License-Identifier: Apache-2.0
// File: parsing the agent document into AgentConfig; building its providers.
#include "loqui/agent/agent_config.hpp"

#include "loqui/config.hpp"
#include "loqui/provider/registry.hpp"

namespace loqui {

namespace {

Duration read_ms(ConfigReader& r, std::string_view key, Duration fallback, double max_ms = 3'600'000) {
  const double ms = r.get_number(key, to_ms(fallback), {.min = 0, .max = max_ms});
  return Duration(static_cast<std::int64_t>(ms * 1e6));
}

Duration read_s(ConfigReader& r, std::string_view key, Duration fallback) {
  const double s = r.get_number(key, to_ms(fallback) / 1000.0, {.min = 0, .max = 86'400});
  return Duration(static_cast<std::int64_t>(s * 1e9));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return s;
}

std::vector<std::string> lower_all(std::vector<std::string> v) {
  for (auto& s : v) s = lower(std::move(s));
  return v;
}

std::string resolve(std::string_view base_dir, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

// A provider section: an object with a string "provider"; the rest belongs to the
// provider's factory.
Json read_provider(const Json& doc, std::string_view key, ConfigErrors& errors) {
  const Json* section = doc.find(key);
  if (!section) return Json::object({{"provider", "mock"}});
  if (!section->is_object()) {
    errors.add(std::string(key) + ": expected an object with a \"provider\" key, found " + section->describe());
    return Json::object({{"provider", "mock"}});
  }
  const Json* name = section->find("provider");
  if (!name || !name->is_string() || name->as_string().empty()) {
    errors.add(std::string(key) + ".provider: expected a provider name (e.g. \"mock\")" +
               (name ? ", found " + name->describe() : std::string(", missing")));
  }
  return *section;
}

void read_tools(ConfigReader& agent, AgentConfig& cfg) {
  const Json* tools = agent.get_raw("tools");
  if (!tools) return;
  if (!tools->is_array()) {
    agent.error_at("tools", "expected an array of tool names or tool objects, found " + tools->describe());
    return;
  }
  const std::string base = agent.path_of("tools");
  for (std::size_t i = 0; i < tools->size(); ++i) {
    const Json& t = tools->as_array()[i];
    const std::string path = base + "[" + std::to_string(i) + "]";
    if (t.is_string()) {
      if (t.as_string().empty()) agent.errors().add(path + ": empty tool name");
      cfg.tools.push_back(t.as_string());
      continue;
    }
    if (!t.is_object()) {
      agent.errors().add(path + ": expected a tool name or an object, found " + t.describe());
      continue;
    }
    ConfigReader r(t, path, agent.errors());
    SimulatedTool sim;
    sim.spec.name = r.require_string("name");
    sim.spec.description = r.get_string("description", "");
    if (const Json* p = r.get_raw("parameters")) {
      if (!p->is_object()) r.error_at("parameters", "expected a JSON Schema object, found " + p->describe());
      else sim.spec.parameters = *p;
    } else {
      sim.spec.parameters = Json::object({{"type", "object"}, {"properties", Json::object()}});
    }
    const Json* result = r.get_raw("result");
    const Json* results = r.get_raw("results");
    if (result && results) r.error("give either \"result\" or \"results\", not both");
    if (result) sim.results.push_back(*result);
    if (results) {
      if (!results->is_array() || results->size() == 0) r.error_at("results", "expected a non-empty array");
      else sim.results = results->as_array();
    }
    if (!result && !results) sim.results.push_back(Json::object({{"ok", true}}));
    sim.latency = read_ms(r, "latency_ms", Duration::zero());
    (void)r.finish();
    cfg.tools.push_back(sim.spec.name);
    cfg.simulated_tools.push_back(std::move(sim));
  }
}

void read_agent(ConfigReader& a, AgentConfig& cfg) {
  cfg.name = a.get_string("name", cfg.name);
  cfg.language = a.get_string("language", cfg.language);
  cfg.greeting = a.get_string("greeting", cfg.greeting);
  cfg.greet_with_llm = a.get_bool("greet_with_llm", cfg.greet_with_llm);
  if (cfg.greet_with_llm && !cfg.greeting.empty())
    a.error_at("greet_with_llm", "give either a fixed greeting or greet_with_llm, not both");
  cfg.system_prompt = a.get_string("system_prompt", cfg.system_prompt);
  if (const Json* vars = a.get_raw("variables")) {
    if (!vars->is_object()) {
      a.error_at("variables", "expected an object of name: value, found " + vars->describe());
    } else {
      for (const auto& m : vars->as_object()) {
        if (m.value.is_string()) cfg.variables.emplace_back(m.key, m.value.as_string());
        else if (m.value.is_number() || m.value.is_bool()) cfg.variables.emplace_back(m.key, m.value.dump());
        else a.errors().add(a.path_of("variables") + "." + m.key + ": expected a string, found " + m.value.describe());
      }
    }
  }
  read_tools(a, cfg);
  AgentPhrases& p = cfg.phrases;
  p.reprompt = a.get_string("reprompt", p.reprompt);
  p.goodbye = a.get_string("goodbye", p.goodbye);
  p.max_duration = a.get_string("max_duration_message", p.max_duration);
  p.fallback = a.get_string("fallback_message", p.fallback);
  p.fillers = a.get_string_list("filler_phrases", p.fillers);
  cfg.normalize_text = a.get_bool("normalize_text", cfg.normalize_text);
}

void read_turn(ConfigReader& t, TurnConfig& turn) {
  {
    ConfigReader e = t.child("endpointing_ms");
    turn.endpointing_min = read_ms(e, "min", turn.endpointing_min, 60'000);
    turn.endpointing_max = read_ms(e, "max", turn.endpointing_max, 60'000);
    if (turn.endpointing_max < turn.endpointing_min) e.error_at("max", "must be >= min");
    (void)e.finish();
  }
  {
    ConfigReader i = t.child("interruption");
    turn.interruption_min_duration = read_ms(i, "min_duration_ms", turn.interruption_min_duration, 60'000);
    turn.interruption_min_words =
        static_cast<int>(i.get_int("min_words", turn.interruption_min_words, {.min = 0, .max = 100}));
    turn.backchannels = lower_all(i.get_string_list("backchannels", turn.backchannels));
    turn.false_interruption_timeout =
        read_ms(i, "false_interruption_ms", turn.false_interruption_timeout, 60'000);
    (void)i.finish();
  }
  turn.preemptive_generation = t.get_bool("preemptive_generation", turn.preemptive_generation);
  turn.idle_reprompt = read_s(t, "idle_reprompt_s", turn.idle_reprompt);
  turn.idle_reprompts = static_cast<int>(t.get_int("idle_reprompts", turn.idle_reprompts, {.min = 0, .max = 10}));
  turn.max_call = read_s(t, "max_call_s", turn.max_call);
  turn.tool_filler_after = read_ms(t, "tool_filler_ms", turn.tool_filler_after);
  turn.max_tool_rounds = static_cast<int>(t.get_int("max_tool_rounds", turn.max_tool_rounds, {.min = 1, .max = 20}));
  {
    ConfigReader d = t.child("dtmf");
    turn.dtmf_to_llm = d.get_bool("to_llm", turn.dtmf_to_llm);
    const std::string term = d.get_string("terminator", std::string(1, turn.dtmf_terminator));
    if (term.size() != 1 || std::string_view("0123456789*#ABCD").find(term[0]) == std::string_view::npos)
      d.error_at("terminator", "expected one DTMF key (0-9, *, #, A-D), found \"" + term + "\"");
    else turn.dtmf_terminator = term[0];
    turn.dtmf_timeout = read_ms(d, "timeout_ms", turn.dtmf_timeout, 60'000);
    (void)d.finish();
  }
  turn.history_max_tokens = t.get_int("history_max_tokens", turn.history_max_tokens, {.min = 0, .max = 10'000'000});
  turn.llm_timeout = read_ms(t, "llm_timeout_ms", turn.llm_timeout);
  turn.tts_timeout = read_ms(t, "tts_timeout_ms", turn.tts_timeout);
  turn.first_chunk_min_chars =
      static_cast<int>(t.get_int("first_chunk_min_chars", turn.first_chunk_min_chars, {.min = 1, .max = 1000}));
}

void read_handoff(ConfigReader& h, HandoffConfig& cfg) {
  cfg.phrases = lower_all(h.get_string_list("phrases", cfg.phrases));
  cfg.after_failed_turns =
      static_cast<int>(h.get_int("after_failed_turns", cfg.after_failed_turns, {.min = 0, .max = 100}));
  cfg.keywords = lower_all(h.get_string_list("keywords", cfg.keywords));
  cfg.urgent_keywords = lower_all(h.get_string_list("urgent_keywords", cfg.urgent_keywords));
  cfg.message = h.get_string("message", cfg.message);
}

void read_vad(ConfigReader& v, VadSettings& vad) {
  vad.detector = v.get_string("detector", vad.detector);
  VadConfig& s = vad.segmenter;
  s.threshold = static_cast<float>(v.get_number("threshold", s.threshold, {.min = 0, .max = 1}));
  s.start_ms = static_cast<int>(v.get_int("start_ms", s.start_ms, {.min = 10, .max = 2000}));
  s.start_window_ms = static_cast<int>(v.get_int("start_window_ms", s.start_window_ms, {.min = 10, .max = 320}));
  s.stop_ms = static_cast<int>(v.get_int("stop_ms", s.stop_ms, {.min = 10, .max = 5000}));
  s.min_volume_dbfs = static_cast<float>(v.get_number("min_volume_dbfs", s.min_volume_dbfs, {.min = -96, .max = 0}));
}

}  // namespace

Result<AgentConfig> AgentConfig::parse(const Json& document, std::string_view base_dir) {
  ConfigErrors errors;
  if (!document.is_object()) {
    return Error(errc::invalid_config, "agent document: expected a JSON object, found " + document.describe());
  }
  AgentConfig cfg;
  cfg.base_dir = std::filesystem::path(base_dir);
  cfg.document = document;
  ConfigReader root(document, "", errors);
  {
    ConfigReader a = root.child("agent");
    read_agent(a, cfg);
    (void)a.finish();
  }
  root.allow({"stt", "llm", "tts"});
  cfg.stt = read_provider(document, "stt", errors);
  cfg.llm = read_provider(document, "llm", errors);
  cfg.tts = read_provider(document, "tts", errors);
  if (auto flow = root.get_optional_string("flow")) cfg.flow = resolve(base_dir, *flow);
  if (!cfg.flow.empty() && provider_name(cfg.llm) == "flow" && !cfg.llm.contains("flow")) {
    cfg.llm["flow"] = cfg.flow;
  }
  {
    ConfigReader t = root.child("turn");
    read_turn(t, cfg.turn);
    (void)t.finish();
  }
  {
    ConfigReader h = root.child("handoff");
    read_handoff(h, cfg.handoff);
    (void)h.finish();
  }
  {
    ConfigReader t = root.child("tenant");
    cfg.tenant.id = t.get_string("id", "");
    cfg.tenant.max_concurrent_calls =
        static_cast<int>(t.get_int("max_concurrent_calls", 0, {.min = 0, .max = 1'000'000}));
    (void)t.finish();
  }
  if (const Json* prices = root.get_raw("prices")) {
    if (prices->is_string()) cfg.prices_file = resolve(base_dir, prices->as_string());
    else if (prices->is_object()) cfg.prices = *prices;
    else errors.add("prices: expected a file path or a price table object, found " + prices->describe());
  }
  {
    ConfigReader v = root.child("vad");
    read_vad(v, cfg.vad);
    (void)v.finish();
  }
  LOQUI_TRY(root.finish());
  return cfg;
}

Result<AgentConfig> AgentConfig::load(const std::filesystem::path& file) {
  LOQUI_ASSIGN_OR_RETURN(auto doc, Json::parse_file(file));
  auto cfg = parse(doc, file.parent_path().string());
  if (!cfg) return Error(cfg.error()).add_context(file.string());
  return cfg;
}

std::string AgentConfig::rendered_system_prompt() const {
  std::string out = system_prompt;
  for (const auto& [var, value] : variables) {
    const std::string key = "{" + var + "}";
    for (std::size_t pos = out.find(key); pos != std::string::npos; pos = out.find(key, pos + value.size())) {
      out.replace(pos, key.size(), value);
    }
  }
  return out;
}

std::string AgentConfig::provider_name(const Json& section) {
  const Json* p = section.find("provider");
  return p && p->is_string() ? p->as_string() : std::string();
}

Result<AgentProviders> make_agent_providers(Registry& registry, const AgentConfig& config, Runtime* runtime) {
  ProviderContext ctx{.runtime = runtime, .base_dir = config.base_dir, .agent = &config.document};
  AgentProviders p;
  LOQUI_ASSIGN_OR_RETURN(p.stt, registry.make_stt(ctx, config.stt, "stt"));
  LOQUI_ASSIGN_OR_RETURN(p.llm, registry.make_llm(ctx, config.llm, "llm"));
  LOQUI_ASSIGN_OR_RETURN(p.tts, registry.make_tts(ctx, config.tts, "tts"));
  return p;
}

}  // namespace loqui
