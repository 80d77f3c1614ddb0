// SPDX-License-Identifier: Apache-2.0
// File: the per-turn latency waterfall as SVG.
#include "loqui/metrics/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace loqui {
namespace {

struct StageBar {
  const char* label;
  const char* colour;
};
// Stages in the order they happen; each bar spans [from, to] of the turn.
constexpr StageBar kStages[] = {
    {"endpointing", "#9e9e9e"},   // speech end -> end-of-turn decision
    {"STT final", "#42a5f5"},     // speech end -> final transcript
    {"LLM first token", "#ab47bc"},
    {"first sentence", "#ce93d8"},
    {"TTS first audio", "#ffa726"},
    {"to transport", "#66bb6a"},
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

double ms_from(const TurnMetrics& t, const std::optional<TimePoint>& p) {
  return to_ms(*p - *t.user_speech_end);
}

double nice_step(double range) {
  const double raw = range / 8;
  const double mag = std::pow(10.0, std::floor(std::log10(std::max(raw, 1e-9))));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

}  // namespace

std::string render_turn_waterfall_svg(const std::vector<TurnMetrics>& all, const ChartOptions& o) {
  std::vector<const TurnMetrics*> turns;
  for (const auto& t : all)
    if (t.user_speech_end) turns.push_back(&t);

  // Bars per turn: {stage index, from ms, to ms}.
  struct Bar { int stage; double from, to; };
  std::vector<std::vector<Bar>> bars(turns.size());
  double max_ms = 100;
  double min_ms = 0;
  std::vector<double> v2v;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const TurnMetrics& t = *turns[i];
    auto span = [&](int stage, const std::optional<TimePoint>& a, const std::optional<TimePoint>& b) {
      if (!a || !b) return;
      const double from = ms_from(t, a), to = ms_from(t, b);
      bars[i].push_back({stage, from, std::max(to, from)});
      max_ms = std::max(max_ms, to);
      min_ms = std::min(min_ms, from);
    };
    span(0, t.user_speech_end, t.end_of_turn);
    span(1, t.user_speech_end, t.stt_final);
    span(2, t.llm_request, t.llm_first_token);
    span(3, t.llm_first_token, t.first_sentence);
    span(4, t.tts_request, t.tts_first_audio);
    span(5, t.tts_first_audio, t.agent_audio_start);
    if (t.voice_to_voice) {
      v2v.push_back(to_ms(*t.voice_to_voice));
      max_ms = std::max(max_ms, v2v.back());
    }
  }
  std::vector<double> sorted = v2v;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.empty() ? 0 : sorted[sorted.size() / 2];

  const int left = 160, right = 30, top = 64, legend_h = 40;
  const int plot_w = o.width_px - left - right;
  const int rows = static_cast<int>(std::max<std::size_t>(turns.size(), 1));
  const int plot_h = rows * o.row_height_px;
  const int height = top + plot_h + 40 + legend_h;
  const double step = nice_step(max_ms - min_ms);
  const double axis_min = std::floor(min_ms / step) * step;
  const double axis_max = std::ceil(max_ms * 1.05 / step) * step;
  auto x = [&](double ms) { return left + (ms - axis_min) / (axis_max - axis_min) * plot_w; };

  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(o.width_px) + "\" height=\"" +
       std::to_string(height) + "\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  s += "<text x=\"" + std::to_string(left) + "\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" + escape(o.title) +
       "</text>\n";
  std::string subtitle = turns.empty() ? std::string("no caller turns")
                                       : std::to_string(turns.size()) + " turns, median voice-to-voice " +
                                             num(median) + " ms; 0 = caller stopped speaking";
  s += "<text x=\"" + std::to_string(left) + "\" y=\"44\" fill=\"#555\">" + escape(subtitle) + "</text>\n";
  // Grid and axis.
  for (double v = axis_min; v <= axis_max + 1e-9; v += step) {
    const std::string xs = num(x(v));
    s += "<line x1=\"" + xs + "\" y1=\"" + std::to_string(top) + "\" x2=\"" + xs + "\" y2=\"" +
         std::to_string(top + plot_h) + "\" stroke=\"" + (std::fabs(v) < 1e-9 ? "#333" : "#e0e0e0") + "\"/>\n";
    s += "<text x=\"" + xs + "\" y=\"" + std::to_string(top + plot_h + 16) + "\" text-anchor=\"middle\" fill=\"#555\">" +
         num(v).substr(0, num(v).size() - 2) + "</text>\n";
  }
  s += "<text x=\"" + num(left + plot_w / 2.0) + "\" y=\"" + std::to_string(top + plot_h + 32) +
       "\" text-anchor=\"middle\" fill=\"#555\">ms after the caller stopped speaking</text>\n";
  // Rows.
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const TurnMetrics& t = *turns[i];
    const int y0 = top + static_cast<int>(i) * o.row_height_px;
    std::string label = "turn " + std::to_string(t.turn_index);
    if (t.interrupted) label += " (interrupted)";
    s += "<text x=\"" + std::to_string(left - 8) + "\" y=\"" + std::to_string(y0 + o.row_height_px / 2 + 4) +
         "\" text-anchor=\"end\">" + escape(label) + "</text>\n";
    const int lanes = 6;
    const double lane_h = (o.row_height_px - 6) / static_cast<double>(lanes);
    for (const Bar& b : bars[i]) {
      const double y = y0 + 3 + b.stage * lane_h;
      const double w = std::max(1.5, x(b.to) - x(b.from));
      s += "<rect x=\"" + num(x(b.from)) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" +
           num(lane_h - 0.5) + "\" fill=\"" + kStages[b.stage].colour + "\"><title>" + kStages[b.stage].label + ": " +
           num(b.to - b.from) + " ms</title></rect>\n";
    }
    if (t.voice_to_voice) {
      const double vx = x(to_ms(*t.voice_to_voice));
      s += "<line x1=\"" + num(vx) + "\" y1=\"" + std::to_string(y0 + 1) + "\" x2=\"" + num(vx) + "\" y2=\"" +
           std::to_string(y0 + o.row_height_px - 1) + "\" stroke=\"#d32f2f\" stroke-width=\"2\"/>\n";
      s += "<text x=\"" + num(vx + 4) + "\" y=\"" + std::to_string(y0 + o.row_height_px / 2 + 4) +
           "\" fill=\"#d32f2f\">" + num(to_ms(*t.voice_to_voice)) + " ms</text>\n";
    }
  }
  // Legend.
  double lx = left;
  const int ly = top + plot_h + 48;
  for (const auto& st : kStages) {
    s += "<rect x=\"" + num(lx) + "\" y=\"" + std::to_string(ly) + "\" width=\"12\" height=\"12\" fill=\"" +
         st.colour + "\"/>\n";
    s += "<text x=\"" + num(lx + 16) + "\" y=\"" + std::to_string(ly + 10) + "\">" + st.label + "</text>\n";
    lx += 24 + 7.0 * static_cast<double>(std::string_view(st.label).size());
  }
  s += "<line x1=\"" + num(lx) + "\" y1=\"" + std::to_string(ly) + "\" x2=\"" + num(lx) + "\" y2=\"" +
       std::to_string(ly + 12) + "\" stroke=\"#d32f2f\" stroke-width=\"2\"/>\n";
  s += "<text x=\"" + num(lx + 6) + "\" y=\"" + std::to_string(ly + 10) + "\">voice-to-voice</text>\n";
  s += "</svg>\n";
  return s;
}

}  // namespace loqui
