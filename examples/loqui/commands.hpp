// SPDX-License-Identifier: Apache-2.0
// File: declarations of the subcommands (one function per cmd_<name>.cpp).
#pragma once

#include "cli.hpp"

namespace loqui::cli {
Command providers_command();
Command resample_command();
Command jitter_command();
Command transcribe_command();
Command say_command();
Command script_command();
Command run_command();
Command check_command();
Command vad_command();
}  // namespace loqui::cli
