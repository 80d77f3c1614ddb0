// SPDX-License-Identifier: Apache-2.0
// File: shared pieces of the WebSocket adapters (see ws_common.hpp).
#include "providers/wscommon/ws_common.hpp"

#include <algorithm>
#include <array>

#include "net/http_errors.hpp"

namespace loqui::wscommon {

WebSocketOptions WsConnection::options(std::string_view path_and_query) const {
  WebSocketOptions o;
  o.url = base_url + std::string(path_and_query);
  o.headers = headers;
  if (api_key) {
    switch (auth) {
      case AuthStyle::token: o.headers.push_back({"Authorization", "Token " + std::string(api_key->reveal())}); break;
      case AuthStyle::bearer: o.headers.push_back({"Authorization", "Bearer " + std::string(api_key->reveal())}); break;
      case AuthStyle::header: o.headers.push_back({auth_header, std::string(api_key->reveal())}); break;
    }
  }
  o.provider = vendor;
  o.connect_timeout = connect_timeout;
  o.ping_interval = ping_interval;
  o.retry = retry;
  o.verify_tls = verify_tls;
  o.ca_file = ca_file;
  return o;
}

std::string WsConnection::label() const { return vendor + " (" + host + ")"; }

WsConnection read_ws_connection(ConfigReader& r, const VendorDefaults& d) {
  WsConnection c;
  c.vendor = d.vendor;
  c.base_url = r.get_string("base_url", d.base_url);
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  if (c.base_url.rfind("ws://", 0) != 0 && c.base_url.rfind("wss://", 0) != 0)
    r.error_at("base_url", "expected a ws:// or wss:// URL, found \"" + detail::printable_url(c.base_url) + "\"");
  c.host = detail::url_host(c.base_url);
  const bool vendor_host = c.base_url == d.base_url;
  if (r.has("api_key_env")) {
    c.api_key = r.get_secret_env("api_key_env");  // records "not set" errors itself
  } else if (auto s = Secret::from_env(d.api_key_env)) {
    c.api_key = std::move(s).value();
  } else if (vendor_host) {
    r.error_at("api_key_env", std::string("no API key: set ") + d.api_key_env +
                                  " or name another variable here (a custom base_url may go without a key)");
  }
  c.auth = d.auth;
  c.auth_header = d.auth_header;
  if (d.auth != AuthStyle::header) {
    const std::string style = r.get_enum("auth", d.auth == AuthStyle::token ? "token" : "bearer", {"token", "bearer"});
    c.auth = style == "token" ? AuthStyle::token : AuthStyle::bearer;
  }
  if (const Json* h = r.get_raw("headers")) {
    if (!h->is_object()) {
      r.error_at("headers", "expected an object of header names to string values, found " + h->describe());
    } else {
      for (const JsonMember& m : h->as_object()) {
        if (!m.value.is_string() || m.key.empty() || m.key.find_first_of(":\r\n") != std::string::npos ||
            m.value.as_string().find_first_of("\r\n") != std::string::npos) {
          r.error_at("headers", "header \"" + m.key + "\": expected a string value without line breaks");
          continue;
        }
        c.headers.push_back({m.key, m.value.as_string()});
      }
    }
  }
  c.connect_timeout = std::chrono::milliseconds(r.get_int("connect_timeout_ms", 5000, {1, 120000}));
  c.ping_interval = std::chrono::milliseconds(r.get_int("ping_interval_ms", 0, {0, 600000}));
  c.max_reconnects = static_cast<int>(r.get_int("max_reconnects", 3, {0, 100}));
  c.prewarm = r.get_bool("prewarm", true);
  auto rt = r.child("retry");
  c.retry.max_attempts = static_cast<int>(rt.get_int("max_attempts", 3, {1, 10}));
  c.retry.initial_delay = std::chrono::milliseconds(rt.get_int("initial_delay_ms", 500, {0, 60000}));
  c.retry.max_delay = std::chrono::milliseconds(rt.get_int("max_delay_ms", 8000, {0, 120000}));
  c.retry.max_retry_after = std::chrono::milliseconds(rt.get_int("max_retry_after_ms", 20000, {0, 120000}));
  c.retry.jitter = rt.get_bool("jitter", true);
  (void)rt.finish();
  c.verify_tls = r.get_bool("verify_tls", true);
  c.ca_file = r.get_string("ca_file", "");
  return c;
}

Error vendor_error(Error e, const WsConnection& c, std::string_view what) {
  if (e.provider().empty()) e.set_provider(c.vendor);
  if (!what.empty()) e.add_context(what);
  e.add_context(c.label());
  return e;
}

Status require_real_time(const SessionContext& session, std::string_view what) {
  if (!session.strand) return Error(errc::invalid_argument, std::string(what) + ": the session has no strand");
  if (session.strand->runtime().is_virtual())
    return Error(errc::not_supported, std::string(what) +
                                          ": needs a real-time runtime (network I/O); use a mock provider under "
                                          "virtual time");
  return ok_status();
}

Status check_format(const std::vector<AudioFormat>& formats, const AudioFormat& format, const std::string& what,
                    std::string_view accepts) {
  if (std::find(formats.begin(), formats.end(), format) != formats.end()) return ok_status();
  return Error(errc::format_mismatch, what + ": cannot use " + format.to_string() + " (" + std::string(accepts) + ")");
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Query& Query::add(std::string_view key, std::string_view value) {
  s_ += s_.empty() ? '?' : '&';
  s_ += url_encode(key);
  s_ += '=';
  s_ += url_encode(value);
  return *this;
}

std::string json_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::array<std::int8_t, 256> b64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kB64Table = b64_table();
}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    const int v = kB64Table[static_cast<unsigned char>(ch)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

const rj::Value* member(const rj::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string_view get_string(const rj::Value& obj, const char* name, std::string_view fallback) {
  const rj::Value* v = member(obj, name);
  return v && v->IsString() ? sv(*v) : fallback;
}

std::optional<double> get_number(const rj::Value& obj, const char* name) {
  const rj::Value* v = member(obj, name);
  if (!v || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

bool get_bool(const rj::Value& obj, const char* name, bool fallback) {
  const rj::Value* v = member(obj, name);
  return v && v->IsBool() ? v->GetBool() : fallback;
}

Status JsonMessage::parse(std::string_view vendor, std::string_view text) {
  doc_.Parse(text.data(), text.size());
  if (doc_.HasParseError())
    return Error(errc::provider_protocol, std::string(vendor) + " sent a message that is not JSON (" +
                                              rj::GetParseError_En(doc_.GetParseError()) + " at offset " +
                                              std::to_string(doc_.GetErrorOffset()) + "): \"" +
                                              detail::printable_excerpt(text, 120) + "\"");
  if (!doc_.IsObject())
    return Error(errc::provider_protocol, std::string(vendor) + " sent a JSON message that is not an object: \"" +
                                              detail::printable_excerpt(text, 120) + "\"");
  return ok_status();
}

std::string_view SampleJoiner::push(std::string_view bytes) {
  if (carry_.empty() && bytes.size() % bps_ == 0) return bytes;
  joined_.assign(carry_);
  joined_.append(bytes);
  const std::size_t whole = joined_.size() - joined_.size() % bps_;
  carry_.assign(joined_, whole, std::string::npos);
  joined_.resize(whole);
  return joined_;
}

}  // namespace loqui::wscommon
