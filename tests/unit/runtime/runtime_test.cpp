// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "loqui/runtime/runtime.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;

std::unique_ptr<Runtime> make_virtual() {
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time});
  EXPECT_TRUE(rt.ok());
  return std::move(rt).value();
}

TEST(Task, SmallCallablesAreStoredInline) {
  int x = 0;
  Task t([&x] { ++x; });
  EXPECT_TRUE(t.is_inline());
  t();
  Task moved = std::move(t);
  moved();
  EXPECT_EQ(x, 2);
  std::array<char, 200> big{};
  Task heap([big, &x] { x += big[0] + 1; });
  EXPECT_FALSE(heap.is_inline());
  heap();
  EXPECT_EQ(x, 3);
}

TEST(Runtime, RejectsInvalidOptions) {
  EXPECT_FALSE(Runtime::create({.threads = -1}).ok());
  auto r = Runtime::create({.threads = 2, .time = TimeMode::virtual_time});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("virtual time is driven by the host"), std::string::npos);
}

TEST(VirtualRuntime, RunsTasksInTimeThenPostOrder) {
  auto rt = make_virtual();
  auto a = rt->make_strand("a");
  auto b = rt->make_strand("b");
  std::vector<std::string> log;
  ASSERT_TRUE(a->call_after(300ms, [&] { log.push_back("a300"); }).ok());
  ASSERT_TRUE(b->call_after(100ms, [&] { log.push_back("b100"); }).ok());
  ASSERT_TRUE(a->post([&] { log.push_back("a0"); }).ok());
  ASSERT_TRUE(b->call_after(100ms, [&] { log.push_back("b100second"); }).ok());
  EXPECT_TRUE(log.empty());  // nothing runs inside post()
  EXPECT_EQ(*rt->advance_by(150ms), 3u);
  EXPECT_EQ(rt->now(), TimePoint(150ms));
  EXPECT_EQ(log, (std::vector<std::string>{"a0", "b100", "b100second"}));
  EXPECT_EQ(rt->next_deadline(), TimePoint(300ms));
  EXPECT_EQ(*rt->advance_by(1s), 1u);
  EXPECT_EQ(log.back(), "a300");
}

TEST(VirtualRuntime, TasksSeeTheirScheduledTimeAndStrand) {
  auto rt = make_virtual();
  auto s = rt->make_strand("s");
  TimePoint seen{};
  bool on_strand = false;
  (void)s->call_after(42ms, [&] {
    seen = s->now();
    on_strand = s->running_in_this_thread();
  });
  (void)rt->advance_by(1s);
  EXPECT_EQ(seen, TimePoint(42ms));
  EXPECT_TRUE(on_strand);
  EXPECT_FALSE(s->running_in_this_thread());
}

TEST(VirtualRuntime, CancelledTimersNeverRun) {
  auto rt = make_virtual();
  auto s = rt->make_strand("s");
  int runs = 0;
  auto id = s->call_after(10ms, [&] { ++runs; });
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(s->cancel(*id));
  EXPECT_FALSE(s->cancel(*id));
  // A slot reused by a new timer must not be cancellable through the old id.
  auto id2 = s->call_after(10ms, [&] { runs += 10; });
  (void)rt->advance_by(5ms);
  EXPECT_FALSE(s->cancel(*id));
  (void)rt->advance_by(1s);
  EXPECT_EQ(runs, 10);
  EXPECT_FALSE(s->cancel(*id2));  // already ran
}

TEST(VirtualRuntime, TimerClassRearmsAndCancelsOnDestruction) {
  auto rt = make_virtual();
  auto s = rt->make_strand("s");
  int fired = 0;
  {
    Timer t(s);
    ASSERT_TRUE(t.arm(100ms, [&] { ++fired; }).ok());
    ASSERT_TRUE(t.arm(200ms, [&] { fired += 10; }).ok());  // replaces the first
    EXPECT_TRUE(t.armed());
    (void)rt->advance_by(250ms);
    EXPECT_EQ(fired, 10);
    EXPECT_FALSE(t.armed());
    ASSERT_TRUE(t.arm(100ms, [&] { fired += 100; }).ok());
  }  // destroyed while armed
  (void)rt->advance_by(1s);
  EXPECT_EQ(fired, 10);
}

TEST(VirtualRuntime, TimerTaskMayRearmItself) {
  auto rt = make_virtual();
  auto s = rt->make_strand("s");
  Timer t(s);
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    if (ticks < 5) (void)t.arm(20ms, [&] { tick(); });
  };
  (void)t.arm(20ms, [&] { tick(); });
  (void)rt->advance_by(1s);
  EXPECT_EQ(ticks, 5);
}

TEST(VirtualRuntime, SchedulingAfterStopIsAClearError) {
  auto rt = make_virtual();
  auto s = rt->make_strand("call-7");
  bool ran = false;
  (void)s->call_after(10ms, [&] { ran = true; });
  rt->stop();
  Status p = s->post([] {});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), make_error_code(errc::closed));
  EXPECT_EQ(p.error().message(), "runtime stopped: cannot schedule work on strand 'call-7'");
  EXPECT_FALSE(s->call_after(1ms, [] {}).ok());
  EXPECT_FALSE(rt->advance_by(1s).ok());
  EXPECT_FALSE(ran);
}

TEST(VirtualRuntime, ThrowingTaskDoesNotStopTheLoop) {
  auto rt = make_virtual();
  auto s = rt->make_strand("s");
  bool after = false;
  (void)s->post([] { throw std::runtime_error("provider blew up"); });
  (void)s->post([&] { after = true; });
  (void)rt->run_until_idle();
  EXPECT_TRUE(after);
}

TEST(VirtualRuntime, RealTimeOnlyCallsAreRefused) {
  auto rt = make_virtual();
  EXPECT_EQ(rt->run().error().code(), make_error_code(errc::not_supported));
}

TEST(RealRuntime, StrandSerialisesTasksAcrossThreads) {
  auto rt = Runtime::create({.threads = 2}).value();
  auto s = rt->make_strand("s");
  std::atomic<int> concurrent{0};
  std::atomic<int> max_concurrent{0};
  std::atomic<int> done{0};
  int unsynchronised_counter = 0;  // only touched on the strand
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(s->post([&] {
                   const int c = ++concurrent;
                   int m = max_concurrent.load();
                   while (c > m && !max_concurrent.compare_exchange_weak(m, c)) {
                   }
                   ++unsynchronised_counter;
                   --concurrent;
                   ++done;
                 }).ok());
  }
  while (done.load() < 2000) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(max_concurrent.load(), 1);
  EXPECT_EQ(unsynchronised_counter, 2000);
}

TEST(RealRuntime, TimersFireInOrderAndCancelWorks) {
  auto rt = Runtime::create({.threads = 1}).value();
  auto s = rt->make_strand("s");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> order;
  auto add = [&](int v) {
    std::lock_guard l(mu);
    order.push_back(v);
    cv.notify_all();
  };
  (void)s->call_after(30ms, [&] { add(30); });
  (void)s->call_after(10ms, [&] { add(10); });
  auto cancelled = s->call_after(20ms, [&] { add(20); });
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(s->cancel(*cancelled));
  std::unique_lock l(mu);
  ASSERT_TRUE(cv.wait_for(l, 5s, [&] { return order.size() >= 2; }));
  EXPECT_EQ(order, (std::vector<int>{10, 30}));
  EXPECT_GT(rt->now(), TimePoint(30ms));
}

TEST(RealRuntime, StopDropsPendingTimersAndRefusesNewWork) {
  auto rt = Runtime::create({.threads = 1}).value();
  auto s = rt->make_strand("s");
  std::atomic<bool> ran{false};
  (void)s->call_after(50ms, [&] { ran = true; });
  rt->stop();
  EXPECT_TRUE(rt->stopped());
  EXPECT_FALSE(s->post([] {}).ok());
  std::this_thread::sleep_for(80ms);
  EXPECT_FALSE(ran.load());
}

TEST(RealRuntime, HostDrivenLoopWithZeroThreads) {
  auto rt = Runtime::create({.threads = 0}).value();
  auto s = rt->make_strand("s");
  int n = 0;
  (void)s->post([&] { ++n; });
  (void)s->call_after(5ms, [&] { ++n; });
  auto ran = rt->run();  // returns when no work remains
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(n, 2);
  EXPECT_FALSE(rt->advance_by(1s).ok());
}

}  // namespace
}  // namespace loqui
