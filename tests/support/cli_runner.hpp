// SPDX-License-Identifier: Apache-2.0
// File: runs the built `loqui` binary from a test: exit status, stdout and
// stderr, in a scratch directory removed afterwards. Tests using it skip when
// the CLI is not built (LOQUI_CLI_PATH undefined).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "support/dsp_signals.hpp"

namespace loqui::testing {

struct CliResult {
  int status = -1;  ///< exit code, -1 if killed by a signal
  std::string out;
  std::string err;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef LOQUI_CLI_PATH
    exe_ = LOQUI_CLI_PATH;
#endif
    if (exe_.empty() || !std::filesystem::exists(exe_)) GTEST_SKIP() << "the loqui CLI is not built";
  }
  /// Runs `loqui <args>` (a shell command line) with `env` prepended.
  CliResult run(const std::string& args, const std::string& env = "") {
    const auto out = dir_.path() / "stdout.txt";
    const auto err = dir_.path() / "stderr.txt";
    const std::string cmd = env + (env.empty() ? "" : " ") + exe_.string() + " " + args + " >" + out.string() +
                            " 2>" + err.string();
    const int rc = std::system(cmd.c_str());
    CliResult r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(out), read_text(err)};
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
  }
  std::string p(const std::string& name) const { return (dir_.path() / name).string(); }

  std::filesystem::path exe_;
  ScratchDir dir_;
};

}  // namespace loqui::testing
