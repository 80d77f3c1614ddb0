// SPDX-License-Identifier: Apache-2.0
// File: the `loqui` command's framework: subcommand table, option parsing, help
// text and exit codes. Each subcommand lives in its own cmd_<name>.cpp and is listed
// once in commands.cpp.
//
// Conventions (every subcommand follows them):
//  * options are --name VALUE or --name=VALUE; flags are --name; `--` ends options;
//  * `loqui <command> --help` prints the command's usage and options;
//  * exit 0 = success, 1 = runtime failure, 2 = usage error;
//  * errors are one line on stderr: "loqui <command>: <what and where>".
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/error.hpp"

namespace loqui::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct OptionSpec {
  std::string_view name;         ///< without dashes: "out"
  std::string_view value_name;   ///< empty for a flag; else shown in help: "FILE"
  std::string_view help;
  bool repeatable = false;
};

/// Parsed command line of one subcommand.
class Args {
 public:
  bool has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  /// Last value of an option, if given.
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback) const;
  /// All values of a repeatable option.
  std::vector<std::string> get_all(std::string_view name) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }

  /// Parses a number option; error names the option.
  Result<double> get_number(std::string_view name, double fallback) const;
  Result<long long> get_int(std::string_view name, long long fallback) const;

 private:
  friend struct Parser;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

struct Command;

/// Reports a failure of `command` on stderr in one line; returns kExitFailure.
int fail(const Command& command, const Error& error);
int fail(const Command& command, std::string_view message);
/// Reports a usage error; returns kExitUsage.
int usage_error(const Command& command, std::string_view message);

/// Writes `text` to `path` through a temporary file renamed into place, so a
/// failed command never leaves a file that looks complete. Errors: io_error
/// naming the path.
Status write_text_file(const std::string& path, std::string_view text);

struct Command {
  std::string_view name;
  std::string_view summary;   ///< one line for `loqui help`
  std::string_view synopsis;  ///< after the command name: "IN.wav [--out FRAMES.tsv]"
  std::string_view details;   ///< paragraphs printed by --help after the synopsis
  std::vector<OptionSpec> options;
  int (*run)(const Command& self, const Args& args);
  /// Positional arguments accepted: min..max (max < 0: unbounded).
  int min_positional = 0;
  int max_positional = 0;
};

/// All subcommands, in the order `loqui help` lists them (commands.cpp).
const std::vector<Command>& commands();

/// Entry point used by main().
int main(int argc, char** argv);

/// Prints `loqui <cmd> --help`.
void print_command_help(const Command& command, std::FILE* out);

}  // namespace loqui::cli
