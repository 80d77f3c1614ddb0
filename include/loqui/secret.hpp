// SPDX-License-Identifier: Apache-2.0
// File: credentials by indirection, and the redaction that keeps them out of logs.
//
// Configs never hold keys; they name an environment variable
// (`"api_key_env": "DEEPGRAM_API_KEY"`). Secret::from_env reads it at session start
// and registers the value with the process-wide redactor, so the value is replaced
// by "[redacted]" in every log record and every Error message from then on.
//
// Thread safety: all functions are safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "loqui/error.hpp"

namespace loqui {

/// A credential. Its value is only reachable through reveal(); formatting helpers
/// print "[redacted]".
class Secret {
 public:
  Secret() = default;
  /// Reads environment variable `variable`. Errors: errc::invalid_config if the name
  /// is empty, errc::not_found if unset or empty ("environment variable
  /// DEEPGRAM_API_KEY (stt.api_key_env) is not set"). `where` names the config path
  /// for the message.
  static Result<Secret> from_env(std::string_view variable, std::string_view where = {});
  /// Wraps a value the host already holds (registered for redaction too).
  static Secret from_value(std::string value, std::string name = "inline");

  /// The credential itself: pass it to the vendor, never to a log.
  std::string_view reveal() const noexcept { return value_; }
  /// The variable name (safe to print).
  const std::string& name() const noexcept { return name_; }
  bool empty() const noexcept { return value_.empty(); }
  /// "[redacted]" — so `fmt`/streams never print the value by accident.
  std::string to_string() const { return "[redacted]"; }

 private:
  std::string value_;
  std::string name_;
};

/// Adds a value to the redaction set (values shorter than 4 characters are ignored,
/// they would redact ordinary words).
void register_secret(std::string_view value);
/// Replaces every registered secret in `text` with "[redacted]".
std::string redact(std::string_view text);
/// Number of registered secrets (tests).
std::size_t registered_secret_count() noexcept;

}  // namespace loqui
