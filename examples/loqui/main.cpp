// SPDX-License-Identifier: Apache-2.0
// File: the `loqui` command-line tool.
#include "cli.hpp"

int main(int argc, char** argv) { return loqui::cli::main(argc, argv); }
