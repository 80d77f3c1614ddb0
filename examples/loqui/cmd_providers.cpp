// SPDX-License-Identifier: Apache-2.0
// File: `loqui providers`: the registered providers with their kind, origin and
// declared capabilities (formats, interim results, word timings, tools ...).
#include <cstdio>

#include "commands.hpp"
#include "provider_cli.hpp"

namespace loqui::cli {
namespace {
int run(const Command& self, const Args& args) {
  auto registry = make_registry(args);
  if (!registry) return fail(self, registry.error());
  const auto list = (*registry)->list();
  if (list.empty()) {
    std::printf("no providers are compiled into this build\n");
    return kExitOk;
  }
  std::printf("%-5s %-14s %-9s %s\n", "KIND", "NAME", "ORIGIN", "DESCRIPTION");
  for (const auto& e : list) {
    std::printf("%-5s %-14s %-9s %s\n", std::string(to_string(e.kind)).c_str(), e.name.c_str(),
                e.origin.size() > 9 ? "plugin" : e.origin.c_str(), e.description.c_str());
    if (const std::string caps = e.capabilities_summary(); !caps.empty()) {
      std::printf("%-5s %-14s %-9s %s\n", "", "", "", caps.c_str());
    }
    if (e.origin.size() > 9) std::printf("%-5s %-14s %-9s from %s\n", "", "", "", e.origin.c_str());
  }
  return kExitOk;
}
}  // namespace

Command providers_command() {
  return {"providers",
          "list the registered STT, LLM and TTS providers and their capabilities",
          "[--plugin LIB.so]",
          "Each provider is followed by the capabilities it declares: audio formats\n"
          "(encoding/channels and rates), interim results, word timings, endpointing,\n"
          "hints, tool calling, streaming input. A config may wrap any of them in a\n"
          "\"fallback\" list (docs/providers.md).",
          {{"plugin", "LIB", "also load a provider plugin (shared library; repeatable)", true}},
          &run,
          0,
          0};
}

}  // namespace loqui::cli
