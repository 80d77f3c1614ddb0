// SPDX-License-Identifier: Apache-2.0
// File: the table of `loqui` subcommands. Each is defined in its cmd_<name>.cpp.
#include "cli.hpp"
#include "commands.hpp"

namespace loqui::cli {

const std::vector<Command>& commands() {
  // Calls first (what most people come for), then providers, then the DSP tools.
  static const std::vector<Command> all = {
      run_command(),
      script_command(),
      check_command(),
      providers_command(),
      transcribe_command(),
      say_command(),
      vad_command(),
      jitter_command(),
      resample_command(),
  };
  return all;
}

}  // namespace loqui::cli
