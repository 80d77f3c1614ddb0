// SPDX-License-Identifier: Apache-2.0
// File: loading, validation and execution of flow files (see flow_engine.hpp and
// docs/flows.md).
#include "providers/flow/flow_engine.hpp"

#include <algorithm>
#include <deque>

#include "loqui/config.hpp"

namespace loqui::detail {
namespace {

constexpr std::string_view kTransfer = "transfer_to_human";
constexpr std::string_view kEndCall = "end_call";
constexpr int kMaxHops = 32;  // states entered in one answer (auto-advance chains)

std::optional<SlotType> parse_slot_type(std::string_view s) {
  static const std::pair<std::string_view, SlotType> types[] = {
      {"date", SlotType::date},     {"time", SlotType::time},     {"number", SlotType::number},
      {"phone", SlotType::phone},   {"name", SlotType::name},     {"yes_no", SlotType::yes_no},
      {"choice", SlotType::choice}, {"text", SlotType::text}};
  for (const auto& [n, t] : types)
    if (n == s) return t;
  return std::nullopt;
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

template <class Map>
std::string keys_of(const Map& m) {
  std::vector<std::string> k;
  for (const auto& [key, value] : m) k.push_back(key);
  return join(k);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

const Json* json_path(const Json& root, std::string_view path) {
  const Json* node = &root;
  while (node && !path.empty()) {
    const std::size_t dot = path.find('.');
    node = node->find(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return node;
}

std::string scalar_text(const Json& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_null()) return "";
  return v.dump();
}

bool value_matches(const Json& want, const Json* got) {
  if (want.is_string() && want.as_string() == "*") return got && !got->is_null() && !(got->is_bool() && !got->as_bool());
  if (!got) return want.is_null();
  if (want.is_string() && got->is_string()) return iequals(want.as_string(), got->as_string());
  if (want.is_number() && got->is_number()) return want.as_number() == got->as_number();
  return want == *got;
}

class Loader {
 public:
  Loader(const Json& doc, std::string origin, const FlowLoadOptions& options)
      : doc_(doc), options_(options), root_(doc, "", errors_) {
    flow_.origin = std::move(origin);
  }

  Result<std::shared_ptr<const FlowDefinition>> load() {
    if (!doc_.is_object()) {
      return Error(errc::invalid_config, flow_.origin + ": expected a JSON object, found " + doc_.describe());
    }
    flow_.name = root_.get_string("name", "flow");
    flow_.fallback = root_.get_string("fallback", flow_.fallback);
    flow_.max_retries = static_cast<int>(root_.get_int("max_retries", flow_.max_retries, {.min = 0, .max = 100}));
    flow_.on_retries_exhausted = root_.get_string("on_retries_exhausted", "");
    flow_.fuzzy = root_.get_bool("fuzzy", flow_.fuzzy);
    if (auto today = root_.get_optional_string("today")) {
      flow_.today = parse_iso_date(*today);
      if (!flow_.today) root_.error_at("today", "expected a date YYYY-MM-DD, found \"" + *today + "\"");
    }
    if (const Json* vars = root_.get_raw("variables")) {
      if (!vars->is_object()) {
        root_.error_at("variables", "expected an object of name: text, found " + vars->describe());
      } else {
        for (const auto& m : vars->as_object()) {
          if (!m.value.is_string() && !m.value.is_number()) {
            root_.error_at("variables", m.key + ": expected a string, found " + m.value.describe());
            continue;
          }
          flow_.variables[m.key] = scalar_text(m.value);
        }
      }
    }
    read_slots();
    flow_.intents = read_intents(root_, "intents");
    read_states();
    flow_.start = root_.require_string("start");
    (void)root_.finish();
    if (errors_.empty()) check_references();
    if (errors_.empty()) check_reachability();
    if (!errors_.empty()) return std::move(errors_.status()).error().add_context(flow_.origin);
    return std::shared_ptr<const FlowDefinition>(std::make_shared<FlowDefinition>(std::move(flow_)));
  }

 private:
  void read_slots() {
    ConfigReader slots = root_.child("slots");
    if (!slots.node().is_object()) return;
    for (const auto& m : slots.node().as_object()) {
      ConfigReader r = slots.child(m.key);
      FlowSlot slot;
      slot.name = m.key;
      const std::string type = r.get_enum("type", "text", {"date", "time", "number", "phone", "name", "yes_no",
                                                           "choice", "text"});
      slot.type = parse_slot_type(type).value_or(SlotType::text);
      slot.prompt = r.get_string("prompt", "");
      if (const Json* values = r.get_raw("values")) {
        if (slot.type != SlotType::choice) {
          r.error_at("values", "only choice slots take values");
        } else if (values->is_array()) {
          for (const auto& v : values->as_array()) {
            if (!v.is_string()) {
              r.error_at("values", "expected strings, found " + v.describe());
              continue;
            }
            slot.options.push_back({v.as_string(), {normalize_words(v.as_string())}});
          }
        } else if (values->is_object()) {
          for (const auto& v : values->as_object()) {
            ChoiceOption o{v.key, {normalize_words(v.key)}};
            if (!v.value.is_array()) {
              r.error_at("values", v.key + ": expected an array of phrases, found " + v.value.describe());
              continue;
            }
            for (const auto& p : v.value.as_array()) {
              if (p.is_string()) o.phrases.push_back(normalize_words(p.as_string()));
            }
            slot.options.push_back(std::move(o));
          }
        } else {
          r.error_at("values", "expected an array of values or an object of value: [phrases], found " +
                                   values->describe());
        }
      }
      if (slot.type == SlotType::choice && slot.options.empty()) r.error_at("values", "a choice slot needs values");
      (void)r.finish();
      flow_.slots[m.key] = std::move(slot);
    }
    (void)slots.finish();
  }

  FlowTransition read_transition(ConfigReader& r) {
    FlowTransition t;
    t.say = r.get_string("say", "");
    t.target = r.get_string("goto", "");
    t.clear = r.get_string_list("clear");
    if (const Json* set = r.get_raw("set")) {
      if (!set->is_object()) {
        r.error_at("set", "expected an object of variable: text, found " + set->describe());
      } else {
        for (const auto& m : set->as_object()) t.set.emplace_back(m.key, scalar_text(m.value));
      }
    }
    templates_.push_back({r.path_of("say"), t.say});
    for (const auto& [k, v] : t.set) templates_.push_back({r.path_of("set") + "." + k, v});
    if (!t.target.empty()) targets_.push_back({r.path_of("goto"), t.target});
    for (std::size_t i = 0; i < t.clear.size(); ++i)
      slot_refs_.push_back({r.path_of("clear") + "[" + std::to_string(i) + "]", t.clear[i]});
    return t;
  }

  std::vector<FlowIntent> read_intents(ConfigReader& parent, std::string_view key) {
    std::vector<FlowIntent> out;
    const Json* list = parent.get_raw(key);
    if (!list) return out;
    if (!list->is_array()) {
      parent.error_at(key, "expected an array of intents, found " + list->describe());
      return out;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      ConfigReader r(list->as_array()[i], parent.path_of(key) + "[" + std::to_string(i) + "]", errors_);
      FlowIntent intent;
      intent.name = r.get_string("name", "intent" + std::to_string(i));
      read_phrases(r, intent.phrases, intent.normalized);
      intent.hints = r.get_string_list("hints");
      intent.then = read_transition(r);
      if (intent.then.say.empty() && intent.then.target.empty()) r.error("an intent needs \"say\" or \"goto\"");
      (void)r.finish();
      out.push_back(std::move(intent));
    }
    return out;
  }

  FlowToolCall read_tool(ConfigReader& s, std::string_view key) {
    FlowToolCall call;
    const Json* node = s.get_raw(key);
    if (!node) return call;
    if (key == "handoff" || key == "end") return read_reserved_tool(s, key, templates_);
    const std::string path = s.path_of(key);
    ConfigReader r(*node, path, errors_);
    call.name = r.require_string("name");
    if (const Json* args = r.get_raw("arguments")) {
      if (!args->is_object()) {
        r.error_at("arguments", "expected an object, found " + args->describe());
      } else {
        call.arguments = *args;
        collect_json_templates(*args, r.path_of("arguments"));
      }
    }
    (void)r.finish();
    if (!call.name.empty()) tool_uses_.push_back({path + ".name", call.name});
    return call;
  }

  void collect_json_templates(const Json& v, const std::string& path) {
    if (v.is_string()) templates_.push_back({path, v.as_string()});
    if (v.is_object())
      for (const auto& m : v.as_object()) collect_json_templates(m.value, path + "." + m.key);
    if (v.is_array())
      for (std::size_t i = 0; i < v.size(); ++i) collect_json_templates(v.as_array()[i], path + "[" + std::to_string(i) + "]");
  }

  void read_states() {
    ConfigReader states = root_.child("states");
    if (!root_.has("states")) {
      root_.error_at("states", "missing required key");
      return;
    }
    if (!states.node().is_object()) return;
    if (states.node().size() == 0) states.error("a flow needs at least one state");
    for (const auto& m : states.node().as_object()) {
      ConfigReader r = states.child(m.key);
      FlowState st;
      st.name = m.key;
      st.say = r.get_string("say", "");
      st.collect = r.get_string_list("collect");
      st.next = r.get_string("next", "");
      st.fallback = r.get_string("fallback", "");
      st.hints = r.get_string_list("hints");
      st.intents = read_intents(r, "intents");
      int actions = 0;
      for (std::string_view key : {"tool", "handoff", "end"}) {
        if (!r.has(key)) continue;
        FlowToolCall call = read_tool(r, key);
        if (call.name.empty()) continue;
        if (++actions > 1) r.error_at(key, "a state has at most one of \"tool\", \"handoff\" and \"end\"");
        st.tool = std::move(call);
      }
      if (const Json* results = r.get_raw("on_result")) {
        if (!st.tool) r.error_at("on_result", "only states with \"tool\", \"handoff\" or \"end\" get results");
        if (!results->is_array()) {
          r.error_at("on_result", "expected an array of {\"when\", \"goto\", \"say\"} objects, found " +
                                      results->describe());
        } else {
          for (std::size_t i = 0; i < results->size(); ++i) {
            ConfigReader br(results->as_array()[i], r.path_of("on_result") + "[" + std::to_string(i) + "]", errors_);
            FlowResultBranch b;
            if (const Json* when = br.get_raw("when")) {
              if (!when->is_object()) {
                br.error_at("when", "expected an object of result field: value, found " + when->describe());
              } else {
                b.when = *when;
              }
            }
            b.then = read_transition(br);
            (void)br.finish();
            st.on_result.push_back(std::move(b));
          }
        }
      }
      if (st.say.empty() && !st.tool) r.error_at("say", "missing required key (a state says something or calls a tool)");
      if (!st.collect.empty() && st.next.empty()) r.error_at("next", "a state that collects slots needs \"next\"");
      if (!st.collect.empty() && st.tool) r.error("a state either collects slots or calls a tool, not both");
      for (std::size_t i = 0; i < st.collect.size(); ++i)
        slot_refs_.push_back({r.path_of("collect") + "[" + std::to_string(i) + "]", st.collect[i]});
      if (!st.next.empty()) targets_.push_back({r.path_of("next"), st.next});
      templates_.push_back({r.path_of("say"), st.say});
      templates_.push_back({r.path_of("fallback"), st.fallback});
      (void)r.finish();
      flow_.states[m.key] = std::move(st);
    }
    (void)states.finish();
  }

  void check_references() {
    for (const auto& [path, target] : targets_) {
      if (!flow_.states.count(target))
        errors_.add(path + ": unknown state '" + target + "' (states: " + keys_of(flow_.states) + ")");
    }
    if (!flow_.states.count(flow_.start))
      errors_.add("start: unknown state '" + flow_.start + "' (states: " + keys_of(flow_.states) + ")");
    if (!flow_.on_retries_exhausted.empty() && !flow_.states.count(flow_.on_retries_exhausted))
      errors_.add("on_retries_exhausted: unknown state '" + flow_.on_retries_exhausted + "' (states: " +
                  keys_of(flow_.states) + ")");
    for (const auto& [path, slot] : slot_refs_) {
      if (!flow_.slots.count(slot))
        errors_.add(path + ": unknown slot '" + slot + "' (slots: " + keys_of(flow_.slots) + ")");
    }
    for (const auto& [path, text] : templates_) {
      for (const auto& name : template_placeholders(text)) {
        const std::string base = name.substr(0, name.find('.'));
        const bool ok = flow_.slots.count(base) || flow_.variables.count(name) || options_.variables.count(name) ||
                        base == "result" || name == "user" || set_variables().count(name);
        if (!ok) {
          errors_.add(path + ": unknown variable {" + name + "} (slots: " + keys_of(flow_.slots) +
                      "; variables: " + join(known_variables()) + "; and result.<field>, user)");
        }
      }
    }
    if (options_.host_tools) {
      for (const auto& [path, tool] : tool_uses_) {
        if (!options_.host_tools->count(tool)) {
          std::vector<std::string> host(options_.host_tools->begin(), options_.host_tools->end());
          errors_.add(path + ": tool '" + tool + "' is not declared by the agent (agent tools: " +
                      (host.empty() ? "none" : join(host)) + ")");
        }
      }
    }
    // Auto-advance chains (say, then next, with nothing to wait for) must end.
    for (const auto& [name, st] : flow_.states) {
      std::string at = name;
      for (int hop = 0; hop <= static_cast<int>(flow_.states.size()); ++hop) {
        const FlowState& s = flow_.states.at(at);
        if (s.tool || !s.intents.empty() || !s.collect.empty() || s.next.empty()) break;
        at = s.next;
        if (hop == static_cast<int>(flow_.states.size())) {
          errors_.add("states." + name + ".next: the states loop without waiting for the caller");
        }
      }
    }
  }

  std::set<std::string> set_variables() const {
    std::set<std::string> out;
    auto add = [&](const FlowTransition& t) {
      for (const auto& [k, v] : t.set) out.insert(k);
    };
    for (const auto& i : flow_.intents) add(i.then);
    for (const auto& [n, s] : flow_.states) {
      for (const auto& i : s.intents) add(i.then);
      for (const auto& b : s.on_result) add(b.then);
    }
    return out;
  }

  std::vector<std::string> known_variables() const {
    std::set<std::string> all;
    for (const auto& [k, v] : flow_.variables) all.insert(k);
    for (const auto& [k, v] : options_.variables) all.insert(k);
    for (const auto& k : set_variables()) all.insert(k);
    return {all.begin(), all.end()};
  }

  void check_reachability() {
    std::set<std::string> seen;
    std::deque<std::string> todo{flow_.start};
    auto push_transition = [&](const FlowTransition& t) {
      if (!t.target.empty()) todo.push_back(t.target);
    };
    for (const auto& i : flow_.intents) push_transition(i.then);
    if (!flow_.on_retries_exhausted.empty()) todo.push_back(flow_.on_retries_exhausted);
    while (!todo.empty()) {
      std::string s = std::move(todo.front());
      todo.pop_front();
      if (!seen.insert(s).second) continue;
      const FlowState& st = flow_.states.at(s);
      if (!st.next.empty()) todo.push_back(st.next);
      for (const auto& i : st.intents) push_transition(i.then);
      for (const auto& b : st.on_result) push_transition(b.then);
    }
    for (const auto& [name, st] : flow_.states) {
      if (!seen.count(name))
        errors_.add("states." + name + ": unreachable (no transition leads to it from '" + flow_.start + "')");
    }
  }

  const Json& doc_;
  const FlowLoadOptions& options_;
  ConfigErrors errors_;
  ConfigReader root_;
  FlowDefinition flow_;
  std::vector<std::pair<std::string, std::string>> targets_;    // path, state
  std::vector<std::pair<std::string, std::string>> slot_refs_;  // path, slot
  std::vector<std::pair<std::string, std::string>> templates_;  // path, text
  std::vector<std::pair<std::string, std::string>> tool_uses_;  // path, tool
};

// Frequent English first names and surnames: a recogniser biased to a grammar
// hears names only if they are in it.
const std::vector<std::string>& common_names() {
  static const std::vector<std::string> names = {
      "james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william", "elizabeth", "david",
      "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen", "christopher",
      "nancy", "daniel", "lisa", "matthew", "betty", "anthony", "margaret", "mark", "sandra", "paul", "ashley",
      "steven", "emily", "andrew", "donna", "peter", "michelle", "george", "carol", "anna", "maria", "laura",
      "kevin", "emma", "brian", "olivia", "edward", "sophia", "jason", "helen", "ryan", "julia", "eric", "rachel",
      "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
      "hernandez", "lopez", "gonzalez", "wilson", "anderson", "taylor", "moore", "jackson", "martin", "lee",
      "thompson", "white", "harris", "clark", "lewis", "robinson", "walker", "young", "allen", "king", "wright",
      "scott", "green", "baker", "adams", "nelson", "hill", "campbell", "mitchell", "roberts", "carter",
      "phillips", "evans", "turner", "parker", "collins", "edwards", "stewart", "morris", "murphy", "cook"};
  return names;
}

// Example phrases for a slot type, for recognition hints.
std::vector<std::string> slot_hint_phrases(const FlowSlot& slot) {
  switch (slot.type) {
    case SlotType::date:
      return {"today", "tomorrow", "the day after tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday",
              "saturday", "sunday", "next week", "this week"};
    case SlotType::time:
      return {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
              "oclock", "fifteen", "thirty", "forty five", "am", "pm", "noon", "half past", "quarter past",
              "in the morning", "in the afternoon"};
    case SlotType::number:
      return {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
    case SlotType::phone:
      return {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    case SlotType::yes_no: {
      std::vector<std::string> out = yes_phrases();
      out.insert(out.end(), no_phrases().begin(), no_phrases().end());
      return out;
    }
    case SlotType::choice: {
      std::vector<std::string> out;
      for (const auto& o : slot.options)
        for (const auto& p : o.phrases) out.push_back(join(p, " "));
      return out;
    }
    case SlotType::name: return common_names();
    case SlotType::text: return {};
  }
  return {};
}

}  // namespace

// ------------------------------------------------------------------ shared pieces

void read_phrases(ConfigReader& r, std::vector<std::string>& phrases, std::vector<std::vector<std::string>>& normalized) {
  for (const auto& p : r.get_string_list("phrases")) {
    const auto& expand = p == "$yes" ? yes_phrases() : p == "$no" ? no_phrases() : std::vector<std::string>{p};
    for (const auto& e : expand) {
      auto words = normalize_words(e);
      if (words.empty()) continue;
      phrases.push_back(e);
      normalized.push_back(std::move(words));
    }
  }
  if (normalized.empty()) r.error_at("phrases", "an intent needs at least one phrase");
}

FlowToolCall read_reserved_tool(ConfigReader& parent, std::string_view key,
                                std::vector<std::pair<std::string, std::string>>& templates) {
  FlowToolCall call;
  const Json* node = parent.get_raw(key);
  if (!node) return call;
  const std::string path = parent.path_of(key);
  if (key == "handoff") {
    call.name = std::string(kTransfer);
    ConfigReader r(*node, path, parent.errors());
    const std::string reason = r.get_string("reason", "caller asked for a person");
    const std::string urgency = r.get_enum("urgency", "normal", {"low", "normal", "high"});
    (void)r.finish();
    templates.push_back({path + ".reason", reason});
    call.arguments = Json::object({{"reason", reason}, {"urgency", urgency}});
    return call;
  }
  call.name = std::string(kEndCall);
  std::string reason = "completed";
  if (node->is_string()) {
    reason = node->as_string();
  } else if (!node->is_bool()) {
    parent.error_at(key, "expected true or a reason text, found " + node->describe());
  } else if (!node->as_bool()) {
    call.name.clear();
  }
  call.arguments = Json::object({{"reason", reason}});
  return call;
}

std::vector<std::string> template_placeholders(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = text.find('{'); i != std::string_view::npos; i = text.find('{', i + 1)) {
    const std::size_t j = text.find('}', i);
    if (j == std::string_view::npos) break;
    out.emplace_back(text.substr(i + 1, j - i - 1));
  }
  return out;
}

std::string render_template(std::string_view text, const TemplateLookup& lookup) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('{', i);
    const std::size_t close = open == std::string_view::npos ? std::string_view::npos : text.find('}', open);
    if (close == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    if (auto v = lookup(text.substr(open + 1, close - open - 1))) out += scalar_text(*v);
    i = close + 1;
  }
  return out;
}

Json render_template_json(const Json& value, const TemplateLookup& lookup) {
  if (value.is_string()) {
    const std::string& s = value.as_string();
    // A lone placeholder keeps the value's type ({nights.value} stays a number).
    if (s.size() > 2 && s.front() == '{' && s.back() == '}' && s.find('{', 1) == std::string::npos) {
      return lookup(std::string_view(s).substr(1, s.size() - 2)).value_or(Json());
    }
    return Json(render_template(s, lookup));
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& m : value.as_object()) out[m.key] = render_template_json(m.value, lookup);
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& v : value.as_array()) out.push_back(render_template_json(v, lookup));
    return out;
  }
  return value;
}

std::set<std::string> FlowDefinition::tools() const {
  std::set<std::string> out;
  for (const auto& [state_name, st] : states)
    if (st.tool && st.tool->name != kTransfer && st.tool->name != kEndCall) out.insert(st.tool->name);
  return out;
}

Result<std::shared_ptr<const FlowDefinition>> load_flow(const Json& doc, std::string origin,
                                                        const FlowLoadOptions& options) {
  return Loader(doc, std::move(origin), options).load();
}

// ------------------------------------------------------------------ the dialog

FlowDialog::FlowDialog(std::shared_ptr<const FlowDefinition> flow, std::map<std::string, std::string> variables)
    : flow_(std::move(flow)), variables_(flow_->variables), today_(flow_->today.value_or(today_utc())) {
  for (auto& [k, v] : variables) variables_[k] = std::move(v);
  state_ = flow_->start;
}

FlowOutput FlowDialog::respond(const std::vector<ChatMessage>& messages) {
  out_ = {};
  const ChatMessage* last = nullptr;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role != Role::system) {
      last = &*it;
      break;
    }
  }
  if (!started_) {
    started_ = true;
    state_ = flow_->start;
    if (last && last->role == Role::user) {
      handle_user(last->content);  // the host greeted; the caller spoke first to us
    } else {
      enter(flow_->start);
    }
  } else if (last && last->role == Role::tool) {
    handle_tool_result(*last);
  } else if (last && last->role == Role::user) {
    handle_user(last->content);
  } else {
    out_.text = current_prompt();
  }
  out_.hints = hints();
  return std::move(out_);
}

RecognitionHints FlowDialog::hints() const {
  RecognitionHints h;
  h.state = state_;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    if (!p.empty() && seen.insert(p).second) h.phrases.push_back(p);
  };
  const FlowState& s = current();
  for (const auto& p : s.hints) add(p);
  for (const auto& i : s.intents) {
    for (const auto& p : i.hints) add(p);
    for (const auto& p : i.phrases) add(p);
  }
  for (const auto& name : s.collect)
    for (const auto& p : slot_hint_phrases(flow_->slots.at(name))) add(p);
  for (const auto& i : flow_->intents) {
    for (const auto& p : i.hints) add(p);
    for (const auto& p : i.phrases) add(p);
  }
  return h;
}

std::map<std::string, SlotValue> FlowDialog::extract(const std::vector<std::string>& words) const {
  std::map<std::string, SlotValue> fresh;
  const FlowState& s = current();
  for (const auto& [name, slot] : flow_->slots) {
    const bool asked = std::find(s.collect.begin(), s.collect.end(), name) != s.collect.end();
    std::optional<SlotValue> v;
    switch (slot.type) {
      case SlotType::date: v = parse_date(words, today_); break;
      case SlotType::time: v = parse_time(words, asked); break;
      case SlotType::phone: v = parse_phone(words); break;
      case SlotType::name: v = parse_name(words, asked); break;
      case SlotType::number:
        if (asked) v = parse_number(words);
        break;
      case SlotType::yes_no:
        if (asked) v = parse_yes_no(words);
        break;
      case SlotType::choice: v = parse_choice(words, slot.options, asked && flow_->fuzzy); break;
      case SlotType::text:
        if (asked && !words.empty()) v = SlotValue{last_user_, Json(last_user_)};
        break;
    }
    if (v) fresh[name] = std::move(*v);
  }
  return fresh;
}

void FlowDialog::handle_user(const std::string& text) {
  last_user_ = text;
  awaiting_.reset();  // the caller spoke instead of waiting for a tool result
  const std::vector<std::string> words = normalize_words(text);
  const std::map<std::string, SlotValue> fresh = extract(words);

  // Global intents (emergencies, "a person") win whenever one matches; else the
  // state's best intent.
  const FlowIntent* best = nullptr;
  double best_score = 0;
  auto consider = [&](const std::vector<FlowIntent>& intents) {
    for (const auto& intent : intents) {
      for (const auto& p : intent.normalized) {
        const double score = phrase_score(words, p, flow_->fuzzy);
        if (score > best_score) {
          best_score = score;
          best = &intent;
        }
      }
    }
  };
  consider(flow_->intents);
  if (!best) consider(current().intents);
  if (best) {
    retries_ = 0;
    apply(best->then, fresh);
    return;
  }
  for (const auto& [k, v] : fresh) slots_[k] = v;
  const FlowState& s = current();
  if (!s.collect.empty()) {
    if (all_filled(s)) {
      retries_ = 0;
      enter(s.next);
      return;
    }
    const bool progress = std::any_of(s.collect.begin(), s.collect.end(), [&](const std::string& n) {
      return fresh.count(n) > 0;
    });
    if (progress) {
      retries_ = 0;
      out_.text = render(first_missing(s)->prompt.empty() ? s.say : first_missing(s)->prompt);
      return;
    }
  }
  if (s.tool) {  // still waiting for a tool: ask for it again
    enter(state_);
    return;
  }
  no_match();
}

void FlowDialog::handle_tool_result(const ChatMessage& message) {
  if (!awaiting_) return;  // not ours (or already answered): nothing to say
  awaiting_.reset();
  auto parsed = Json::parse(message.content);
  result_ = parsed && parsed->is_object() ? std::move(*parsed)
                                          : Json::object({{"result", parsed ? std::move(*parsed) : Json(message.content)}});
  const FlowState& s = current();
  for (const auto& b : s.on_result) {
    bool match = true;
    for (const auto& m : b.when.as_object()) match = match && value_matches(m.value, json_path(result_, m.key));
    if (match) {
      apply(b.then, {});
      return;
    }
  }
  if (!s.next.empty()) enter(s.next);
}

void FlowDialog::apply(const FlowTransition& t, const std::map<std::string, SlotValue>& fresh) {
  // The text may mention what is about to be cleared ("Sorry, {time} is taken"),
  // and what the caller just said survives the clearing ("no, Wednesday").
  for (const auto& [k, v] : fresh) slots_[k] = v;
  for (const auto& [k, v] : t.set) variables_[k] = render(v);
  say(t.say);
  for (const auto& c : t.clear) slots_.erase(c);
  for (const auto& [k, v] : fresh) slots_[k] = v;
  if (!t.target.empty()) enter(t.target);
}

void FlowDialog::enter(std::string name) {
  for (int hop = 0; hop < kMaxHops; ++hop) {
    state_ = name;
    const FlowState& s = current();
    if (!s.collect.empty()) {
      if (all_filled(s)) {
        name = s.next;
        continue;
      }
      const bool some = std::any_of(s.collect.begin(), s.collect.end(), [&](const std::string& n) {
        return slots_.count(n) > 0;
      });
      const FlowSlot* missing = first_missing(s);
      say(some && !missing->prompt.empty() ? missing->prompt : s.say);
      return;
    }
    say(s.say);
    if (s.tool) {
      call_tool(*s.tool);
      return;
    }
    if (!s.next.empty() && s.intents.empty()) {
      name = s.next;
      continue;
    }
    return;
  }
}

void FlowDialog::no_match() {
  ++retries_;
  if (flow_->max_retries > 0 && retries_ > flow_->max_retries && !flow_->on_retries_exhausted.empty()) {
    retries_ = 0;
    enter(flow_->on_retries_exhausted);
    return;
  }
  const FlowState& s = current();
  if (!s.fallback.empty()) {
    say(s.fallback);
  } else {
    say(flow_->fallback);
    out_.text += (out_.text.empty() ? "" : " ") + current_prompt();
  }
}

std::string FlowDialog::current_prompt() const {
  const FlowState& s = current();
  if (!s.collect.empty()) {
    const FlowSlot* missing = first_missing(s);
    const bool some = std::any_of(s.collect.begin(), s.collect.end(), [&](const std::string& n) {
      return slots_.count(n) > 0;
    });
    if (missing && some && !missing->prompt.empty()) return render(missing->prompt);
  }
  return render(s.say);
}

bool FlowDialog::all_filled(const FlowState& s) const {
  return std::all_of(s.collect.begin(), s.collect.end(), [&](const std::string& n) { return slots_.count(n) > 0; });
}

const FlowSlot* FlowDialog::first_missing(const FlowState& s) const {
  for (const auto& n : s.collect)
    if (!slots_.count(n)) return &flow_->slots.at(n);
  return nullptr;
}

void FlowDialog::say(const std::string& text_template) {
  const std::string text = render(text_template);
  if (text.empty()) return;
  out_.text += (out_.text.empty() ? "" : " ") + text;
}

void FlowDialog::call_tool(const FlowToolCall& tool) {
  ToolCall call;
  call.id = "flow_call_" + std::to_string(++calls_);
  call.name = tool.name;
  Json args = render_json(tool.arguments);
  if (tool.name == kTransfer) {
    std::string summary = "state " + state_;
    for (const auto& [k, v] : slots_) summary += "; " + k + ": " + v.display;
    if (!last_user_.empty()) summary += "; caller said: \"" + last_user_ + "\"";
    args["summary"] = summary;
  }
  call.arguments = args.dump();
  awaiting_ = tool.name;
  out_.tool_call = std::move(call);
}

std::optional<Json> FlowDialog::lookup(std::string_view name) const {
  const std::string_view base = name.substr(0, name.find('.'));
  if (auto it = slots_.find(std::string(base)); it != slots_.end()) {
    if (name == base) return Json(it->second.display);
    if (name.substr(base.size()) == ".value") return it->second.value;
  }
  if (base == "result") {
    if (const Json* v = json_path(result_, name.substr(std::min(name.size(), base.size() + 1)))) return *v;
    return std::nullopt;
  }
  if (name == "user") return Json(last_user_);
  if (auto it = variables_.find(std::string(name)); it != variables_.end()) return Json(it->second);
  return std::nullopt;
}

std::string FlowDialog::render(const std::string& text) const {
  return render_template(text, [this](std::string_view name) { return lookup(name); });
}

Json FlowDialog::render_json(const Json& value) const {
  return render_template_json(value, [this](std::string_view name) { return lookup(name); });
}

}  // namespace loqui::detail
