// SPDX-License-Identifier: Apache-2.0
// File: `loqui providers`: the registered providers with their kind.
#include <cstdio>

#include "commands.hpp"
#include "loqui/provider/registry.hpp"

namespace loqui::cli {
namespace {
int run(const Command& self, const Args& args) {
  Registry registry;
  register_builtin_providers(registry);
  if (auto plugin = args.get("plugin")) {
    if (Status s = registry.load_plugin(*plugin); !s) return fail(self, s.error());
  }
  const auto list = registry.list();
  if (list.empty()) {
    std::printf("no providers are compiled into this build\n");
    return kExitOk;
  }
  std::printf("%-5s %-14s %-9s %s\n", "KIND", "NAME", "ORIGIN", "DESCRIPTION");
  for (const auto& e : list) {
    std::printf("%-5s %-14s %-9s %s\n", std::string(to_string(e.kind)).c_str(), e.name.c_str(),
                e.origin.size() > 9 ? "plugin" : e.origin.c_str(), e.description.c_str());
  }
  return kExitOk;
}
}  // namespace

Command providers_command() {
  return {"providers", "list the registered STT, LLM and TTS providers", "[--plugin LIB.so]", "",
          {{"plugin", "LIB", "also load a provider plugin (shared library)"}}, &run, 0, 0};
}

}  // namespace loqui::cli
