// SPDX-License-Identifier: Apache-2.0
// File: simulate_call(): a caller, a phone line, a session and a playout queue
// stepped together every 20 ms on the session's strand.
#include "loqui/sim/call_simulator.hpp"

#include <algorithm>
#include <thread>

#include "loqui/audio/resampler.hpp"

#include <fmt/format.h>

namespace loqui {
namespace {

using namespace std::chrono_literals;
constexpr Duration kTick = 20ms;

/// Follows the agent's audible speech (from the playout queue) so that caller
/// cues can fire on "agent speaks" and "agent stops".
struct AgentActivity {
  bool talking = false;
  TimePoint last_audio{};
  std::optional<TimePoint> started;  ///< start of the latest stretch
  std::optional<TimePoint> stopped;  ///< end of the latest finished stretch

  void update(bool audible, TimePoint now, Duration pause) {
    if (audible) {
      if (!talking) started = now;
      talking = true;
      last_audio = now;
    } else if (talking && now - last_audio >= pause) {
      talking = false;
      stopped = last_audio + kTick;
    }
  }
};

/// The caller's side: which utterance is playing and when the next one fires.
class CallerBrain {
 public:
  CallerBrain(SimulatedCaller caller, const CallSimulationOptions& options, TimePoint start)
      : caller_(std::move(caller)), options_(options), last_end_(start) {
    if (!caller_.scripted()) {
      speaking_ = &caller_.recording;
      pos_ = 0;
    }
  }

  /// Fills `out` (20 ms at the line rate) with caller speech or silence.
  /// `agent_busy`: the agent's turn is not over (thinking, running a tool, or
  /// speaking), even if its audio paused; a reply waits for that.
  void next(std::span<std::int16_t> out, TimePoint now, const AgentActivity& agent, bool agent_busy) {
    if (!speaking_ && caller_.scripted()) fire_due(now, agent, agent_busy);
    std::size_t n = 0;
    if (speaking_) {
      n = std::min(out.size(), speaking_->size() - pos_);
      std::copy_n(speaking_->begin() + static_cast<std::ptrdiff_t>(pos_), n, out.begin());
      pos_ += n;
      if (pos_ >= speaking_->size()) {
        speaking_ = nullptr;
        last_end_ = now + kTick;
        finished_recording_ = !caller_.scripted();
      }
    }
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), std::int16_t{0});
  }

  /// Nothing left to say and not speaking.
  bool done() const noexcept {
    return !speaking_ && (caller_.scripted() ? next_step_ >= caller_.script.size() : finished_recording_);
  }
  TimePoint last_end() const noexcept { return last_end_; }

 private:
  void fire_due(TimePoint now, const AgentActivity& agent, bool agent_busy) {
    while (!speaking_ && next_step_ < caller_.script.size()) {
      RenderedStep& s = caller_.script[next_step_];
      if (s.step.kind == CallerStep::Kind::pause) {
        const TimePoint until = last_end_ + s.step.delay;
        if (now < until) return;
        last_end_ = until;
        after_pause_ = true;
        ++next_step_;
        continue;
      }
      const bool timed_out = now - last_end_ >= options_.reply_timeout && !agent.talking;
      std::optional<TimePoint> fire;
      switch (s.step.trigger) {
        case CallerStep::Trigger::reply:
          if (after_pause_) fire = now;
          else if (agent.stopped && *agent.stopped > last_end_ && !agent.talking && !agent_busy)
            fire = std::max(*agent.stopped + s.step.delay, now);
          break;
        case CallerStep::Trigger::agent_speaks:
          if (agent.started && *agent.started > last_end_) fire = *agent.started + s.step.delay;
          break;
        case CallerStep::Trigger::agent_stops:
          if (agent.stopped && *agent.stopped > last_end_ && !agent.talking) fire = *agent.stopped + s.step.delay;
          break;
      }
      if (!fire && timed_out) fire = now;
      if (!fire || now < *fire) return;
      speaking_ = &s.pcm;
      pos_ = 0;
      after_pause_ = false;
      ++next_step_;
    }
  }

  SimulatedCaller caller_;
  const CallSimulationOptions& options_;
  const std::vector<std::int16_t>* speaking_ = nullptr;
  std::size_t pos_ = 0;
  std::size_t next_step_ = 0;
  bool after_pause_ = false;
  bool finished_recording_ = false;
  TimePoint last_end_{};
};

class CallDriver final : public AgentAudioSink {
 public:
  CallDriver(PhoneLine line, PlayoutQueue playout, const CallSimulationOptions& options)
      : line_(std::move(line)), playout_(std::move(playout)), options_(options) {}

  void on_agent_audio(const AudioFrame& audio, TimePoint) override {
    if (Status s = playout_.push(audio); !s) errors_.push_back(s.error());
  }
  void on_clear() override { playout_.clear(); }

  Status begin(std::shared_ptr<Session> session, std::shared_ptr<Strand> strand, SimulatedCaller caller) {
    session_ = std::move(session);
    strand_ = std::move(strand);
    start_ = strand_->now();
    next_tick_ = start_;
    brain_.emplace(std::move(caller), options_, start_);
    caller_pcm_.resize(static_cast<std::size_t>(line_.profile().pcm_rate_hz() / 50));
    // The recording grows every tick; reserve a typical call (5 min) up front.
    caller_track_.reserve(static_cast<std::size_t>(line_.profile().pcm_rate_hz()) * 300);
    agent_track_.reserve(static_cast<std::size_t>(playout_.rate_hz()) * 300);
    agent_pcm_.resize(playout_.frame_samples());
    timer_.emplace(strand_);
    return timer_->arm_at(next_tick_, [this] { tick(); });
  }

  bool finished() const noexcept { return finished_; }
  void on_event(const SessionEvent& e) {
    if (const auto* err = std::get_if<ErrorEvent>(&e)) errors_.push_back(err->error);
    if (std::holds_alternative<CallEnded>(e)) session_ended_ = true;
    if (options_.on_event) options_.on_event(e);
  }
  void stop_timer() {
    if (timer_) timer_->cancel();
  }

  /// Caller left, agent right, at the agent's rate.
  Result<std::vector<std::int16_t>> stereo() const {
    LOQUI_ASSIGN_OR_RETURN(auto left, resample_buffer(caller_track_, line_.profile().pcm_rate_hz(),
                                                      playout_.rate_hz()));
    std::vector<std::int16_t> out(agent_track_.size() * 2);
    for (std::size_t i = 0; i < agent_track_.size(); ++i) {
      out[2 * i] = i < left.size() ? left[i] : std::int16_t{0};
      out[2 * i + 1] = agent_track_[i];
    }
    return out;
  }

  std::vector<Error> errors_;
  PhoneLine line_;

 private:
  void tick() {
    const TimePoint now = next_tick_;
    // Agent -> caller: play 20 ms and tell the session what was heard.
    const std::size_t agent_samples = playout_.play(agent_pcm_);
    agent_.update(agent_samples > 0, now, options_.agent_pause);
    if (!session_ended_) session_->report_playback(playout_.playback_position());

    // Caller -> line -> session.
    const TurnState state = session_ended_ ? TurnState::ended : session_->state();
    const bool agent_busy = state == TurnState::thinking || state == TurnState::speaking ||
                            state == TurnState::end_of_turn || !playout_.empty();
    brain_->next(caller_pcm_, now, agent_, agent_busy);
    pending_.insert(pending_.end(), caller_pcm_.begin(), caller_pcm_.end());
    const std::size_t packet = line_.packet_samples();
    while (pending_.size() >= packet) {
      if (Status s = line_.send(std::span(pending_).first(packet), now); !s) errors_.push_back(s.error());
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(packet));
    }
    const AudioFrame heard = line_.receive(now);
    if (!session_ended_) {
      if (Status s = session_->push_audio(heard); !s && !session_->ended()) errors_.push_back(s.error());
    }

    // The recording: the caller at the line's rate, the agent at the session's;
    // interleaved into one stereo track when the call ends (see stereo()).
    const auto left = heard.samples();
    caller_track_.insert(caller_track_.end(), left.begin(), left.end());
    agent_track_.insert(agent_track_.end(), agent_pcm_.begin(), agent_pcm_.end());

    ++ticks_;
    if (options_.progress && ticks_ % 50 == 0) options_.progress(now - start_);
    if (should_finish(now)) {
      finished_ = true;
      return;
    }
    next_tick_ += kTick;
    if (Status s = timer_->arm_at(next_tick_, [this] { tick(); }); !s) {
      errors_.push_back(s.error());
      finished_ = true;
    }
  }

  bool should_finish(TimePoint now) {
    if (session_ended_ || session_->ended()) {
      session_ended_ = true;
      return playout_.empty();  // let the last words (a goodbye, a handoff message) play
    }
    if (now - start_ >= options_.max_duration) {
      session_->stop("max_duration");
      return true;
    }
    const TurnState st = session_->state();
    const bool agent_idle = !agent_.talking && playout_.empty() &&
                            (st == TurnState::listening || st == TurnState::idle);
    const TimePoint quiet_since = std::max(brain_->last_end(), agent_.last_audio);
    if (brain_->done() && agent_idle && now - quiet_since >= options_.hangup_after) {
      session_->stop("caller_hangup");
      return true;
    }
    return false;
  }

  PlayoutQueue playout_;
  const CallSimulationOptions& options_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<Strand> strand_;
  std::optional<Timer> timer_;
  std::optional<CallerBrain> brain_;
  AgentActivity agent_;
  std::vector<std::int16_t> caller_pcm_;
  std::vector<std::int16_t> agent_pcm_;
  std::vector<std::int16_t> pending_;
  std::vector<std::int16_t> caller_track_;
  std::vector<std::int16_t> agent_track_;
  TimePoint start_{};
  TimePoint next_tick_{};
  std::uint64_t ticks_ = 0;
  bool session_ended_ = false;
  bool finished_ = false;
};

}  // namespace

Duration CallSimulationResult::duration() const noexcept {
  return std::chrono::duration_cast<Duration>(
      std::chrono::microseconds(rate_hz ? static_cast<std::int64_t>(stereo.size() / 2) * 1'000'000 / rate_hz : 0));
}

Result<CallSimulationResult> simulate_call(Runtime& runtime, const AgentConfig& config,
                                           const AgentProviders& providers, SimulatedCaller caller,
                                           SessionOptions session_options, const CallSimulationOptions& options) {
  if (caller.recording.empty() && caller.script.empty())
    return Error(errc::invalid_argument, "simulate_call: the caller has no audio (empty recording and no script)");
  // The session takes the caller at the line's own rate (8 kHz for PSTN): it
  // resamples for its VAD and hands an STT that accepts 8 kHz the audio as carried.
  const int caller_rate = options.line.pcm_rate_hz();
  LOQUI_ASSIGN_OR_RETURN(auto line, PhoneLine::create(options.line, caller_rate));
  LOQUI_ASSIGN_OR_RETURN(auto playout, PlayoutQueue::create(options.session_rate_hz));
  auto driver = std::make_unique<CallDriver>(std::move(line), std::move(playout), options);

  auto strand = session_options.strand ? session_options.strand : runtime.make_strand("call");
  session_options.strand = strand;
  session_options.audio_sink = driver.get();
  session_options.caller_sample_rate_hz = caller_rate;
  session_options.agent_sample_rate_hz = options.session_rate_hz;
  session_options.playback_reports = true;
  LOQUI_ASSIGN_OR_RETURN(auto session, Session::create(runtime, config, providers, std::move(session_options)));
  Subscription sub = session->subscribe([d = driver.get()](const SessionEvent& e) { d->on_event(e); });

  // start() and the first tick run on the session's strand.
  Status started = ok_status();
  bool posted = false;
  LOQUI_TRY(strand->post([&] {
    started = session->start();
    if (started) started = driver->begin(session, strand, std::move(caller));
    posted = true;
  }));
  const bool virtual_time = runtime.is_virtual();
  auto step = [&]() -> Status {
    if (virtual_time) {
      LOQUI_TRY(runtime.run_until_idle());
      const TimePoint next = runtime.next_deadline();
      if (next == TimePoint::max()) return Error(errc::internal, "simulate_call: nothing left to run but the call has not ended");
      LOQUI_TRY(runtime.advance_to(next));
    } else {
      auto n = runtime.poll();
      if (!n) return n.error();
      if (*n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return ok_status();
  };
  // On a failure the session and the driver's timer still point at locals of
  // this function: stop both on the strand and let that run before returning.
  auto abandon = [&](Error e) -> Error {
    bool stopped = false;
    if (strand->post([&] {
          driver->stop_timer();
          session->stop("error");
          stopped = true;
        })) {
      for (int i = 0; i < 1000 && !stopped; ++i) {
        if (virtual_time) (void)runtime.run_until_idle();
        else (void)runtime.poll();
      }
    }
    return e;
  };
  while (!posted) {
    if (Status st = step(); !st) return abandon(st.error());
  }
  if (!started) return abandon(started.error());
  while (!driver->finished()) {
    if (Status st = step(); !st) return abandon(st.error());
  }
  // Let the session finish stopping (providers cancelled, CallEnded published).
  if (virtual_time) {
    LOQUI_TRY(runtime.run_until_idle());
  } else {
    for (int i = 0; i < 20; ++i) (void)runtime.poll();
  }

  CallSimulationResult result;
  bool collected = false;
  LOQUI_TRY(strand->post([&] {
    driver->stop_timer();
    result.record = session->call_record();
    collected = true;
  }));
  while (!collected) {
    if (virtual_time) LOQUI_TRY(runtime.run_until_idle());
    else (void)runtime.poll();
  }
  result.rate_hz = options.session_rate_hz;
  LOQUI_ASSIGN_OR_RETURN(result.stereo, driver->stereo());
  result.line_stats = driver->line_.stats();
  result.packets_sent = driver->line_.packets_sent();
  result.packets_dropped = driver->line_.packets_dropped();
  result.errors = std::move(driver->errors_);
  sub.reset();
  return result;
}

}  // namespace loqui
