// SPDX-License-Identifier: Apache-2.0
// File: the process-wide espeak-ng engine: one initialisation, one mutex around
// every call, and the synthesis callback that turns espeak's buffers and events
// into audio plus word spans.
#include "providers/espeak/espeak_engine.hpp"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cctype>

#include "common/log.hpp"

namespace loqui::detail {
namespace {

// The synthesis in progress. espeak's callback has no context argument that is
// reliable for every buffer, and synthesis is serialised by the engine mutex, so
// one global pointer (set only while that mutex is held) is enough.
struct SynthState {
  const EspeakEngine::Sink* sink = nullptr;
  int sample_rate = 22050;
  std::vector<std::size_t> char_offsets;  // byte offset of each character, plus the end
  std::int64_t samples = 0;
  bool word_open = false;
  EspeakWord open;
  std::vector<EspeakWord> finished;
  bool aborted = false;
};
SynthState* g_synth = nullptr;

void close_word(SynthState& st, std::int64_t end) {
  if (!st.word_open) return;
  st.open.end_sample = std::max(end, st.open.start_sample);
  st.finished.push_back(st.open);
  st.word_open = false;
}

int synth_callback(short* wav, int n, espeak_EVENT* events) {
  SynthState* st = g_synth;
  if (!st) return 1;
  st->finished.clear();
  for (espeak_EVENT* e = events; e && e->type != espeakEVENT_LIST_TERMINATED; ++e) {
    const std::int64_t at = static_cast<std::int64_t>(e->audio_position) * st->sample_rate / 1000;
    if (e->type == espeakEVENT_WORD) {
      close_word(*st, at);
      // text_position counts characters from 1; length is in characters.
      const std::size_t chars = st->char_offsets.size() - 1;
      const std::size_t first = std::min<std::size_t>(static_cast<std::size_t>(std::max(e->text_position, 1)) - 1, chars);
      const std::size_t last = std::min<std::size_t>(first + static_cast<std::size_t>(std::max(e->length, 0)), chars);
      st->open = {st->char_offsets[first], st->char_offsets[last] - st->char_offsets[first], at, at};
      st->word_open = last > first;
    } else if (e->type == espeakEVENT_END || e->type == espeakEVENT_MSG_TERMINATED) {
      close_word(*st, at);
    }
  }
  std::span<const std::int16_t> pcm;
  if (wav && n > 0) pcm = {wav, static_cast<std::size_t>(n)};
  st->samples += static_cast<std::int64_t>(pcm.size());
  if (!wav) close_word(*st, st->samples);  // end of synthesis
  if (pcm.empty() && st->finished.empty()) return 0;
  if (!(*st->sink)(pcm, st->finished)) {
    st->aborted = true;
    return 1;
  }
  return 0;
}

std::vector<std::size_t> utf8_char_offsets(std::string_view text) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) out.push_back(i);
  out.push_back(text.size());
  return out;
}

}  // namespace

Result<EspeakEngine*> EspeakEngine::get(const std::string& data_path) {
  // Intentionally never destroyed: espeak-ng's state is process-global and other
  // threads (a provider's worker) may still use it during static destruction.
  static std::mutex init_mu;
  static EspeakEngine* engine = nullptr;
  std::lock_guard lock(init_mu);
  if (engine) {
    if (!data_path.empty() && data_path != engine->data_path_) {
      return Error(errc::invalid_config, "espeak is already initialised with data path '" +
                                             (engine->data_path_.empty() ? std::string("(default)") : engine->data_path_) +
                                             "'; one process uses one espeak-ng data path");
    }
    return engine;
  }
  const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 60, data_path.empty() ? nullptr : data_path.c_str(),
                                     espeakINITIALIZE_DONT_EXIT);
  if (rate <= 0) {
    return Error(errc::not_found, "espeak: cannot initialise espeak-ng (voice data not found at " +
                                      (data_path.empty() ? std::string("the default location") : "'" + data_path + "'") +
                                      "; Debian: espeak-ng-data)");
  }
  espeak_SetSynthCallback(&synth_callback);
  engine = new EspeakEngine(rate, data_path);
  LOQUI_LOG_DEBUG("espeak", "espeak-ng initialised: {} Hz", rate);
  return engine;
}

std::string EspeakEngine::known_voices() {
  std::vector<std::string> english;
  std::size_t total = 0;
  if (const espeak_VOICE** voices = espeak_ListVoices(nullptr)) {
    for (; *voices; ++voices) {
      ++total;
      // languages: a priority byte, a language name, repeated; ends with 0.
      const char* lang = (*voices)->languages;
      if (lang && lang[0] && std::string_view(lang + 1).rfind("en", 0) == 0) english.emplace_back(lang + 1);
    }
  }
  std::sort(english.begin(), english.end());
  english.erase(std::unique(english.begin(), english.end()), english.end());
  std::string list;
  for (const auto& v : english) list += (list.empty() ? "" : ", ") + v;
  return std::to_string(total) + " voices installed; English: " + (list.empty() ? "none" : list) +
         "; `espeak-ng --voices` lists all";
}

Status EspeakEngine::check_voice(const std::string& name) {
  std::lock_guard lock(mu_);
  voice_set_ = false;  // whatever happens, the next synthesis sets its voice again
  // "en-us+f3": espeak ignores an unknown variant silently, so check it ourselves.
  const std::size_t plus = name.find('+');
  const std::string base = name.substr(0, plus);
  if (base.empty() || espeak_SetVoiceByName(base.c_str()) != EE_OK) {
    return Error(errc::not_found, "espeak voice '" + name + "' not found (" + known_voices() + ")");
  }
  if (plus == std::string::npos) return ok_status();
  const std::string variant = name.substr(plus + 1);
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  espeak_VOICE spec{};
  spec.languages = "variant";
  std::string some;
  int listed = 0;
  if (const espeak_VOICE** voices = espeak_ListVoices(&spec)) {
    for (; *voices; ++voices) {
      const std::string id = (*voices)->identifier ? (*voices)->identifier : "";
      const std::string leaf = lower(id.substr(id.rfind('/') == std::string::npos ? 0 : id.rfind('/') + 1));
      if (leaf == lower(variant)) return ok_status();
      if (listed++ < 12) some += (some.empty() ? "" : ", ") + leaf;
    }
  }
  return Error(errc::not_found, "espeak voice variant '" + variant + "' of '" + name + "' not found (variants: " +
                                    some + ", ...)");
}

Status EspeakEngine::apply(const EspeakVoice& voice) {
  if (voice_set_ && voice == current_) return ok_status();
  voice_set_ = false;
  if (espeak_SetVoiceByName(voice.name.c_str()) != EE_OK) {
    return Error(errc::not_found, "espeak voice '" + voice.name + "' not found (" + known_voices() + ")");
  }
  // A voice brings its own defaults: set every parameter again after it.
  if (espeak_SetParameter(espeakRATE, voice.rate_wpm, 0) != EE_OK ||
      espeak_SetParameter(espeakPITCH, voice.pitch, 0) != EE_OK ||
      espeak_SetParameter(espeakRANGE, voice.range, 0) != EE_OK ||
      espeak_SetParameter(espeakVOLUME, voice.volume, 0) != EE_OK) {
    return Error(errc::provider_failed, "espeak: cannot set rate/pitch/range/volume");
  }
  current_ = voice;
  voice_set_ = true;
  return ok_status();
}

Result<std::int64_t> EspeakEngine::synthesize(const EspeakVoice& voice, std::string_view text, const Sink& sink) {
  std::lock_guard lock(mu_);
  LOQUI_TRY(apply(voice));
  const std::string z(text);  // espeak wants a terminated string
  SynthState st;
  st.sink = &sink;
  st.sample_rate = sample_rate_;
  st.char_offsets = utf8_char_offsets(z);
  g_synth = &st;
  const espeak_ERROR r =
      espeak_Synth(z.c_str(), z.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
  g_synth = nullptr;
  if (r != EE_OK && !st.aborted) {
    return Error(errc::provider_failed, "espeak: synthesis failed (espeak error " + std::to_string(r) + ")");
  }
  return st.samples;
}

}  // namespace loqui::detail
