// SPDX-License-Identifier: Apache-2.0
// File: what the provider subcommands (providers, transcribe, say) share: a
// Registry with the built-ins and any --plugin, a provider config from --NAME and
// --config, and a runtime in virtual time (local providers: as fast as the CPU
// allows) or real time (network providers), driven on the calling thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli.hpp"
#include "loqui/json.hpp"
#include "loqui/provider/registry.hpp"
#include "loqui/provider/tts.hpp"

namespace loqui::cli {

/// The built-in providers plus every --plugin library. Errors name the plugin.
Result<std::unique_ptr<Registry>> make_registry(const Args& args);

/// `{"provider": name}` merged with --config: a JSON object given inline, or the
/// path of a file holding one. Errors: invalid_config naming the option.
Result<Json> provider_config(const std::string& name, const std::optional<std::string>& config);

/// A runtime with one session strand, driven by the calling thread.
class ProviderRuntime {
 public:
  static Result<ProviderRuntime> create(bool real_time);
  Runtime& runtime() noexcept { return *rt_; }
  const std::shared_ptr<Strand>& strand() const noexcept { return strand_; }
  bool real_time() const noexcept { return !rt_->is_virtual(); }
  /// Runs `fn` inside a strand task (provider streams are strand-confined).
  void on_strand(const std::function<void()>& fn);
  /// Lets `d` pass (virtual: advances the clock; real: polls for that long).
  void pass(Duration d);
  /// Drives the loop until `done()` or `timeout` (virtual or real) passed.
  bool run_until(const std::function<bool()>& done, Duration timeout);

 private:
  std::unique_ptr<Runtime> rt_;
  std::shared_ptr<Strand> strand_;
};

/// The provider's first mono pcm16 output format (at `rate_hz` unless 0).
/// Errors: not_supported listing what the provider produces.
Result<AudioFormat> pcm16_output_format(const TextToSpeech& tts, int rate_hz);

/// Audio synthesised from one text.
struct Synthesis {
  AudioFormat format;
  std::vector<std::int16_t> pcm;
  std::vector<WordTiming> words;
};

/// Synthesises `text` with `tts` in `format` (see pcm16_output_format) on `rt`,
/// waiting up to two minutes. Errors: the provider's, or timeout.
Result<Synthesis> synthesize(TextToSpeech& tts, ProviderRuntime& rt, std::string_view text, const AudioFormat& format,
                             const std::string& voice);

}  // namespace loqui::cli
