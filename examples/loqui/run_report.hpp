// SPDX-License-Identifier: Apache-2.0
// File: what `loqui run` (and `loqui check`) make of a finished call: the price
// table an agent names, the JSON report (docs/run-report.md) and the printed
// summary (transcript, per-turn table, usage and cost).
#pragma once

#include <cstdio>

#include "loqui/agent/agent_config.hpp"
#include "loqui/metrics/cost.hpp"
#include "loqui/sim/call_simulator.hpp"

namespace loqui::cli {

/// The agent's price table (file or inline, over the defaults), or the defaults.
Result<PriceTable> load_prices(const AgentConfig& config);
/// The CallRecord JSON with "cost", plus "line" (the line profile and its statistics).
Json make_report(const CallSimulationResult& result, const PriceTable& prices, const LineProfile& profile);
void print_summary(std::FILE* out, const AgentConfig& config, const CallSimulationResult& result,
                   const CallCost& cost, bool real_time, double wall_seconds, const LineProfile& line);

}  // namespace loqui::cli
