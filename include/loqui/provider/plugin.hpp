// SPDX-License-Identifier: Apache-2.0
// File: the C entry point of provider plugins (shared libraries).
//
// A plugin exports one C-linkage function returning a descriptor. The Registry
// checks abi_version before calling anything else (after ggml's api_version and
// GStreamer's GstPluginDesc).
//
// @code
//   extern "C" LOQUI_PLUGIN_EXPORT const loqui::PluginDescriptor* loqui_plugin_descriptor() {
//     static const loqui::PluginDescriptor d{loqui::kPluginAbiVersion, "sample-stt", "0.1.0",
//                                            &register_into};
//     return &d;
//   }
// @endcode
//
// Rules: build against the same loqui major version and standard library as the
// host; the host executable must export loqui's symbols (CMake ENABLE_EXPORTS, or
// link loqui as a shared library). Plugins are never unloaded.
#pragma once

#include <cstdint>

#include "loqui/provider/registry.hpp"

namespace loqui {

/// Bump on any change to the provider interfaces or the types they use.
inline constexpr std::uint32_t kPluginAbiVersion = 1;

struct PluginDescriptor {
  std::uint32_t abi_version;  ///< must equal kPluginAbiVersion
  const char* name;
  const char* version;
  Status (*register_into)(Registry& registry);
};

}  // namespace loqui

#define LOQUI_PLUGIN_ENTRY_SYMBOL "loqui_plugin_descriptor"
#if defined(_WIN32)
#define LOQUI_PLUGIN_EXPORT __declspec(dllexport)
#else
#define LOQUI_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif
