// SPDX-License-Identifier: Apache-2.0
// File: leveled, structured logging with a host-replaceable sink.
//
// loqui never writes to stdout. By default records at `info` and above go to stderr
// as one line each; a host installs its own sink with set_log_sink() to route them
// into its logging system. Every message and field value passes through secret
// redaction (loqui/secret.hpp) before it reaches any sink.
//
// Thread safety: all functions here are safe to call from any thread. The sink may
// be called concurrently from several threads; it must be thread-safe itself. It
// must not call back into set_log_sink().
#pragma once

#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace loqui {

enum class LogLevel : int { trace = 0, debug, info, warn, error, off };

std::string_view to_string(LogLevel level) noexcept;
/// Parses "trace", "debug", "info", "warn", "error", "off"; false if unknown.
bool parse_log_level(std::string_view text, LogLevel& out) noexcept;

/// One structured key/value attached to a record ("session" = "abc", "provider" = ...).
struct LogField {
  std::string_view key;
  std::string_view value;
};

/// A log record. All views are valid only during the sink call.
struct LogRecord {
  LogLevel level = LogLevel::info;
  std::string_view component;  ///< "runtime", "stt.deepgram", "turn" ...
  std::string_view message;    ///< already redacted
  std::span<const LogField> fields;  ///< values already redacted
};

using LogSink = std::function<void(const LogRecord&)>;

/// Replaces the sink (nullptr restores the default stderr sink) and the minimum level.
void set_log_sink(LogSink sink, LogLevel min_level = LogLevel::info);
/// Changes only the minimum level.
void set_log_level(LogLevel min_level) noexcept;
LogLevel log_level() noexcept;
inline bool log_enabled(LogLevel level) noexcept { return level >= log_level() && level != LogLevel::off; }

/// Emits a preformatted record (used by loqui internally and by plugins/hosts).
void log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});

/// Formats a record the way the default sink does: "W stt.deepgram: message key=value".
std::string format_log_record(const LogRecord& record);

}  // namespace loqui
