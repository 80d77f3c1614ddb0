// SPDX-License-Identifier: Apache-2.0
// File: the table of `loqui` subcommands. Each is defined in its cmd_<name>.cpp.
#include "cli.hpp"
#include "commands.hpp"

namespace loqui::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      providers_command(),
      resample_command(),
      jitter_command(),
      transcribe_command(),
      say_command(),
      script_command(),
      run_command(),
      check_command(),
      vad_command(),
  };
  return all;
}

}  // namespace loqui::cli
