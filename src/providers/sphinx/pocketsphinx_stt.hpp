// SPDX-License-Identifier: Apache-2.0
// File: the embedded offline STT `pocketsphinx` (LOQUI_WITH_POCKETSPHINX):
// registration. Options and behaviour: docs/providers/pocketsphinx.md.
#pragma once

namespace loqui {
class Registry;
namespace detail {
/// Registers stt "pocketsphinx" (builtin_list.cpp calls this when LOQUI_HAS_POCKETSPHINX).
void register_pocketsphinx(Registry& registry);
}  // namespace detail
}  // namespace loqui
