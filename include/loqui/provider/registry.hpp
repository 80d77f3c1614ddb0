// SPDX-License-Identifier: Apache-2.0
// File: the provider Registry: names -> factories taking a JSON config.
//
// One Registry per Runtime/host (not a process singleton). Built-ins are added by
// register_builtin_providers() explicitly (static initialisers are dropped by
// linkers in static builds). Third parties call add_*() in code, or ship a shared
// library loaded with load_plugin() (see plugin.hpp).
//
// A provider config is a JSON object whose "provider" key names the entry; all
// other keys are that provider's options, validated by its factory (unknown keys
// are errors). A "fallback" array of further configs wraps the result in a
// Fallback provider (see fallback.hpp).
//
// Thread safety: add_*() and load_plugin() during setup; make_*() and list() from
// any thread afterwards.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/provider/llm.hpp"
#include "loqui/provider/stt.hpp"
#include "loqui/provider/tts.hpp"

namespace loqui {

/// `path` is the config's location for error messages ("stt", "llm.fallback[0]").
using SttFactory = std::function<Result<std::shared_ptr<SpeechToText>>(
    const ProviderContext& context, const Json& config, std::string_view path)>;
using LlmFactory = std::function<Result<std::shared_ptr<LanguageModel>>(
    const ProviderContext& context, const Json& config, std::string_view path)>;
using TtsFactory = std::function<Result<std::shared_ptr<TextToSpeech>>(
    const ProviderContext& context, const Json& config, std::string_view path)>;

struct RegistryEntry {
  ProviderKind kind;
  std::string name;
  std::string description;
  std::string origin;  ///< "builtin", "code" or the plugin path
  /// What the provider declared when it registered (shown by `loqui providers`);
  /// the one matching `kind` may be set. A configured instance reports its own,
  /// possibly narrower, capabilities() (e.g. one voice's formats).
  std::optional<SttCapabilities> stt_capabilities;
  std::optional<LlmCapabilities> llm_capabilities;
  std::optional<TtsCapabilities> tts_capabilities;
  /// The declared capabilities as one line; "" when none were declared.
  std::string capabilities_summary() const;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Errors: errc::already_exists, errc::invalid_argument (empty name or factory).
  /// `capabilities` is what `loqui providers` shows (optional).
  Status add_stt(std::string name, std::string description, SttFactory factory,
                 std::optional<SttCapabilities> capabilities = std::nullopt);
  Status add_llm(std::string name, std::string description, LlmFactory factory,
                 std::optional<LlmCapabilities> capabilities = std::nullopt);
  Status add_tts(std::string name, std::string description, TtsFactory factory,
                 std::optional<TtsCapabilities> capabilities = std::nullopt);

  /// Builds a provider from `config` ({"provider": name, ...}). Errors:
  /// errc::not_found "stt.provider: unknown provider 'deepgramm' (registered: ...)",
  /// errc::invalid_config from the factory.
  Result<std::shared_ptr<SpeechToText>> make_stt(const ProviderContext& context, const Json& config,
                                                 std::string_view path = "stt") const;
  Result<std::shared_ptr<LanguageModel>> make_llm(const ProviderContext& context, const Json& config,
                                                  std::string_view path = "llm") const;
  Result<std::shared_ptr<TextToSpeech>> make_tts(const ProviderContext& context, const Json& config,
                                                 std::string_view path = "tts") const;

  bool contains(ProviderKind kind, std::string_view name) const;
  std::vector<RegistryEntry> list() const;

  /// Loads a provider plugin (a shared library exporting loqui_plugin_descriptor)
  /// and lets it register. Errors: io_error (dlopen failed, with dlerror()),
  /// not_found (no entry symbol), not_supported (ABI version mismatch, naming both).
  /// Loaded libraries stay loaded for the life of the process.
  Status load_plugin(const std::filesystem::path& library);

  /// Sets the origin recorded for subsequent add_*() calls (used by the loader).
  void set_origin(std::string origin);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Registers every provider compiled into this build (see `loqui providers`).
void register_builtin_providers(Registry& registry);

}  // namespace loqui
