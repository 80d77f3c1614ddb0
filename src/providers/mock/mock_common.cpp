// SPDX-License-Identifier: Apache-2.0
// File: helpers shared by the mock providers (config keys common to all three,
// failure lookup) and their registration in the Registry.
#include <algorithm>

#include "common/log.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/mock/mock_internal.hpp"

namespace loqui {

std::string_view to_string(MockFailure::Mode mode) noexcept {
  switch (mode) {
    case MockFailure::Mode::error: return "error";
    case MockFailure::Mode::hang: return "hang";
    case MockFailure::Mode::garbage: return "garbage";
    case MockFailure::Mode::throw_exception: return "throw";
  }
  return "?";
}

std::optional<MockFailure::Mode> parse_mock_failure_mode(std::string_view name) noexcept {
  for (auto m : {MockFailure::Mode::error, MockFailure::Mode::hang, MockFailure::Mode::garbage,
                 MockFailure::Mode::throw_exception}) {
    if (to_string(m) == name) return m;
  }
  return std::nullopt;
}

namespace detail {

const MockFailure* find_mock_failure(const std::vector<MockFailure>& failures, int index) noexcept {
  for (const auto& f : failures)
    if (f.at == index) return &f;
  return nullptr;
}

std::optional<errc> parse_errc(std::string_view name) noexcept {
  for (int i = static_cast<int>(errc::invalid_argument); i <= static_cast<int>(errc::internal); ++i) {
    if (to_string(static_cast<errc>(i)) == name) return static_cast<errc>(i);
  }
  return std::nullopt;
}

namespace {
std::string errc_names() {
  std::string out;
  for (int i = static_cast<int>(errc::invalid_argument); i <= static_cast<int>(errc::internal); ++i)
    out += (out.empty() ? "" : ", ") + std::string(to_string(static_cast<errc>(i)));
  return out;
}
}  // namespace

std::vector<MockFailure> read_mock_failures(ConfigReader& r, std::string_view key, std::string_view index_key) {
  std::vector<MockFailure> out;
  const Json* list = r.get_raw(key);
  if (!list) return out;
  if (!list->is_array()) {
    r.error_at(key, "expected an array of failure objects, found " + list->describe());
    return out;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    ConfigReader fr(list->as_array()[i], r.path_of(key) + "[" + std::to_string(i) + "]", r.errors());
    MockFailure f;
    f.at = static_cast<int>(fr.get_int(index_key, 1, {.min = 1, .max = 1'000'000}));
    const std::string mode = fr.get_enum("mode", "error", {"error", "hang", "garbage", "throw"});
    f.mode = parse_mock_failure_mode(mode).value_or(MockFailure::Mode::error);
    const std::string code = fr.get_string("error", "provider_unavailable");
    if (auto c = parse_errc(code)) {
      f.code = *c;
    } else {
      fr.error_at("error", "unknown error code \"" + code + "\" (known: " + errc_names() + ")");
    }
    f.message = fr.get_string("message", f.message);
    f.after = static_cast<int>(fr.get_int("after", 0, {.min = 0, .max = 1'000'000}));
    (void)fr.finish();
    out.push_back(std::move(f));
  }
  return out;
}

std::optional<Error> read_mock_open_error(ConfigReader& r, std::string_view key, std::string_view provider) {
  auto name = r.get_optional_string(key);
  if (!name) return std::nullopt;
  auto code = parse_errc(*name);
  if (!code) {
    r.error_at(key, "unknown error code \"" + *name + "\" (known: " + errc_names() + ")");
    return std::nullopt;
  }
  return Error(*code, "injected open failure").set_provider(std::string(provider));
}

Duration read_ms(ConfigReader& r, std::string_view key, Duration fallback) {
  const double ms = r.get_number(key, to_ms(fallback), {.min = 0, .max = 3'600'000});
  return Duration(static_cast<std::int64_t>(ms * 1e6));
}

std::vector<int> read_sample_rates(ConfigReader& r, std::vector<int> fallback) {
  const Json* list = r.get_raw("sample_rates");
  if (!list) return fallback;
  std::vector<int> out;
  if (!list->is_array() || list->size() == 0) {
    r.error_at("sample_rates", "expected a non-empty array of sample rates, found " + list->describe());
    return fallback;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& v = list->as_array()[i];
    if (!v.is_int() || v.as_int() < 1000 || v.as_int() > 384000) {
      r.error_at("sample_rates", "[" + std::to_string(i) + "]: expected a sample rate in Hz (1000..384000), found " +
                                     v.describe());
      continue;
    }
    out.push_back(static_cast<int>(v.as_int()));
  }
  return out.empty() ? fallback : out;
}

Status validate_mock_common(std::string_view kind, const std::string& name, const std::vector<int>& rates,
                            const std::vector<MockFailure>& failures) {
  const std::string where = "mock " + std::string(kind);
  if (name.empty()) return Error(errc::invalid_argument, where + ": name is empty");
  for (int r : rates) {
    if (r < 1000 || r > 384000)
      return Error(errc::invalid_argument, where + ": sample rate " + std::to_string(r) + " Hz is out of range");
  }
  for (const auto& f : failures) {
    if (f.at < 1 || f.after < 0)
      return Error(errc::invalid_argument, where + ": failure index must be >= 1 and 'after' >= 0");
  }
  return ok_status();
}

std::vector<AudioFormat> pcm16_formats(const std::vector<int>& rates) {
  std::vector<AudioFormat> out;
  for (int r : rates) out.push_back(AudioFormat::pcm16(r));
  return out;
}

Status check_format(std::string_view what, const AudioFormat& format, const std::vector<AudioFormat>& accepted) {
  if (std::find(accepted.begin(), accepted.end(), format) != accepted.end()) return ok_status();
  std::string list;
  for (const auto& f : accepted) list += (list.empty() ? "" : ", ") + f.to_string();
  return Error(errc::format_mismatch,
               std::string(what) + ": format " + format.to_string() + " is not supported (supported: " + list + ")");
}

Error mock_failure_error(const MockFailure& failure, const std::string& provider) {
  return Error(failure.code, failure.message).set_provider(provider);
}

}  // namespace detail

void register_mock_providers(Registry& registry) {
  auto report = [](const Status& s) {
    if (!s) LOQUI_LOG_ERROR("registry", "cannot register mock provider: {}", s.error().to_string());
  };
  report(registry.add_stt(
      "mock", "scripted transcripts with interim results and latency profile (tests, simulation)",
      [](const ProviderContext&, const Json& config, std::string_view path) -> Result<std::shared_ptr<SpeechToText>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, MockSpeechToText::parse_options(config, path));
        LOQUI_ASSIGN_OR_RETURN(auto stt, MockSpeechToText::create(std::move(options)));
        return std::shared_ptr<SpeechToText>(std::move(stt));
      },
      SttCapabilities{.input_formats = detail::pcm16_formats(MockSttOptions{}.sample_rates),
                      .interim_results = true,
                      .word_timings = true,
                      .vendor_endpointing = true,
                      .vad_events = true,
                      .recognition_hints = true}));
  report(registry.add_llm(
      "mock", "scripted replies and tool calls, keyed by turn or by the last message (tests, simulation)",
      [](const ProviderContext&, const Json& config, std::string_view path) -> Result<std::shared_ptr<LanguageModel>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, MockLanguageModel::parse_options(config, path));
        LOQUI_ASSIGN_OR_RETURN(auto llm, MockLanguageModel::create(std::move(options)));
        return std::shared_ptr<LanguageModel>(std::move(llm));
      },
      MockLlmOptions{}.capabilities));
  report(registry.add_tts(
      "mock", "word-shaped tones with exact word timings and latency profile (tests, simulation)",
      [](const ProviderContext&, const Json& config, std::string_view path) -> Result<std::shared_ptr<TextToSpeech>> {
        LOQUI_ASSIGN_OR_RETURN(auto options, MockTextToSpeech::parse_options(config, path));
        LOQUI_ASSIGN_OR_RETURN(auto tts, MockTextToSpeech::create(std::move(options)));
        return std::shared_ptr<TextToSpeech>(std::move(tts));
      },
      TtsCapabilities{.output_formats = detail::pcm16_formats(MockTtsOptions{}.sample_rates),
                      .word_timings = true,
                      .streaming_input = true}));
}

}  // namespace loqui
