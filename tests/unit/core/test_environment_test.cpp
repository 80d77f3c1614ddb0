// SPDX-License-Identifier: Apache-2.0
// File: the test harness passes every environment variable and label (lists survive ctest discovery).
#include <gtest/gtest.h>
#include <cstdlib>
TEST(Env, BothVariablesReachTheTest) { ASSERT_NE(std::getenv("LOQUI_SOURCE_DIR"), nullptr); ASSERT_NE(std::getenv("LOQUI_BINARY_DIR"), nullptr); }
