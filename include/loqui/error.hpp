// SPDX-License-Identifier: Apache-2.0
// File: the one error model of loqui's public API.
//
// * Synchronous calls return `Status` (success or an Error) or `Result<T>` (a T or
//   an Error). Both are [[nodiscard]]. No exception crosses the public API and
//   nothing in loqui exits or aborts the process on bad input.
// * An `Error` holds a `std::error_code` (category "loqui", codes `loqui::errc`)
//   plus a human-readable message that names what was wrong and where
//   ("stt.options.sample_rate: expected a positive integer, found \"16k\""), and
//   optional provider context (provider name, HTTP status, vendor code, retry-after).
// * Codes group into *conditions*, so callers can ask "is this retryable?" without
//   listing every code: `err.code() == loqui::condition::retryable`.
// * Asynchronous failures arrive as `on_error(const Error&)` callbacks (or an Error
//   event) on the session strand.
// * Messages never contain secrets: every Error message passes through the same
//   redaction as the log (see loqui/secret.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace loqui {

/// Error codes of the "loqui" error category.
enum class errc {
  invalid_argument = 1,  ///< a caller passed something unusable (programmer or host error)
  invalid_config,        ///< a configuration value is wrong; message names the path
  not_found,             ///< a named thing (file, provider, voice, tool, state) does not exist
  not_supported,         ///< valid request this build or provider cannot do
  already_exists,        ///< duplicate registration
  format_mismatch,       ///< audio format does not match what a stage or provider accepts
  closed,                ///< the object (runtime, session, stream) is stopped or closed
  cancelled,             ///< the operation was cancelled by the caller
  timeout,               ///< a deadline passed (connect, first byte, first token ...)
  overflow,              ///< a bounded buffer or quota is full
  io_error,              ///< reading/writing a file or socket failed
  parse_error,           ///< malformed input data (JSON, WAV, RTP, vendor message)
  provider_unavailable,  ///< the provider could not be reached or answered 5xx
  provider_auth,         ///< credentials missing or rejected (401/403)
  provider_quota,        ///< rate limited or quota exhausted (429)
  provider_protocol,     ///< the provider broke its protocol (garbage, unexpected message)
  provider_failed,       ///< the provider reported a failure for this request
  internal,              ///< a bug in loqui; please report it
};

/// Conditions that group error codes; compare with `code == condition::x`.
enum class condition {
  retryable = 1,  ///< trying again (maybe elsewhere, maybe later) can succeed
  fatal,          ///< trying again will fail the same way until something changes
  cancelled,      ///< the caller asked for it
  bad_input,      ///< the input (config, audio, arguments) was wrong
};

}  // namespace loqui

template <>
struct std::is_error_code_enum<loqui::errc> : std::true_type {};
template <>
struct std::is_error_condition_enum<loqui::condition> : std::true_type {};

namespace loqui {

/// The "loqui" error category.
const std::error_category& category() noexcept;
/// The "loqui.condition" category.
const std::error_category& condition_category() noexcept;

std::error_code make_error_code(errc e) noexcept;
std::error_condition make_error_condition(condition c) noexcept;

/// Stable name of a code, e.g. "provider_quota".
std::string_view to_string(errc e) noexcept;

/// A failure: a code plus a message naming what and where, plus optional context.
///
/// Thread safety: a value type. Distinct objects: safe. Shared objects: const use only.
class Error {
 public:
  Error() = default;
  /// `message` is passed through secret redaction before it is stored.
  Error(errc code, std::string message);
  Error(std::error_code code, std::string message);

  const std::error_code& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

  /// Provider context (empty/zero when not applicable).
  const std::string& provider() const noexcept { return provider_; }
  int http_status() const noexcept { return http_status_; }
  const std::string& vendor_code() const noexcept { return vendor_code_; }
  /// Server-advised wait before retrying (Retry-After), if any.
  std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }

  Error& set_provider(std::string name) &;
  Error&& set_provider(std::string name) &&;
  Error& set_http_status(int status) &;
  Error&& set_http_status(int status) &&;
  Error& set_vendor_code(std::string code) &;
  Error&& set_vendor_code(std::string code) &&;
  Error& set_retry_after(std::chrono::milliseconds ms) &;
  Error&& set_retry_after(std::chrono::milliseconds ms) &&;

  /// Prepends "where: " to the message, for errors passed up through layers.
  Error& add_context(std::string_view where) &;
  Error&& add_context(std::string_view where) &&;

  /// True for codes in condition::retryable (timeouts, 5xx, 429, dropped sockets).
  bool retryable() const noexcept;

  /// One line for humans: "provider 'deepgram': provider_quota: too many requests
  /// (HTTP 429, retry after 2000 ms)".
  std::string to_string() const;

 private:
  std::error_code code_{};
  std::string message_;
  std::string provider_;
  std::string vendor_code_;
  int http_status_ = 0;
  std::optional<std::chrono::milliseconds> retry_after_;
};

/// Builds an Error; sugar for `Error(code, std::string(message))`.
inline Error make_error(errc code, std::string message) { return Error(code, std::move(message)); }

namespace detail {
[[noreturn]] void bad_result_access(const Error& e) noexcept;
}  // namespace detail

/// A value of type T, or an Error. Modelled on std::expected (C++23).
///
/// Accessing value() of a failed Result is a programmer error: it prints the error
/// and terminates (like std::expected's UB, but loud). Check ok() first.
template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is not meaningful");

 public:
  using value_type = T;

  Result(const T& value) : v_(std::in_place_index<0>, value) {}                 // NOLINT
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}           // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}         // NOLINT
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
             !std::is_same_v<std::remove_cvref_t<U>, Error> &&
             !std::is_same_v<std::remove_cvref_t<U>, Result>)
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}     // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& { return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback)); }

  /// The error; only valid when !ok().
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void check() const { if (!ok()) detail::bad_result_access(std::get<1>(v_)); }
  std::variant<T, Error> v_;
};

/// Success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  /// The error; only valid when !ok().
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }
  void value() const { if (!ok()) detail::bad_result_access(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

/// The success value of Status.
inline Status ok_status() { return {}; }

}  // namespace loqui

/// Evaluates a Status/Result expression; on failure returns its Error from the
/// enclosing function (which must return Status or Result<U>).
#define LOQUI_TRY(expr)                                       \
  do {                                                        \
    auto&& loqui_try_result_ = (expr);                        \
    if (!loqui_try_result_.ok())                              \
      return std::move(loqui_try_result_).error();            \
  } while (false)

#define LOQUI_CONCAT_INNER_(a, b) a##b
#define LOQUI_CONCAT_(a, b) LOQUI_CONCAT_INNER_(a, b)
/// `LOQUI_ASSIGN_OR_RETURN(auto x, make_x());` declares x from a Result or returns its Error.
#define LOQUI_ASSIGN_OR_RETURN(lhs, expr) \
  LOQUI_ASSIGN_OR_RETURN_IMPL_(LOQUI_CONCAT_(loqui_aor_, __LINE__), lhs, expr)
#define LOQUI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  lhs = std::move(tmp).value()
