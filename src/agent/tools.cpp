// SPDX-License-Identifier: Apache-2.0
// File: ToolRegistry and the built-in tool specs.
#include "loqui/agent/tools.hpp"

#include <memory>

#include "loqui/agent/agent_config.hpp"

namespace loqui {

Status ToolRegistry::check(const ToolSpec& spec) const {
  if (spec.name.empty()) return Error(errc::invalid_argument, "tool: empty name");
  if (spec.name == kTransferToHumanTool || spec.name == kEndCallTool) {
    return Error(errc::invalid_argument, "tool '" + spec.name + "': the name is reserved for the built-in tool");
  }
  if (!spec.parameters.is_object()) {
    return Error(errc::invalid_argument,
                 "tool '" + spec.name + "': parameters must be a JSON Schema object, found " + spec.parameters.describe());
  }
  if (entries_.count(spec.name)) return Error(errc::already_exists, "tool '" + spec.name + "' is already registered");
  return ok_status();
}

Status ToolRegistry::add(ToolSpec spec, SyncToolHandler handler) {
  if (!handler) return Error(errc::invalid_argument, "tool '" + spec.name + "': no handler");
  LOQUI_TRY(check(spec));
  std::string name = spec.name;
  entries_.emplace(std::move(name), Entry{std::move(spec), std::move(handler), nullptr, {}});
  return ok_status();
}

Status ToolRegistry::add_async(ToolSpec spec, AsyncToolHandler handler) {
  if (!handler) return Error(errc::invalid_argument, "tool '" + spec.name + "': no handler");
  LOQUI_TRY(check(spec));
  std::string name = spec.name;
  entries_.emplace(std::move(name), Entry{std::move(spec), nullptr, std::move(handler), {}});
  return ok_status();
}

Status ToolRegistry::add_simulated(const SimulatedTool& tool) {
  if (tool.results.empty()) return Error(errc::invalid_argument, "tool '" + tool.spec.name + "': no results");
  LOQUI_TRY(check(tool.spec));
  // Each call returns the next canned result; the last one repeats.
  auto results = std::make_shared<std::vector<Json>>(tool.results);
  auto next = std::make_shared<std::size_t>(0);
  SyncToolHandler handler = [results, next](const Json&) -> Result<Json> {
    const std::size_t i = std::min(*next, results->size() - 1);
    ++*next;
    return (*results)[i];
  };
  entries_.emplace(tool.spec.name, Entry{tool.spec, std::move(handler), nullptr, tool.latency});
  return ok_status();
}

const ToolRegistry::Entry* ToolRegistry::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<ToolSpec> ToolRegistry::specs() const {
  std::vector<ToolSpec> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_) out.push_back(e.spec);
  return out;
}

ToolSpec transfer_to_human_spec() {
  return {std::string(kTransferToHumanTool),
          "Transfer the caller to a human colleague. Use when the caller asks for a person or you cannot help.",
          Json::object({{"type", "object"},
                        {"properties",
                         Json::object({{"reason", Json::object({{"type", "string"}})},
                                       {"urgency", Json::object({{"type", "string"},
                                                                 {"enum", Json::array({"normal", "high", "emergency"})}})}})}})};
}

ToolSpec end_call_spec() {
  return {std::string(kEndCallTool), "End the call after saying goodbye.",
          Json::object({{"type", "object"}, {"properties", Json::object({{"reason", Json::object({{"type", "string"}})}})}})};
}

}  // namespace loqui
