// SPDX-License-Identifier: Apache-2.0
// File: one process-wide Registry with every built-in provider, for tests that
// build providers from JSON configs.
#pragma once

#include "loqui/provider/registry.hpp"

namespace loqui::testing {

/// Created on first use, never destroyed (providers may outlive test fixtures).
inline const Registry& builtin_registry() {
  static Registry* r = [] {
    auto* reg = new Registry();
    register_builtin_providers(*reg);
    return reg;
  }();
  return *r;
}

}  // namespace loqui::testing
