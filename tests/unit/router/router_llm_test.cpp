// SPDX-License-Identifier: Apache-2.0
// File: the `router` LanguageModel: the matching rule (what is routed and what is
// not), routed answers that never reach the LLM, delegated generations relayed
// unchanged (text, tool calls, usage, errors), end/handoff actions, cancel in
// both modes, config errors that name the path, the example routes and agent, and
// the LLM contract suite on both paths.
#include <gtest/gtest.h>

#include <cstdlib>

#include "loqui/agent/agent_config.hpp"
#include "loqui/provider/fallback.hpp"
#include "loqui/provider/mock.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/router/router_llm.hpp"
#include "support/builtin_registry.hpp"
#include "support/provider_contract.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {

using namespace std::chrono_literals;
using testing::CallGuard;
using testing::LlmEvent;
using testing::RecordingLlmObserver;
using testing::user_says;
using testing::VirtualSession;

std::string source_dir() {
  const char* dir = std::getenv("LOQUI_SOURCE_DIR");
  return dir ? dir : ".";
}

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

constexpr const char* kRoutes = R"({
  "name": "test_desk",
  "greeting": "Welcome to {place}.",
  "variables": {"place": "the test clinic"},
  "routes": [
    {"name": "goodbye", "phrases": ["bye", "goodbye", "thats all"], "say": "Goodbye from {place}!", "end": "caller said goodbye"},
    {"name": "thanks", "phrases": ["thanks", "thank you"], "say": "You're welcome."},
    {"name": "greeting", "phrases": ["hi", "hello", "good morning"], "say": "Hello! How can I help?"},
    {"name": "hours", "phrases": ["opening hours", "when are you open"], "say": "We are open 8 to 6."},
    {"name": "person", "phrases": ["talk to a person"], "say": "Putting you through.",
     "handoff": {"reason": "asked for a person: {user}", "urgency": "high"}}
  ]
})";

std::shared_ptr<const detail::RouteTable> table(std::string_view doc = kRoutes) {
  auto j = Json::parse(doc);
  EXPECT_TRUE(j.ok());
  auto t = detail::load_routes(j.value_or(Json()), "test");
  EXPECT_TRUE(t.ok()) << t.error().to_string();
  return t.ok() ? *t : nullptr;
}

std::string routed(const detail::RouteTable& t, std::string_view text) {
  const detail::RouteDecision d = detail::match_route(t, text);
  return d.route ? d.route->name : "";
}

// ------------------------------------------------------------------ the rule

TEST(RouterMatch, ShortSmallTalkIsRouted) {
  auto t = table();
  ASSERT_TRUE(t);
  EXPECT_EQ(routed(*t, "Hi"), "greeting");
  EXPECT_EQ(routed(*t, "Hello there!"), "greeting");
  EXPECT_EQ(routed(*t, "um, good morning"), "greeting");
  EXPECT_EQ(routed(*t, "thank you"), "thanks");
  EXPECT_EQ(routed(*t, "What are your opening hours?"), "hours");
  // Words of several routes: the first route in document order answers.
  EXPECT_EQ(routed(*t, "Thanks, bye!"), "goodbye");
  EXPECT_EQ(routed(*t, "OK that's all, thank you, bye"), "");  // "ok" is not a filler: see below
  EXPECT_EQ(routed(*t, "that's all, thank you, bye"), "goodbye");
  EXPECT_EQ(routed(*t, "can I talk to a person please"), "person");
}

TEST(RouterMatch, AGreetingInsideARequestGoesToTheLlm) {
  auto t = table();
  ASSERT_TRUE(t);
  const detail::RouteDecision d = detail::match_route(*t, "Hi, I'd like to move my appointment to Tuesday");
  EXPECT_EQ(d.route, nullptr);
  ASSERT_NE(d.matched, nullptr);
  EXPECT_EQ(d.matched->name, "greeting");
  EXPECT_EQ(d.extra_words, (std::vector<std::string>{"like", "move", "appointment", "tuesday"}));
  EXPECT_EQ(routed(*t, "thanks, and when can I come in for a blood test"), "");
  EXPECT_EQ(routed(*t, "hello, this is Anna"), "");           // a name: the LLM greets her
  EXPECT_EQ(routed(*t, "no thanks"), "");                      // may decline an offer
  EXPECT_EQ(routed(*t, "I don't want to say goodbye yet"), "");
  EXPECT_EQ(routed(*t, "are you open on Sunday"), "");         // no phrase: "when are you open" is not there
  EXPECT_EQ(routed(*t, "when are you open on Sunday"), "");    // the LLM knows about Sundays
  EXPECT_EQ(routed(*t, ""), "");
  EXPECT_EQ(routed(*t, "um"), "");
}

TEST(RouterMatch, ExtraWordsAndFillersAreConfigurable) {
  auto t = table(R"({"max_extra_words": 1, "filler_words": ["okay", "doctor"],
                     "routes": [{"phrases": ["bye"], "say": "Bye."}, {"phrases": ["thanks"], "say": "Welcome."}]})");
  ASSERT_TRUE(t);
  EXPECT_EQ(routed(*t, "bye Anna"), "route0");
  EXPECT_EQ(routed(*t, "okay thanks doctor"), "route1");
  EXPECT_EQ(routed(*t, "bye Anna Smith"), "");
  const detail::RouteDecision d = detail::match_route(*t, "thanks, see you on Monday");
  EXPECT_EQ(d.route, nullptr);
  EXPECT_EQ(d.extra_words, (std::vector<std::string>{"see", "monday"}));
}

TEST(RouterMatch, FuzzyLikeFlows) {
  auto t = table();
  ASSERT_TRUE(t);
  EXPECT_EQ(routed(*t, "what are your openin hours"), "hours");  // an ASR slip
  auto strict = table(R"({"fuzzy": false, "routes": [{"phrases": ["opening hours"], "say": "8 to 6."}]})");
  ASSERT_TRUE(strict);
  EXPECT_EQ(routed(*strict, "what are your openin hours"), "");
}

// ------------------------------------------------------------------ the provider

/// A router over a mock LLM, and one call with it.
struct RouterCall {
  VirtualSession s;
  std::shared_ptr<MockLanguageModel> mock;
  std::shared_ptr<LanguageModel> router;
  std::unique_ptr<LlmSession> session;
  RecordingLlmObserver obs{s.strand};

  explicit RouterCall(MockLlmOptions o = {}, std::string_view routes = kRoutes) {
    if (o.default_reply.text == "OK.") o.default_reply = {.text = "Let me look into that for you."};
    mock = MockLanguageModel::create(o).value();
    router = detail::make_router_llm({.routes = table(routes)}, mock);
    auto opened = router->open(s.ctx);
    EXPECT_TRUE(opened.ok()) << opened.error().to_string();
    if (opened) session = std::move(*opened);
  }
  /// Starts a generation (the observer must see nothing inside the call).
  Status start(const LlmRequest& req) {
    obs.clear();
    Status st = ok_status();
    {
      CallGuard g(obs.calls());
      st = session->generate(req, obs);
    }
    EXPECT_TRUE(obs.events.empty());
    return st;
  }
  /// Runs a generation to its end.
  void run(const LlmRequest& req) {
    Status st = start(req);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    s.run_until_quiet();
    EXPECT_EQ(obs.terminals(), 1);
    EXPECT_EQ(obs.violations(), 0);
  }
  std::string provider() const {
    const LlmEvent* e = obs.first(LlmEvent::Kind::provider);
    return e ? e->text : "";
  }
};

LlmRequest with_tools(LlmRequest r, std::vector<std::string> names) {
  for (auto& n : names) r.tools.push_back({.name = std::move(n)});
  return r;
}

TEST(RouterLlm, ARoutedAnswerNeverReachesTheLlm) {
  RouterCall c;
  const TimePoint t0 = c.s.rt->now();
  c.run(user_says("hello!"));
  EXPECT_EQ(c.obs.text(), "Hello! How can I help?");
  EXPECT_EQ(c.mock->requests().size(), 0u);
  ASSERT_FALSE(c.obs.events.empty());
  EXPECT_EQ(c.obs.events.front().kind, LlmEvent::Kind::provider);  // named before any output
  EXPECT_EQ(c.provider(), "router");
  const LlmEvent* usage = c.obs.first(LlmEvent::Kind::usage);
  ASSERT_NE(usage, nullptr);
  EXPECT_EQ(usage->usage.input_tokens, 0);
  EXPECT_EQ(usage->usage.output_tokens, 0);
  EXPECT_EQ(c.obs.first(LlmEvent::Kind::done)->finish, FinishReason::stop);
  EXPECT_EQ(c.obs.first(LlmEvent::Kind::text)->at, t0);  // no model latency
  EXPECT_TRUE(c.obs.tool_calls().empty());
}

TEST(RouterLlm, EverythingElseIsRelayedUnchanged) {
  MockLlmOptions o;
  o.first_token_latency = 300ms;
  o.rules = {{.user_contains = "appointment",
              .reply = {.text = "Let me check Tuesday.",
                        .tool_calls = {{.id = "c1", .name = "check_availability", .arguments = R"({"day":"tue"})"}}}}};
  RouterCall c(o);
  const LlmRequest req = with_tools(user_says("Hi, I'd like to move my appointment to Tuesday"),
                                    {"check_availability", "end_call"});
  const TimePoint t0 = c.s.rt->now();
  c.run(req);
  // The LLM got the very request.
  const auto reqs = c.mock->requests();
  ASSERT_EQ(reqs.size(), 1u);
  ASSERT_EQ(reqs[0].messages.size(), req.messages.size());
  EXPECT_EQ(reqs[0].messages.back().content, req.messages.back().content);
  ASSERT_EQ(reqs[0].tools.size(), 2u);
  EXPECT_EQ(reqs[0].tools[0].name, "check_availability");
  // The consumer got the LLM's output, named after it.
  EXPECT_EQ(c.provider(), "mock");
  EXPECT_EQ(c.obs.events.front().kind, LlmEvent::Kind::provider);
  EXPECT_EQ(c.obs.text(), "Let me check Tuesday.");
  ASSERT_EQ(c.obs.tool_calls().size(), 1u);
  EXPECT_EQ(c.obs.tool_calls()[0].id, "c1");
  EXPECT_EQ(c.obs.tool_calls()[0].name, "check_availability");
  EXPECT_EQ(c.obs.tool_calls()[0].arguments, R"({"day":"tue"})");
  EXPECT_EQ(c.obs.first(LlmEvent::Kind::done)->finish, FinishReason::tool_calls);
  EXPECT_EQ(c.obs.first(LlmEvent::Kind::text)->at - t0, 300ms);
  const LlmEvent* usage = c.obs.first(LlmEvent::Kind::usage);
  ASSERT_NE(usage, nullptr);
  EXPECT_GT(usage->usage.input_tokens, 0);
  EXPECT_GT(usage->usage.output_tokens, 0);

  // The LLM's tool results go back to the LLM.
  LlmRequest next = req;
  next.messages.push_back({.role = Role::assistant, .content = "Let me check Tuesday.", .tool_calls = c.obs.tool_calls()});
  next.messages.push_back({.role = Role::tool, .content = R"({"available":true})", .tool_call_id = "c1",
                           .name = "check_availability"});
  c.run(next);
  EXPECT_EQ(c.mock->requests().size(), 2u);
  EXPECT_EQ(c.provider(), "mock");
}

TEST(RouterLlm, AFallbackInsideNamesItself) {
  MockLlmOptions broken;
  broken.name = "primary";
  broken.failures = {{.at = 1, .mode = MockFailure::Mode::error, .after = 1}};  // one word, then an error
  MockLlmOptions backup;
  backup.name = "backup";
  backup.default_reply = {.text = "From the backup."};
  auto fb = LlmFallback::create({{MockLanguageModel::create(broken).value(), {}},
                                 {MockLanguageModel::create(backup).value(), {}}})
                .value();
  VirtualSession s;
  auto router = detail::make_router_llm({.routes = table()}, fb);
  auto session = router->open(s.ctx).value();
  RecordingLlmObserver obs(s.strand);
  ASSERT_TRUE(session->generate(user_says("I need a prescription refill"), obs).ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.text(), "From the backup.");
  // The Fallback's own labels, not "fallback", with its restart flag.
  const auto named = obs.of(LlmEvent::Kind::provider);
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(obs.events.front().kind, LlmEvent::Kind::provider);
  EXPECT_EQ(named[0].text, "primary");
  EXPECT_FALSE(named[0].restarted);
  EXPECT_EQ(named[1].text, "backup");
  EXPECT_TRUE(named[1].restarted);
}

TEST(RouterLlm, TheGreetingTemplateOpensTheCall) {
  RouterCall c;
  LlmRequest open;
  open.messages.push_back({.role = Role::system, .content = "You are the front desk."});
  c.run(open);
  EXPECT_EQ(c.obs.text(), "Welcome to the test clinic.");
  EXPECT_EQ(c.provider(), "router");
  EXPECT_EQ(c.mock->requests().size(), 0u);

  // Without a greeting template the LLM opens the call.
  RouterCall plain({}, R"({"routes": [{"phrases": ["bye"], "say": "Bye."}]})");
  plain.run(open);
  EXPECT_EQ(plain.obs.text(), "Let me look into that for you.");
  EXPECT_EQ(plain.mock->requests().size(), 1u);
}

TEST(RouterLlm, AFarewellEndsTheCallWhenTheHostOffersEndCall) {
  RouterCall c;
  c.run(with_tools(user_says("that's all, bye"), {"end_call"}));
  EXPECT_EQ(c.obs.text(), "Goodbye from the test clinic!");
  ASSERT_EQ(c.obs.tool_calls().size(), 1u);
  const ToolCall call = c.obs.tool_calls()[0];
  EXPECT_EQ(call.name, "end_call");
  EXPECT_EQ(call.parse_arguments().value().find("reason")->as_string(), "caller said goodbye");
  EXPECT_EQ(c.obs.first(LlmEvent::Kind::done)->finish, FinishReason::tool_calls);

  // The end_call result comes back to the router, not the LLM: nothing more to say.
  LlmRequest req = with_tools(user_says("that's all, bye"), {"end_call"});
  req.messages.push_back({.role = Role::assistant, .content = c.obs.text(), .tool_calls = {call}});
  req.messages.push_back({.role = Role::tool, .content = R"({"ok":true})", .tool_call_id = call.id, .name = "end_call"});
  c.run(req);
  EXPECT_EQ(c.obs.text(), "");
  EXPECT_EQ(c.obs.first(LlmEvent::Kind::done)->finish, FinishReason::stop);
  EXPECT_EQ(c.mock->requests().size(), 0u);

  // A host that does not offer end_call gets the words only.
  c.run(user_says("bye"));
  EXPECT_EQ(c.obs.text(), "Goodbye from the test clinic!");
  EXPECT_TRUE(c.obs.tool_calls().empty());
  EXPECT_EQ(c.obs.first(LlmEvent::Kind::done)->finish, FinishReason::stop);
}

TEST(RouterLlm, AHandoffRouteTransfersWithASummary) {
  RouterCall c;
  c.run(with_tools(user_says("can I talk to a person"), {"transfer_to_human", "end_call"}));
  EXPECT_EQ(c.obs.text(), "Putting you through.");
  ASSERT_EQ(c.obs.tool_calls().size(), 1u);
  EXPECT_EQ(c.obs.tool_calls()[0].name, "transfer_to_human");
  const Json args = c.obs.tool_calls()[0].parse_arguments().value();
  EXPECT_EQ(args.find("urgency")->as_string(), "high");
  EXPECT_EQ(args.find("reason")->as_string(), "asked for a person: can I talk to a person");
  EXPECT_TRUE(contains(args.find("summary")->as_string(), "route person")) << args.dump();
}

TEST(RouterLlm, CancelWhileDelegatingSilencesTheLlm) {
  RouterCall c;  // the mock answers after 200 ms
  ASSERT_TRUE(c.start(user_says("I need to reschedule my appointment")).ok());
  EXPECT_TRUE(c.session->busy());
  c.s.advance(100ms);
  EXPECT_TRUE(c.obs.events.empty());
  c.session->cancel();
  c.obs.cancelled = true;
  EXPECT_FALSE(c.session->busy());
  c.s.run_until_quiet();
  EXPECT_EQ(c.obs.after_cancel, 0);
  EXPECT_EQ(c.mock->requests().size(), 1u);
  // The session is usable again, on both paths.
  c.obs.cancelled = false;
  c.run(user_says("hi"));
  EXPECT_EQ(c.obs.text(), "Hello! How can I help?");
  c.run(user_says("what does a check-up cost"));
  EXPECT_EQ(c.obs.text(), "Let me look into that for you.");
  EXPECT_EQ(c.mock->requests().size(), 2u);
}

TEST(RouterLlm, CancelWhileRoutingAndBusyRefusal) {
  RouterCall c;
  ASSERT_TRUE(c.start(user_says("hello")).ok());
  const Status again = c.session->generate(user_says("hello"), c.obs);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), make_error_code(errc::invalid_argument));
  c.s.advance(3ms);  // a few words out
  EXPECT_FALSE(c.obs.events.empty());
  c.session->cancel();
  c.obs.cancelled = true;
  c.s.run_until_quiet();
  EXPECT_EQ(c.obs.after_cancel, 0);
  EXPECT_EQ(c.obs.terminals(), 0);
  EXPECT_FALSE(c.session->busy());
}

TEST(RouterLlm, LlmErrorsReachTheConsumer) {
  MockLlmOptions o;
  o.failures = {{.at = 1, .mode = MockFailure::Mode::error, .code = errc::provider_quota, .message = "quota exceeded"},
                {.at = 2, .mode = MockFailure::Mode::throw_exception}};
  RouterCall c(o);
  c.run(user_says("I need to reschedule"));
  const LlmEvent* e = c.obs.first(LlmEvent::Kind::error);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->error.code(), make_error_code(errc::provider_quota));
  EXPECT_EQ(e->error.provider(), "mock");
  EXPECT_TRUE(contains(e->error.message(), "quota exceeded")) << e->error.message();
  EXPECT_EQ(c.provider(), "mock");

  // A throwing LLM is contained: generate() fails, the session stays usable.
  const Status st = c.start(user_says("I need to reschedule"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), make_error_code(errc::provider_failed));
  EXPECT_FALSE(c.session->busy());
  c.s.run_until_quiet();
  EXPECT_TRUE(c.obs.events.empty());
  c.run(user_says("I need to reschedule"));
  EXPECT_EQ(c.obs.text(), "Let me look into that for you.");
}

TEST(RouterLlm, OpenErrorsOfTheLlmAreReturned) {
  MockLlmOptions o;
  o.open_error = Error(errc::provider_auth, "bad key").set_provider("mock");
  auto router = detail::make_router_llm({.routes = table()}, MockLanguageModel::create(o).value());
  VirtualSession s;
  auto opened = router->open(s.ctx);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), make_error_code(errc::provider_auth));
}

TEST(RouterLlm, InfoAndCapabilitiesFollowTheLlm) {
  MockLlmOptions o;
  o.capabilities = {.tool_calling = true, .parallel_tool_calls = false, .reports_usage = true, .context_tokens = 4096};
  RouterCall c(o);
  EXPECT_EQ(c.router->info().name, "router");
  EXPECT_TRUE(contains(c.router->info().description, "in front of mock")) << c.router->info().description;
  EXPECT_FALSE(c.router->info().needs_real_time);
  EXPECT_EQ(c.router->capabilities().context_tokens, 4096);
  EXPECT_FALSE(c.router->capabilities().parallel_tool_calls);
}

// ------------------------------------------------------------------ config

const Registry& registry() { return testing::builtin_registry(); }

Result<std::shared_ptr<LanguageModel>> make(std::string_view config, const Json* agent = nullptr) {
  auto j = Json::parse(config);
  if (!j) return j.error();
  ProviderContext ctx;
  ctx.agent = agent;
  return registry().make_llm(ctx, *j);
}

std::string error_of(std::string_view config, const Json* agent = nullptr) {
  auto r = make(config, agent);
  return r.ok() ? "(no error)" : r.error().message();
}

TEST(RouterConfig, BuildsFromJsonWithAnInlineRouteTable) {
  auto llm = make(R"({"provider": "router", "word_interval_ms": 0,
                      "routes": {"routes": [{"phrases": ["hi"], "say": "Hello {who}."}]},
                      "variables": {"who": "caller"},
                      "llm": {"provider": "mock", "default_reply": "From the model."}})");
  ASSERT_TRUE(llm.ok()) << llm.error().to_string();
  EXPECT_EQ((*llm)->info().name, "router");
  VirtualSession s;
  auto session = (*llm)->open(s.ctx).value();
  RecordingLlmObserver obs(s.strand);
  ASSERT_TRUE(session->generate(user_says("hi"), obs).ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.text(), "Hello caller.");
  obs.clear();
  ASSERT_TRUE(session->generate(user_says("how much is parking"), obs).ok());
  s.run_until_quiet();
  EXPECT_EQ(obs.text(), "From the model.");
}

TEST(RouterConfig, ErrorsNameThePath) {
  const std::string routes = R"("routes": {"routes": [{"phrases": ["hi"], "say": "Hello."}]})";
  std::string e = error_of(R"({"provider": "router", )" + routes + "}");
  EXPECT_TRUE(contains(e, "llm.llm: missing required key")) << e;
  e = error_of(R"({"provider": "router", "llm": {"provider": "mock"}})");
  EXPECT_TRUE(contains(e, "llm.routes: missing required key")) << e;
  e = error_of(R"({"provider": "router", "llm": {"provider": "openia"}, )" + routes + "}");
  EXPECT_TRUE(contains(e, "llm.llm.provider: unknown llm provider 'openia' (registered: ")) << e;
  EXPECT_TRUE(contains(e, "openai")) << e;
  e = error_of(R"({"provider": "router", "llm": {"provider": "mock", "replys": []}, )" + routes + "}");
  EXPECT_TRUE(contains(e, "llm.llm.replys: unknown key")) << e;
  e = error_of(R"({"provider": "router", "lmm": {}, "llm": {"provider": "mock"}, )" + routes + "}");
  EXPECT_TRUE(contains(e, "llm.lmm: unknown key")) << e;
  e = error_of(R"({"provider": "router", "llm": {"provider": "mock"}, "routes": 3})");
  EXPECT_TRUE(contains(e, "llm.routes: expected a routes file path or an inline routes object")) << e;
  e = error_of(R"({"provider": "router", "llm": {"provider": "mock"}, "routes": "/nonexistent/routes.json"})");
  EXPECT_TRUE(contains(e, "/nonexistent/routes.json")) << e;

  auto in_routes = [](std::string_view doc) {
    return error_of(R"({"provider": "router", "llm": {"provider": "mock"}, "routes": )" + std::string(doc) + "}");
  };
  e = in_routes(R"({"routes": [{"phrases": ["hi"], "say": "Hello {clinc}."}]})");
  EXPECT_TRUE(contains(e, "llm.routes: routes[0].say: unknown variable {clinc} (variables: none; and user)")) << e;
  e = in_routes(R"({"greeting": "Hi from {place}", "routes": [{"phrases": ["hi"], "say": "Hello."}]})");
  EXPECT_TRUE(contains(e, "greeting: unknown variable {place}")) << e;
  e = in_routes(R"({"routes": [{"phrase": ["hi"], "say": "Hello."}]})");
  EXPECT_TRUE(contains(e, "routes[0].phrase: unknown key")) << e;
  EXPECT_TRUE(contains(e, "routes[0].phrases: an intent needs at least one phrase")) << e;
  e = in_routes(R"({"routes": [{"phrases": ["hi"]}]})");
  EXPECT_TRUE(contains(e, "routes[0].say: missing required key")) << e;
  e = in_routes(R"({"routes": [{"phrases": ["bye"], "say": "Bye.", "end": true, "handoff": {}}]})");
  EXPECT_TRUE(contains(e, "routes[0].handoff: a route has at most one of")) << e;
  e = in_routes(R"({"routes": [{"phrases": ["bye"], "say": "Bye.", "handoff": {"urgency": "asap"}}]})");
  EXPECT_TRUE(contains(e, "routes[0].handoff.urgency")) << e;
  e = in_routes(R"({"routes": []})");
  EXPECT_TRUE(contains(e, "routes: expected a non-empty array of routes")) << e;
  e = in_routes(R"({"routes": [{"phrases": ["hi"], "say": "Hello."}], "max_extra_words": -1})");
  EXPECT_TRUE(contains(e, "max_extra_words")) << e;

  // Agent variables are known; a route ending the call needs an agent that offers end_call.
  const Json agent =
      Json::parse(R"({"agent": {"variables": {"clinic": "Riverside"}, "tools": ["transfer_to_human"]}})").value();
  e = error_of(R"({"provider": "router", "llm": {"provider": "mock"},
                   "routes": {"routes": [{"phrases": ["bye"], "say": "Bye from {clinic}.", "end": true}]}})",
               &agent);
  EXPECT_TRUE(contains(e, "routes[0].end: tool 'end_call' is not declared by the agent (agent tools: transfer_to_human)"))
      << e;
  EXPECT_FALSE(contains(e, "unknown variable")) << e;
}

// ------------------------------------------------------------------ the examples

TEST(RouterExamples, FrontDeskRoutesLoadAndRouteTheUsualSmallTalk) {
  auto doc = Json::parse_file(source_dir() + "/examples/routes/front_desk.json");
  ASSERT_TRUE(doc.ok()) << doc.error().to_string();
  auto t = detail::load_routes(*doc, "front_desk.json");
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(routed(**t, "Hello, good morning"), "greeting");
  EXPECT_EQ(routed(**t, "no that's all, thank you, bye"), "goodbye");
  EXPECT_EQ(routed(**t, "What are your opening hours?"), "hours");
  EXPECT_EQ(routed(**t, "where are you located"), "address");
  EXPECT_EQ(routed(**t, "Hi, I'd like to book an appointment for tomorrow"), "");
  EXPECT_EQ(routed(**t, "are you open on Saturday"), "");
}

TEST(RouterExamples, TheRouterAgentBuildsWithItsKeysSet) {
  ASSERT_EQ(::setenv("GROQ_API_KEY", "test-key-not-used", 1), 0);
  ASSERT_EQ(::setenv("DEEPGRAM_API_KEY", "test-key-not-used", 1), 0);
  auto cfg = AgentConfig::load(source_dir() + "/examples/agents/router_openai.json");
  ASSERT_TRUE(cfg.ok()) << cfg.error().to_string();
  Registry reg;
  register_builtin_providers(reg);
  auto providers = make_agent_providers(reg, *cfg);
  ASSERT_TRUE(providers.ok()) << providers.error().to_string();
  EXPECT_EQ(providers->llm->info().name, "router");
  EXPECT_TRUE(providers->llm->info().needs_real_time);  // the Groq LLM behind it talks to the network
  EXPECT_TRUE(contains(providers->llm->info().description, "in front of openai")) << providers->llm->info().description;
}

// ------------------------------------------------------------------ contract

Result<std::shared_ptr<LanguageModel>> contract_router(const ProviderContext&) {
  MockLlmOptions o;
  o.default_reply = {.text = "I am the model behind the router."};
  LOQUI_ASSIGN_OR_RETURN(auto mock, MockLanguageModel::create(o));
  return detail::make_router_llm({.routes = table()}, mock);
}

LlmRequest greeting_request() { return user_says("hi there"); }

using testing::LlmContract;
using testing::LlmContractParam;
INSTANTIATE_TEST_SUITE_P(
    Router, LlmContract,
    ::testing::Values(LlmContractParam{.name = "router_delegating", .make = contract_router},
                      LlmContractParam{.name = "router_routing", .make = contract_router, .request = greeting_request()},
                      LlmContractParam{.name = "router_real_time",
                                       .make = contract_router,
                                       .timing = {.time = TimeMode::real_time, .settle = std::chrono::milliseconds(300)}}),
    testing::ContractName());

}  // namespace
}  // namespace loqui
