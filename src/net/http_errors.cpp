// SPDX-License-Identifier: Apache-2.0
// File: HTTP failure -> loqui Error mapping (see http_errors.hpp).
#include "net/http_errors.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "loqui/features.hpp"
#if LOQUI_HAS_CURL
#include <curl/curl.h>
#else
#include <time.h>
#endif

#include "json/rapidjson.hpp"

namespace loqui::detail {

namespace {
bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Strict decimal number (digits with an optional fraction); nullopt otherwise.
std::optional<double> parse_decimal(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 32) return std::nullopt;
  bool dot = false, digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') digit = true;
    else if (c == '.' && !dot) dot = true;
    else return std::nullopt;
  }
  if (!digit) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}
}  // namespace

std::string printable_url(std::string_view url) {
  std::string_view rest = url;
  std::string scheme;
  if (auto p = rest.find("://"); p != std::string_view::npos) {
    scheme = std::string(rest.substr(0, p + 3));
    rest.remove_prefix(p + 3);
  }
  // Drop query and fragment first, then user info in the authority.
  if (auto q = rest.find_first_of("?#"); q != std::string_view::npos) rest = rest.substr(0, q);
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string out = scheme;
  out.append(authority);
  if (slash != std::string_view::npos) out.append(rest.substr(slash));
  return out;
}

std::string url_host(std::string_view url) {
  std::string_view rest = url;
  if (auto p = rest.find("://"); p != std::string_view::npos) rest.remove_prefix(p + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    return std::string(rest.substr(0, close == std::string_view::npos ? rest.size() : close + 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

std::optional<VendorError> parse_vendor_error(std::string_view body) {
  rj::Document doc;
  try {
    doc.Parse(body.data(), body.size());
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  VendorError out;
  auto take_fields = [&out](const rj::Value& obj) {
    if (auto m = obj.FindMember("message"); m != obj.MemberEnd() && m->value.IsString())
      out.message.assign(m->value.GetString(), m->value.GetStringLength());
    if (auto t = obj.FindMember("type"); t != obj.MemberEnd() && t->value.IsString())
      out.type.assign(t->value.GetString(), t->value.GetStringLength());
    if (auto c = obj.FindMember("code"); c != obj.MemberEnd()) {
      if (c->value.IsString()) out.code.assign(c->value.GetString(), c->value.GetStringLength());
      else if (c->value.IsInt() && out.status_code == 0) out.status_code = c->value.GetInt();  // vLLM: code = 400
    }
    if (auto s = obj.FindMember("status_code"); s != obj.MemberEnd() && s->value.IsInt())
      out.status_code = s->value.GetInt();  // Groq mid-stream
  };
  bool found = false;
  if (auto e = doc.FindMember("error"); e != doc.MemberEnd()) {
    if (e->value.IsObject()) {
      take_fields(e->value);
      found = true;
    } else if (e->value.IsString()) {  // Ollama (older), many proxies
      out.message.assign(e->value.GetString(), e->value.GetStringLength());
      found = true;
    }
  }
  if (!found) {
    if (auto o = doc.FindMember("object"); o != doc.MemberEnd() && o->value.IsString() &&
                                           std::string_view(o->value.GetString()) == "error") {
      take_fields(doc);  // older vLLM: the error fields at the top level
      found = true;
    } else if (auto m = doc.FindMember("message"); m != doc.MemberEnd() && m->value.IsString()) {
      take_fields(doc);
      found = true;
    } else if (auto d = doc.FindMember("detail"); d != doc.MemberEnd()) {  // FastAPI servers
      out.message = d->value.IsString() ? std::string(d->value.GetString(), d->value.GetStringLength())
                                        : std::string("(structured detail)");
      found = true;
    }
  }
  if (!found) return std::nullopt;
  if (out.code.empty()) out.code = out.type;
  return out;
}

std::optional<std::chrono::milliseconds> parse_retry_after(const std::vector<HttpHeader>& headers,
                                                           std::time_t now_wall) {
  if (const std::string* ms = find_header(headers, "retry-after-ms")) {
    if (auto v = parse_decimal(*ms); v && *v > 0 && *v < 1e12)
      return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(*v)));
  }
  if (const std::string* ra = find_header(headers, "retry-after")) {
    if (auto v = parse_decimal(*ra)) {
      if (*v > 0 && *v < 1e9) return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(*v * 1000.0)));
      return std::nullopt;
    }
    const std::string date(trim(*ra));
#if LOQUI_HAS_CURL
    const std::time_t when = curl_getdate(date.c_str(), nullptr);
#else
    // IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT") in builds without curl.
    std::tm tm{};
    const char* end = strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    const std::time_t when = end ? timegm(&tm) : std::time_t(-1);
#endif
    if (when > now_wall) return std::chrono::milliseconds(static_cast<std::int64_t>(when - now_wall) * 1000);
  }
  return std::nullopt;
}

errc errc_for_status(int status, std::string_view vendor_code) noexcept {
  if (status == 401 || status == 403) return errc::provider_auth;
  if (status == 408) return errc::timeout;
  if (status == 429) return vendor_code == "insufficient_quota" ? errc::provider_failed : errc::provider_quota;
  if (status == 409 || status >= 500) return errc::provider_unavailable;
  if (status >= 300 && status < 400) return errc::provider_protocol;  // we never follow redirects
  return errc::provider_failed;
}

bool status_is_retryable(int status, const std::vector<HttpHeader>& headers, std::string_view vendor_code) {
  if (const std::string* h = find_header(headers, "x-should-retry")) {
    const std::string_view v = trim(*h);
    if (iequals(v, "true")) return true;
    if (iequals(v, "false")) return false;
  }
  if (vendor_code == "insufficient_quota") return false;
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

std::string printable_excerpt(std::string_view text, std::size_t max) {
  std::string out;
  const std::size_t n = std::min(text.size(), max);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : (c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c)));
  }
  if (text.size() > max) out += "...";
  return out;
}

Error http_status_error(std::string_view method, std::string_view url, int status,
                        const std::vector<HttpHeader>& headers, std::string_view body,
                        std::string_view provider, std::time_t now_wall) {
  const auto vendor = parse_vendor_error(body);
  const std::string vendor_code = vendor ? vendor->code : std::string();
  std::string msg = std::string(method) + " " + printable_url(url) + ": HTTP " + std::to_string(status);
  if (!vendor_code.empty()) msg += " " + printable_excerpt(vendor_code, 64);
  if (vendor && !vendor->message.empty()) {
    msg += ": " + printable_excerpt(vendor->message, 300);
  } else if (!body.empty()) {
    msg += ": " + printable_excerpt(body, 200);
  } else if (status >= 300 && status < 400) {
    if (const std::string* loc = find_header(headers, "location"))
      msg += ": unexpected redirect to " + printable_url(*loc);
  }
  if (status == 429 && vendor_code == "insufficient_quota") msg += " (billing quota exhausted; not retried)";
  if (const std::string* rid = find_header(headers, "x-request-id"))
    msg += " (request id " + printable_excerpt(*rid, 80) + ")";
  Error err(errc_for_status(status, vendor_code), std::move(msg));
  err.set_http_status(status);
  if (!vendor_code.empty()) err.set_vendor_code(printable_excerpt(vendor_code, 64));
  if (!provider.empty()) err.set_provider(std::string(provider));
  if (auto ra = parse_retry_after(headers, now_wall)) err.set_retry_after(*ra);
  return err;
}

}  // namespace loqui::detail

namespace loqui {
const std::string* find_header(const std::vector<HttpHeader>& headers, std::string_view name) noexcept {
  for (const HttpHeader& h : headers)
    if (detail::iequals(h.name, name)) return &h.value;
  return nullptr;
}
}  // namespace loqui
