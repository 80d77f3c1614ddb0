// SPDX-License-Identifier: Apache-2.0
// File: builds Chat Completions SSE streams the way OpenAI and the compatible
// servers send them (PROTOCOLS.md 3.2-3.5), for the mock server, decoder test
// vectors and benchmarks. Each dialect reproduces its server's quirks:
//   openai     role chunk with content "" + refusal null; tool arguments fragmented;
//              finish chunk with delta {}; usage chunk with choices [] (include_usage)
//   groq       x_groq.id on the first chunk, x_groq.usage on the finish chunk, whole
//              tool calls in one delta, plus the usage chunk when asked
//   cerebras   time_info on the last chunk; fragments like OpenAI
//   together   usage on the finish chunk itself, then an empty-choices final chunk
//   fireworks  usage on the finish chunk (no separate usage chunk) [unverified]
//   vllm       last token and finish_reason in the same chunk, stop_reason field,
//              reasoning_content deltas, continuous usage on every chunk
//   ollama     role on every delta, whole tool calls (id call_xxxxxxxx), usage chunk,
//              system_fingerprint fp_ollama
//   llamacpp   ": ping" keepalives first, usage by default in its own chunk with
//              timings, optionally no [DONE] (older forks)
//   openrouter ": OPENROUTER PROCESSING" comments first, native_finish_reason
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "loqui/json.hpp"
#include "support/mock_http_server.hpp"

namespace loqui::testing::openai_sse {

enum class Dialect { openai, groq, cerebras, together, fireworks, vllm, ollama, llamacpp, openrouter };

inline const char* name(Dialect d) {
  switch (d) {
    case Dialect::openai: return "openai";
    case Dialect::groq: return "groq";
    case Dialect::cerebras: return "cerebras";
    case Dialect::together: return "together";
    case Dialect::fireworks: return "fireworks";
    case Dialect::vllm: return "vllm";
    case Dialect::ollama: return "ollama";
    case Dialect::llamacpp: return "llamacpp";
    case Dialect::openrouter: return "openrouter";
  }
  return "?";
}

struct Call {
  std::string id;
  std::string name;
  std::string arguments;
};

struct Script {
  std::vector<std::string> text;  ///< content deltas, in order
  std::vector<Call> calls;
  int fragments = 6;              ///< argument fragments per call (fragmenting dialects)
  bool interleave = false;        ///< interleave fragments of parallel calls
  std::string finish_reason;      ///< default: "tool_calls" with calls, else "stop"
  bool include_usage = true;
  int prompt_tokens = 14;
  int completion_tokens = 30;
  int cached_tokens = 0;
  bool done = true;               ///< send data: [DONE]
};

namespace detail {
inline std::string q(const std::string& s) { return loqui::json_quote(s); }

inline std::string usage_json(const Script& s) {
  return R"({"prompt_tokens":)" + std::to_string(s.prompt_tokens) + R"(,"completion_tokens":)" +
         std::to_string(s.completion_tokens) + R"(,"total_tokens":)" +
         std::to_string(s.prompt_tokens + s.completion_tokens) + R"(,"prompt_tokens_details":{"cached_tokens":)" +
         std::to_string(s.cached_tokens) + R"(},"completion_tokens_details":{"reasoning_tokens":0}})";
}

inline std::vector<std::string> split(const std::string& s, int parts) {
  std::vector<std::string> out;
  if (parts <= 1 || s.size() < 2) {
    out.push_back(s);
    return out;
  }
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(parts), s.size());
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t end = (i + 1 == n) ? s.size() : (s.size() * (i + 1)) / n;
    out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}
}  // namespace detail

/// The SSE byte stream, one string per event (each ends with "\n\n"; comments too).
inline std::vector<std::string> events(Dialect d, const Script& s) {
  using detail::q;
  const std::string head = R"({"id":"chatcmpl-7QyqpwdfhqwajicIEznoc6Q47XAyW","object":"chat.completion.chunk","created":1727346168,"model":"gpt-4o-2024-08-06")" +
                           std::string(d == Dialect::ollama ? R"(,"system_fingerprint":"fp_ollama")"
                                                            : R"(,"system_fingerprint":"fp_5050236cbd")");
  const std::string fin = s.finish_reason.empty() ? (s.calls.empty() ? "stop" : "tool_calls") : s.finish_reason;
  const bool role_every = d == Dialect::ollama;
  const bool whole_calls = d == Dialect::groq || d == Dialect::ollama;
  const bool continuous_usage = d == Dialect::vllm && s.include_usage;
  int emitted_tokens = 0;
  std::vector<std::string> out;

  auto chunk = [&](const std::string& delta, const std::string& finish, const std::string& extra) {
    std::string c = head + R"(,"choices":[{"index":0,"delta":)" + delta + R"(,"logprobs":null,"finish_reason":)" +
                    (finish.empty() ? std::string("null") : q(finish));
    if (d == Dialect::vllm) c += R"(,"stop_reason":null)";
    if (d == Dialect::openrouter && !finish.empty()) c += R"(,"native_finish_reason":)" + q(finish);
    c += "}]";
    if (continuous_usage) {
      ++emitted_tokens;
      c += R"(,"usage":{"prompt_tokens":)" + std::to_string(s.prompt_tokens) + R"(,"completion_tokens":)" +
           std::to_string(std::min(emitted_tokens, s.completion_tokens)) + R"(,"total_tokens":)" +
           std::to_string(s.prompt_tokens + std::min(emitted_tokens, s.completion_tokens)) + "}";
    }
    c += extra + "}";
    out.push_back("data: " + c + "\n\n");
  };
  auto role = [&](std::string inner) {
    if (role_every) return inner == "{}" ? std::string(R"({"role":"assistant"})")
                                         : std::string(R"({"role":"assistant",)") + inner.substr(1);
    return inner;
  };

  if (d == Dialect::openrouter) {
    out.push_back(": OPENROUTER PROCESSING\n\n");
    out.push_back(": OPENROUTER PROCESSING\n\n");
  }
  if (d == Dialect::llamacpp) out.push_back(": ping\n\n");

  // First chunk: the role.
  std::string first_extra;
  if (d == Dialect::groq) first_extra = R"(,"x_groq":{"id":"req_01jbd6g2qdfw2adyrt2az8hz4w"})";
  if (s.calls.empty() || d != Dialect::openai)
    chunk(R"({"role":"assistant","content":"","refusal":null})", "", first_extra);
  else
    chunk(R"({"role":"assistant","content":null,"refusal":null})", "", first_extra);
  if (d == Dialect::vllm) chunk(role(R"({"reasoning_content":"The user greets me."})"), "", "");

  // Text. vLLM puts the last token and finish_reason in one chunk (no tool calls).
  for (std::size_t i = 0; i < s.text.size(); ++i) {
    const bool last = i + 1 == s.text.size();
    if (d == Dialect::vllm && last && s.calls.empty()) {
      chunk(role(R"({"content":)" + q(s.text[i]) + "}"), fin, "");
      break;
    }
    chunk(role(R"({"content":)" + q(s.text[i]) + "}"), "", "");
  }

  // Tool calls.
  if (!s.calls.empty()) {
    if (whole_calls) {
      for (std::size_t i = 0; i < s.calls.size(); ++i) {
        const Call& c = s.calls[i];
        chunk(role(R"({"tool_calls":[{"id":)" + q(c.id) + R"(,"index":)" + std::to_string(i) +
                   R"(,"type":"function","function":{"name":)" + q(c.name) + R"(,"arguments":)" + q(c.arguments) +
                   "}}]}"),
              "", "");
      }
    } else {
      std::vector<std::vector<std::string>> frags;
      for (const Call& c : s.calls) frags.push_back(detail::split(c.arguments, s.fragments));
      auto start = [&](std::size_t i) {
        const Call& c = s.calls[i];
        chunk(role(R"({"tool_calls":[{"index":)" + std::to_string(i) + R"(,"id":)" + q(c.id) +
                   R"(,"type":"function","function":{"name":)" + q(c.name) + R"(,"arguments":""}}]})"),
              "", "");
      };
      auto frag = [&](std::size_t i, const std::string& f) {
        chunk(role(R"({"tool_calls":[{"index":)" + std::to_string(i) + R"(,"function":{"arguments":)" + q(f) + "}}]}"),
              "", "");
      };
      if (s.interleave) {
        for (std::size_t i = 0; i < s.calls.size(); ++i) start(i);
        std::size_t longest = 0;
        for (auto& f : frags) longest = std::max(longest, f.size());
        for (std::size_t k = 0; k < longest; ++k)
          for (std::size_t i = 0; i < s.calls.size(); ++i)
            if (k < frags[i].size()) frag(i, frags[i][k]);
      } else {
        for (std::size_t i = 0; i < s.calls.size(); ++i) {
          start(i);
          for (const auto& f : frags[i]) frag(i, f);
        }
      }
    }
  }

  // Finish chunk (unless vLLM already finished with the last token).
  const bool finished_already = d == Dialect::vllm && s.calls.empty() && !s.text.empty();
  if (!finished_already) {
    std::string extra;
    if (d == Dialect::groq) {
      extra = R"(,"x_groq":{"id":"req_01jbd6g2qdfw2adyrt2az8hz4w","usage":{"queue_time":0.02,"prompt_tokens":)" +
              std::to_string(s.prompt_tokens) + R"(,"prompt_time":0.003,"completion_tokens":)" +
              std::to_string(s.completion_tokens) + R"(,"completion_time":0.06,"total_tokens":)" +
              std::to_string(s.prompt_tokens + s.completion_tokens) + R"(,"total_time":0.063}})";
    }
    if ((d == Dialect::together || d == Dialect::fireworks) && s.include_usage) extra = R"(,"usage":)" + detail::usage_json(s);
    if (d == Dialect::cerebras) extra = R"(,"time_info":{"queue_time":0.0001,"prompt_time":0.002,"completion_time":0.01,"total_time":0.013})";
    chunk(role("{}"), fin, extra);
  }

  // Usage chunk (choices: []).
  const bool usage_chunk = (s.include_usage && (d == Dialect::openai || d == Dialect::groq || d == Dialect::cerebras ||
                                                d == Dialect::vllm || d == Dialect::ollama || d == Dialect::openrouter)) ||
                           d == Dialect::llamacpp;  // llama.cpp sends usage by default
  if (usage_chunk) {
    std::string c = head + R"(,"choices":[],"usage":)" + detail::usage_json(s);
    if (d == Dialect::llamacpp)
      c += R"(,"timings":{"prompt_n":14,"prompt_ms":12.5,"predicted_n":30,"predicted_ms":280.1,"predicted_per_second":107.1})";
    c += "}";
    out.push_back("data: " + c + "\n\n");
  }
  if (d == Dialect::together) out.push_back("data: " + head + R"(,"choices":[]})" + "\n\n");
  if (s.done) out.push_back("data: [DONE]\n\n");
  return out;
}

inline std::string stream(Dialect d, const Script& s) {
  std::string all;
  for (const auto& e : events(d, s)) all += e;
  return all;
}

/// A streaming mock response (chunked, text/event-stream), one HTTP chunk per
/// event with `pause_ms` between them.
inline MockResponse response(Dialect d, const Script& s, int pause_ms = 0) {
  MockResponse r(200);
  r.header("Content-Type", "text/event-stream; charset=utf-8");
  r.header("x-request-id", "req_mock_1");
  bool first = true;
  for (const auto& e : events(d, s)) {
    if (!first && pause_ms > 0) r.pause_ms(pause_ms);
    r.body(e);
    first = false;
  }
  return r;
}

}  // namespace loqui::testing::openai_sse
