// SPDX-License-Identifier: Apache-2.0
// File: helpers for tests of WebSocket code: a real-time runtime driven by the test
// thread (poll + short sleeps, as the contract suites do), and building a provider
// from a JSON config text.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "loqui/json.hpp"
#include "loqui/runtime/runtime.hpp"

namespace loqui::testing {

struct TestLoop {
  std::unique_ptr<Runtime> rt = Runtime::create({.threads = 0, .name = "ws-test"}).value();
  std::shared_ptr<Strand> strand = rt->make_strand("session");
  ~TestLoop() { rt->stop(); }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto limit = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < limit) {
      (void)rt->poll();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return done();
  }
  void run_for(std::chrono::milliseconds d) {
    (void)run_until([] { return false; }, d);
  }
  /// Runs `fn` inside a task on the strand and waits until it ran.
  void on_strand(const std::function<void()>& fn) {
    bool ran = false;
    ASSERT_TRUE(strand->post([&] {
                        fn();
                        ran = true;
                      })
                    .ok());
    ASSERT_TRUE(run_until([&] { return ran; }));
  }
};

/// Parses a JSON config text (test-authored, so it must be valid).
inline Json config(const std::string& text) {
  auto j = Json::parse(text);
  EXPECT_TRUE(j.ok()) << text;
  return j.ok() ? std::move(j).value() : Json();
}

}  // namespace loqui::testing
