// SPDX-License-Identifier: Apache-2.0
// File: small helpers shared by the provider interfaces.
#include "loqui/provider/llm.hpp"

namespace loqui {

std::string_view to_string(ProviderKind kind) noexcept {
  switch (kind) {
    case ProviderKind::stt: return "stt";
    case ProviderKind::llm: return "llm";
    case ProviderKind::tts: return "tts";
  }
  return "?";
}

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::system: return "system";
    case Role::user: return "user";
    case Role::assistant: return "assistant";
    case Role::tool: return "tool";
  }
  return "?";
}

std::string_view to_string(FinishReason reason) noexcept {
  switch (reason) {
    case FinishReason::stop: return "stop";
    case FinishReason::tool_calls: return "tool_calls";
    case FinishReason::length: return "length";
    case FinishReason::content_filter: return "content_filter";
    case FinishReason::cancelled: return "cancelled";
    case FinishReason::other: return "other";
  }
  return "?";
}

Result<Json> ToolCall::parse_arguments() const {
  if (arguments.empty()) return Json::object();  // some servers send "" for no arguments
  auto j = Json::parse(arguments);
  if (!j) return std::move(j).error().add_context("tool '" + name + "' arguments");
  if (!j->is_object()) {
    return Error(errc::invalid_argument,
                 "tool '" + name + "' arguments: expected a JSON object, found " + j->describe());
  }
  return j;
}

}  // namespace loqui
