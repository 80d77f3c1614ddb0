// SPDX-License-Identifier: Apache-2.0
// File: prepares the data sphinxtrain needs to adapt the embedded recogniser's
// acoustic model to a voice and a line (adaptation/adapt.sh runs it at
// build time for the built-in "espeak" transforms; docs/providers/pocketsphinx.md).
//
//   pocketsphinx_adapt_data --sentences FILE --voices en-us,en-us+f3 --line narrowband|wideband
//                           --model-dir DIR --dictionary DICT --out DIR
//   pocketsphinx_adapt_data --recordings LIST --line narrowband|wideband --model-dir DIR --dictionary DICT --out DIR
//
// With --sentences, each sentence is spoken by each espeak-ng voice and sent
// through the line the way the `pocketsphinx` provider hears it: narrowband =
// 8 kHz, G.711 mu-law round trip, then the provider's own mirror upsampling to
// 16 kHz; wideband = 16 kHz straight from the synthesiser. With --recordings,
// LIST holds one "FILE.wav<TAB>what was said" per line (real calls of the line to
// adapt to; relative paths against LIST's directory), converted the same way
// (8 kHz files upsampled like the provider does, others resampled to 16 kHz).
// Writes OUT/<id>.wav (16 kHz), OUT/fileids,
// OUT/transcription (words as the dictionary spells them; a sentence with a word
// the dictionary lacks is an error naming it) and OUT/mixture_weights rebuilt from
// the model's sendump.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "loqui/audio/file.hpp"
#include "loqui/audio/g711.hpp"
#include "loqui/audio/resampler.hpp"
#include "loqui/provider/registry.hpp"
#include "loqui/runtime/runtime.hpp"
#include "providers/pocketsphinx/acoustic_adaptation.hpp"
#include "providers/pocketsphinx/hint_lm.hpp"

namespace {

using namespace loqui;
namespace fs = std::filesystem;

int fail(const std::string& what) {
  std::fprintf(stderr, "pocketsphinx_adapt_data: %s\n", what.c_str());
  return 1;
}

Result<std::vector<std::int16_t>> speak(TextToSpeech& tts, const std::string& text, int rate) {
  LOQUI_ASSIGN_OR_RETURN(auto rt, Runtime::create({.threads = 0, .time = TimeMode::virtual_time}));
  auto strand = rt->make_strand("tts");
  struct Obs final : TtsObserver {
    std::vector<std::int16_t> pcm;
    std::optional<Error> error;
    void on_audio(const AudioFrame& f) override { pcm.insert(pcm.end(), f.samples().begin(), f.samples().end()); }
    void on_done() override {}
    void on_error(const Error& e) override { error = e; }
  } obs;
  LOQUI_ASSIGN_OR_RETURN(auto stream, tts.open({.strand = strand}, {.format = AudioFormat::pcm16(rate)}, obs));
  LOQUI_TRY(stream->send_text(text));
  LOQUI_TRY(stream->flush());
  (void)rt->run_until_quiet(rt->now() + std::chrono::minutes(1));
  if (obs.error) return *obs.error;
  obs.pcm.insert(obs.pcm.begin(), static_cast<std::size_t>(rate / 5), 0);  // 200 ms of silence around
  obs.pcm.resize(obs.pcm.size() + static_cast<std::size_t>(rate / 5), 0);
  return std::move(obs.pcm);
}

}  // namespace

int main(int argc, char** argv) {
  std::string sentences_file, recordings_file, voices = "en-us", line = "narrowband", model_dir, dictionary, out_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--sentences") sentences_file = v;
    else if (k == "--recordings") recordings_file = v;
    else if (k == "--voices") voices = v;
    else if (k == "--line") line = v;
    else if (k == "--model-dir") model_dir = v;
    else if (k == "--dictionary") dictionary = v;
    else if (k == "--out") out_dir = v;
    else return fail("unknown option '" + k + "'");
  }
  if (sentences_file.empty() == recordings_file.empty() || model_dir.empty() || dictionary.empty() || out_dir.empty())
    return fail("usage: (--sentences FILE --voices A,B | --recordings LIST) --line narrowband|wideband "
                "--model-dir DIR --dictionary DICT --out DIR");
  if (line != "narrowband" && line != "wideband") return fail("--line: expected narrowband or wideband, found '" + line + "'");

  std::set<std::string> dict;
  {
    std::ifstream in(dictionary);
    if (!in) return fail("cannot read the dictionary '" + dictionary + "'");
    std::string l;
    while (std::getline(in, l)) dict.insert(l.substr(0, l.find(' ')));
  }
  // text (or "FILE.wav<TAB>text"), words
  std::vector<std::pair<std::string, std::vector<std::string>>> sentences;
  const std::string list_file = sentences_file.empty() ? recordings_file : sentences_file;
  {
    std::ifstream in(list_file);
    if (!in) return fail("cannot read '" + list_file + "'");
    std::string l;
    int n = 0;
    while (std::getline(in, l)) {
      ++n;
      if (l.empty() || l[0] == '#') continue;
      const std::string where = list_file + ":" + std::to_string(n);
      std::string text = l;
      if (!recordings_file.empty()) {
        const std::size_t tab = l.find('\t');
        if (tab == std::string::npos) return fail(where + ": expected FILE.wav<TAB>transcript");
        text = l.substr(tab + 1);
      }
      auto words = detail::recognizer_words(text);
      if (words.empty()) return fail(where + ": no words");
      for (const auto& w : words)
        if (!dict.count(w)) return fail(where + ": '" + w + "' is not in the dictionary");
      sentences.emplace_back(l, std::move(words));
    }
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fail("cannot create '" + out_dir + "': " + ec.message());
  if (Status s = detail::write_mixture_weights_from_sendump(fs::path(model_dir) / "sendump", fs::path(out_dir) / "mixture_weights"); !s)
    return fail(s.error().to_string());

  std::ofstream fileids(fs::path(out_dir) / "fileids"), transcription(fs::path(out_dir) / "transcription");
  const bool narrow = line == "narrowband";
  int count = 0;
  // One utterance as the provider hears it: 8 kHz audio mirror-upsampled, 16 kHz as is.
  auto add = [&](const std::string& id, std::vector<std::int16_t> pcm, int rate, const std::vector<std::string>& words) -> Status {
    if (rate == 8000) {
      std::vector<std::int16_t> wide(pcm.size() * 2);
      detail::mirror_upsample(pcm, wide);
      pcm = std::move(wide);
    } else if (rate != 16000) {
      LOQUI_ASSIGN_OR_RETURN(pcm, resample_buffer(pcm, rate, 16000));
    }
    LOQUI_TRY(write_audio_file(fs::path(out_dir) / (id + ".wav"), AudioFormat::pcm16(16000), pcm));
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    fileids << id << '\n';
    transcription << "<s> " << text << " </s> (" << id << ")\n";
    ++count;
    return ok_status();
  };
  if (!recordings_file.empty()) {
    const fs::path base = fs::path(recordings_file).parent_path();
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      fs::path file = sentences[i].first.substr(0, sentences[i].first.find('\t'));
      if (file.is_relative()) file = base / file;
      auto audio = read_audio_file(file);
      if (!audio) return fail(audio.error().to_string());
      if (audio->audio.format.channels != 1) return fail(file.string() + ": expected mono audio");
      const int rate = audio->audio.format.sample_rate_hz;
      if (narrow != (rate == 8000))
        return fail(file.string() + ": " + std::to_string(rate) + " Hz audio for the " + line + " transform");
      if (Status s = add("rec_" + std::to_string(i + 1), std::move(audio->audio.samples), rate, sentences[i].second); !s)
        return fail(s.error().to_string());
    }
  } else {
    Registry registry;
    register_builtin_providers(registry);
    const int rate = narrow ? 8000 : 16000;
    std::stringstream vs(voices);
    std::string voice;
    while (std::getline(vs, voice, ',')) {
      auto tts = registry.make_tts({}, Json::object({{"provider", "espeak"}, {"voice", voice}}));
      if (!tts) return fail(tts.error().to_string());
      std::string tag = voice;
      for (char& c : tag)
        if (c == '+' || c == '-') c = '_';
      for (std::size_t i = 0; i < sentences.size(); ++i) {
        auto pcm = speak(**tts, sentences[i].first, rate);
        if (!pcm) return fail(voice + ": " + pcm.error().to_string());
        if (narrow) {  // the telephone line: G.711 mu-law
          std::vector<std::byte> coded(pcm->size());
          mulaw_encode(*pcm, coded);
          mulaw_decode(coded, *pcm);
        }
        if (Status s = add(tag + "_" + std::to_string(i + 1), std::move(*pcm), rate, sentences[i].second); !s)
          return fail(s.error().to_string());
      }
    }
  }
  if (!fileids || !transcription) return fail("cannot write fileids/transcription in '" + out_dir + "'");
  std::printf("%d utterances (%s) in %s\n", count, line.c_str(), out_dir.c_str());
  return 0;
}
