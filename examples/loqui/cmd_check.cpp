// SPDX-License-Identifier: Apache-2.0
// File: `loqui check AGENT.json`: validates an agent config and everything it
// names (providers and their options, the flow file, tools, the price table,
// the environment variables holding secrets) without starting a call.
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "commands.hpp"
#include "loqui/audio/vad.hpp"
#include "provider_cli.hpp"
#include "run_report.hpp"

namespace loqui::cli {
namespace {

/// Every "api_key_env" in a provider section (fallbacks included), with its path.
void collect_env(const Json& j, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.as_object()) {
      if (key == "api_key_env" && value.is_string()) out.emplace_back(path + "." + key, value.as_string());
      collect_env(value, path + "." + key, out);
    }
  } else if (j.is_array()) {
    std::size_t i = 0;
    for (const auto& v : j.as_array()) collect_env(v, path + "[" + std::to_string(i++) + "]", out);
  }
}

int run(const Command& self, const Args& args) {
  const std::string path = args.positional().at(0);
  auto config = AgentConfig::load(path);
  if (!config) return fail(self, config.error());

  std::vector<std::string> problems;
  std::vector<std::pair<std::string, std::string>> env;
  collect_env(config->stt, "stt", env);
  collect_env(config->llm, "llm", env);
  collect_env(config->tts, "tts", env);
  for (const auto& [where, name] : env) {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) problems.push_back(fmt::format("{}: environment variable {} is not set", where, name));
  }

  auto registry = make_registry(args);
  if (!registry) return fail(self, registry.error());
  // Building the providers runs every factory's own validation (unknown keys,
  // bad values, a flow file that does not parse). A missing key is reported
  // above already; skip the factories' version of it.
  std::string providers_line;
  if (problems.empty()) {
    auto providers = make_agent_providers(**registry, *config);
    if (!providers) {
      problems.push_back(providers.error().message());
    } else {
      providers_line = fmt::format("stt {}, llm {}, tts {}", providers->stt->info().name,
                                   providers->llm->info().name, providers->tts->info().name);
    }
  }
  if (auto det = make_voice_detector(config->vad.detector, 16000); !det)
    problems.push_back("vad.detector: " + det.error().message());
  auto prices = load_prices(*config);
  if (!prices) problems.push_back(prices.error().message());

  if (!problems.empty()) {
    for (const auto& p : problems) std::fprintf(stderr, "loqui check: %s: %s\n", path.c_str(), p.c_str());
    return kExitFailure;
  }
  std::printf("%s: ok: agent '%s'; %s; %zu tool(s)%s; %zu secret(s) from the environment; prices %s\n", path.c_str(),
              config->name.c_str(), providers_line.c_str(), config->tools.size(),
              config->flow.empty() ? "" : ("; flow " + config->flow).c_str(), env.size(),
              !config->prices_file.empty() ? config->prices_file.c_str()
                                           : (config->prices.is_null() ? "default" : "inline"));
  return kExitOk;
}

}  // namespace

Command check_command() {
  return {"check",
          "validate an agent config and everything it names, without a call",
          "AGENT.json [--plugin LIB]",
          "Loads AGENT.json (docs/configuration.md), builds each provider it names with\n"
          "its options (which loads a flow file), checks the tools, the voice detector,\n"
          "the price table and that every api_key_env variable is set. Prints one line\n"
          "per problem, with the path of the field, and exits 1; or one 'ok' line.",
          {{"plugin", "LIB", "load a provider plugin first (repeatable)", true}},
          &run,
          1,
          1};
}

}  // namespace loqui::cli
