// SPDX-License-Identifier: Apache-2.0
// File: runs a fuzz target over corpus files (all files in the directories and
// files named on the command line), for builds without libFuzzer. Exits non-zero if
// no input was found, so an empty corpus does not pass silently.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
bool run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg, ec))
        if (e.is_regular_file() && run_file(e.path())) ++ran;
    } else if (run_file(arg)) {
      ++ran;
    }
  }
  // Also the empty input and a few degenerate ones, always.
  const std::uint8_t zeros[64] = {};
  LLVMFuzzerTestOneInput(nullptr, 0);
  LLVMFuzzerTestOneInput(zeros, sizeof zeros);
  std::printf("replayed %zu corpus inputs\n", ran);
  return ran > 0 ? 0 : 1;
}
