// SPDX-License-Identifier: Apache-2.0
// File: helpers shared by the three mock providers: failure lookup, config
// reading of the common keys, and the garbage they emit on cue.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loqui/config.hpp"
#include "loqui/provider/mock.hpp"

namespace loqui::detail {

/// Invalid UTF-8 wrapped around a marker: what "garbage" mode emits as text.
inline constexpr std::string_view kMockGarbageText = "\xC3\x28 mock garbage \xFF\xFE";

/// The failure scheduled for utterance/turn `index` (1-based), if any.
const MockFailure* find_mock_failure(const std::vector<MockFailure>& failures, int index) noexcept;

/// "provider_unavailable" -> errc::provider_unavailable.
std::optional<errc> parse_errc(std::string_view name) noexcept;

/// Reads `key` (an array of failure objects) from `r`. `index_key` names the
/// index field: "utterance" (STT, TTS) or "turn" (LLM).
std::vector<MockFailure> read_mock_failures(ConfigReader& r, std::string_view key, std::string_view index_key);
/// Reads `key` naming an errc into an Error for open() to fail with.
std::optional<Error> read_mock_open_error(ConfigReader& r, std::string_view key, std::string_view provider);
/// Reads a millisecond duration key (>= 0).
Duration read_ms(ConfigReader& r, std::string_view key, Duration fallback);
/// Reads "sample_rates" (pcm16 mono rates the mock accepts or produces).
std::vector<int> read_sample_rates(ConfigReader& r, std::vector<int> fallback);

/// Checks the options shared by the mocks: non-empty name and sample rates,
/// failures with `at` >= 1 and `after` >= 0.
Status validate_mock_common(std::string_view kind, const std::string& name, const std::vector<int>& rates,
                            const std::vector<MockFailure>& failures);

/// pcm16 mono formats at `rates`.
std::vector<AudioFormat> pcm16_formats(const std::vector<int>& rates);
/// format_mismatch naming the provider, the format and what it accepts, or ok.
Status check_format(std::string_view what, const AudioFormat& format, const std::vector<AudioFormat>& accepted);

/// The injected Error for `failure`, naming the provider.
Error mock_failure_error(const MockFailure& failure, const std::string& provider);

}  // namespace loqui::detail
