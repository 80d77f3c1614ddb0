// SPDX-License-Identifier: Apache-2.0
// File: registers every provider compiled into this build, explicitly (no static
// initialisers: linkers drop them from static libraries). Each adapter folder
// under src/providers/<vendor>/ exposes one register_<vendor>(Registry&).
#include "loqui/features.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/builtin.hpp"

namespace loqui {

void register_builtin_providers(Registry& registry) {
  registry.set_origin("builtin");
  detail::register_all_builtin(registry);
  registry.set_origin("code");
}

}  // namespace loqui
