// SPDX-License-Identifier: Apache-2.0
// File: what the HttpClient tests share: a Recorder handler that checks every
// callback runs on the session strand, and a fixture with a one-thread Runtime, a
// session strand and a client (http_client_test, http_tls_test, http2_test).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "loqui/net/http.hpp"
#include "support/mock_http_server.hpp"

namespace loqui::testing {
using namespace std::chrono_literals;

// Records every callback; checks each runs on the expected strand.
class Recorder : public HttpHandler {
 public:
  explicit Recorder(std::shared_ptr<Strand> strand) : strand_(std::move(strand)) {}

  void on_response(const HttpResponse& r) override {
    check();
    std::lock_guard lock(mu_);
    events_.push_back("response");
    status_ = r.status;
    attempt_ = r.attempt;
    http_version_ = r.http_version;
    if (const std::string* ct = r.header("content-type")) content_type_ = *ct;
  }
  void on_body(std::string_view chunk) override {
    check();
    std::lock_guard lock(mu_);
    if (events_.empty() || events_.back() != "body") events_.push_back("body");
    body_ += chunk;
    ++body_calls_;
    if (cancel_after_first_body_ && transfer_) {
      transfer_->cancel();
      cancelled_ = true;
      cv_.notify_all();
    }
  }
  void on_complete(const HttpTransferInfo& info) override {
    check();
    std::lock_guard lock(mu_);
    events_.push_back("complete");
    info_ = info;
    done_ = true;
    cv_.notify_all();
  }
  void on_error(const Error& e) override {
    check();
    std::lock_guard lock(mu_);
    events_.push_back("error");
    error_ = e;
    done_ = true;
    cv_.notify_all();
  }
  void on_retry(const Error& e, std::chrono::milliseconds delay, int next) override {
    check();
    std::lock_guard lock(mu_);
    events_.push_back("retry");
    retries_.push_back({e, delay, next});
  }

  bool wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_; });
  }
  bool wait_cancelled(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return cancelled_; });
  }

  struct Retry {
    Error error;
    std::chrono::milliseconds delay;
    int next;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::string body_;
  int body_calls_ = 0;
  int status_ = 0, attempt_ = 0, http_version_ = 0;
  std::string content_type_;
  std::optional<HttpTransferInfo> info_;
  std::optional<Error> error_;
  std::vector<Retry> retries_;
  bool done_ = false;
  bool cancel_after_first_body_ = false;
  bool cancelled_ = false;
  HttpTransfer* transfer_ = nullptr;
  std::atomic<int> off_strand_{0};

 private:
  void check() {
    if (!strand_->running_in_this_thread()) off_strand_.fetch_add(1);
  }
  std::shared_ptr<Strand> strand_;
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = Runtime::create({.threads = 1}).value();
    strand_ = runtime_->make_strand("session");
    client_ = HttpClient::create(*runtime_).value();
  }
  void TearDown() override {
    client_.reset();
    runtime_->stop();
  }

  // Starts `req` on the session strand (as adapters do) and returns the transfer.
  HttpTransfer start(HttpRequest req, Recorder& rec) {
    std::promise<HttpTransfer> p;
    auto f = p.get_future();
    (void)strand_->post([&] {
      auto t = client_->start(strand_, std::move(req), rec);
      EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().to_string());
      p.set_value(t.ok() ? std::move(*t) : HttpTransfer());
    });
    return f.get();
  }
  // Runs `f` on the session strand and waits for it.
  template <class F>
  void on_strand(F&& f) {
    std::promise<void> p;
    (void)strand_->post([&] {
      f();
      p.set_value();
    });
    p.get_future().wait();
  }
  HttpRequest get(const MockHttpServer& server, std::string path = "/x") {
    HttpRequest r;
    r.url = server.base_url() + path;
    r.provider = "mock";
    return r;
  }
  bool wait_idle(std::chrono::milliseconds timeout = 5s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      auto s = client_->stats();
      if (s.transfers_active == 0 && s.easy_handles == 0) return true;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }

  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<Strand> strand_;
  std::shared_ptr<HttpClient> client_;
};

}  // namespace loqui::testing
