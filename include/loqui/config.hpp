// SPDX-License-Identifier: Apache-2.0
// File: validated reading of JSON configuration.
//
// A ConfigReader walks one JSON object. Each getter marks its key as known, checks
// the type and range, and returns the value or a default. Errors accumulate (so a
// user sees all of them at once) and each names the path of the bad field, what
// was expected and what was found:
//
//   stt.options.sample_rate: expected a positive integer, found "16k"
//   llm.modle: unknown key (known keys: provider, model, base_url, api_key_env)
//
// finish() reports keys nobody read as errors: a typo never silently changes
// behaviour.
//
// @code
//   loqui::ConfigErrors errors;
//   loqui::ConfigReader r(json, "stt", errors);
//   std::string model = r.get_string("model", "nova-3");
//   int rate = r.get_int("sample_rate", 16000, {.min = 8000, .max = 48000});
//   auto opts = r.child("options");
//   bool interim = opts.get_bool("interim_results", true);
//   opts.finish();
//   LOQUI_TRY(r.finish());   // Status with every error joined by "; "
// @endcode
//
// Thread safety: a reader and its ConfigErrors are confined to one thread.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/json.hpp"
#include "loqui/secret.hpp"

namespace loqui {

/// Collected configuration errors, each "path: what".
class ConfigErrors {
 public:
  void add(std::string message) { messages_.push_back(std::move(message)); }
  bool empty() const noexcept { return messages_.empty(); }
  const std::vector<std::string>& messages() const noexcept { return messages_; }
  /// ok, or errc::invalid_config with all messages joined by "; ".
  Status status() const;

 private:
  std::vector<std::string> messages_;
};

struct IntRange {
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};
struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

class ConfigReader {
 public:
  /// `node` must outlive the reader. `path` is the dotted path of `node` ("" for the
  /// root). If `node` is not an object (and not null/absent), an error is recorded.
  ConfigReader(const Json& node, std::string path, ConfigErrors& errors);

  const std::string& path() const noexcept { return path_; }
  /// Path of a member: path() + "." + key (or just key at the root).
  std::string path_of(std::string_view key) const;
  bool has(std::string_view key) const noexcept;
  const Json& node() const noexcept { return *node_; }

  std::string get_string(std::string_view key, std::string_view fallback);
  std::optional<std::string> get_optional_string(std::string_view key);
  /// Records "missing required key" if absent.
  std::string require_string(std::string_view key);
  bool get_bool(std::string_view key, bool fallback);
  std::int64_t get_int(std::string_view key, std::int64_t fallback, IntRange range = {});
  double get_number(std::string_view key, double fallback, NumberRange range = {});
  std::vector<std::string> get_string_list(std::string_view key, std::vector<std::string> fallback = {});
  /// One of `allowed`; error lists them.
  std::string get_enum(std::string_view key, std::string_view fallback,
                       std::initializer_list<std::string_view> allowed);
  /// The raw member (marked as read) or nullptr.
  const Json* get_raw(std::string_view key);
  /// Reads `<key>` naming an environment variable and resolves it into a Secret.
  /// Absent key: std::nullopt. Missing variable: records an error naming both.
  std::optional<Secret> get_secret_env(std::string_view key);

  /// Reader for a nested object (absent: an empty object). Shares the error list.
  ConfigReader child(std::string_view key);
  /// Marks keys as known without reading them (handled elsewhere).
  void allow(std::initializer_list<std::string_view> keys);

  /// Records an error at this reader's path or at a member.
  void error(std::string_view message);
  void error_at(std::string_view key, std::string_view message);

  /// Reports unread keys as unknown; returns errors.status().
  Status finish();
  ConfigErrors& errors() noexcept { return *errors_; }

 private:
  const Json* member(std::string_view key);
  const Json* node_;
  std::string path_;
  ConfigErrors* errors_;
  std::vector<std::string> known_;
};

}  // namespace loqui
