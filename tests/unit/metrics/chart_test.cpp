// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/metrics/chart.hpp"

namespace loqui {
namespace {

TurnMetrics turn(int index, double v2v_ms) {
  TurnMetrics t;
  t.turn_index = index;
  t.user_speech_end = time_from_ms(1000);
  t.end_of_turn = time_from_ms(1300);
  t.stt_final = time_from_ms(1150);
  t.llm_request = time_from_ms(1300);
  t.llm_first_token = time_from_ms(1500);
  t.first_sentence = time_from_ms(1600);
  t.tts_request = time_from_ms(1600);
  t.tts_first_audio = time_from_ms(1640);
  t.agent_audio_start = time_from_ms(1000 + v2v_ms);
  t.voice_to_voice = time_from_ms(v2v_ms).time_since_epoch();
  return t;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(Chart, OneRowPerCallerTurnWithABarPerStage) {
  TurnMetrics greeting;  // no caller speech: not charted
  greeting.turn_index = 0;
  std::vector<TurnMetrics> turns{greeting, turn(1, 645), turn(2, 700)};
  turns[2].interrupted = true;
  const std::string svg = render_turn_waterfall_svg(turns);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<title>"), 12);  // 6 stages x 2 turns
  EXPECT_NE(svg.find(">turn 1<"), std::string::npos);
  EXPECT_NE(svg.find(">turn 2 (interrupted)<"), std::string::npos);
  EXPECT_EQ(svg.find(">turn 0<"), std::string::npos);
  EXPECT_NE(svg.find("LLM first token: 200.0 ms"), std::string::npos);
  EXPECT_NE(svg.find("645.0 ms"), std::string::npos);
  EXPECT_NE(svg.find("median voice-to-voice 700.0 ms"), std::string::npos);
}

TEST(Chart, EmptyCallStillRendersAValidDocument) {
  const std::string svg = render_turn_waterfall_svg({});
  EXPECT_NE(svg.find("no caller turns"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace loqui
