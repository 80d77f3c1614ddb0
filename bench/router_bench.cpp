// SPDX-License-Identifier: Apache-2.0
// File: what the `router` LanguageModel saves and what it costs.
//
// Part 1 (table): time to first token and to the end of the answer, in virtual
// time, for a routed message ("hello") and a delegated one, with the mock LLM on
// the latency profile (first token 200 ms, then 50 tokens/s) behind the
// router of examples/routes/front_desk.json, and the mock alone for reference.
// Part 2 (Google Benchmark): the router's own cost, the routing decision per
// caller message (real time), for a routed and a delegated message.
//
// Run: ./build/bench/router_bench [benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "loqui/provider/mock.hpp"
#include "providers/router/router_llm.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {

using testing::LlmEvent;

constexpr const char* kRouted = "Hello, good morning!";
constexpr const char* kDelegated = "Hi, I'd like to move my appointment to Tuesday afternoon please";
constexpr const char* kReply = "Of course. Which day and time would suit you better?";

std::shared_ptr<const detail::RouteTable> front_desk() {
  const std::string file = std::string(LOQUI_SOURCE_DIR) + "/examples/routes/front_desk.json";
  auto doc = Json::parse_file(file);
  if (!doc) {
    std::fprintf(stderr, "router_bench: %s\n", doc.error().to_string().c_str());
    return nullptr;
  }
  auto t = detail::load_routes(*doc, file);
  if (!t) {
    std::fprintf(stderr, "router_bench: %s\n", t.error().to_string().c_str());
    return nullptr;
  }
  return *t;
}

struct Timing {
  double first_token_ms = -1, done_ms = -1;
  std::string provider;
};

// One generation of `llm` for `text` under virtual time.
Timing time_one(LanguageModel& llm, const char* text) {
  testing::VirtualSession s;
  auto session = llm.open(s.ctx);
  if (!session) return {};
  testing::RecordingLlmObserver obs(s.strand);
  const TimePoint t0 = s.rt->now();
  if (!(*session)->generate(testing::user_says(text), obs)) return {};
  s.run_until_quiet();
  Timing t;
  if (const LlmEvent* e = obs.first(LlmEvent::Kind::text)) t.first_token_ms = to_ms(e->at - t0);
  if (const LlmEvent* e = obs.first(LlmEvent::Kind::done)) t.done_ms = to_ms(e->at - t0);
  if (const LlmEvent* e = obs.first(LlmEvent::Kind::provider)) t.provider = e->text;
  return t;
}

void print_latency_table() {
  auto routes = front_desk();
  if (!routes) return;
  MockLlmOptions o;
  o.first_token_latency = std::chrono::milliseconds(200);
  o.tokens_per_second = 50;
  o.default_reply = {.text = kReply};
  auto mock = MockLanguageModel::create(o).value();
  auto router = detail::make_router_llm({.routes = routes}, mock);
  std::printf("router: time to first token and to done (virtual time; mock LLM: first token 200 ms, 50 tok/s)\n");
  std::printf("%-80s %-8s %16s %10s\n", "llm, caller message", "answer", "first token ms", "done ms");
  auto row = [](const char* what, const char* text, const Timing& t) {
    std::printf("%-80s %-8s %16.1f %10.1f\n", (std::string(what) + ", \"" + text + "\"").c_str(),
                t.provider.empty() ? "-" : t.provider.c_str(), t.first_token_ms, t.done_ms);
  };
  row("router", kRouted, time_one(*router, kRouted));
  row("router", kDelegated, time_one(*router, kDelegated));
  const std::size_t reached = mock->requests().size();
  row("mock alone", kRouted, time_one(*mock, kRouted));
  std::printf("(the routed answer streams a word per 2 ms, word_interval_ms; %zu of the 2 router requests reached the LLM)\n\n",
              reached);
}

void BM_RouteDecision(benchmark::State& state, const char* text) {
  auto routes = front_desk();
  if (!routes) {
    state.SkipWithError("examples/routes/front_desk.json did not load");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(detail::match_route(*routes, text));
  state.SetLabel(std::to_string(routes->routes.size()) + " routes");
}
BENCHMARK_CAPTURE(BM_RouteDecision, routed, kRouted);
BENCHMARK_CAPTURE(BM_RouteDecision, delegated, kDelegated);

}  // namespace
}  // namespace loqui

int main(int argc, char** argv) {
  loqui::print_latency_table();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
