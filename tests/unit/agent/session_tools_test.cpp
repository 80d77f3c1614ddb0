// SPDX-License-Identifier: Apache-2.0
// Scenario tests: tools, handoff to a human, call lifecycle (idle, max duration,
// DTMF) and bad input, under virtual time with mock providers.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "support/session_harness.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;
using testing::CallHarness;

void expect_settled(const CallHarness& c) {
  const TurnState s = c.session->state();
  EXPECT_TRUE(s == TurnState::listening || s == TurnState::ended) << "stuck in " << to_string(s);
}

ToolSpec day_tool(std::string name) {
  return {std::move(name), "Free slots on a day",
          Json::parse(R"({"type":"object","properties":{"day":{"type":"string"}},"required":["day"]})").value()};
}

const ChatMessage* last_tool_message(const LlmRequest& r) {
  for (auto it = r.messages.rbegin(); it != r.messages.rend(); ++it)
    if (it->role == Role::tool) return &*it;
  return nullptr;
}

// ------------------------------------------------------------ tools

TEST(ToolsTest, HostToolResultGoesBackToTheLlm) {
  CallHarness c;
  Json seen;
  ASSERT_TRUE(c.tools.add(day_tool("check_availability"), [&](const Json& args) -> Result<Json> {
    seen = args;
    return Json::object({{"slots", Json::array({"10:00", "14:30"})}});
  }));
  c.stt.transcripts = {{"Can I book for Tuesday?"}};
  c.llm.rules = {{.user_contains = "book",
                  .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tuesday"})"}}}},
                 {.tool_result = "check_availability", .reply = {.text = "We have ten and two thirty free on Tuesday."}}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(6s);
  EXPECT_EQ(seen, Json::object({{"day", "tuesday"}}));
  const auto reqs = c.llm_p->requests();
  ASSERT_EQ(reqs.size(), 2u);
  // The tool was offered with its schema.
  ASSERT_EQ(reqs[0].tools.size(), 1u);
  EXPECT_EQ(reqs[0].tools[0].name, "check_availability");
  const ChatMessage* tool = last_tool_message(reqs[1]);
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->name, "check_availability");
  EXPECT_EQ(Json::parse(tool->content).value(), Json::object({{"slots", Json::array({"10:00", "14:30"})}}));
  EXPECT_EQ(c.tts_p->utterances().back(), "We have ten and two thirty free on Tuesday.");
  const CallRecord r = c.session->call_record();
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_TRUE(r.tool_calls[0].ok);
  EXPECT_EQ(r.turns[0].tool_calls, 1);
  EXPECT_EQ(c.count<ToolCallStarted>(), 1);
  EXPECT_EQ(c.count<ToolCallFinished>(), 1);
  expect_settled(c);
}

TEST(ToolsTest, SlowToolTriggersTheFillerPhrase) {
  CallHarness c;
  c.cfg.tools = {"check_availability"};
  c.cfg.simulated_tools = {{.spec = day_tool("check_availability"),
                            .results = {Json::object({{"slots", Json::array({"09:00"})}})},
                            .latency = 2s}};
  c.stt.transcripts = {{"Can I book for Tuesday?"}};
  c.llm.rules = {{.user_contains = "book",
                  .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tuesday"})"}}}},
                 {.tool_result = "check_availability", .reply = {.text = "Nine o'clock is free."}}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(8s);
  EXPECT_EQ(c.tts_p->utterances(), (std::vector<std::string>{"One moment, please.", "Nine o'clock is free."}));
  const auto started = c.all<ToolCallStarted>();
  const auto texts = c.all<AgentText>();
  ASSERT_EQ(started.size(), 1u);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].at - started[0].at, 1000ms);  // turn.tool_filler_ms
  const auto done = c.all<ToolCallFinished>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].elapsed, 2s);
  // The filler is not part of the LLM history.
  for (const auto& m : c.session->history()) EXPECT_NE(m.content, "One moment, please.");
  expect_settled(c);
}

TEST(ToolsTest, FastToolSaysNoFiller) {
  CallHarness c;
  ASSERT_TRUE(c.tools.add(day_tool("check_availability"), [](const Json&) -> Result<Json> { return Json::object(); }));
  c.stt.transcripts = {{"Can I book for Tuesday?"}};
  c.llm.rules = {{.user_contains = "book",
                  .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tuesday"})"}}}},
                 {.tool_result = "check_availability", .reply = {.text = "Booked."}}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(5s);
  EXPECT_EQ(c.tts_p->utterances(), (std::vector<std::string>{"Booked."}));
}

TEST(ToolsTest, AsyncToolCompletesFromAnotherCallback) {
  CallHarness c;
  ToolDone pending;
  ASSERT_TRUE(c.tools.add_async(day_tool("check_availability"),
                                [&](const Json&, ToolDone done) { pending = std::move(done); }));
  c.stt.transcripts = {{"Can I book for Tuesday?"}};
  c.llm.rules = {{.user_contains = "book",
                  .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tuesday"})"}}}},
                 {.tool_result = "check_availability", .reply = {.text = "Done."}}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(1500ms);
  ASSERT_TRUE(pending);
  pending(Json::object({{"ok", true}}));
  pending(Json::object({{"ok", true}}));  // a second completion is ignored
  c.quiet(4s);
  EXPECT_EQ(c.tts_p->utterances().back(), "Done.");
  EXPECT_EQ(c.session->call_record().tool_calls.size(), 1u);
}

TEST(ToolsTest, UnknownToolsAndInvalidArgumentsAreReportedToTheLlm) {
  CallHarness c;
  ASSERT_TRUE(c.tools.add(day_tool("check_availability"), [](const Json&) -> Result<Json> {
    return Error(errc::provider_unavailable, "calendar is down");
  }));
  c.stt.transcripts = {{"Can I book for Tuesday?"}};
  c.llm.rules = {{.user_contains = "book",
                  .reply = {.tool_calls = {{.name = "no_such_tool", .arguments = "{}"},
                                           {.name = "check_availability", .arguments = "{not json"},
                                           {.name = "check_availability", .arguments = R"({"day":"mon"})"}}}}};
  c.llm.default_reply = {.text = "Sorry, I could not check that."};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(6s);
  const auto done = c.all<ToolCallFinished>();
  ASSERT_EQ(done.size(), 3u);
  for (const auto& d : done) EXPECT_FALSE(d.ok);
  EXPECT_NE(done[0].error.find("unknown tool 'no_such_tool'"), std::string::npos);
  EXPECT_NE(done[2].error.find("calendar is down"), std::string::npos);
  const auto reqs = c.llm_p->requests();
  ASSERT_EQ(reqs.size(), 2u);
  int tool_msgs = 0;
  for (const auto& m : reqs[1].messages) {
    if (m.role != Role::tool) continue;
    ++tool_msgs;
    EXPECT_TRUE(Json::parse(m.content).value().contains("error")) << m.content;
  }
  EXPECT_EQ(tool_msgs, 3);
  EXPECT_EQ(c.tts_p->utterances().back(), "Sorry, I could not check that.");
  expect_settled(c);
}

TEST(ToolsTest, ToolRoundsAreBounded) {
  CallHarness c;
  c.cfg.turn.max_tool_rounds = 2;
  ASSERT_TRUE(c.tools.add(day_tool("check_availability"), [](const Json&) -> Result<Json> { return Json::object(); }));
  c.stt.transcripts = {{"Can I book for Tuesday?"}};
  // The model keeps calling the tool.
  c.llm.default_reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"mon"})"}}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(6s);
  EXPECT_EQ(c.llm_p->requests().size(), 2u);
  EXPECT_EQ(c.tts_p->utterances().back(), c.cfg.phrases.fallback);
  EXPECT_GE(c.count<ErrorEvent>(), 1);
  expect_settled(c);
}

TEST(ToolsTest, RegistryRejectsBadRegistrations) {
  ToolRegistry t;
  EXPECT_FALSE(t.add({.name = ""}, [](const Json&) -> Result<Json> { return Json(); }));
  EXPECT_FALSE(t.add({.name = "transfer_to_human"}, [](const Json&) -> Result<Json> { return Json(); }));
  EXPECT_FALSE(t.add({.name = "x", .parameters = Json::array()}, [](const Json&) -> Result<Json> { return Json(); }));
  EXPECT_FALSE(t.add({.name = "x"}, nullptr));
  ASSERT_TRUE(t.add({.name = "x"}, [](const Json&) -> Result<Json> { return Json(); }));
  auto dup = t.add({.name = "x"}, [](const Json&) -> Result<Json> { return Json(); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), make_error_code(errc::already_exists));
}

// ------------------------------------------------------------ handoff

TEST(HandoffTest, CallerAskingForAPersonGetsAHandoffWithTheTranscript) {
  CallHarness c;
  c.cfg.greeting = "Riverside Clinic, how can I help?";
  c.stt.transcripts = {{"Hi, I need to reschedule."}, {"Can I talk to a person please?"}};
  c.llm.replies = {{.text = "Sure, which day works for you?"}};
  bool asked = false;
  c.options.human_available = [&] {
    asked = true;
    return true;
  };
  ASSERT_TRUE(c.start());
  c.quiet(3s);
  c.say(1s);
  c.quiet(4s);
  c.say(1200ms);
  c.quiet(8s);
  const auto hs = c.all<Handoff>();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].reason, "caller_request");
  EXPECT_EQ(hs[0].urgency, "normal");
  EXPECT_TRUE(asked);
  EXPECT_EQ(hs[0].entities.find("human_available")->as_bool(), true);
  ASSERT_EQ(hs[0].transcript.size(), 4u);
  EXPECT_EQ(hs[0].transcript[0], (std::pair<std::string, std::string>{"agent", "Riverside Clinic, how can I help?"}));
  EXPECT_EQ(hs[0].transcript[3], (std::pair<std::string, std::string>{"caller", "Can I talk to a person please?"}));
  EXPECT_NE(hs[0].summary.find("Can I talk to a person please?"), std::string::npos);
  // The agent says the handoff message, then the call ends.
  EXPECT_EQ(c.tts_p->utterances().back(), c.cfg.handoff.message);
  EXPECT_TRUE(c.session->ended());
  const CallRecord r = c.session->call_record();
  EXPECT_EQ(r.end_reason, "handoff");
  ASSERT_TRUE(r.handoff);
  EXPECT_EQ(r.transcript.back().text, c.cfg.handoff.message);
  EXPECT_EQ(c.llm_p->requests().size(), 1u);  // the LLM was not asked about the handoff turn
}

TEST(HandoffTest, PolicyKeywordsAndUrgency) {
  CallHarness c;
  c.cfg.handoff.keywords = {"complaint", "emergency"};
  c.stt.transcripts = {{"This is an emergency, my father fell."}};
  ASSERT_TRUE(c.start());
  c.say(1500ms);
  c.quiet(8s);
  const auto hs = c.all<Handoff>();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].reason, "keyword");
  EXPECT_EQ(hs[0].urgency, "emergency");
  EXPECT_EQ(c.session->call_record().end_reason, "handoff");
}

TEST(HandoffTest, TransferToolFromTheLlmCarriesEntities) {
  CallHarness c;
  c.cfg.tools = {"check_availability", "transfer_to_human"};
  ASSERT_TRUE(c.tools.add(day_tool("check_availability"), [](const Json&) -> Result<Json> { return Json::object(); }));
  c.stt.transcripts = {{"Is Tuesday free? Otherwise I want someone to call me."}};
  c.llm.rules = {
      {.user_contains = "tuesday",
       .reply = {.tool_calls = {{.name = "check_availability", .arguments = R"({"day":"tuesday"})"}}}},
      {.tool_result = "check_availability",
       .reply = {.tool_calls = {{.name = "transfer_to_human", .arguments = R"({"reason":"no slots","urgency":"high"})"}}}}};
  ASSERT_TRUE(c.start());
  c.say(1500ms);
  c.quiet(10s);
  const auto hs = c.all<Handoff>();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].reason, "tool");
  EXPECT_EQ(hs[0].urgency, "high");
  EXPECT_EQ(hs[0].entities.find("day")->as_string(), "tuesday");
  ASSERT_EQ(c.llm_p->requests().at(0).tools.size(), 2u);
  EXPECT_TRUE(c.session->ended());
}

TEST(HandoffTest, AfterFailedTurns) {
  CallHarness c;
  c.cfg.handoff.after_failed_turns = 2;
  c.stt.transcripts = {{"Hello?"}, {"Hello, anyone?"}};
  c.llm.failures = {{.at = 1}, {.at = 2}};
  ASSERT_TRUE(c.start());
  c.say(800ms);
  c.quiet(5s);
  EXPECT_EQ(c.tts_p->utterances().back(), c.cfg.phrases.fallback);  // first failure: an apology
  EXPECT_EQ(c.count<Handoff>(), 0);
  c.say(800ms);
  c.quiet(8s);
  const auto hs = c.all<Handoff>();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].reason, "failed_turns");
  EXPECT_TRUE(c.session->ended());
}

// ------------------------------------------------------------ lifecycle

TEST(LifecycleTest, IdleCallerIsRepromptedThenTheCallEnds) {
  CallHarness c;
  c.cfg.greeting = "Hello?";
  c.cfg.turn.idle_reprompt = 4s;
  c.cfg.turn.idle_reprompts = 1;
  ASSERT_TRUE(c.start());
  c.quiet(20s);
  EXPECT_EQ(c.tts_p->utterances(),
            (std::vector<std::string>{"Hello?", c.cfg.phrases.reprompt, c.cfg.phrases.goodbye}));
  EXPECT_TRUE(c.session->ended());
  EXPECT_EQ(c.session->call_record().end_reason, "idle");
}

TEST(LifecycleTest, CallerSpeechResetsTheIdleTimer) {
  CallHarness c;
  c.cfg.turn.idle_reprompt = 4s;
  c.stt.transcripts = {{"Hi."}};
  ASSERT_TRUE(c.start());
  c.quiet(3s);
  c.say(500ms);
  c.quiet(3s);
  EXPECT_EQ(c.count<AgentText>(), 1);  // only the answer, no re-prompt yet
  EXPECT_FALSE(c.session->ended());
}

TEST(LifecycleTest, MaximumCallDurationEndsPolitely) {
  CallHarness c;
  c.cfg.turn.max_call = 5s;
  c.stt.transcripts = {{"Tell me everything."}};
  c.llm.replies = {{.text = "Well, there is a lot to say about our clinic, so let me start at the very beginning of "
                            "our long history, which goes back many years."}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(12s);
  EXPECT_TRUE(c.session->ended());
  const CallRecord r = c.session->call_record();
  EXPECT_EQ(r.end_reason, "max_duration");
  EXPECT_EQ(c.tts_p->utterances().back(), c.cfg.phrases.max_duration);
  // The long answer was cut at 5 s.
  ASSERT_GE(r.transcript.size(), 3u);
  EXPECT_TRUE(r.transcript[1].interrupted);
  EXPECT_NEAR(to_ms(r.transcript[1].end - r.started), 5000.0, 1.0);
}

TEST(LifecycleTest, DtmfIsSurfacedAsEvents) {
  CallHarness c;
  ASSERT_TRUE(c.start());
  ASSERT_TRUE(c.session->push_dtmf('5'));
  ASSERT_TRUE(c.session->push_dtmf('#'));
  EXPECT_FALSE(c.session->push_dtmf('x'));
  c.quiet(100ms);
  const auto d = c.all<Dtmf>();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].digit, '5');
  EXPECT_EQ(d[1].digit, '#');
}

TEST(LifecycleTest, StopMidSentenceRecordsWhatWasHeardAndRefusesLaterInput) {
  CallHarness c;
  c.stt.transcripts = {{"What are your hours?"}};
  c.llm.replies = {{.text = "We are open from eight in the morning until six in the evening every weekday."}};
  ASSERT_TRUE(c.start());
  c.say(1s);
  c.quiet(2s);
  c.session->stop("caller_hangup");
  (void)c.rt->run_until_idle();
  EXPECT_TRUE(c.session->ended());
  const CallRecord r = c.session->call_record();
  EXPECT_EQ(r.end_reason, "caller_hangup");
  ASSERT_EQ(r.transcript.size(), 2u);
  EXPECT_TRUE(r.transcript[1].interrupted);
  EXPECT_LT(r.transcript[1].heard_text.size(), r.transcript[1].text.size());
  std::vector<std::int16_t> pcm(320, 0);
  EXPECT_FALSE(c.session->push_audio(AudioFrame::view(AudioFormat::pcm16(16000), pcm)));
  EXPECT_EQ(c.count<CallEnded>(), 1);
  c.session->stop("again");  // idempotent
  (void)c.rt->run_until_idle();
  EXPECT_EQ(c.count<CallEnded>(), 1);
}

TEST(LifecycleTest, HandlersMayStopTheCallFromInsideAnyEvent) {
  // Stop from inside the n-th event of a reference call, for every n: no crash, no
  // event after CallEnded, and the call ends exactly once.
  for (int stop_at = 1; stop_at < 400; stop_at += 7) {
    CallHarness c;
    c.cfg.greeting = "Hello there.";
    c.stt.transcripts = {{"What are your hours?"}, {"wait, stop"}};
    c.llm.replies = {{.text = "We are open from eight until six on weekdays, and closed on weekends."}};
    ASSERT_TRUE(c.start());
    int seen = 0, after_end = 0, ends = 0;
    auto sub = c.session->subscribe([&](const SessionEvent& e) {
      if (ends > 0) ++after_end;
      if (std::holds_alternative<CallEnded>(e)) ++ends;
      if (++seen == stop_at) c.session->stop("handler");
    });
    c.quiet(2s);
    c.say(1s);
    c.quiet(2s);
    c.say(800ms);
    c.quiet(4s);
    c.session->stop("end");
    (void)c.rt->run_until_idle();
    EXPECT_EQ(ends, 1) << stop_at;
    EXPECT_EQ(after_end, 0) << stop_at;
    EXPECT_TRUE(c.session->ended());
  }
}

TEST(LifecycleTest, ThreadedRuntimeWithAudioFromAnotherThread) {
  auto rt = Runtime::create({.threads = 2}).value();
  MockSttOptions so;
  so.transcripts = {{"Hello."}};
  MockLlmOptions lo;
  lo.default_reply = {.text = "Hi, how can I help?"};
  MockTtsOptions to;
  to.synthesis_speed = 20;
  AgentConfig cfg;
  cfg.turn.endpointing_min = 50ms;
  cfg.turn.endpointing_max = 100ms;
  so.final_latency = 10ms;
  lo.first_token_latency = 10ms;
  to.first_audio_latency = 5ms;
  testing::RecordingSink sink;
  SessionOptions opt;
  opt.audio_sink = &sink;
  opt.vad_factory = [] { return testing::make_level_detector(); };
  std::atomic<int> ended{0}, audio{0};
  auto session = Session::create(*rt, cfg,
                                 {MockSpeechToText::create(so).value(), MockLanguageModel::create(lo).value(),
                                  MockTextToSpeech::create(to).value()},
                                 opt)
                     .value();
  auto sub_ready = std::make_shared<std::promise<void>>();
  Subscription sub;
  (void)session->strand()->post([&] {
    sub = session->subscribe([&](const SessionEvent& e) {
      if (std::holds_alternative<AgentAudioStarted>(e)) ++audio;
      if (std::holds_alternative<CallEnded>(e)) ++ended;
    });
    sub_ready->set_value();
  });
  sub_ready->get_future().wait();
  ASSERT_TRUE(session->start());
  std::vector<std::int16_t> tone(320), zeros(320, 0);
  for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<std::int16_t>(i % 40 < 20 ? 8000 : -8000);
  // 0.4 s of speech, then silence, pushed from this thread at 4x real time.
  for (int i = 0; i < 100 && audio.load() == 0; ++i) {
    ASSERT_TRUE(session->push_audio(AudioFrame::view(AudioFormat::pcm16(16000), i < 20 ? tone : zeros)));
    std::this_thread::sleep_for(5ms);
  }
  for (int i = 0; i < 200 && audio.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(audio.load(), 1);
  session->stop("done");
  for (int i = 0; i < 200 && ended.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(ended.load(), 1);
  (void)session->strand()->post([&] { sub.reset(); });
  session.reset();  // handed to the strand
  rt->stop();
}

// ------------------------------------------------------------ bad input and failures

TEST(BadInputTest, WrongAudioFormatIsRejected) {
  CallHarness c;
  ASSERT_TRUE(c.start());
  std::vector<std::int16_t> pcm(160, 0);
  auto st = c.session->push_audio(AudioFrame::view(AudioFormat::pcm16(8000), pcm));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), make_error_code(errc::format_mismatch));
}

TEST(BadInputTest, CallerAudioAt8kHzIsResampled) {
  CallHarness c;
  c.options.caller_sample_rate_hz = 8000;
  c.stt.transcripts = {{"Hello there."}};
  ASSERT_TRUE(c.start());
  std::vector<std::int16_t> buf(160);
  int phase = 0;
  for (int i = 0; i < 250; ++i) {  // 1 s tone, 4 s silence
    for (auto& s : buf) s = i < 50 ? static_cast<std::int16_t>(8000 * std::sin(2 * 3.14159 * 220 * phase++ / 8000.0)) : 0;
    (void)c.rt->advance_by(20ms);
    ASSERT_TRUE(c.session->push_audio(AudioFrame::view(AudioFormat::pcm16(8000), buf)));
    (void)c.rt->run_until_idle();
  }
  ASSERT_EQ(c.count<EndOfTurn>(), 1);
  EXPECT_EQ(c.all<EndOfTurn>()[0].text, "Hello there.");
}

TEST(BadInputTest, GarbageFromTheLlmDoesNotWedgeTheSession) {
  CallHarness c;
  c.stt.transcripts = {{"Hi."}, {"Hello?"}};
  c.llm.failures = {{.at = 1, .mode = MockFailure::Mode::garbage}};
  c.llm.default_reply = {.text = "Hello, how can I help?"};
  ASSERT_TRUE(c.start());
  c.say(600ms);
  c.quiet(6s);
  expect_settled(c);
  c.say(600ms);
  c.quiet(5s);
  EXPECT_EQ(c.tts_p->utterances().back(), "Hello, how can I help?");
  expect_settled(c);
}

TEST(BadInputTest, HangingProvidersAreCutByTheWatchdogs) {
  CallHarness c;
  c.cfg.turn.llm_timeout = 3s;
  c.cfg.turn.tts_timeout = 2s;
  c.stt.transcripts = {{"Hi."}, {"Hello?"}};
  c.llm.failures = {{.at = 1, .mode = MockFailure::Mode::hang}};
  c.tts.failures = {{.at = 1, .mode = MockFailure::Mode::hang}};
  ASSERT_TRUE(c.start());
  c.say(600ms);
  c.quiet(10s);
  expect_settled(c);
  EXPECT_GE(c.count<ErrorEvent>(), 2);  // llm timeout, then the fallback phrase's TTS hangs
  c.say(600ms);
  c.quiet(6s);
  // The second turn is answered (the mock's TTS hangs on every new stream's first
  // utterance, so the watchdog cuts that one too; the session still settles).
  EXPECT_EQ(c.all<AgentText>().back().text, "OK.");
  EXPECT_EQ(c.tts_p->streams_opened(), 3);
  expect_settled(c);
}

TEST(BadInputTest, TtsErrorsAndThrowsAreContained) {
  CallHarness c;
  c.stt.transcripts = {{"Hi."}, {"Hello?"}};
  c.tts.failures = {{.at = 1, .mode = MockFailure::Mode::error}, {.at = 2, .mode = MockFailure::Mode::throw_exception}};
  ASSERT_TRUE(c.start());
  c.say(600ms);
  c.quiet(4s);
  expect_settled(c);
  c.say(600ms);
  c.quiet(4s);
  expect_settled(c);
  EXPECT_GE(c.count<ErrorEvent>(), 2);
}

// A TTS that accepts text and answers every flush with on_done, but no audio.
class SilentTts final : public TextToSpeech {
 public:
  const ProviderInfo& info() const noexcept override { return info_; }
  const TtsCapabilities& capabilities() const noexcept override { return caps_; }
  Result<std::unique_ptr<TtsStream>> open(const SessionContext& s, const TtsStreamOptions& o,
                                          TtsObserver& obs) override {
    return std::unique_ptr<TtsStream>(new Stream(s.strand, o.format, obs));
  }

 private:
  struct Stream final : TtsStream {
    Stream(std::shared_ptr<Strand> st, AudioFormat f, TtsObserver& o) : strand(std::move(st)), format(f), obs(&o) {}
    ~Stream() override { cancel(); }
    Status send_text(std::string_view) override { return ok_status(); }
    Status flush() override {
      (void)strand->post([alive = alive] {
        if (*alive) (*alive)->on_done();
      });
      return ok_status();
    }
    void clear() override {}
    void cancel() noexcept override { *alive = nullptr; }
    AudioFormat output_format() const override { return format; }
    std::shared_ptr<Strand> strand;
    AudioFormat format;
    TtsObserver* obs;
    std::shared_ptr<TtsObserver*> alive = std::make_shared<TtsObserver*>(obs);
  };
  ProviderInfo info_{ProviderKind::tts, "silent", "no audio", false};
  TtsCapabilities caps_{{AudioFormat::pcm16(16000)}, false, true};
};

TEST(BadInputTest, TtsWithoutAudioDoesNotWedgeTheSession) {
  CallHarness c;
  c.cfg.greeting = "Hello.";
  c.stt.transcripts = {{"Hi."}, {"Hello?"}};
  ASSERT_TRUE(c.start());
  auto silent = std::make_shared<SilentTts>();
  auto session = Session::create(*c.rt, c.cfg, {c.stt_p, c.llm_p, silent}, c.options).value();
  std::vector<SessionEvent> events;
  auto sub = session->subscribe([&](const SessionEvent& e) { events.push_back(e); });
  ASSERT_TRUE(session->start());
  std::vector<std::int16_t> tone(320), zeros(320, 0);
  for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<std::int16_t>(i % 40 < 20 ? 8000 : -8000);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 250; ++i) {
      (void)c.rt->advance_by(20ms);
      ASSERT_TRUE(session->push_audio(AudioFrame::view(AudioFormat::pcm16(16000), i < 40 ? tone : zeros)));
      (void)c.rt->run_until_idle();
    }
    EXPECT_EQ(session->state(), TurnState::listening);
  }
  int eots = 0;
  for (const auto& e : events) eots += std::holds_alternative<EndOfTurn>(e);
  EXPECT_EQ(eots, 2);
  EXPECT_EQ(session->call_record().transcript.size(), 5u);  // greeting + 2 x (caller, agent)
}

TEST(BadInputTest, TtsAudioInTheWrongFormatIsDropped) {
  CallHarness c;
  c.stt.transcripts = {{"Hi."}};
  c.tts.failures = {{.at = 1, .mode = MockFailure::Mode::garbage}};
  ASSERT_TRUE(c.start());
  c.say(600ms);
  c.quiet(4s);
  bool format_error = false;
  for (const auto& e : c.all<ErrorEvent>()) format_error |= e.error.code() == make_error_code(errc::format_mismatch);
  EXPECT_TRUE(format_error);
  for (const auto& ch : c.sink.chunks) EXPECT_GT(ch.samples, 0);
  expect_settled(c);
}

TEST(BadInputTest, SttFailureDoesNotWedgeTheSession) {
  CallHarness c;
  c.stt.failures = {{.at = 1, .mode = MockFailure::Mode::error}};
  ASSERT_TRUE(c.start());
  c.say(800ms);
  c.quiet(4s);
  expect_settled(c);
  EXPECT_GE(c.count<ErrorEvent>(), 1);
}

}  // namespace
}  // namespace loqui
