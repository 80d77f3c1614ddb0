// SPDX-License-Identifier: Apache-2.0
// File: ToolRegistry, the functions a host gives the agent. Each tool is a ToolSpec
// (name, description, JSON-Schema parameters the LLM sees) plus a handler: a plain
// C++ callable returning a result, or an asynchronous one that completes later
// (a database query, an HTTP call) through a callback.
//
// The turn manager runs the LLM's tool calls through it, sends results back to the
// LLM, says a filler phrase when a tool is slow, and turns failures into an error
// result the LLM sees plus a ToolCallFinished{ok = false} event.
//
// Thread safety: register tools during setup; afterwards the registry is read-only
// and may be shared by many sessions. Handlers run on the calling session's strand;
// an async handler may call `done` from any thread (the session posts it back to
// its strand), exactly once.
//
// @code
//   loqui::ToolRegistry tools;
//   tools.add({.name = "check_availability", .description = "Free slots on a day",
//              .parameters = loqui::Json::parse(R"({"type":"object","properties":{"day":{"type":"string"}}})").value()},
//             [](const loqui::Json& args) -> loqui::Result<loqui::Json> {
//               return loqui::Json::object({{"slots", loqui::Json::array({"10:00", "14:30"})}});
//             });
// @endcode
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/json.hpp"
#include "loqui/provider/llm.hpp"
#include "loqui/runtime/clock.hpp"

namespace loqui {

struct SimulatedTool;

/// Completes an async tool call: a result object, or an Error.
using ToolDone = std::function<void(Result<Json>)>;
using SyncToolHandler = std::function<Result<Json>(const Json& arguments)>;
using AsyncToolHandler = std::function<void(const Json& arguments, ToolDone done)>;

/// What a handler knows about the call that runs it.
struct ToolContext {
  std::string session_id;
  std::string call_id;
};

class ToolRegistry {
 public:
  struct Entry {
    ToolSpec spec;
    SyncToolHandler sync;
    AsyncToolHandler async;
    /// For simulated tools: the session delays the result by this much.
    Duration latency{};
  };

  /// Errors: errc::already_exists, errc::invalid_argument (empty name, no handler,
  /// parameters not a JSON object, a reserved name: transfer_to_human, end_call).
  Status add(ToolSpec spec, SyncToolHandler handler);
  Status add_async(ToolSpec spec, AsyncToolHandler handler);
  /// Registers a config-declared tool returning canned results (with its latency).
  Status add_simulated(const SimulatedTool& tool);

  const Entry* find(std::string_view name) const;
  std::vector<ToolSpec> specs() const;
  bool empty() const noexcept { return entries_.empty(); }

 private:
  Status check(const ToolSpec& spec) const;
  std::map<std::string, Entry, std::less<>> entries_;
};

/// The built-in tools the turn manager understands itself.
inline constexpr std::string_view kTransferToHumanTool = "transfer_to_human";
inline constexpr std::string_view kEndCallTool = "end_call";
/// Their specs, as offered to the LLM.
ToolSpec transfer_to_human_spec();
ToolSpec end_call_spec();

}  // namespace loqui
