// SPDX-License-Identifier: Apache-2.0
// File: Secret and the process-wide redaction set.
#include "loqui/secret.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace loqui {
namespace {
struct Redactor {
  std::mutex mu;
  std::vector<std::string> secrets;
};
Redactor& redactor() {
  static Redactor r;
  return r;
}
std::atomic<std::size_t> g_secret_count{0};
}  // namespace

void register_secret(std::string_view value) {
  if (value.size() < 4) return;
  Redactor& r = redactor();
  std::lock_guard lock(r.mu);
  for (const auto& s : r.secrets)
    if (s == value) return;
  r.secrets.emplace_back(value);
  // Longest first so a secret containing another is redacted whole.
  std::sort(r.secrets.begin(), r.secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  g_secret_count.store(r.secrets.size(), std::memory_order_release);
}

std::string redact(std::string_view text) {
  if (g_secret_count.load(std::memory_order_acquire) == 0) return std::string(text);
  std::string out(text);
  Redactor& r = redactor();
  std::lock_guard lock(r.mu);
  for (const auto& s : r.secrets) {
    std::size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), "[redacted]");
      pos += 10;
    }
  }
  return out;
}

std::size_t registered_secret_count() noexcept { return g_secret_count.load(std::memory_order_acquire); }

Result<Secret> Secret::from_env(std::string_view variable, std::string_view where) {
  const std::string prefix = where.empty() ? std::string() : std::string(where) + ": ";
  if (variable.empty()) return Error(errc::invalid_config, prefix + "environment variable name is empty");
  const std::string name(variable);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') {
    return Error(errc::not_found, prefix + "environment variable " + name + " is not set");
  }
  Secret s;
  s.value_ = value;
  s.name_ = name;
  register_secret(s.value_);
  return s;
}

Secret Secret::from_value(std::string value, std::string name) {
  Secret s;
  s.value_ = std::move(value);
  s.name_ = std::move(name);
  register_secret(s.value_);
  return s;
}

}  // namespace loqui
