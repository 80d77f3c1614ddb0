// SPDX-License-Identifier: Apache-2.0
// 100 sessions x 10 minutes of 20 ms frames and random timers under virtual time:
// every run with the same seed executes the same events in the same order. (Its
// speed is reported here and measured in bench/runtime_bench.cpp; no timing asserts.)
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "loqui/audio/frame.hpp"
#include "loqui/runtime/runtime.hpp"
#include "support/test_stages.hpp"

namespace loqui {
namespace {
using namespace std::chrono_literals;
using namespace loqui::testing;

struct SimResult {
  std::uint64_t hash = 1469598103934665603ull;
  std::uint64_t frames = 0;
  std::uint64_t timer_events = 0;
  std::uint64_t tasks = 0;
  std::int64_t sample_sum = 0;
  double wall_ms = 0;
};

void mix(std::uint64_t& h, std::uint64_t v) {
  h ^= v;
  h *= 1099511628211ull;
}

class SimSession {
 public:
  SimSession(Runtime& rt, int id, std::uint64_t seed, SimResult& out)
      : id_(id), strand_(rt.make_strand("sim-" + std::to_string(id))), frame_timer_(strand_), event_timer_(strand_),
        rng_(seed * 1000003u + static_cast<std::uint64_t>(id)), chain_(make_chain(AddOffset(16000, 1), Summer(16000)).value()),
        samples_(320, 0), out_(out) {}

  void start(TimePoint end) {
    end_ = end;
    next_frame_ = strand_->now();
    schedule_frame();
    schedule_event();
  }

 private:
  void schedule_frame() {
    next_frame_ += 20ms;
    if (next_frame_ > end_) return;
    (void)frame_timer_.arm_at(next_frame_, [this] { on_frame(); });
  }
  void on_frame() {
    // The caller's audio: a 20 ms frame whose level varies (no refill needed).
    samples_[static_cast<std::size_t>(ts_ / 320 % 320)] = static_cast<std::int16_t>(rng_() % 2000);
    AudioFrame f = AudioFrame::view(AudioFormat::pcm16(16000), samples_, ts_);
    ts_ += 320;
    (void)chain_.push(f);
    ++out_.frames;
    mix(out_.hash, static_cast<std::uint64_t>(id_) << 40 | static_cast<std::uint64_t>(to_ms(strand_->now())));
    schedule_frame();
  }
  void schedule_event() {
    const auto delay = std::chrono::milliseconds(100 + static_cast<int>(rng_() % 2900));
    if (strand_->now() + delay > end_) return;
    (void)event_timer_.arm(delay, [this] {
      ++out_.timer_events;
      mix(out_.hash, 0xE000000000000000ull | static_cast<std::uint64_t>(id_) << 40 |
                         static_cast<std::uint64_t>(to_ms(strand_->now())));
      // Occasionally an event cancels and restarts the frame clock (like a barge-in).
      if (rng_() % 7 == 0) {
        frame_timer_.cancel();
        next_frame_ = strand_->now();
        schedule_frame();
      }
      schedule_event();
    });
  }

 public:
  std::int64_t sum() { return chain_.get<1>().sum; }

 private:
  int id_;
  std::shared_ptr<Strand> strand_;
  Timer frame_timer_;
  Timer event_timer_;
  std::mt19937_64 rng_;
  Chain<AddOffset, Summer> chain_;
  std::vector<std::int16_t> samples_;
  SimResult& out_;
  TimePoint end_{};
  TimePoint next_frame_{};
  std::int64_t ts_ = 0;
};

SimResult simulate(std::uint64_t seed, int sessions, Duration length) {
  SimResult r;
  auto rt = Runtime::create({.threads = 0, .time = TimeMode::virtual_time}).value();
  std::vector<std::unique_ptr<SimSession>> all;
  for (int i = 0; i < sessions; ++i) all.push_back(std::make_unique<SimSession>(*rt, i, seed, r));
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& s : all) s->start(TimePoint(length));
  auto ran = rt->run_until_quiet(TimePoint(length) + 1s);
  EXPECT_TRUE(ran.ok());
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  r.tasks = rt->tasks_run();
  for (auto& s : all) r.sample_sum += s->sum();
  return r;
}

TEST(VirtualSimulation, HundredSessionsTenMinutesAreDeterministic) {
  const SimResult a = simulate(42, 100, 10min);
  const SimResult b = simulate(42, 100, 10min);
  const SimResult c = simulate(43, 100, 10min);
  // 10 min of 20 ms frames is 30000 per session; barge-in restarts shift a few.
  EXPECT_GT(a.frames, 100u * 29000u);
  EXPECT_LE(a.frames, 100u * 30000u + 100u * 400u);
  EXPECT_GT(a.timer_events, 100u * 300u);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_EQ(a.timer_events, b.timer_events);
  EXPECT_EQ(a.sample_sum, b.sample_sum);
  EXPECT_EQ(a.tasks, b.tasks);
  EXPECT_NE(a.hash, c.hash);
  RecordProperty("frames", static_cast<int>(a.frames));
  RecordProperty("wall_ms", static_cast<int>(a.wall_ms));
  std::printf("[ sim      ] 100 sessions x 10 min: %llu frames, %llu timer events, %llu tasks in %.0f ms wall\n",
              static_cast<unsigned long long>(a.frames), static_cast<unsigned long long>(a.timer_events),
              static_cast<unsigned long long>(a.tasks), a.wall_ms);
}

}  // namespace
}  // namespace loqui
