// SPDX-License-Identifier: Apache-2.0
// File: helpers of the provider subcommands (see provider_cli.hpp).
#include "provider_cli.hpp"

#include <chrono>
#include <thread>

namespace loqui::cli {

Result<std::unique_ptr<Registry>> make_registry(const Args& args) {
  auto registry = std::make_unique<Registry>();
  register_builtin_providers(*registry);
  for (const auto& plugin : args.get_all("plugin")) LOQUI_TRY(registry->load_plugin(plugin));
  return registry;
}

Result<Json> provider_config(const std::string& name, const std::optional<std::string>& config) {
  Json out = Json::object();
  if (config) {
    const bool inline_json = config->find_first_not_of(" \t\r\n") != std::string::npos &&
                             (*config)[config->find_first_not_of(" \t\r\n")] == '{';
    auto parsed = inline_json ? Json::parse(*config) : Json::parse_file(*config);
    if (!parsed) return std::move(parsed).error().add_context("--config");
    if (!parsed->is_object()) {
      return Error(errc::invalid_config, "--config: expected a JSON object, found " + parsed->describe());
    }
    out = std::move(parsed).value();
  }
  if (const Json* p = out.find("provider")) {
    if (!p->is_string() || p->as_string() != name) {
      return Error(errc::invalid_config, "--config: \"provider\" is " + p->describe() + " but the command names '" +
                                             name + "'; leave it out");
    }
  } else {
    Json with = Json::object({{"provider", name}});
    for (auto& m : out.as_object()) with[m.key] = std::move(m.value);
    out = std::move(with);
  }
  return out;
}

Result<ProviderRuntime> ProviderRuntime::create(bool real_time) {
  ProviderRuntime r;
  LOQUI_ASSIGN_OR_RETURN(r.rt_, Runtime::create({.threads = 0,
                                                  .time = real_time ? TimeMode::real_time : TimeMode::virtual_time,
                                                  .name = "loqui-cli"}));
  r.strand_ = r.rt_->make_strand("cli");
  return r;
}

void ProviderRuntime::on_strand(const std::function<void()>& fn) {
  bool ran = false;
  if (!strand_->post([&] {
        fn();
        ran = true;
      })) {
    return;
  }
  (void)run_until([&] { return ran; }, std::chrono::seconds(60));
}

void ProviderRuntime::pass(Duration d) {
  if (rt_->is_virtual()) {
    (void)rt_->advance_by(d);
    return;
  }
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    (void)rt_->poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool ProviderRuntime::run_until(const std::function<bool()>& done, Duration timeout) {
  if (rt_->is_virtual()) {
    (void)rt_->run_until_idle();
    const TimePoint limit = rt_->now() + timeout;
    while (!done() && rt_->now() < limit) {
      const TimePoint next = std::min(rt_->next_deadline(), limit);
      if (next == TimePoint::max()) break;
      (void)rt_->advance_to(next);
    }
    return done();
  }
  const auto limit = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < limit) {
    if (rt_->poll().value_or(0) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

Result<AudioFormat> pcm16_output_format(const TextToSpeech& tts, int rate_hz) {
  const auto& formats = tts.capabilities().output_formats;
  for (const auto& f : formats) {
    if (f.encoding == Encoding::pcm16 && f.channels == 1 && (rate_hz == 0 || f.sample_rate_hz == rate_hz)) return f;
  }
  std::string list;
  for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f.to_string();
  return Error(errc::not_supported, "tts '" + tts.info().name + "' cannot produce mono pcm16" +
                                        (rate_hz ? " at " + std::to_string(rate_hz) + " Hz" : std::string()) +
                                        " (it produces: " + list + ")");
}

namespace {
class Collector final : public TtsObserver {
 public:
  void on_provider(std::string_view, bool restarted) override {
    if (restarted) {
      pcm.clear();
      words.clear();
    }
  }
  void on_audio(const AudioFrame& frame) override {
    const auto s = frame.samples();
    pcm.insert(pcm.end(), s.begin(), s.end());
  }
  void on_word_timings(std::span<const WordTiming> w) override { words.insert(words.end(), w.begin(), w.end()); }
  void on_done() override { done = true; }
  void on_error(const Error& e) override { error = e; }

  std::vector<std::int16_t> pcm;
  std::vector<WordTiming> words;
  bool done = false;
  std::optional<Error> error;
};
}  // namespace

Result<Synthesis> synthesize(TextToSpeech& tts, ProviderRuntime& rt, std::string_view text, const AudioFormat& format,
                             const std::string& voice) {
  using namespace std::chrono_literals;
  Collector audio;
  std::unique_ptr<TtsStream> stream;
  Status started = ok_status();
  rt.on_strand([&] {
    auto s = tts.open({.strand = rt.strand(), .session_id = "say"}, {.format = format, .voice = voice}, audio);
    if (!s) {
      started = s.error();
      return;
    }
    stream = std::move(s).value();
    started = stream->send_text(text);
    if (started) started = stream->flush();
    if (!started) stream.reset();  // streams are strand-confined: destroyed here, not by the caller
  });
  if (!started) return started.error();
  const bool finished = rt.run_until([&] { return audio.done || audio.error; }, 120s);
  rt.on_strand([&] { stream.reset(); });
  if (audio.error) return *audio.error;
  if (!finished) return Error(errc::timeout, "tts '" + tts.info().name + "' did not finish within 120 s");
  return Synthesis{format, std::move(audio.pcm), std::move(audio.words)};
}

}  // namespace loqui::cli
