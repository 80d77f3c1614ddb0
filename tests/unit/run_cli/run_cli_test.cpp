// SPDX-License-Identifier: Apache-2.0
// File: `loqui run`, `loqui script` and `loqui check` end to end: a caller
// rendered by espeak-ng calls the clinic agent (flow engine + espeak-ng; STT
// scripted here so the assertions do not depend on recognition accuracy, the
// pocketsphinx run is its own test): the agent answers every caller turn, the
// booking tool gets the right slots, the recording and the report agree, --fast
// is deterministic, and every bad input exits non-zero with one clear line and
// no output file.
#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "loqui/audio/file.hpp"
#include "loqui/json.hpp"
#include "support/cli_runner.hpp"

namespace loqui {
namespace {

/// j[key], or null when absent (Json's operator[] inserts).
const Json& get(const Json& j, std::string_view key) {
  static const Json null;
  const Json* v = j.find(key);
  return v ? *v : null;
}

std::string source(const std::string& rel) {
  const char* dir = std::getenv("LOQUI_SOURCE_DIR");
  return std::string(dir ? dir : ".") + "/" + rel;
}

constexpr const char* kBookingScript =
    "I would like to book an appointment.\n"
    "Tomorrow at ten thirty.\n"
    "My name is Anna Smith.\n"
    "Yes please.\n"
    "No, that's all, thank you.\n";

class RunCli : public testing::CliTest {
 protected:
  void SetUp() override {
    testing::CliTest::SetUp();
    agent_ = source("tests/unit/run_cli/clinic_scripted_stt.json");
    std::ofstream(p("booking.txt")) << kBookingScript;
  }
  /// The booking caller rendered to a WAV (espeak-ng).
  std::string booking_wav() {
    const std::string wav = p("booking.wav");
    auto r = run("script " + p("booking.txt") + " --out " + wav);
    EXPECT_EQ(r.status, 0) << r.err;
    return wav;
  }
  std::string agent_;
  Json report(const std::string& path) {
    auto j = Json::parse_file(path);
    EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error().message());
    return j.ok() ? *j : Json::object();
  }
  static double num(const Json& j, std::string_view key) {
    const Json* v = j.find(key);
    return v && v->is_number() ? v->as_number() : -1;
  }
};

TEST_F(RunCli, ClinicCallFromARecordingBooksTheAppointment) {
  const std::string wav = booking_wav();
  auto r = run("run --agent " + agent_ + " --in " + wav + " --out " + p("call.wav") +
               " --report " + p("r.json") + " --chart " + p("t.svg") + " --fast");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("transcript"), std::string::npos);
  EXPECT_NE(r.out.find("cost"), std::string::npos);

  const Json rep = report(p("r.json"));
  const Json& transcript = get(rep, "transcript");
  ASSERT_TRUE(transcript.is_array());
  // Every caller entry is answered by an agent entry after it.
  int callers = 0;
  for (std::size_t i = 0; i < transcript.size(); ++i) {
    const Json& e = transcript.as_array()[i];
    if (e.find("speaker")->as_string() != "caller") continue;
    ++callers;
    bool answered = false;
    for (std::size_t k = i + 1; k < transcript.size(); ++k)
      answered |= transcript.as_array()[k].find("speaker")->as_string() == "agent";
    EXPECT_TRUE(answered) << "caller turn " << i << " has no agent answer: " << e.dump();
  }
  EXPECT_EQ(callers, 5);

  // The booking tool was called with the slots the caller said.
  bool booked = false;
  for (const Json& t : get(rep, "tool_calls").as_array()) {
    if (t.find("name")->as_string() != "book_appointment") continue;
    booked = true;
    const std::string args = t.find("arguments")->dump();
    EXPECT_NE(args.find("10:30"), std::string::npos) << args;
    EXPECT_NE(args.find("Anna Smith"), std::string::npos) << args;
  }
  EXPECT_TRUE(booked) << get(rep, "tool_calls").dump();

  // The recording: stereo, as long as the call.
  auto call = read_audio_file(p("call.wav"));
  ASSERT_TRUE(call.ok()) << call.error().message();
  EXPECT_EQ(call->audio.format.channels, 2);
  const double wav_ms = to_ms(call->audio.duration());
  EXPECT_NEAR(wav_ms, num(get(rep, "call"), "duration_ms"), 100.0);

  // Per-turn numbers are consistent with each other.
  int answered_turns = 0;
  for (const Json& t : get(rep, "turns").as_array()) {
    const double end = num(t, "user_speech_end_ms");
    const double start = num(t, "agent_audio_start_ms");
    if (end < 0 || start < 0) continue;  // greeting, or a turn cut short
    ++answered_turns;
    EXPECT_LE(end, num(t, "end_of_turn_ms"));
    EXPECT_LE(num(t, "end_of_turn_ms"), start);
    EXPECT_NEAR(num(t, "voice_to_voice_ms"), start - end, 1.0);
    EXPECT_LE(num(t, "loqui_overhead_ms"), num(t, "voice_to_voice_ms"));
    EXPECT_GE(num(t, "loqui_overhead_ms"), 0.0);
  }
  EXPECT_GE(answered_turns, 5);
  EXPECT_EQ(testing::read_text(p("t.svg")).rfind("<svg", 0), 0u);
  EXPECT_GT(num(get(rep, "cost"), "total"), -1);
}

TEST_F(RunCli, FastRunsAreDeterministic) {
  const std::string wav = booking_wav();
  const std::string base = "run --agent " + agent_ + " --in " + wav + " --fast --quiet";
  ASSERT_EQ(run(base + " --report " + p("a.json") + " --out " + p("a.wav")).status, 0);
  ASSERT_EQ(run(base + " --report " + p("b.json") + " --out " + p("b.wav")).status, 0);
  EXPECT_EQ(testing::read_text(p("a.json")), testing::read_text(p("b.json")));
  EXPECT_EQ(testing::read_text(p("a.wav")), testing::read_text(p("b.wav")));
}

TEST_F(RunCli, ScriptedCallerCanInterruptTheAgent) {
  const std::string script = p("bargein.txt");
  std::ofstream(script) << "I would like to book an appointment.\n"
                           "[when agent speaks, after 0.8s] Tomorrow at ten thirty.\n";
  auto r = run("run --agent " + agent_ + " --caller " + script + " --report " +
               p("r.json") + " --fast");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const Json rep = report(p("r.json"));
  bool interrupted = false;
  for (const Json& e : get(rep, "transcript").as_array()) {
    if (const Json* i = e.find("interrupted"); i && i->is_bool() && i->as_bool()) {
      interrupted = true;
      // What the caller heard is a prefix of what the agent meant to say.
      const std::string text = e.find("text")->as_string();
      const std::string heard = e.find("heard_text")->as_string();
      EXPECT_LT(heard.size(), text.size());
    }
  }
  EXPECT_TRUE(interrupted) << get(rep, "transcript").dump(2);
}

TEST_F(RunCli, CheckAcceptsTheExamplesAndNamesWhatIsWrong) {
  for (const std::string& agent : {agent_, source("examples/agents/cloud_openai_aura.json"),
                                    source("examples/agents/router_openai.json")}) {
    auto r = run("check " + agent, "DEEPGRAM_API_KEY=k OPENAI_API_KEY=k GROQ_API_KEY=k");
    EXPECT_EQ(r.status, 0) << agent << ": " << r.err;
    EXPECT_NE(r.out.find("ok"), std::string::npos);
  }
  // A router: its routes and the LLM behind it are checked too.
  std::ofstream(p("router.json")) << R"({"agent": {"name": "x"}, "llm": {"provider": "router",
    "routes": {"routes": [{"phrases": ["hi"], "say": "Hello {nme}."}]},
    "llm": {"provider": "openai", "model": "gpt-4o-mini", "api_key_env": "LOQUI_TEST_UNSET_KEY"}}})";
  auto router = run("check " + p("router.json"), "env -u LOQUI_TEST_UNSET_KEY");
  EXPECT_EQ(router.status, 1);
  EXPECT_NE(router.err.find("llm.llm.api_key_env: environment variable LOQUI_TEST_UNSET_KEY is not set"),
            std::string::npos)
      << router.err;
  auto routes = run("check " + p("router.json"), "LOQUI_TEST_UNSET_KEY=k");
  EXPECT_EQ(routes.status, 1);
  EXPECT_NE(routes.err.find("llm.routes: routes[0].say: unknown variable {nme}"), std::string::npos) << routes.err;
  std::ofstream(p("bad.json")) << R"({"agent": {"name": "x"}, "stt": {"provider": "nosuch"}})";
  auto bad = run("check " + p("bad.json"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("nosuch"), std::string::npos) << bad.err;

  std::ofstream(p("key.json")) << R"({"agent": {"name": "x"},
    "llm": {"provider": "openai", "model": "gpt-4o-mini", "api_key_env": "LOQUI_TEST_UNSET_KEY"}})";
  auto key = run("check " + p("key.json"), "env -u LOQUI_TEST_UNSET_KEY");
  EXPECT_EQ(key.status, 1);
  EXPECT_NE(key.err.find("LOQUI_TEST_UNSET_KEY"), std::string::npos) << key.err;
  EXPECT_NE(key.err.find("llm.api_key_env"), std::string::npos) << key.err;
}

TEST_F(RunCli, BadInputsExitNonZeroWithOneLineAndNoOutput) {
  const std::string agent = agent_;
  struct Case {
    std::string name, args, env, expect;
    int status;
  };
  std::ofstream(p("trunc.wav")) << "RIFF\x24\x10\x00\x00WAVEfmt ";
  std::ofstream(p("notjson.json")) << "{\"agent\": {\"name\": ";
  std::ofstream(p("unknownkey.json")) << R"({"agent": {"name": "x", "greting": "hi"}})";
  std::ofstream(p("cloud.json")) << R"({"agent": {"name": "x"}, "stt": {"provider": "mock"},
    "llm": {"provider": "openai", "model": "gpt-4o-mini", "api_key_env": "LOQUI_TEST_KEY"}, "tts": {"provider": "espeak"}})";
  const std::vector<Case> cases = {
      {"missing wav", "--agent " + agent + " --in " + p("nope.wav"), "", "nope.wav", 1},
      {"truncated wav", "--agent " + agent + " --in " + p("trunc.wav"), "", "trunc.wav", 1},
      {"config not json", "--agent " + p("notjson.json") + " --in " + p("trunc.wav"), "", "notjson.json", 1},
      {"unknown key", "--agent " + p("unknownkey.json") + " --in " + p("trunc.wav"), "", "greting", 1},
      {"fast with cloud", "--agent " + p("cloud.json") + " --in " + booking_wav() + " --fast",
       "LOQUI_TEST_KEY=sk-secret-value-123", "real time", 1},
      {"no input", "--agent " + agent, "", "--in", 2},
      {"bad line", "--agent " + agent + " --in x.wav --line isdn", "", "isdn", 2},
  };
  for (const Case& c : cases) {
    auto r = run("run " + c.args + " --out " + p("out.wav") + " --report " + p("out.json"), c.env);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_EQ(r.err.find("sk-secret-value-123"), std::string::npos) << c.name;
    EXPECT_FALSE(std::filesystem::exists(p("out.wav"))) << c.name;
    EXPECT_FALSE(std::filesystem::exists(p("out.json"))) << c.name;
  }
}

}  // namespace
}  // namespace loqui
