// SPDX-License-Identifier: Apache-2.0
// File: the log sink, level and redaction.
#include "loqui/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <vector>

#include "loqui/secret.hpp"
#include "loqui/version.hpp"

namespace loqui {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
std::mutex g_sink_mu;
LogSink& sink_slot() {
  static LogSink sink;
  return sink;
}
char level_letter(LogLevel l) {
  switch (l) {
    case LogLevel::trace: return 'T';
    case LogLevel::debug: return 'D';
    case LogLevel::info: return 'I';
    case LogLevel::warn: return 'W';
    case LogLevel::error: return 'E';
    case LogLevel::off: return '-';
  }
  return '?';
}
}  // namespace

const char* version() noexcept { return LOQUI_VERSION_STRING; }

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "?";
}

bool parse_log_level(std::string_view text, LogLevel& out) noexcept {
  for (int i = 0; i <= static_cast<int>(LogLevel::off); ++i) {
    if (to_string(static_cast<LogLevel>(i)) == text) {
      out = static_cast<LogLevel>(i);
      return true;
    }
  }
  if (text == "warning") {
    out = LogLevel::warn;
    return true;
  }
  return false;
}

void set_log_sink(LogSink sink, LogLevel min_level) {
  std::lock_guard lock(g_sink_mu);
  sink_slot() = std::move(sink);
  g_level.store(static_cast<int>(min_level), std::memory_order_relaxed);
}

void set_log_level(LogLevel min_level) noexcept { g_level.store(static_cast<int>(min_level), std::memory_order_relaxed); }
LogLevel log_level() noexcept { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

std::string format_log_record(const LogRecord& record) {
  std::string line;
  line += level_letter(record.level);
  line += ' ';
  line += record.component;
  line += ": ";
  line += record.message;
  for (const auto& f : record.fields) {
    line += ' ';
    line += f.key;
    line += '=';
    line += f.value;
  }
  return line;
}

void log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  const std::string clean = redact(message);
  std::vector<std::string> values;
  std::vector<LogField> clean_fields;
  values.reserve(fields.size());
  clean_fields.reserve(fields.size());
  for (const auto& f : fields) values.push_back(redact(f.value));
  std::size_t i = 0;
  for (const auto& f : fields) clean_fields.push_back({f.key, values[i++]});
  const LogRecord record{level, component, clean, clean_fields};
  std::lock_guard lock(g_sink_mu);
  if (sink_slot()) {
    sink_slot()(record);
  } else {
    const std::string line = format_log_record(record) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

}  // namespace loqui
