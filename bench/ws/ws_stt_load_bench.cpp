// SPDX-License-Identifier: Apache-2.0
// File: WebSocket STT streams under load: the real `deepgram` adapter against the
// /v1/listen mock running in a forked child process, so the CPU and memory figures
// are the client's alone (getrusage(RUSAGE_SELF), /proc/self/statm).
//  * BM_ConcurrentSttStreams/N: N Deepgram-like streams on ONE runtime thread, each
//    sending 20 ms pcm16 16 kHz frames (640 B) paced in real time for 5 s, then
//    Finalize; the mock answers with interim + final Results every 200 ms. Figures:
//    frames/s and bytes/s sent, results/s received, client CPU per stream and per
//    frame, share of one core, RSS per stream, allocations per frame, and whether
//    every stream got its finalize answer and every byte reached the mock.
//  * BM_ListenParse: the Results parser alone (messages/s, MB/s).
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <future>
#include <numbers>
#include <thread>

#include "alloc_counter.hpp"
#include "loqui/log.hpp"
#include "loqui/net/websocket.hpp"
#include "loqui/provider/registry.hpp"
#include "providers/deepgram/deepgram_messages.hpp"
#include "support/mock_vendors.hpp"

namespace {
using namespace std::chrono_literals;

int g_port = 0;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double rss_kib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1024.0;
}

struct Observer final : loqui::SttObserver {
  std::atomic<int>* finalized = nullptr;
  std::atomic<int>* failed = nullptr;
  std::atomic<std::uint64_t>* results = nullptr;
  bool done = false;
  void on_transcript(const loqui::Transcript& t) override {
    results->fetch_add(1, std::memory_order_relaxed);
    if (t.from_finalize && !done) {
      done = true;
      finalized->fetch_add(1);
    }
  }
  void on_error(const loqui::Error& e) override {
    if (failed->fetch_add(1) == 0) std::fprintf(stderr, "stream failed: %s\n", e.to_string().c_str());
    if (!done) {
      done = true;
      finalized->fetch_add(1);
    }
  }
};

// One session: paces 20 ms frames with a strand timer, then finalizes.
struct Session {
  std::shared_ptr<loqui::Strand> strand;
  std::unique_ptr<loqui::SttStream> stream;
  loqui::Timer timer;
  Observer obs;
  int frames_left = 0;
  const std::vector<std::int16_t>* pcm = nullptr;
  loqui::TimePoint next{};

  void tick() {
    if (!stream) return;
    if (frames_left-- <= 0) {
      stream->finalize();
      return;
    }
    (void)stream->send_audio(loqui::AudioFrame::view(loqui::AudioFormat::pcm16(16000), *pcm));
    next += 20ms;
    (void)timer.arm_at(next, [this] { tick(); });
  }
};

void BM_ConcurrentSttStreams(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  constexpr int kFrames = 250;  // 5 s of audio per stream
  std::vector<std::int16_t> pcm(320);
  for (std::size_t i = 0; i < pcm.size(); ++i)
    pcm[i] = static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * 300 * static_cast<double>(i) / 16000));
  for (auto _ : state) {
    auto rt = loqui::Runtime::create({.threads = 1}).value();
    loqui::Registry reg;
    loqui::register_builtin_providers(reg);
    loqui::ProviderContext ctx;
    ctx.runtime = rt.get();
    auto cfg = loqui::Json::object({{"provider", loqui::Json("deepgram")},
                                    {"base_url", loqui::Json("ws://127.0.0.1:" + std::to_string(g_port))}});
    auto stt = reg.make_stt(ctx, cfg).value();
    std::vector<std::unique_ptr<Session>> sessions;
    std::atomic<int> finalized{0}, failed{0};
    std::atomic<std::uint64_t> results{0};
    const auto ws0 = loqui::websocket_stats();
    const double rss0 = rss_kib();
    const double cpu0 = cpu_seconds();
    const std::uint64_t a0 = loqui::bench::allocations();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      auto s = std::make_unique<Session>();
      s->strand = rt->make_strand("s" + std::to_string(i));
      s->timer = loqui::Timer(s->strand);
      s->obs.finalized = &finalized;
      s->obs.failed = &failed;
      s->obs.results = &results;
      s->frames_left = kFrames;
      s->pcm = &pcm;
      Session* raw = s.get();
      (void)s->strand->post([raw, &stt] {
        auto st = stt->open({.strand = raw->strand}, {.format = loqui::AudioFormat::pcm16(16000)}, raw->obs);
        if (!st) {
          raw->obs.on_error(st.error());
          return;
        }
        raw->stream = std::move(*st);
        raw->next = raw->strand->now();
        raw->tick();
      });
      sessions.push_back(std::move(s));
    }
    double rss_peak = rss0;
    while (finalized.load() < n) {
      std::this_thread::sleep_for(20ms);
      rss_peak = std::max(rss_peak, rss_kib());
      if (std::chrono::steady_clock::now() - t0 > 120s) break;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    const std::uint64_t allocs = loqui::bench::allocations() - a0;
    const auto ws1 = loqui::websocket_stats();
    const double frames = static_cast<double>(ws1.messages_sent - ws0.messages_sent);
    const double bytes = static_cast<double>(ws1.bytes_sent - ws0.bytes_sent);
    state.counters["streams"] = n;
    state.counters["failed"] = failed.load();
    state.counters["finalized"] = finalized.load();
    state.counters["wall_s"] = wall;
    state.counters["frames/s"] = frames / wall;
    state.counters["MB/s_out"] = bytes / wall / 1e6;
    state.counters["results/s"] = static_cast<double>(results.load()) / wall;
    state.counters["cpu_ms/stream"] = cpu * 1e3 / n;
    state.counters["cpu_us/frame"] = cpu * 1e6 / std::max(frames, 1.0);
    state.counters["core_%"] = 100.0 * cpu / wall;
    state.counters["rss_KiB/stream"] = (rss_peak - rss0) / n;
    state.counters["allocs/frame"] = static_cast<double>(allocs) / std::max(frames, 1.0);
    state.counters["audio_ok"] =
        bytes >= static_cast<double>(n) * kFrames * 640 ? 1 : 0;  // every frame went out (plus control messages)
    for (auto& s : sessions) {
      std::promise<void> p;
      (void)s->strand->post([&] {
        s->timer.cancel();
        s->stream.reset();
        p.set_value();
      });
      p.get_future().wait();
    }
    stt.reset();
    rt->stop();
  }
}
BENCHMARK(BM_ConcurrentSttStreams)->Arg(50)->Arg(200)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ListenParse(benchmark::State& state) {
  const std::string msg =
      R"({"type":"Results","channel_index":[0,1],"duration":1.02,"start":3.94,"is_final":true,"speech_final":true,"from_finalize":false,"channel":{"alternatives":[{"transcript":"what's the weather like today","confidence":0.98,"words":[{"word":"what's","start":3.98,"end":4.2,"confidence":0.99,"punctuated_word":"What's"},{"word":"the","start":4.2,"end":4.3,"confidence":0.97,"punctuated_word":"the"},{"word":"weather","start":4.3,"end":4.6,"confidence":0.95,"punctuated_word":"weather"},{"word":"like","start":4.6,"end":4.7,"confidence":0.95,"punctuated_word":"like"},{"word":"today","start":4.7,"end":4.96,"confidence":0.95,"punctuated_word":"today?"}]}]},"metadata":{"request_id":"2f3a","model_uuid":"u","model_info":{"name":"general-nova-3","version":"2024-12-20","arch":"nova-3"}}})";
  loqui::deepgram::ListenParser parser;
  const std::uint64_t a0 = loqui::bench::allocations();
  for (auto _ : state) {
    auto ev = parser.parse(msg);
    benchmark::DoNotOptimize(ev);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * msg.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allocs/msg"] =
      static_cast<double>(loqui::bench::allocations() - a0) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ListenParse);

// The mock server, in a child process.
[[noreturn]] void serve(int port_fd, int stop_fd) {
  loqui::testing::VendorMock mock(loqui::testing::VendorMock::Vendor::deepgram_listen);
  const int port = mock.server().port();
  if (write(port_fd, &port, sizeof port) != sizeof port) std::_Exit(1);
  char c;
  while (read(stop_fd, &c, 1) > 0) {
  }
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  int port_pipe[2], stop_pipe[2];
  if (pipe(port_pipe) != 0 || pipe(stop_pipe) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    close(port_pipe[0]);
    close(stop_pipe[1]);
    serve(port_pipe[1], stop_pipe[0]);
  }
  close(port_pipe[1]);
  close(stop_pipe[0]);
  if (read(port_pipe[0], &g_port, sizeof g_port) != sizeof g_port) return 1;
  loqui::set_log_level(loqui::LogLevel::error);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  close(stop_pipe[1]);
  int status = 0;
  waitpid(child, &status, 0);
  return 0;
}
