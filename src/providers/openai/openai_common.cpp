// SPDX-License-Identifier: Apache-2.0
// File: connection settings shared by the openai adapters, and their registration.
#include "providers/openai/openai.hpp"

#include "net/http_errors.hpp"

namespace loqui::openai {

HttpRequest Connection::request(std::string method, std::string_view path) const {
  HttpRequest r;
  r.method = std::move(method);
  r.url = base_url + std::string(path);
  r.headers = headers;
  if (api_key) r.headers.push_back({"Authorization", "Bearer " + std::string(api_key->reveal())});
  r.timeouts = timeouts;
  r.retry = retry;
  r.provider = kProviderName;
  r.version = version;
  r.verify_tls = verify_tls;
  r.ca_file = ca_file;
  return r;
}

std::string Connection::label() const { return std::string(kProviderName) + " (" + host + ")"; }

Connection read_connection(ConfigReader& r, const HttpTimeouts& defaults) {
  Connection c;
  c.base_url = r.get_string("base_url", kDefaultBaseUrl);
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0)
    r.error_at("base_url", "expected an http:// or https:// URL, found \"" + detail::printable_url(c.base_url) + "\"");
  c.host = detail::url_host(c.base_url);
  if (r.has("api_key_env")) {
    c.api_key_env = r.get_string("api_key_env", "");
    c.api_key = r.get_secret_env("api_key_env");  // records "not set" errors itself
  }
  if (auto org = r.get_optional_string("organization")) c.headers.push_back({"OpenAI-Organization", *org});
  if (auto project = r.get_optional_string("project")) c.headers.push_back({"OpenAI-Project", *project});
  if (const Json* h = r.get_raw("headers")) {
    if (!h->is_object()) {
      r.error_at("headers", "expected an object of header names to string values, found " + h->describe());
    } else {
      for (const JsonMember& m : h->as_object()) {
        if (!m.value.is_string()) {
          r.error_at("headers", "header \"" + m.key + "\": expected a string, found " + m.value.describe());
          continue;
        }
        if (m.key.empty() || m.key.find_first_of(":\r\n") != std::string::npos ||
            m.value.as_string().find_first_of("\r\n") != std::string::npos) {
          r.error_at("headers", "header \"" + m.key + "\": invalid name or value");
          continue;
        }
        c.headers.push_back({m.key, m.value.as_string()});
      }
    }
  }
  auto t = r.child("timeouts");
  const IntRange ms_range{0, 24LL * 3600 * 1000};
  c.timeouts.connect = std::chrono::milliseconds(t.get_int("connect_ms", defaults.connect.count(), ms_range));
  c.timeouts.first_byte = std::chrono::milliseconds(t.get_int("first_byte_ms", defaults.first_byte.count(), ms_range));
  c.timeouts.idle = std::chrono::milliseconds(t.get_int("idle_ms", defaults.idle.count(), ms_range));
  c.timeouts.total = std::chrono::milliseconds(t.get_int("total_ms", defaults.total.count(), ms_range));
  (void)t.finish();
  auto rt = r.child("retry");
  c.retry.max_attempts = static_cast<int>(rt.get_int("max_attempts", 3, {1, 10}));
  c.retry.initial_delay = std::chrono::milliseconds(rt.get_int("initial_delay_ms", 500, {0, 60000}));
  c.retry.max_delay = std::chrono::milliseconds(rt.get_int("max_delay_ms", 8000, {0, 120000}));
  c.retry.max_retry_after = std::chrono::milliseconds(rt.get_int("max_retry_after_ms", 20000, {0, 120000}));
  c.retry.jitter = rt.get_bool("jitter", true);
  (void)rt.finish();
  c.verify_tls = r.get_bool("verify_tls", true);
  c.ca_file = r.get_string("ca_file", "");
  const std::string v = r.get_enum("http_version", "auto", {"auto", "1.1", "2"});
  c.version = v == "1.1" ? HttpVersion::http1_1 : v == "2" ? HttpVersion::http2_prior_knowledge : HttpVersion::automatic;
  c.prewarm = r.get_bool("prewarm", true);
  return c;
}

Error with_vendor(Error e, const Connection& c) {
  if (e.provider().empty()) e.set_provider(kProviderName);
  e.add_context(c.label());
  return e;
}

Result<std::shared_ptr<HttpClient>> client_for(const SessionContext& session, std::string_view what) {
  if (!session.strand) return Error(errc::invalid_argument, std::string(what) + ": the session has no strand");
  Runtime& rt = session.strand->runtime();
  if (rt.is_virtual())
    return Error(errc::not_supported, std::string(what) +
                                          ": needs a real-time runtime (network I/O); use a mock provider under "
                                          "virtual time");
  return HttpClient::for_runtime(rt);
}

}  // namespace loqui::openai

namespace loqui::detail {

void register_openai(Registry& registry) {
  (void)registry.add_llm(openai::kProviderName,
                         "OpenAI-compatible Chat Completions streaming with tools (OpenAI, Groq, Cerebras, Together, "
                         "Fireworks, vLLM, Ollama, llama.cpp)",
                         &openai::make_llm);
  (void)registry.add_stt(openai::kProviderName, "OpenAI-compatible batch transcription (/audio/transcriptions)",
                         &openai::make_stt);
  (void)registry.add_tts(openai::kProviderName, "OpenAI-compatible speech (/audio/speech, 24 kHz pcm)",
                         &openai::make_tts);
}

}  // namespace loqui::detail
