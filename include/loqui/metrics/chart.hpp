// SPDX-License-Identifier: Apache-2.0
// File: an SVG waterfall of per-turn latency: one row per turn, one coloured bar
// per stage, on a time axis starting where the caller stopped speaking. What
// `loqui run --chart` writes; hosts can render their own calls with it.
#pragma once

#include <string>
#include <vector>

#include "loqui/metrics/turn_metrics.hpp"

namespace loqui {

struct ChartOptions {
  std::string title = "Voice-to-voice latency per turn";
  int width_px = 960;
  int row_height_px = 34;
};

/// Renders the turns that have a user_speech_end; other turns (e.g. the greeting)
/// are skipped. Returns a complete standalone SVG document.
std::string render_turn_waterfall_svg(const std::vector<TurnMetrics>& turns, const ChartOptions& options = {});

}  // namespace loqui
