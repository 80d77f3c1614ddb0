// SPDX-License-Identifier: Apache-2.0
// File: the list of built-in providers. One line per adapter; guarded by the
// LOQUI_HAS_<X> feature macros for optional ones.
#include "loqui/features.hpp"
#include "providers/builtin.hpp"
#if LOQUI_HAS_CURL
#include "providers/openai/openai.hpp"
#endif

namespace loqui::detail {

void register_all_builtin(Registry& registry) {
  (void)registry;  // adapters add their register_<vendor>(registry) calls here
#if LOQUI_HAS_CURL
  register_openai(registry);
#endif
}

}  // namespace loqui::detail
