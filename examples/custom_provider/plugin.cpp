// SPDX-License-Identifier: Apache-2.0
// File: the "faq" example adapter as a plugin: the one C entry point a shared
// library exports so `Registry::load_plugin()` (and `loqui ... --plugin`) can load it.
#include <loqui/provider/plugin.hpp>

#include "faq_llm.hpp"

extern "C" LOQUI_PLUGIN_EXPORT const loqui::PluginDescriptor* loqui_plugin_descriptor() {
  static const loqui::PluginDescriptor descriptor{loqui::kPluginAbiVersion, "faq-example", "1.0.0",
                                                  &faq::register_faq};
  return &descriptor;
}
