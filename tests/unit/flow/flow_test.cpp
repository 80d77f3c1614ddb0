// SPDX-License-Identifier: Apache-2.0
// File: the `flow` LanguageModel: whole conversations through the LanguageModel
// interface (the clinic example books an appointment over several turns, with
// tool calls and their results; emergencies and "a person" hand off; misses
// re-prompt and then hand off), validation errors that name the file and path,
// the example flows load against their agents, and the LLM contract suite.
#include <gtest/gtest.h>

#include <cstdlib>

#include "loqui/provider/registry.hpp"
#include "support/builtin_registry.hpp"
#include "support/provider_contract.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {

using testing::RecordingLlmObserver;
using testing::VirtualSession;

std::string source_dir() {
  const char* dir = std::getenv("LOQUI_SOURCE_DIR");
  return dir ? dir : ".";
}

const Registry& registry() { return testing::builtin_registry(); }

Result<std::shared_ptr<LanguageModel>> make(const Json& config, const Json* agent = nullptr) {
  ProviderContext ctx;
  ctx.agent = agent;
  return registry().make_llm(ctx, config);
}

Json clinic_config() {
  return Json::object({{"provider", "flow"}, {"flow", source_dir() + "/examples/flows/clinic.json"}});
}

/// One call: the conversation history and the flow's answers.
struct Call {
  VirtualSession s;
  std::shared_ptr<LanguageModel> llm;
  std::unique_ptr<LlmSession> session;
  std::vector<ChatMessage> history;
  RecordingLlmObserver obs{s.strand};

  explicit Call(std::shared_ptr<LanguageModel> model) : llm(std::move(model)) {
    auto opened = llm->open(s.ctx);
    EXPECT_TRUE(opened.ok());
    if (opened) session = std::move(*opened);
    history.push_back({.role = Role::system, .content = "You are the front desk."});
  }

  // Runs one generation; returns the text and records the assistant message.
  std::string generate(std::vector<ToolSpec> tools = {}) {
    obs.clear();
    LlmRequest req;
    req.messages = history;
    req.tools = std::move(tools);
    Status st = ok_status();
    {
      testing::CallGuard g(obs.calls());
      st = session->generate(req, obs);
    }
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    if (!st) return {};
    EXPECT_TRUE(obs.events.empty());  // nothing inside generate()
    s.run_until_quiet();
    EXPECT_EQ(obs.terminals(), 1);
    EXPECT_EQ(obs.violations(), 0);
    ChatMessage reply{.role = Role::assistant, .content = obs.text()};
    reply.tool_calls = obs.tool_calls();
    history.push_back(reply);
    return reply.content;
  }
  std::string user(std::string text) {
    history.push_back({.role = Role::user, .content = std::move(text)});
    return generate();
  }
  std::string tool_result(std::string json) {
    EXPECT_FALSE(history.back().tool_calls.empty());
    const ToolCall& call = history.back().tool_calls.back();
    history.push_back({.role = Role::tool, .content = std::move(json), .tool_call_id = call.id, .name = call.name});
    return generate();
  }
  std::optional<ToolCall> tool_call() const {
    auto calls = obs.tool_calls();
    if (calls.empty()) return std::nullopt;
    return calls.back();
  }
  Json args() const {
    auto c = tool_call();
    if (!c) return Json();
    return c->parse_arguments().value_or(Json());
  }
  FinishReason finish() const { return obs.first(testing::LlmEvent::Kind::done)->finish; }
  RecognitionHints hints() const {
    const auto* h = obs.first(testing::LlmEvent::Kind::hints);
    return h ? h->hints : RecognitionHints{};
  }
};

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

TEST(Flow, BooksAnAppointmentOverSeveralTurns) {
  auto llm = make(clinic_config());
  ASSERT_TRUE(llm.ok()) << llm.error().to_string();
  EXPECT_TRUE((*llm)->capabilities().tool_calling);
  Call call(*llm);

  EXPECT_EQ(call.generate(), "Thanks for calling Riverside Clinic. How can I help you today?");
  EXPECT_EQ(call.finish(), FinishReason::stop);
  EXPECT_EQ(call.hints().state, "greeting");
  EXPECT_GT(call.obs.of(testing::LlmEvent::Kind::text).size(), 5u);  // streamed in small deltas

  EXPECT_EQ(call.user("Hi, I'd like to book an appointment please."),
            "Sure. What day and time would you like to come in?");
  const auto hints = call.hints();
  EXPECT_EQ(hints.state, "ask_when");
  EXPECT_NE(std::find(hints.phrases.begin(), hints.phrases.end(), "tomorrow"), hints.phrases.end());
  EXPECT_NE(std::find(hints.phrases.begin(), hints.phrases.end(), "chest pain"), hints.phrases.end());
  // A global intent's whole-sentence `hints` are offered in every state.
  EXPECT_NE(std::find(hints.phrases.begin(), hints.phrases.end(), "my father is having trouble breathing"),
            hints.phrases.end());

  EXPECT_EQ(call.user("Tuesday"), "And what time would suit you?");  // one slot at a time is fine
  const std::string checking = call.user("ten thirty");
  EXPECT_TRUE(contains(checking, "Let me check Tuesday at 10:30 AM")) << checking;
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "check_availability");
  EXPECT_EQ(call.finish(), FinishReason::tool_calls);
  const Json args = call.args();
  ASSERT_TRUE(args.is_object());
  EXPECT_EQ(args.find("time")->as_string(), "10:30");
  EXPECT_EQ(args.find("day")->as_string(), "Tuesday");
  EXPECT_EQ(args.find("date")->as_string().size(), 10u);  // an ISO date

  EXPECT_EQ(call.tool_result(R"({"available": true})"),
            "That time is free. Could I have your name for the booking?");
  EXPECT_EQ(call.user("It's Anna Smith."),
            "Thank you, Anna Smith. I have you down for Tuesday at 10:30 AM. Shall I book it?");
  EXPECT_EQ(call.user("yes please"), "");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "book_appointment");
  EXPECT_EQ(call.args().find("name")->as_string(), "Anna Smith");
  EXPECT_EQ(call.tool_result(R"({"booked": true, "confirmation": "A123"})"),
            "You're all set for Tuesday at 10:30 AM. Is there anything else I can help with?");
  EXPECT_EQ(call.user("No, that's all, thank you."), "Thank you for calling Riverside Clinic. Goodbye!");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "end_call");
  EXPECT_EQ(call.tool_result(R"({"ok": true})"), "");  // nothing more to say
}

TEST(Flow, OneSentenceBookingAndAsrErrors) {
  Call call(*make(clinic_config()));
  // The caller speaks first (the host played the greeting); ASR garbled two words.
  const std::string reply = call.user("i wood like to book an apointment tomorow at ten");
  EXPECT_TRUE(contains(reply, "Let me check tomorrow at 10 AM")) << reply;
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.args().find("time")->as_string(), "10:00");
}

TEST(Flow, UnavailableSlotAsksAgain) {
  Call call(*make(clinic_config()));
  (void)call.user("book an appointment for friday at 3 pm");
  ASSERT_TRUE(call.tool_call());
  const std::string reply = call.tool_result(R"({"available": false})");
  EXPECT_EQ(reply, "Sorry, Friday at 3 PM is already taken. Sure. What day and time would you like to come in?");
  EXPECT_EQ(call.hints().state, "ask_when");
  EXPECT_FALSE(call.tool_call());
}

TEST(Flow, EmergencyHandsOffUrgently) {
  Call call(*make(clinic_config()));
  (void)call.generate();
  const std::string reply = call.user("My father has chest pain and he is sweating");
  EXPECT_TRUE(contains(reply, "This sounds urgent")) << reply;
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "transfer_to_human");
  const Json args = call.args();
  EXPECT_EQ(args.find("urgency")->as_string(), "high");
  EXPECT_TRUE(contains(args.find("reason")->as_string(), "chest pain"));
  EXPECT_TRUE(contains(args.find("summary")->as_string(), "state emergency"));
}

TEST(Flow, EmergencyWinsEvenMidBooking) {
  Call call(*make(clinic_config()));
  (void)call.user("I need an appointment");
  (void)call.user("actually there is a lot of bleeding, I need an appointment today");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "transfer_to_human");
}

TEST(Flow, PersonRequestHandsOff) {
  Call call(*make(clinic_config()));
  (void)call.generate();
  EXPECT_EQ(call.user("can I talk to a person"), "Let me connect you with a member of our staff.");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "transfer_to_human");
  EXPECT_EQ(call.args().find("urgency")->as_string(), "normal");
}

TEST(Flow, MissesRepromptThenHandOff) {
  Call call(*make(clinic_config()));
  (void)call.generate();
  EXPECT_EQ(call.user("purple elephants"),
            "Sorry, I didn't catch that. Thanks for calling Riverside Clinic. How can I help you today?");
  EXPECT_FALSE(call.tool_call());
  (void)call.user("blah");
  EXPECT_FALSE(call.tool_call());
  (void)call.user("mumble");  // third miss > max_retries 2
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "transfer_to_human");
}

TEST(Flow, AnsweringAQuestionThenGoodbye) {
  Call call(*make(clinic_config()));
  (void)call.generate();
  EXPECT_EQ(call.user("what are your opening hours"),
            "We are open Monday to Friday from eight in the morning to six in the evening. "
            "Is there anything else I can help with?");
  EXPECT_EQ(call.user("no thanks bye"), "Thank you for calling Riverside Clinic. Goodbye!");
}

TEST(Flow, InlineFlowWithAgentVariablesAndCheckedTools) {
  const Json agent = Json::parse(R"({"agent": {"variables": {"who": "Sam"}, "tools": [{"name": "lookup"}]}})").value();
  const Json config = Json::parse(R"({"provider": "flow", "flow": {
      "start": "a",
      "slots": {"n": {"type": "number"}},
      "states": {
        "a": {"say": "Hi, I am {who}. How many?", "collect": ["n"], "next": "b"},
        "b": {"say": "Looking up {n}.", "tool": {"name": "lookup", "arguments": {"count": "{n.value}"}},
              "on_result": [{"when": {"status": "FOUND"}, "say": "Found {result.item}.", "clear": ["n"], "goto": "a"}]}}}})")
                          .value();
  auto llm = make(config, &agent);
  ASSERT_TRUE(llm.ok()) << llm.error().to_string();
  Call call(*llm);
  EXPECT_EQ(call.generate(), "Hi, I am Sam. How many?");
  EXPECT_EQ(call.user("three"), "Looking up 3.");
  EXPECT_EQ(call.args().find("count")->as_int(), 3);  // a lone placeholder keeps the type
  EXPECT_EQ(call.tool_result(R"({"status": "found", "item": "a lamp"})"), "Found a lamp. Hi, I am Sam. How many?");

  // The host offers tools, but not the one the flow calls: a clear error at once.
  Call other(*llm);
  LlmRequest req = testing::user_says("two");
  req.tools.push_back({.name = "something_else"});
  Status st = other.session->generate(req, other.obs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), make_error_code(errc::not_found));
  EXPECT_TRUE(contains(st.error().message(), "calls tool 'lookup', which the host did not register")) << st.error().message();
}

std::string load_error(std::string_view flow_json, const Json* agent = nullptr) {
  auto flow = Json::parse(flow_json);
  if (!flow) return "bad test json: " + flow.error().to_string();
  auto llm = make(Json::object({{"provider", "flow"}, {"flow", *flow}}), agent);
  return llm.ok() ? "" : llm.error().message();
}

TEST(Flow, ValidationNamesThePath) {
  std::string e = load_error(R"({"start": "a", "states": {"a": {"say": "hi", "intents": [{"phrases": ["x"], "goto": "bb"}]}}})");
  EXPECT_TRUE(contains(e, "llm.flow: states.a.intents[0].goto: unknown state 'bb' (states: a)")) << e;
  e = load_error(R"({"start": "a", "states": {"a": {"say": "hi"}, "b": {"say": "lost"}}})");
  EXPECT_TRUE(contains(e, "states.b: unreachable")) << e;
  e = load_error(R"({"start": "a", "states": {"a": {"intents": [{"phrases": ["x"], "goto": "a"}]}}})");
  EXPECT_TRUE(contains(e, "states.a.say: missing required key")) << e;
  e = load_error(R"({"start": "zz", "states": {"a": {"say": "hi"}}})");
  EXPECT_TRUE(contains(e, "start: unknown state 'zz'")) << e;
  e = load_error(R"({"start": "a", "states": {"a": {"say": "hi {nme}", "collect": ["name"], "next": "a"}}})");
  EXPECT_TRUE(contains(e, "states.a.say: unknown variable {nme}")) << e;
  EXPECT_TRUE(contains(e, "states.a.collect[0]: unknown slot 'name'")) << e;
  e = load_error(R"({"start": "a", "states": {"a": {"say": "hi", "colect": []}}})");
  EXPECT_TRUE(contains(e, "states.a.colect: unknown key")) << e;
  e = load_error(R"({"start": "a", "slots": {"s": {"type": "colour"}}, "states": {"a": {"say": "hi"}}})");
  EXPECT_TRUE(contains(e, "slots.s.type")) << e;
  e = load_error(R"({"start": "a", "states": {"a": {"say": "x", "next": "b"}, "b": {"say": "y", "next": "a"}}})");
  EXPECT_TRUE(contains(e, "loop without waiting")) << e;
  const Json agent = Json::parse(R"({"agent": {"tools": ["check_availability"]}})").value();
  e = load_error(R"({"start": "a", "states": {"a": {"say": "x", "tool": {"name": "book"}}}})", &agent);
  EXPECT_TRUE(contains(e, "states.a.tool.name: tool 'book' is not declared by the agent (agent tools: check_availability)"))
      << e;
  // A missing file names the file.
  auto missing = make(Json::parse(R"({"provider": "flow", "flow": "/nonexistent/flow.json"})").value());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message(), "/nonexistent/flow.json")) << missing.error().message();
  auto none = make(Json::parse(R"({"provider": "flow"})").value());
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(contains(none.error().message(), "llm.flow: missing required key")) << none.error().message();
}

TEST(Flow, FlowPathFromTheAgentDocumentAndBaseDir) {
  const Json agent = Json::parse(R"({"agent": {"name": "x"}, "flow": "../flows/clinic.json"})").value();
  ProviderContext ctx;
  ctx.agent = &agent;
  ctx.base_dir = source_dir() + "/examples/agents";
  auto llm = registry().make_llm(ctx, Json::parse(R"({"provider": "flow"})").value());
  ASSERT_TRUE(llm.ok()) << llm.error().to_string();
  Call call(*llm);
  EXPECT_TRUE(contains(call.generate(), "Riverside Clinic"));
}

// ------------------------------------------------------------------ the example agents

/// An example agent with its flow, answering tool calls with the canned results
/// the agent declares (as the Session's simulated tools do).
struct ExampleAgent {
  Json agent;
  std::shared_ptr<LanguageModel> llm;

  explicit ExampleAgent(const std::string& name) {
    const std::string dir = source_dir() + "/examples/agents";
    auto doc = Json::parse_file(dir + "/" + name + ".json");
    EXPECT_TRUE(doc.ok()) << doc.error().to_string();
    if (!doc) return;
    agent = std::move(*doc);
    ProviderContext ctx;
    ctx.agent = &agent;
    ctx.base_dir = dir;
    auto made = registry().make_llm(ctx, *agent.find("llm"));
    EXPECT_TRUE(made.ok()) << made.error().to_string();
    if (made) llm = std::move(*made);
  }
  std::string canned(const std::string& tool) const {
    for (const auto& t : agent.find("agent")->find("tools")->as_array()) {
      if (const Json* n = t.find("name"); n && n->as_string() == tool) return t.find("result")->dump();
    }
    return R"({"ok": true})";
  }
};

TEST(FlowExamples, HotelReservation) {
  ExampleAgent hotel("hotel");
  ASSERT_TRUE(hotel.llm);
  Call call(hotel.llm);
  EXPECT_TRUE(contains(call.generate(), "Harbor View Hotel"));
  EXPECT_EQ(call.user("Hi, I'd like to book a room"),
            "I can help with that. What date would you like to check in, and for how many nights?");
  EXPECT_EQ(call.user("December twentieth for two nights"), "Would you like a king room, a double room or a suite?");
  EXPECT_EQ(call.user("a king please"), "One moment while I check.");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "check_room_availability");
  EXPECT_EQ(call.args().find("nights")->as_int(), 2);
  EXPECT_EQ(call.args().find("room")->as_string(), "king");
  EXPECT_EQ(call.tool_result(hotel.canned("check_room_availability")),
            "A king room for 2 nights from December 20 is one hundred and eighty nine dollars a night. "
            "Shall I reserve it?");
  EXPECT_EQ(call.user("yes"), "What name is the reservation under?");
  EXPECT_EQ(call.user("Peter Jones"), "");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "make_reservation");
  EXPECT_TRUE(contains(call.tool_result(hotel.canned("make_reservation")), "confirmation number is H V 4 8 2 1"));
  EXPECT_EQ(call.user("what time is breakfast"),
            "Breakfast is served in the harbor room from six thirty to ten thirty. "
            "Is there anything else I can help you with?");
  EXPECT_EQ(call.user("no that's all"), "Thank you for calling the Harbor View Hotel. Have a good night!");
  EXPECT_EQ(call.tool_call()->name, "end_call");
}

TEST(FlowExamples, HotelLateCheckInAndManager) {
  ExampleAgent hotel("hotel");
  ASSERT_TRUE(hotel.llm);
  Call call(hotel.llm);
  (void)call.user("I'm arriving late tonight");
  EXPECT_EQ(call.hints().state, "ask_arrival");
  (void)call.user("It's under Maria Lopez, around one in the morning");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "note_late_arrival");
  EXPECT_EQ(call.args().find("arrival")->as_string(), "01:00");
  EXPECT_EQ(call.tool_result(hotel.canned("note_late_arrival")),
            "Thank you, Maria Lopez. I've noted that you will arrive around 1 AM. Your key will be waiting at the "
            "night desk. Is there anything else I can help you with?");
  EXPECT_EQ(call.user("there is a lot of noise next door, can I talk to the manager"),
            "Let me put you through to our night manager.");
  EXPECT_EQ(call.tool_call()->name, "transfer_to_human");
}

TEST(FlowExamples, ClinicAgentBooksWithCannedResults) {
  ExampleAgent clinic("clinic");
  ASSERT_TRUE(clinic.llm);
  Call call(clinic.llm);
  (void)call.user("I would like to book an appointment tomorrow at ten");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_result(clinic.canned(call.tool_call()->name)),
            "That time is free. Could I have your name for the booking?");
  (void)call.user("my name is John Carter");
  (void)call.user("yes");
  ASSERT_TRUE(call.tool_call());
  EXPECT_EQ(call.tool_call()->name, "book_appointment");
  EXPECT_EQ(call.tool_result(clinic.canned("book_appointment")),
            "You're all set for tomorrow at 10 AM. Is there anything else I can help with?");
}

// ------------------------------------------------------------------ contract

Result<std::shared_ptr<LanguageModel>> contract_flow(const ProviderContext& ctx) {
  return registry().make_llm(ctx, clinic_config());
}

using testing::LlmContract;
INSTANTIATE_TEST_SUITE_P(
    Flow, LlmContract,
    ::testing::Values(testing::LlmContractParam{.name = "flow", .make = contract_flow},
                      testing::LlmContractParam{.name = "flow_real_time",
                                                .make = contract_flow,
                                                .timing = {.time = TimeMode::real_time,
                                                           .settle = std::chrono::milliseconds(200)}}),
    testing::ContractName());

}  // namespace
}  // namespace loqui
