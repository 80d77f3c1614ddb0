// SPDX-License-Identifier: Apache-2.0
// File: the loqui error category, conditions and Error.
#include "loqui/error.hpp"

#include <cstdio>
#include <exception>

#include "loqui/secret.hpp"

namespace loqui {
namespace {

class LoquiCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "loqui"; }
  std::string message(int ev) const override { return std::string(to_string(static_cast<errc>(ev))); }
  bool equivalent(int code, const std::error_condition& cond) const noexcept override {
    if (cond.category() != condition_category()) return false;
    const auto e = static_cast<errc>(code);
    switch (static_cast<condition>(cond.value())) {
      case condition::retryable:
        return e == errc::timeout || e == errc::provider_unavailable || e == errc::provider_quota ||
               e == errc::io_error || e == errc::overflow;
      case condition::cancelled:
        return e == errc::cancelled;
      case condition::bad_input:
        return e == errc::invalid_argument || e == errc::invalid_config || e == errc::parse_error ||
               e == errc::format_mismatch || e == errc::not_found;
      case condition::fatal:
        return e == errc::invalid_argument || e == errc::invalid_config || e == errc::not_found ||
               e == errc::not_supported || e == errc::already_exists || e == errc::format_mismatch ||
               e == errc::closed || e == errc::parse_error || e == errc::provider_auth ||
               e == errc::provider_protocol || e == errc::provider_failed || e == errc::internal;
    }
    return false;
  }
};

class ConditionCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "loqui.condition"; }
  std::string message(int ev) const override {
    switch (static_cast<condition>(ev)) {
      case condition::retryable: return "retryable";
      case condition::fatal: return "fatal";
      case condition::cancelled: return "cancelled";
      case condition::bad_input: return "bad input";
    }
    return "unknown condition";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const LoquiCategory c;
  return c;
}
const std::error_category& condition_category() noexcept {
  static const ConditionCategory c;
  return c;
}
std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }
std::error_condition make_error_condition(condition c) noexcept { return {static_cast<int>(c), condition_category()}; }

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::invalid_config: return "invalid_config";
    case errc::not_found: return "not_found";
    case errc::not_supported: return "not_supported";
    case errc::already_exists: return "already_exists";
    case errc::format_mismatch: return "format_mismatch";
    case errc::closed: return "closed";
    case errc::cancelled: return "cancelled";
    case errc::timeout: return "timeout";
    case errc::overflow: return "overflow";
    case errc::io_error: return "io_error";
    case errc::parse_error: return "parse_error";
    case errc::provider_unavailable: return "provider_unavailable";
    case errc::provider_auth: return "provider_auth";
    case errc::provider_quota: return "provider_quota";
    case errc::provider_protocol: return "provider_protocol";
    case errc::provider_failed: return "provider_failed";
    case errc::internal: return "internal";
  }
  return "unknown";
}

Error::Error(errc code, std::string message) : Error(make_error_code(code), std::move(message)) {}
Error::Error(std::error_code code, std::string message) : code_(code), message_(redact(message)) {}

#define LOQUI_ERROR_SETTER(fn, type, member)              \
  Error& Error::fn(type v)& {                             \
    member = std::move(v);                                \
    return *this;                                         \
  }                                                       \
  Error&& Error::fn(type v)&& {                           \
    member = std::move(v);                                \
    return std::move(*this);                              \
  }
LOQUI_ERROR_SETTER(set_provider, std::string, provider_)
LOQUI_ERROR_SETTER(set_vendor_code, std::string, vendor_code_)
LOQUI_ERROR_SETTER(set_http_status, int, http_status_)
LOQUI_ERROR_SETTER(set_retry_after, std::chrono::milliseconds, retry_after_)
#undef LOQUI_ERROR_SETTER

Error& Error::add_context(std::string_view where) & {
  if (!where.empty()) message_ = std::string(where) + ": " + message_;
  return *this;
}
Error&& Error::add_context(std::string_view where) && { return std::move(add_context(where)); }

bool Error::retryable() const noexcept { return code_ == condition::retryable; }

std::string Error::to_string() const {
  std::string out;
  if (!provider_.empty()) out += "provider '" + provider_ + "': ";
  out += message_.empty() ? code_.message() : message_;
  std::string extra;
  if (http_status_ != 0) extra += "HTTP " + std::to_string(http_status_);
  if (!vendor_code_.empty()) extra += (extra.empty() ? "" : ", ") + std::string("code ") + vendor_code_;
  if (retry_after_) extra += (extra.empty() ? "" : ", ") + std::string("retry after ") +
                             std::to_string(retry_after_->count()) + " ms";
  if (!extra.empty()) out += " (" + extra + ")";
  return out;
}

namespace detail {
void bad_result_access(const Error& e) noexcept {
  std::fprintf(stderr, "loqui: value() called on a failed Result: %s\n", e.to_string().c_str());
  std::terminate();
}
}  // namespace detail

}  // namespace loqui
