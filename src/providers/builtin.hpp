// SPDX-License-Identifier: Apache-2.0
// File: private list of built-in provider registration functions.
#pragma once

#include "loqui/provider/registry.hpp"

namespace loqui::detail {
/// Calls every register_<vendor>() compiled in (src/providers/builtin_list.cpp).
void register_all_builtin(Registry& registry);
}  // namespace loqui::detail
