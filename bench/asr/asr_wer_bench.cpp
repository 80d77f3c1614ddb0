// SPDX-License-Identifier: Apache-2.0
// File: word error rate and real-time factor of the embedded `pocketsphinx` STT
// on the caller lines of the example agents (examples/calls/*.txt) and on
// held-out paraphrases of them that no flow hint contains (bench/asr/heldout/),
// spoken by espeak-ng in several voices, at 16 kHz and after an 8 kHz mu-law round trip,
// with and without the dialog's recognition hints.
//
// Each script is one call: the example flow (examples/agents/<agent>.json) runs
// alongside, answering the *reference* caller lines (tool calls get the agent's
// canned results), and before each caller line the STT stream receives the hints
// of the state the dialog is in, exactly as the turn manager forwards them.
// Besides WER it reports dialog accuracy: the share of lines after which the flow,
// fed the recognised text instead of the reference, lands in the same state.
//
// Usage: asr_wer_bench [--voices en-us,en-gb-x-rp,en-us+f3,en-us-slow-high,en-us+m3] [--stt '{"endpointing": false}']
//                      [--audio 16k,16k-adapted,8k-mulaw,8k-mulaw-adapted,8k-mulaw-resample] [--hints-only]
//                      [--verbose]
//   "-adapted": with the built-in espeak-ng MLLR transform of the line and
//   without noise removal (docs/providers/pocketsphinx.md, "Adapting").
//   --stt merges options into every pocketsphinx config; --audio picks conditions;
//   --hints-only skips the runs without hints (the general model alone).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "loqui/audio/g711.hpp"
#include "loqui/provider/registry.hpp"
#include "loqui/sim/caller_script.hpp"
#include "providers/flow/flow_engine.hpp"

namespace {

using namespace loqui;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Voice {
  std::string label;
  std::string config;  // espeak provider JSON
};

struct Line {
  std::string text;
  RecognitionHints hints;   // the dialog's hints before the line
  std::string next_state;  // where the reference text leads
  std::vector<ChatMessage> history;  // conversation before the line
};

struct Call {
  std::string set;  // "example calls" or "held-out"
  std::string script;
  std::string agent;
  std::vector<Line> lines;
  std::shared_ptr<const detail::FlowDefinition> flow;
  Json agent_doc;
};

std::string canned(const Json& agent, const std::string& tool) {
  if (const Json* a = agent.find("agent"))
    if (const Json* tools = a->find("tools"))
      for (const auto& t : tools->as_array())
        if (const Json* n = t.find("name"); n && n->is_string() && n->as_string() == tool)
          if (const Json* r = t.find("result")) return r->dump();
  return R"({"ok": true})";
}

// Answers `history` with the flow, running tool calls with canned results;
// returns the state reached (and extends `history`).
std::string advance(detail::FlowDialog& dialog, std::vector<ChatMessage>& history, const Json& agent,
                    RecognitionHints* hints) {
  detail::FlowOutput out = dialog.respond(history);
  for (int i = 0; i < 8 && out.tool_call; ++i) {
    history.push_back({.role = Role::assistant, .content = out.text, .tool_calls = {*out.tool_call}});
    history.push_back({.role = Role::tool, .content = canned(agent, out.tool_call->name),
                       .tool_call_id = out.tool_call->id, .name = out.tool_call->name});
    out = dialog.respond(history);
  }
  history.push_back({.role = Role::assistant, .content = out.text});
  if (hints) *hints = out.hints;
  return dialog.state();
}

// The agent a script talks to: the "examples/agents/NAME.json" its header comment
// names, else the file name's prefix ("clinic_booking.txt" -> clinic).
std::string script_agent(const fs::path& script) {
  std::ifstream in(script);
  std::string text;
  while (std::getline(in, text) && !text.empty() && text[0] == '#') {
    const std::size_t at = text.find("examples/agents/");
    if (at == std::string::npos) continue;
    const std::size_t from = at + std::strlen("examples/agents/");
    const std::size_t dot = text.find(".json", from);
    if (dot != std::string::npos) return text.substr(from, dot - from);
  }
  const std::string stem = script.stem().string();
  return stem.substr(0, stem.find('_'));
}

Result<Call> load_call(const fs::path& script) {
  Call call;
  call.script = script.stem().string();
  call.agent = script_agent(script);
  const fs::path root = LOQUI_SOURCE_DIR;
  LOQUI_ASSIGN_OR_RETURN(call.agent_doc, Json::parse_file(root / "examples/agents" / (call.agent + ".json")));
  LOQUI_ASSIGN_OR_RETURN(Json flow, Json::parse_file(root / "examples/flows" / (call.agent + ".json")));
  LOQUI_ASSIGN_OR_RETURN(call.flow, detail::load_flow(flow, call.agent));
  LOQUI_ASSIGN_OR_RETURN(CallerScript parsed, CallerScript::parse_file(script.string()));
  detail::FlowDialog dialog(call.flow, {});
  std::vector<ChatMessage> history;
  RecognitionHints hints;
  (void)advance(dialog, history, call.agent_doc, &hints);
  for (const CallerStep& step : parsed.steps) {
    if (step.kind != CallerStep::Kind::say) continue;
    Line line{step.text(), hints, "", history};
    history.push_back({.role = Role::user, .content = line.text});
    line.next_state = advance(dialog, history, call.agent_doc, &hints);
    call.lines.push_back(std::move(line));
  }
  return call;
}

std::vector<std::int16_t> synthesize(TextToSpeech& tts, const std::string& text, int rate) {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  auto strand = rt->make_strand("tts");
  struct Obs final : TtsObserver {
    std::vector<std::int16_t> pcm;
    bool done = false;
    void on_audio(const AudioFrame& f) override { pcm.insert(pcm.end(), f.samples().begin(), f.samples().end()); }
    void on_done() override { done = true; }
    void on_error(const Error& e) override {
      std::fprintf(stderr, "tts: %s\n", e.to_string().c_str());
      done = true;
    }
  } obs;
  auto stream = tts.open({.strand = strand}, {.format = AudioFormat::pcm16(rate)}, obs);
  if (!stream) return {};
  (void)(*stream)->send_text(text);
  (void)(*stream)->flush();
  (void)rt->run_until_quiet(rt->now() + std::chrono::minutes(1));
  obs.pcm.resize(obs.pcm.size() + static_cast<std::size_t>(rate / 2), 0);  // 500 ms of silence after
  return obs.pcm;
}

std::vector<std::int16_t> mulaw_round_trip(const std::vector<std::int16_t>& pcm) {
  std::vector<std::byte> coded(pcm.size());
  std::vector<std::int16_t> out(pcm.size());
  loqui::mulaw_encode(pcm, coded);
  loqui::mulaw_decode(coded, out);
  return out;
}

int edits(const std::vector<std::string>& r, const std::vector<std::string>& h) {
  std::vector<int> prev(h.size() + 1), cur(h.size() + 1);
  for (std::size_t j = 0; j <= h.size(); ++j) prev[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= r.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= h.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[h.size()];
}

struct Score {
  int errors = 0, words = 0, lines = 0, dialog_ok = 0;
  double audio_s = 0, cpu_s = 0;
  void add(const Score& o) {
    errors += o.errors;
    words += o.words;
    lines += o.lines;
    dialog_ok += o.dialog_ok;
    audio_s += o.audio_s;
    cpu_s += o.cpu_s;
  }
};

// One call through a fresh STT stream: each caller line with the hints before it.
Score run_call(SpeechToText& stt, const Call& call, const std::vector<std::vector<std::int16_t>>& audio, int rate,
               bool hints, bool verbose, const std::string& label) {
  Score score;
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  auto strand = rt->make_strand("call");
  struct Obs final : SttObserver {
    std::string text;
    bool answered = false;
    void on_transcript(const Transcript& t) override {
      if (t.is_final && !t.text.empty()) text += (text.empty() ? "" : " ") + t.text;
      if (t.from_finalize) answered = true;
    }
    void on_error(const Error& e) override {
      std::fprintf(stderr, "stt: %s\n", e.to_string().c_str());
      answered = true;
    }
  } obs;
  const AudioFormat fmt = AudioFormat::pcm16(rate);
  auto stream = stt.open({.strand = strand}, {.format = fmt}, obs);
  if (!stream) {
    std::fprintf(stderr, "%s\n", stream.error().to_string().c_str());
    return score;
  }
  for (std::size_t k = 0; k < call.lines.size(); ++k) {
    const Line& line = call.lines[k];
    if (hints) (*stream)->set_hints(line.hints);
    obs.text.clear();
    obs.answered = false;
    const auto& pcm = audio[k];
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t frame = static_cast<std::size_t>(rate / 50);
    for (std::size_t i = 0; i < pcm.size(); i += frame) {
      (void)(*stream)->send_audio(AudioFrame::view(fmt, std::span(pcm).subspan(i, std::min(frame, pcm.size() - i))));
    }
    (*stream)->finalize();
    (void)rt->run_until_quiet(rt->now() + std::chrono::minutes(5));
    score.cpu_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    score.audio_s += static_cast<double>(pcm.size()) / rate;
    const auto ref = detail::normalize_words(line.text);
    const auto hyp = detail::normalize_words(obs.text);
    const int e = edits(ref, hyp);
    score.errors += e;
    score.words += static_cast<int>(ref.size());
    ++score.lines;
    // Dialog accuracy: the flow fed what was recognised lands where the reference leads.
    detail::FlowDialog replay(call.flow, {});
    std::vector<ChatMessage> history = line.history;
    // Rebuild the dialog's state by replaying the reference history first.
    {
      std::vector<ChatMessage> prefix;
      (void)replay.respond(prefix);
      for (const auto& m : line.history) {
        prefix.push_back(m);
        if (m.role == Role::user || m.role == Role::tool) (void)replay.respond(prefix);
      }
    }
    history.push_back({.role = Role::user, .content = obs.text});
    const std::string state = advance(replay, history, call.agent_doc, nullptr);
    const bool ok = state == line.next_state;
    score.dialog_ok += ok ? 1 : 0;
    if (verbose) {
      std::printf("  [%s %s] %-14s e=%d %s\n     ref: %s\n     hyp: %s\n", label.c_str(), hints ? "hints" : "general",
                  line.hints.state.c_str(), e, ok ? "" : "(dialog went elsewhere)", line.text.c_str(), obs.text.c_str());
    }
  }
  return score;
}

}  // namespace

int main(int argc, char** argv) {
  bool verbose = false;
  bool hints_only = false;
  std::string audio_filter;
  Json extra = Json::object();
  std::vector<Voice> voices = {
      {"en-us", R"({"provider": "espeak", "voice": "en-us", "resample_quality": "high"})"},
      {"en-gb-x-rp", R"({"provider": "espeak", "voice": "en-gb-x-rp"})"},
      {"en-us+f3", R"({"provider": "espeak", "voice": "en-us+f3"})"},
      {"en-us-slow-high", R"({"provider": "espeak", "voice": "en-us", "rate_wpm": 145, "pitch": 75})"},
      {"en-us+m3", R"({"provider": "espeak", "voice": "en-us+m3"})"},  // loqui run's default caller
  };
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--verbose") == 0) verbose = true;
    if (std::strcmp(argv[i], "--hints-only") == 0) hints_only = true;
    if (std::strcmp(argv[i], "--audio") == 0 && i + 1 < argc) audio_filter = "," + std::string(argv[++i]) + ",";
    if (std::strcmp(argv[i], "--stt") == 0 && i + 1 < argc) {
      auto parsed = Json::parse(argv[++i]);
      if (!parsed || !parsed->is_object()) {
        std::fprintf(stderr, "--stt: expected a JSON object\n");
        return 2;
      }
      extra = std::move(*parsed);
    }
    if (std::strcmp(argv[i], "--voices") == 0 && i + 1 < argc) {
      std::vector<Voice> chosen;
      std::string list = argv[++i];
      for (std::size_t a = 0; a < list.size();) {
        std::size_t b = list.find(',', a);
        if (b == std::string::npos) b = list.size();
        const std::string v = list.substr(a, b - a);
        for (const auto& known : voices)
          if (known.label == v) chosen.push_back(known);
        a = b + 1;
      }
      voices = chosen;
    }
  }
  Registry registry;
  register_builtin_providers(registry);
  // The example calls' lines (which the flows' hints were written for) and
  // held-out paraphrases of them that no hint contains.
  std::vector<Call> calls;
  for (const auto& [set, dir] : {std::pair<std::string, fs::path>{"examples", fs::path(LOQUI_SOURCE_DIR) / "examples/calls"},
                                 {"held-out", fs::path(LOQUI_SOURCE_DIR) / "bench/asr/heldout"}}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".txt") continue;
      auto call = load_call(entry.path());
      if (!call) {
        std::fprintf(stderr, "%s: %s\n", entry.path().c_str(), call.error().to_string().c_str());
        return 1;
      }
      call->set = set;
      calls.push_back(std::move(*call));
    }
  }
  std::sort(calls.begin(), calls.end(),
            [](const Call& a, const Call& b) { return std::tie(a.set, a.script) < std::tie(b.set, b.script); });

  struct Condition {
    std::string label;
    int rate;
    bool mulaw;
    std::string stt;
  };
  const std::vector<Condition> conditions = {
      {"16k", 16000, false, R"({"provider": "pocketsphinx"})"},
      {"16k-adapted", 16000, false, R"({"provider": "pocketsphinx", "mllr": "espeak", "remove_noise": false})"},
      {"8k-mulaw", 8000, true, R"({"provider": "pocketsphinx"})"},
      {"8k-mulaw-adapted", 8000, true,
       R"({"provider": "pocketsphinx", "mllr_narrowband": "espeak", "remove_noise": false})"},
      {"8k-mulaw-resample", 8000, true, R"({"provider": "pocketsphinx", "narrowband": "resample"})"},
  };
  std::printf("%-18s %-16s %-8s %-9s %8s %10s %8s %7s\n", "audio", "voice", "hints", "lines", "WER", "dialog", "RTF",
              "count");
  std::map<std::string, Score> totals;
  for (const auto& voice : voices) {
    auto tts = registry.make_tts({}, Json::parse(voice.config).value());
    if (!tts) {
      std::fprintf(stderr, "%s: %s\n", voice.label.c_str(), tts.error().to_string().c_str());
      continue;
    }
    for (const auto& cond : conditions) {
      if (!audio_filter.empty() && audio_filter.find("," + cond.label + ",") == std::string::npos) continue;
      Json config = Json::parse(cond.stt).value();
      for (const auto& m : extra.as_object()) config[m.key] = m.value;
      auto stt = registry.make_stt({}, config);
      if (!stt) {
        std::fprintf(stderr, "%s\n", stt.error().to_string().c_str());
        return 1;
      }
      for (bool hints : {false, true}) {
        if (hints_only && !hints) continue;
        std::map<std::string, Score> by_set;
        for (const auto& call : calls) {
          std::vector<std::vector<std::int16_t>> audio;
          for (const auto& line : call.lines) {
            auto pcm = synthesize(**tts, line.text, cond.rate);
            audio.push_back(cond.mulaw ? mulaw_round_trip(pcm) : pcm);
          }
          by_set[call.set].add(run_call(**stt, call, audio, cond.rate, hints, verbose, cond.label + " " + voice.label));
        }
        for (const auto& [set, s] : by_set) {
          std::printf("%-18s %-16s %-8s %-9s %7.1f%% %9.0f%% %8.3f %7d\n", cond.label.c_str(), voice.label.c_str(),
                      hints ? "yes" : "no", set.c_str(), 100.0 * s.errors / std::max(1, s.words),
                      100.0 * s.dialog_ok / std::max(1, s.lines), s.cpu_s / std::max(1e-9, s.audio_s), s.lines);
          totals[cond.label + (hints ? " hints" : " general") + " / " + set].add(s);
        }
        std::fflush(stdout);
      }
    }
  }
  std::printf("\nall voices:\n");
  for (const auto& [k, s] : totals) {
    std::printf("%-38s WER %5.1f%%  dialog %3.0f%%  RTF %.3f  (%d words, %.0f s of audio)\n", k.c_str(),
                100.0 * s.errors / std::max(1, s.words), 100.0 * s.dialog_ok / std::max(1, s.lines),
                s.cpu_s / std::max(1e-9, s.audio_s), s.words, s.audio_s);
  }
  return 0;
}
