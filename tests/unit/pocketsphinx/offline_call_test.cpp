// SPDX-License-Identifier: Apache-2.0
// File: the offline stack end to end without a Session: the caller's lines spoken
// by espeak-ng, recognised by pocketsphinx with the dialog's hints, answered by
// the clinic flow (tools answered with the agent's canned results), and the
// answers synthesised by espeak. The clinic booking must get through.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/builtin_registry.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {

using testing::builtin_registry;

std::string source_dir() {
  const char* dir = std::getenv("LOQUI_SOURCE_DIR");
  return dir ? dir : ".";
}

std::vector<std::int16_t> synthesize(TextToSpeech& tts, const std::string& text, testing::VirtualSession& s) {
  testing::RecordingTtsObserver obs(s.strand);
  auto stream = tts.open(s.ctx, {.format = AudioFormat::pcm16(16000)}, obs);
  EXPECT_TRUE(stream.ok());
  if (!stream) return {};
  EXPECT_TRUE((*stream)->send_text(text).ok());
  EXPECT_TRUE((*stream)->flush().ok());
  s.run_until_quiet();
  return obs.utterances.empty() ? std::vector<std::int16_t>{} : obs.utterances.front();
}

TEST(OfflineCall, ClinicBookingThroughSpeech) {
  const std::string dir = source_dir() + "/examples/agents";
  auto agent = Json::parse_file(dir + "/clinic.json");
  ASSERT_TRUE(agent.ok()) << agent.error().to_string();
  ProviderContext ctx;
  ctx.agent = &*agent;
  ctx.base_dir = dir;
  auto stt = builtin_registry().make_stt(ctx, *agent->find("stt"));
  auto llm = builtin_registry().make_llm(ctx, *agent->find("llm"));
  auto tts = builtin_registry().make_tts(ctx, *agent->find("tts"));
  ASSERT_TRUE(stt.ok() && llm.ok() && tts.ok());

  testing::VirtualSession s;
  testing::RecordingSttObserver heard(s.strand);
  auto ear = (*stt)->open(s.ctx, {.format = AudioFormat::pcm16(16000)}, heard);
  ASSERT_TRUE(ear.ok());
  auto brain = (*llm)->open(s.ctx);
  ASSERT_TRUE(brain.ok());

  std::vector<ChatMessage> history{{.role = Role::system, .content = "clinic"}};
  std::vector<ToolCall> calls;
  std::vector<std::string> said;
  auto canned = [&](const std::string& tool) {
    for (const auto& t : agent->find("agent")->find("tools")->as_array())
      if (const Json* n = t.find("name"); n && n->as_string() == tool) return t.find("result")->dump();
    return std::string(R"({"ok": true})");
  };
  // One agent turn: generate until no tool call is pending; speak the text.
  auto agent_turn = [&] {
    for (int round = 0; round < 4; ++round) {
      testing::RecordingLlmObserver obs(s.strand);
      LlmRequest req;
      req.messages = history;
      ASSERT_TRUE((*brain)->generate(req, obs).ok());
      s.run_until_quiet();
      for (const auto& e : obs.of(testing::LlmEvent::Kind::hints)) (*ear)->set_hints(e.hints);
      ChatMessage reply{.role = Role::assistant, .content = obs.text(), .tool_calls = obs.tool_calls()};
      history.push_back(reply);
      if (!reply.content.empty()) {
        said.push_back(reply.content);
        EXPECT_FALSE(synthesize(**tts, reply.content, s).empty()) << reply.content;
      }
      if (reply.tool_calls.empty()) return;
      for (const auto& c : reply.tool_calls) {
        calls.push_back(c);
        history.push_back({.role = Role::tool, .content = canned(c.name), .tool_call_id = c.id, .name = c.name});
      }
    }
  };
  auto caller_says = [&](const std::string& line) {
    auto pcm = synthesize(**tts, line, s);
    pcm.resize(pcm.size() + 8000, 0);
    const AudioFormat fmt = AudioFormat::pcm16(16000);
    heard.events.clear();
    for (std::size_t i = 0; i < pcm.size(); i += 320)
      ASSERT_TRUE((*ear)->send_audio(AudioFrame::view(fmt, std::span(pcm).subspan(i, std::min<std::size_t>(320, pcm.size() - i)))).ok());
    (*ear)->finalize();
    s.run_until_quiet();
    std::string text;
    for (const auto& t : heard.finals())
      if (!t.text.empty()) text += (text.empty() ? "" : " ") + t.text;
    std::printf("caller: %-40s heard: %s\n", line.c_str(), text.c_str());
    history.push_back({.role = Role::user, .content = text});
    agent_turn();
    std::printf("agent:  %s\n", said.empty() ? "" : said.back().c_str());
  };

  agent_turn();  // the greeting
  caller_says("I would like to book an appointment.");
  caller_says("Tomorrow at ten thirty.");
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front().name, "check_availability");
  const Json args = calls.front().parse_arguments().value_or(Json());
  ASSERT_TRUE(args.is_object());
  EXPECT_EQ(args.find("day")->string_or(""), "tomorrow");
  EXPECT_EQ(args.find("time")->string_or(""), "10:30");
  caller_says("My name is John Carter.");
  caller_says("Yes please.");
  caller_says("No, that's all, thank you.");
  std::vector<std::string> names;
  for (const auto& c : calls) names.push_back(c.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "book_appointment"), names.end()) << ::testing::PrintToString(names);
}

}  // namespace
}  // namespace loqui
