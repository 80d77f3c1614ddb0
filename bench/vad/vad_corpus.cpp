// SPDX-License-Identifier: Apache-2.0
// File: build_corpus (see vad_corpus.hpp): runs espeak-ng and sox, caches their
// output as raw pcm16, composes, labels and mixes the streams.
#include "vad_corpus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <span>
#include <string_view>

#include "loqui/audio/g711.hpp"

namespace loqui::bench::vad {

namespace {

// Target speakers: sentences and voices of each split.
constexpr std::array<std::string_view, 30> kTrainSentences = {
    "The weather will be cloudy this afternoon with a chance of light rain in the evening.",
    "Please hold the line while I transfer your call to the billing department.",
    "My account number starts with four seven two and ends with nine.",
    "I would like to book a table for two people at eight tonight.",
    "Could you tell me when the next train to the airport leaves?",
    "The package was delivered yesterday but the box was badly damaged.",
    "We need to reschedule the meeting because the manager is travelling.",
    "Turn left at the second traffic light and the pharmacy is on your right.",
    "Yes that is correct.",
    "No thanks.",
    "I am calling about the invoice I received last Tuesday.",
    "Our office opens at nine in the morning and closes at half past five.",
    "Can you repeat the last part more slowly please?",
    "The children were playing football in the park until it got dark.",
    "She bought fresh bread apples and a bottle of orange juice.",
    "The doctor said I should rest for a week and drink plenty of water.",
    "I forgot my password and now the system has locked me out.",
    "How much does the premium plan cost per month?",
    "The flight has been delayed by forty minutes due to fog.",
    "Thank you very much for your help today.",
    "Let me check that for you it will only take a moment.",
    "My daughter starts school next September in the village.",
    "The engine makes a strange noise whenever I accelerate on the motorway.",
    "Please send the documents to my email address before Friday.",
    "Hello is anybody there?",
    "The museum is closed on Mondays and public holidays.",
    "I have been waiting on hold for more than twenty minutes.",
    "Would it be possible to change the delivery address?",
    "Mix the flour with the butter and add a pinch of salt.",
    "Okay.",
};
constexpr std::array<std::string_view, 16> kTestSentences = {
    "I want to cancel my subscription and get a refund for this month.",
    "The hotel room had a beautiful view of the harbour and the old lighthouse.",
    "What time does the store close on Saturday?",
    "Right.",
    "My neighbour's dog keeps barking every night around midnight.",
    "Could you spell your surname for me letter by letter?",
    "The new bridge will open to traffic at the end of the summer.",
    "I think there is a mistake on my last phone bill.",
    "Please remind me to call the dentist tomorrow morning.",
    "Sure go ahead.",
    "Heavy snow is expected in the mountains over the weekend.",
    "Our team finished the project two weeks ahead of schedule.",
    "Is there a vegetarian option on the lunch menu?",
    "The battery of my laptop drains much faster than it used to.",
    "We moved to a smaller apartment closer to the city centre.",
    "Can I speak to a real person please?",
};
// Babble talkers (never target speakers of the same split).
constexpr std::array<std::string_view, 12> kTrainBabble = {
    "So I told him that we would meet at the corner cafe after work.",
    "The stock market went up again today after a long quiet week.",
    "Have you seen the new film everyone is talking about?",
    "My brother is moving to Canada for a job in engineering.",
    "The garden looks lovely now that the roses are in bloom.",
    "We should probably leave early to avoid the traffic on the bridge.",
    "I cannot believe how expensive vegetables have become lately.",
    "They announced the winners of the competition on the radio.",
    "The kitchen needs a new coat of paint and better lights.",
    "Did you remember to bring the tickets for the concert?",
    "Apparently the library will stay open late during exams.",
    "He spent the whole weekend fixing his old motorbike.",
};
constexpr std::array<std::string_view, 12> kTestBabble = {
    "Last summer we drove all the way along the coast to the south.",
    "The committee will vote on the proposal next Thursday afternoon.",
    "I think the printer on the third floor is broken again.",
    "Grandma makes the best apple pie I have ever tasted.",
    "The football match was cancelled because of the storm.",
    "Someone left an umbrella in the meeting room yesterday.",
    "We are planning a small party for her birthday in June.",
    "The noise from the construction site starts at seven every day.",
    "Could you pass me the salt and the pepper please?",
    "My phone fell in the lake while we were fishing.",
    "The professor gave us a lot of reading for the holidays.",
    "There is a new bakery opening next to the post office.",
};
constexpr std::array<std::string_view, 10> kTrainVoices = {
    "en-us+m1", "en-us+f1", "en-us+f3", "en-gb+m2", "en-gb+f5",
    "en-gb-x-rp+m4", "en-gb-x-gbclan+m5", "en-gb-x-gbcwmd+f4", "en-us+m6", "en-029+f2"};
constexpr std::array<std::string_view, 6> kTestVoices = {"en-us+m3",         "en-us+f2",   "en-gb+m7",
                                                         "en-gb-scotland+f4", "en-029+m2", "en-gb-x-rp+f1"};
constexpr std::array<std::string_view, 6> kTrainBabbleVoices = {"en-us+m4", "en-gb+f3", "en-us+f5",
                                                                "en-gb+m6", "en-029+m7", "en-us+m8"};
constexpr std::array<std::string_view, 6> kTestBabbleVoices = {"en-gb+m1", "en-us+f4", "en-gb+m3",
                                                               "en-us+m5", "en-gb+f1", "en-us+m2"};

Status run(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  if (rc != 0)
    return make_error(errc::io_error, "vad corpus: command failed (exit " + std::to_string(rc) + "): " + cmd);
  return {};
}

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

Result<std::vector<std::int16_t>> read_raw(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error(errc::io_error, "vad corpus: cannot read " + p.string());
  in.seekg(0, std::ios::end);
  const auto bytes = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  std::vector<std::int16_t> out(bytes / 2);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * 2));
  return out;
}

/// espeak-ng -> sox -> raw pcm16 at `rate`, cached.
Result<std::vector<std::int16_t>> speak(const std::filesystem::path& cache, std::string_view voice,
                                        std::string_view text, int wpm, int pitch, int rate) {
  const std::string key = std::to_string(std::hash<std::string_view>{}(text)) + "_" + std::string(voice) + "_" +
                          std::to_string(wpm) + "_" + std::to_string(pitch) + "_" + std::to_string(rate);
  const auto raw = cache / ("utt_" + key + ".raw");
  if (!std::filesystem::exists(raw)) {
    const auto wav = cache / ("utt_" + key + ".wav");
    LOQUI_TRY(run("espeak-ng -v " + quote(voice) + " -s " + std::to_string(wpm) + " -p " + std::to_string(pitch) +
                  " -w " + quote(wav.string()) + " " + quote(text)));
    const auto tmp = cache / ("utt_" + key + ".tmp");
    LOQUI_TRY(run("sox " + quote(wav.string()) + " -t raw -e signed -b 16 -c 1 -r " + std::to_string(rate) + " " +
                  quote(tmp.string())));
    std::filesystem::rename(tmp, raw);
    std::filesystem::remove(wav);
  }
  return read_raw(raw);
}

/// White or pink noise from sox (repeatable mode), cached.
Result<std::vector<std::int16_t>> synth_noise(const std::filesystem::path& cache, const std::string& kind, int rate,
                                              double seconds) {
  const std::string key = kind + "_" + std::to_string(rate) + "_" + std::to_string(static_cast<int>(seconds));
  const auto raw = cache / ("noise_" + key + ".raw");
  if (!std::filesystem::exists(raw)) {
    const auto tmp = cache / ("noise_" + key + ".tmp");
    LOQUI_TRY(run("sox -R -n -t raw -e signed -b 16 -c 1 -r " + std::to_string(rate) + " " + quote(tmp.string()) +
                  " synth " + std::to_string(seconds) + " " + kind + "noise vol 0.5"));
    std::filesystem::rename(tmp, raw);
  }
  return read_raw(raw);
}

/// Six espeak-ng talkers, each reading the babble sentences back to back, mixed by
/// `sox -m`; cached.
Result<std::vector<std::int16_t>> babble(const std::filesystem::path& cache, Split split, int rate, double seconds) {
  const std::string key = std::string(split == Split::train ? "train" : "test") + "_" + std::to_string(rate) + "_" +
                          std::to_string(static_cast<int>(seconds));
  const auto raw = cache / ("babble_" + key + ".raw");
  if (std::filesystem::exists(raw)) return read_raw(raw);
  const auto& sentences = split == Split::train ? kTrainBabble : kTestBabble;
  const auto& voices = split == Split::train ? kTrainBabbleVoices : kTestBabbleVoices;
  const auto need = static_cast<std::size_t>(seconds * rate);
  std::string mix = "sox -m";
  for (std::size_t t = 0; t < voices.size(); ++t) {
    std::vector<std::int16_t> talker;
    for (std::size_t i = 0; talker.size() < need; ++i) {
      const auto& text = sentences[(i + t * 5) % sentences.size()];
      auto pcm = speak(cache, voices[t], text, 150 + static_cast<int>(10 * t), 40 + static_cast<int>(5 * t), rate);
      if (!pcm) return std::move(pcm).error();
      talker.insert(talker.end(), pcm->begin(), pcm->end());
    }
    talker.resize(need);
    const auto path = cache / ("talker_" + key + "_" + std::to_string(t) + ".raw");
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(talker.data()), static_cast<std::streamsize>(talker.size() * 2));
    mix += " -t raw -e signed -b 16 -c 1 -r " + std::to_string(rate) + " " + quote(path.string());
  }
  const auto tmp = cache / ("babble_" + key + ".tmp");
  LOQUI_TRY(run(mix + " -t raw -e signed -b 16 -c 1 " + quote(tmp.string())));
  std::filesystem::rename(tmp, raw);
  return read_raw(raw);
}

double power(std::span<const std::int16_t> x) {
  double acc = 0;
  for (auto s : x) acc += static_cast<double>(s) * s;
  return x.empty() ? 0.0 : acc / static_cast<double>(x.size());
}

double frame_db(std::span<const std::int16_t> x) { return 10.0 * std::log10(power(x) / (32768.0 * 32768.0) + 1e-12); }

}  // namespace

std::string Stream::condition() const { return noise == "clean" ? "clean" : noise + " " + std::to_string(snr_db) + " dB"; }

std::filesystem::path default_cache_dir() {
  if (const char* env = std::getenv("LOQUI_VAD_CACHE"); env && *env) return env;
  return std::filesystem::temp_directory_path() / "loqui-vad-corpus";
}

Result<std::vector<Stream>> build_corpus(const CorpusOptions& o) {
  if (o.rate != 8000 && o.rate != 16000) return make_error(errc::invalid_argument, "vad corpus: rate must be 8000 or 16000");
  std::error_code ec;
  std::filesystem::create_directories(o.cache_dir, ec);
  if (ec) return make_error(errc::io_error, "vad corpus: cannot create " + o.cache_dir.string() + ": " + ec.message());
  const bool train = o.split == Split::train;
  const std::size_t frame = static_cast<std::size_t>(o.rate / 100);
  std::mt19937 rng(o.seed + (train ? 1000u : 0u) + static_cast<unsigned>(o.rate));
  std::uniform_int_distribution<int> wpm(135, 190), pitch(30, 70), pause_ms(500, 1500);
  std::uniform_real_distribution<double> level(-32.0, -20.0);

  // Clean stream and labels.
  Stream clean;
  clean.noise = "clean";
  clean.rate = o.rate;
  clean.pcm.assign(static_cast<std::size_t>(o.rate), 0);  // 1 s lead-in
  for (int u = 0; u < o.utterances; ++u) {
    const auto idx = static_cast<std::size_t>(u);
    const std::string_view text = train ? kTrainSentences[idx % kTrainSentences.size()]
                                        : kTestSentences[idx % kTestSentences.size()];
    const std::string_view voice = train ? kTrainVoices[(idx + idx / kTrainSentences.size()) % kTrainVoices.size()]
                                         : kTestVoices[(idx + idx / kTestSentences.size()) % kTestVoices.size()];
    const int speed = wpm(rng);
    const int pitch_value = pitch(rng);
    auto spoken = speak(o.cache_dir, voice, text, speed, pitch_value, o.rate);
    if (!spoken) return std::move(spoken).error();
    const std::vector<std::int16_t>& pcm = *spoken;
    // Trim espeak's leading/trailing digital silence to whole frames, then set the level.
    std::size_t first = 0, last = pcm.size();
    while (first < pcm.size() && std::abs(pcm[first]) < 4) ++first;
    while (last > first && std::abs(pcm[last - 1]) < 4) --last;
    first -= first % frame;
    std::vector<std::int16_t> utt(pcm.begin() + static_cast<std::ptrdiff_t>(first),
                                  pcm.begin() + static_cast<std::ptrdiff_t>(last));
    utt.resize((utt.size() + frame - 1) / frame * frame, 0);
    double peak_db = -200;
    for (std::size_t i = 0; i + frame <= utt.size(); i += frame)
      peak_db = std::max(peak_db, frame_db({utt.data() + i, frame}));
    // Active level ~ peak - 6 dB; scale to the target level.
    const double target_db = level(rng);
    const double gain = std::pow(10.0, (target_db - (peak_db - 6.0)) / 20.0);
    for (auto& s : utt) s = static_cast<std::int16_t>(std::clamp(std::lround(s * gain), -32768L, 32767L));
    const std::size_t at = clean.pcm.size() / frame;
    clean.pcm.insert(clean.pcm.end(), utt.begin(), utt.end());
    // Labels for this utterance.
    const std::size_t frames = utt.size() / frame;
    std::vector<std::uint8_t> lab(frames, 0);
    double upeak = -200;
    for (std::size_t f = 0; f < frames; ++f) upeak = std::max(upeak, frame_db({utt.data() + f * frame, frame}));
    for (std::size_t f = 0; f < frames; ++f) {
      const double d = frame_db({utt.data() + f * frame, frame});
      lab[f] = d > upeak - 40.0 && d > -70.0;
    }
    std::size_t b = 0;
    while (b < frames && !lab[b]) ++b;
    std::size_t e = frames;
    while (e > b && !lab[e - 1]) --e;
    for (std::size_t f = b; f < e;) {  // bridge pauses < 60 ms
      if (lab[f]) {
        ++f;
        continue;
      }
      std::size_t g = f;
      while (g < e && !lab[g]) ++g;
      if (g - f < 6) std::fill(lab.begin() + static_cast<std::ptrdiff_t>(f), lab.begin() + static_cast<std::ptrdiff_t>(g), 1);
      f = g;
    }
    clean.labels.resize(at, 0);
    clean.labels.insert(clean.labels.end(), lab.begin(), lab.end());
    if (e > b) clean.utterances.push_back({at + b, at + e});
    const int pause_10ms = pause_ms(rng) / 10;
    const auto pause = static_cast<std::size_t>(pause_10ms) * frame;
    clean.pcm.insert(clean.pcm.end(), pause, 0);
  }
  clean.labels.resize(clean.pcm.size() / frame, 0);
  clean.pcm.resize(clean.labels.size() * frame);
  clean.train_weight.assign(clean.labels.size(), 1.0f);

  double speech_power = 0;
  std::size_t speech_frames = 0;
  for (std::size_t f = 0; f < clean.labels.size(); ++f)
    if (clean.labels[f]) {
      speech_power += power({clean.pcm.data() + f * frame, frame});
      ++speech_frames;
    }
  speech_power /= static_cast<double>(std::max<std::size_t>(speech_frames, 1));

  std::vector<Stream> out;
  const auto finish = [&](Stream s) {
    if (o.rate == 8000)  // through the phone network: mu-law and back
      for (auto& v : s.pcm) v = mulaw_to_linear(linear_to_mulaw(v));
    out.push_back(std::move(s));
  };
  if (o.clean) finish(clean);
  const double seconds = static_cast<double>(clean.pcm.size()) / o.rate;
  // Noise files are long enough for both splits; the train split reads them from a later offset.
  const double noise_seconds = std::ceil(seconds) * 2 + 2;
  for (const auto& kind : o.noises) {
    std::vector<std::int16_t> noise;
    if (kind == "babble") {
      auto b = babble(o.cache_dir, o.split, o.rate, std::ceil(seconds) + 1);
      if (!b) return std::move(b).error();
      noise = std::move(*b);
    } else if (kind == "white" || kind == "pink") {
      auto synth = synth_noise(o.cache_dir, kind, o.rate, noise_seconds);
      if (!synth) return std::move(synth).error();
      const auto& n = *synth;
      const std::size_t offset = train ? n.size() / 2 : 0;
      noise.assign(n.begin() + static_cast<std::ptrdiff_t>(offset), n.end());
    } else {
      return make_error(errc::invalid_argument, "vad corpus: unknown noise '" + kind + "' (white, pink, babble)");
    }
    if (noise.size() < clean.pcm.size())
      return make_error(errc::internal, "vad corpus: noise '" + kind + "' is shorter than the speech");
    noise.resize(clean.pcm.size());
    const double noise_power = std::max(power(noise), 1e-9);
    for (int snr : o.snrs_db) {
      Stream s = clean;
      s.noise = kind;
      s.snr_db = snr;
      const double g = std::sqrt(speech_power / noise_power / std::pow(10.0, snr / 10.0));
      for (std::size_t i = 0; i < s.pcm.size(); ++i)
        s.pcm[i] = static_cast<std::int16_t>(std::clamp(std::lround(clean.pcm[i] + g * noise[i]), -32768L, 32767L));
      for (std::size_t f = 0; f < s.labels.size(); ++f) {
        const double sp = power({clean.pcm.data() + f * frame, frame});
        const double np = g * g * power({noise.data() + f * frame, frame});
        if (s.labels[f] && sp < np * std::pow(10.0, -0.5)) s.train_weight[f] = 0.0f;
      }
      finish(std::move(s));
    }
  }
  return out;
}

}  // namespace loqui::bench::vad
