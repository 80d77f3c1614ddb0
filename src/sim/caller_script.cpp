// SPDX-License-Identifier: Apache-2.0
// File: caller-script parser.
#include "loqui/sim/caller_script.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace loqui {
namespace {

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool parse_duration_into(std::string_view text, Duration& out) {
  std::string t = lower(trim(text));
  double scale = 1.0;
  if (t.size() > 2 && t.substr(t.size() - 2) == "ms") {
    scale = 1e-3;
    t.resize(t.size() - 2);
  } else if (!t.empty() && t.back() == 's') {
    t.pop_back();
  }
  t = trim(t);
  if (t.empty()) return false;
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || v < 0 || v > 3600) return false;
  out = Duration(static_cast<std::int64_t>(v * scale * 1e9));
  return true;
}

constexpr std::string_view kExpected =
    "expected [pause 1.5s], [when agent speaks, after 1.2s] TEXT or [when agent stops, after 0.3s] TEXT";

Error line_error(std::string_view source, int line, const std::string& what) {
  return Error(errc::parse_error, std::string(source) + ":" + std::to_string(line) + ": " + what);
}

/// Splits a line's text on inline [pause Ns] markers.
Result<std::vector<CallerSegment>> parse_segments(std::string_view text, std::string_view source, int line) {
  std::vector<CallerSegment> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t open = text.find('[', pos);
    const std::string piece = trim(text.substr(pos, open == std::string_view::npos ? std::string_view::npos : open - pos));
    if (open == std::string_view::npos) {
      if (!piece.empty()) out.push_back({piece, {}});
      break;
    }
    const std::size_t close = text.find(']', open);
    if (close == std::string_view::npos) return line_error(source, line, "unclosed '[' in line");
    const std::string marker = lower(trim(text.substr(open + 1, close - open - 1)));
    if (marker.rfind("pause", 0) != 0)
      return line_error(source, line, "only [pause Ns] may appear inside a line, found '[" + marker + "]'");
    Duration d{};
    if (!parse_duration_into(marker.substr(5), d))
      return line_error(source, line, "bad pause length in '[" + marker + "]' (e.g. [pause 0.8s])");
    if (!piece.empty()) out.push_back({piece, d});
    else if (!out.empty()) out.back().pause_after += d;
    else return line_error(source, line, "a line cannot start with an inline pause; use a [pause Ns] line");
    pos = close + 1;
  }
  if (!out.empty()) out.back().pause_after = {};
  return out;
}

}  // namespace

std::string CallerStep::text() const {
  std::string out;
  for (const auto& s : segments) {
    if (!out.empty()) out += ' ';
    out += s.text;
  }
  return out;
}

Result<CallerScript> CallerScript::parse(std::string_view text, std::string_view source) {
  CallerScript script;
  std::istringstream in{std::string(text)};
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    const std::string l = trim(raw);
    if (l.empty() || l[0] == '#') continue;
    CallerStep step;
    step.line = line;
    std::string_view rest = l;
    if (l[0] == '[') {
      const std::size_t close = l.find(']');
      if (close == std::string::npos) return line_error(source, line, "unclosed '[' (" + std::string(kExpected) + ")");
      const std::string cue = lower(trim(std::string_view(l).substr(1, close - 1)));
      rest = std::string_view(l).substr(close + 1);
      if (cue.rfind("pause", 0) == 0) {
        if (!trim(rest).empty())
          return line_error(source, line, "text after a [pause] line; put it on the next line or inside the line");
        step.kind = CallerStep::Kind::pause;
        if (!parse_duration_into(cue.substr(5), step.delay))
          return line_error(source, line, "bad pause length in '[" + cue + "]' (e.g. [pause 1.5s])");
        script.steps.push_back(std::move(step));
        continue;
      }
      if (cue.rfind("when agent ", 0) == 0) {
        const std::size_t comma = cue.find(',');
        const std::string what = trim(cue.substr(11, comma == std::string::npos ? std::string::npos : comma - 11));
        if (what == "speaks" || what == "starts speaking") step.trigger = CallerStep::Trigger::agent_speaks;
        else if (what == "stops" || what == "stops speaking") step.trigger = CallerStep::Trigger::agent_stops;
        else return line_error(source, line, "unknown agent event '" + what + "' (expected 'speaks' or 'stops')");
        if (comma != std::string::npos) {
          const std::string after = trim(cue.substr(comma + 1));
          if (after.rfind("after", 0) != 0 || !parse_duration_into(after.substr(5), step.delay))
            return line_error(source, line, "bad delay '" + after + "' (e.g. 'after 1.2s')");
        }
      } else {
        return line_error(source, line, "unknown cue '[" + cue + "]' (" + std::string(kExpected) + ")");
      }
    } else {
      step.trigger = CallerStep::Trigger::reply;
      step.delay = kDefaultReplyDelay;
    }
    LOQUI_ASSIGN_OR_RETURN(step.segments, parse_segments(rest, source, line));
    if (step.segments.empty()) return line_error(source, line, "a cue needs text for the caller to say");
    script.steps.push_back(std::move(step));
  }
  if (script.steps.empty()) return Error(errc::parse_error, std::string(source) + ": the script has no lines");
  return script;
}

Result<CallerScript> CallerScript::parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(errc::not_found, path + ": cannot open caller script");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::optional<Duration> parse_duration(std::string_view text) {
  Duration d{};
  if (!parse_duration_into(text, d)) return std::nullopt;
  return d;
}

}  // namespace loqui
