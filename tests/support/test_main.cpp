// SPDX-License-Identifier: Apache-2.0
// File: main() for every test executable.
#include <gtest/gtest.h>

#include "loqui/log.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Tests assert on behaviour, not on log output; keep ctest logs readable.
  loqui::set_log_level(loqui::LogLevel::error);
  return RUN_ALL_TESTS();
}
