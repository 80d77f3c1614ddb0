// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/agent/events.hpp"

namespace loqui {
namespace {

TEST(EventBus, DeliversInOrderToAllSubscribers) {
  EventBus bus;
  std::vector<std::string> seen;
  auto a = bus.subscribe([&](const SessionEvent& e) { seen.push_back("a:" + std::string(event_name(e))); });
  auto b = bus.subscribe([&](const SessionEvent& e) { seen.push_back("b:" + std::string(event_name(e))); });
  bus.publish(SpeechStarted{time_from_ms(10)});
  bus.publish(TranscriptReceived{time_from_ms(20), Transcript{"hello", true}, "mock"});
  EXPECT_EQ(seen, (std::vector<std::string>{"a:SpeechStarted", "b:SpeechStarted", "a:TranscriptReceived",
                                            "b:TranscriptReceived"}));
  EXPECT_EQ(to_ms(event_time(SessionEvent(SpeechStopped{time_from_ms(30)}))), 30.0);
}

TEST(EventBus, UnsubscribeIncludingFromInsideAHandler) {
  EventBus bus;
  int calls_a = 0, calls_b = 0;
  Subscription b;
  auto a = bus.subscribe([&](const SessionEvent&) {
    ++calls_a;
    b.reset();  // unsubscribe b while publishing
  });
  b = bus.subscribe([&](const SessionEvent&) { ++calls_b; });
  bus.publish(CallEnded{});
  bus.publish(CallEnded{});
  EXPECT_EQ(calls_a, 2);
  EXPECT_EQ(calls_b, 0);
  a.reset();
  bus.publish(CallEnded{});
  EXPECT_EQ(calls_a, 2);
  EXPECT_EQ(bus.subscriber_count(), 0u);
}

TEST(EventBus, SubscriptionOutlivingBusIsSafe) {
  Subscription s;
  {
    EventBus bus;
    s = bus.subscribe([](const SessionEvent&) {});
  }
  s.reset();  // must not touch the destroyed bus
  SUCCEED();
}

}  // namespace
}  // namespace loqui
