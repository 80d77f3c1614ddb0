// SPDX-License-Identifier: Apache-2.0
// File: HttpClient and the `openai` LLM adapter under load, against the mock server
// running in a forked child process, so the CPU and memory figures are the
// client's alone (getrusage(RUSAGE_SELF) and /proc/self/statm of this process).
//  * BM_RequestOverhead: sequential small GETs on a pooled connection: client CPU
//    per request and round-trip time over loopback.
//  * BM_ConcurrentLlmStreams/N: N sessions of the real `openai` adapter on ONE
//    runtime thread, each streaming a 50-chunk answer paced at 20 ms (a 1 s
//    answer at ~50 tokens/s): client CPU per stream and per chunk, share of one
//    core, RSS per concurrent stream, heap allocations per chunk, and whether
//    every stream completed intact.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "alloc_counter.hpp"
#include "loqui/log.hpp"
#include "loqui/net/http.hpp"
#include "loqui/provider/registry.hpp"
#include "support/mock_http_server.hpp"
#include "support/openai_sse.hpp"

namespace {
using namespace std::chrono_literals;
namespace sse = loqui::testing::openai_sse;

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

std::string base_url() { return "http://127.0.0.1:" + std::to_string(g_port); }

// ------------------------------- request overhead ---------------------------------

struct Waiter : loqui::HttpHandler {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool ok = false;
  void on_body(std::string_view) override {}
  void on_complete(const loqui::HttpTransferInfo&) override { finish(true); }
  void on_error(const loqui::Error&) override { finish(false); }
  void finish(bool v) {
    std::lock_guard l(mu);
    ok = v;
    done = true;
    cv.notify_all();
  }
  bool wait() {
    std::unique_lock l(mu);
    cv.wait(l, [&] { return done; });
    return ok;
  }
};

void BM_RequestOverhead(benchmark::State& state) {
  auto rt = loqui::Runtime::create({.threads = 1}).value();
  auto strand = rt->make_strand("bench");
  auto client = loqui::HttpClient::create(*rt).value();
  loqui::HttpRequest req;
  req.url = base_url() + "/small";
  auto once = [&] {
    Waiter w;
    std::promise<loqui::HttpTransfer> p;
    (void)strand->post([&] { p.set_value(std::move(client->start(strand, req, w).value())); });
    auto t = p.get_future().get();
    return w.wait();
  };
  for (int i = 0; i < 20; ++i) (void)once();  // connection in the pool, caches warm
  const double cpu0 = cpu_seconds();
  const std::uint64_t a0 = loqui::bench::allocations();
  std::int64_t n = 0;
  for (auto _ : state) {
    if (!once()) state.SkipWithError("request failed");
    ++n;
  }
  const double cpu = cpu_seconds() - cpu0;
  state.counters["client_cpu_us/req"] = cpu * 1e6 / static_cast<double>(n);
  state.counters["allocs/req"] = static_cast<double>(loqui::bench::allocations() - a0) / static_cast<double>(n);
  state.counters["connections"] = static_cast<double>(client->stats().connections_opened);
  client.reset();
  rt->stop();
}
BENCHMARK(BM_RequestOverhead)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// ------------------------------ concurrent LLM streams ----------------------------

struct StreamObserver : loqui::LlmObserver {
  std::atomic<int>* finished = nullptr;
  std::atomic<int>* failed = nullptr;
  std::size_t text_bytes = 0;
  void on_text(std::string_view d) override { text_bytes += d.size(); }
  void on_tool_call(const loqui::ToolCall&) override {}
  void on_done(loqui::FinishReason) override { finished->fetch_add(1); }
  void on_error(const loqui::Error& e) override {
    std::fprintf(stderr, "stream failed: %s\n", e.to_string().c_str());
    failed->fetch_add(1);
    finished->fetch_add(1);
  }
};

void BM_ConcurrentLlmStreams(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  constexpr int kChunks = 50;
  ::setenv("LOQUI_BENCH_KEY", "sk-bench-0000000000000000", 1);
  for (auto _ : state) {
    auto rt = loqui::Runtime::create({.threads = 1}).value();
    loqui::Registry reg;
    loqui::register_builtin_providers(reg);
    loqui::ProviderContext ctx;
    ctx.runtime = rt.get();
    auto cfg = loqui::Json::object({{"provider", loqui::Json("openai")},
                                    {"base_url", loqui::Json(base_url() + "/v1")},
                                    {"model", loqui::Json("bench")},
                                    {"api_key_env", loqui::Json("LOQUI_BENCH_KEY")},
                                    {"prewarm", loqui::Json(false)}});
    auto llm = reg.make_llm(ctx, cfg).value();
    std::vector<std::shared_ptr<loqui::Strand>> strands;
    std::vector<std::unique_ptr<loqui::LlmSession>> sessions(static_cast<std::size_t>(n));
    std::vector<StreamObserver> observers(static_cast<std::size_t>(n));
    std::atomic<int> finished{0}, failed{0};
    loqui::LlmRequest req;
    req.messages = {{loqui::Role::user, "Tell me something.", {}, "", ""}};
    const double rss0 = rss_kib();
    const double cpu0 = cpu_seconds();
    const std::uint64_t a0 = loqui::bench::allocations();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      strands.push_back(rt->make_strand("s" + std::to_string(i)));
      observers[static_cast<std::size_t>(i)].finished = &finished;
      observers[static_cast<std::size_t>(i)].failed = &failed;
      (void)strands.back()->post([&, i] {
        loqui::SessionContext sc;
        sc.strand = strands[static_cast<std::size_t>(i)];
        auto s = llm->open(sc);
        if (!s) return;
        sessions[static_cast<std::size_t>(i)] = std::move(*s);
        (void)sessions[static_cast<std::size_t>(i)]->generate(req, observers[static_cast<std::size_t>(i)]);
      });
    }
    double rss_peak = rss0;
    while (finished.load() < n) {
      std::this_thread::sleep_for(20ms);
      rss_peak = std::max(rss_peak, rss_kib());
      if (std::chrono::steady_clock::now() - t0 > 120s) break;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    const std::uint64_t allocs = loqui::bench::allocations() - a0;
    std::size_t bytes = 0;
    for (auto& o : observers) bytes += o.text_bytes;
    state.counters["streams"] = n;
    state.counters["failed"] = failed.load();
    state.counters["wall_s"] = wall;
    state.counters["cpu_ms/stream"] = cpu * 1e3 / n;
    state.counters["cpu_us/chunk"] = cpu * 1e6 / (static_cast<double>(n) * kChunks);
    state.counters["core_%"] = 100.0 * cpu / wall;
    state.counters["rss_KiB/stream"] = (rss_peak - rss0) / n;
    state.counters["allocs/chunk"] = static_cast<double>(allocs) / (static_cast<double>(n) * kChunks);
    state.counters["text_ok"] = bytes == static_cast<std::size_t>(n) * kChunks * 4 ? 1 : 0;
    (void)strands.front()->post([&] {});
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      std::promise<void> p;
      (void)strands[i]->post([&] {
        sessions[i].reset();
        p.set_value();
      });
      p.get_future().wait();
    }
    llm.reset();
    rt->stop();
  }
}
BENCHMARK(BM_ConcurrentLlmStreams)->Arg(100)->Arg(500)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// The mock server, in a child process.
[[noreturn]] void serve(int port_fd, int stop_fd) {
  loqui::testing::MockHttpServer server([](const loqui::testing::MockRequest& r) {
    if (r.target == "/small") return loqui::testing::MockResponse::json(200, "{}");
    sse::Script s;
    for (int i = 0; i < 50; ++i) s.text.push_back("tok ");  // 4 bytes each
    return sse::response(sse::Dialect::openai, s, 20);
  });
  const int port = server.port();
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
