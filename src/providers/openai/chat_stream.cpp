// SPDX-License-Identifier: Apache-2.0
// File: ChatStreamDecoder (see chat_stream.hpp). Each chunk is parsed with rapidjson
// into a DOM whose memory comes from a fixed buffer inside the decoder (cleared per
// chunk), so typical chunks (a few hundred bytes) allocate nothing.
#include "providers/openai/chat_stream.hpp"

#include <algorithm>

#include "json/rapidjson.hpp"
#include "net/http_errors.hpp"

namespace loqui::openai {

namespace rj = detail::rj;

namespace {

struct ToolAcc {
  std::optional<std::int64_t> index;
  std::string id;
  std::string name;
  std::string arguments;
  std::size_t order = 0;
};

std::string_view sv(const rj::Value& v) { return {v.GetString(), v.GetStringLength()}; }

const rj::Value* member(const rj::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::int64_t int_member(const rj::Value& obj, const char* name) {
  const rj::Value* v = member(obj, name);
  if (!v) return 0;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsDouble()) return static_cast<std::int64_t>(v->GetDouble());
  return 0;
}

std::optional<TokenUsage> parse_usage(const rj::Value& u) {
  if (!u.IsObject()) return std::nullopt;
  TokenUsage out;
  out.input_tokens = int_member(u, "prompt_tokens");
  out.output_tokens = int_member(u, "completion_tokens");
  if (!member(u, "prompt_tokens") && member(u, "input_tokens")) out.input_tokens = int_member(u, "input_tokens");
  if (!member(u, "completion_tokens") && member(u, "output_tokens"))
    out.output_tokens = int_member(u, "output_tokens");
  if (const rj::Value* d = member(u, "prompt_tokens_details")) out.cached_input_tokens = int_member(*d, "cached_tokens");
  return out;
}

errc errc_for_stream_error(const detail::VendorError& v) {
  if (v.status_code >= 400) return detail::errc_for_status(v.status_code, v.code);
  if (v.code == "rate_limit_exceeded" || v.type == "rate_limit_error" || v.type == "tokens" ||
      v.type == "requests")
    return errc::provider_quota;
  if (v.type == "server_error" || v.type == "api_error" || v.type == "internal_error" || v.code == "server_error" ||
      v.type == "overloaded_error")
    return errc::provider_unavailable;
  return errc::provider_failed;
}

}  // namespace

using Allocator = rj::MemoryPoolAllocator<rj::CrtAllocator>;
using Document = rj::GenericDocument<rj::UTF8<>, Allocator, Allocator>;

struct ChatStreamDecoder::Impl {
  static constexpr std::size_t kValueBytes = 6 * 1024;
  static constexpr std::size_t kParseBytes = 1024;
  alignas(8) char value_buffer[kValueBytes];
  alignas(8) char parse_buffer[kParseBytes];
  Allocator value_alloc{value_buffer, kValueBytes};
  Allocator parse_alloc{parse_buffer, kParseBytes};
  std::vector<ToolAcc> calls;
  std::optional<TokenUsage> usage;
  std::size_t next_order = 0;

  void clear_memory() {
    value_alloc.Clear();
    parse_alloc.Clear();
  }
};

ChatStreamDecoder::ChatStreamDecoder(ChatStreamLimits limits) : impl_(std::make_unique<Impl>()), limits_(limits) {}
ChatStreamDecoder::~ChatStreamDecoder() = default;

Status ChatStreamDecoder::fail(Error e) {
  failed_ = e;
  return e;
}

void ChatStreamDecoder::reset() {
  impl_->calls.clear();
  impl_->usage.reset();
  impl_->next_order = 0;
  finish_reason_.clear();
  failed_.reset();
  chunks_ = 0;
  done_ = false;
}

Status ChatStreamDecoder::on_event(std::string_view event_type, std::string_view data, ChatStreamSink& sink) {
  if (failed_) return *failed_;
  if (event_type == "error") {  // Groq: `event: error` then the error JSON
    ++chunks_;
    auto v = detail::parse_vendor_error(data);
    if (!v) v = detail::VendorError{detail::printable_excerpt(data), "", "", 0};
    Error e(errc_for_stream_error(*v), "server sent an error event after " + std::to_string(chunks_ - 1) +
                                           " chunks: " + (v->code.empty() ? "" : v->code + ": ") +
                                           detail::printable_excerpt(v->message, 300));
    if (!v->code.empty()) e.set_vendor_code(v->code);
    if (v->status_code > 0) e.set_http_status(v->status_code);
    return fail(std::move(e));
  }
  if (data.empty()) return ok_status();  // `: ping` after `id:` and friends (PROTOCOLS.md 0.2)
  if (data.rfind("[DONE]", 0) == 0) {
    done_ = true;
    return ok_status();
  }
  if (done_) return ok_status();  // nothing after [DONE] counts
  return decode_chunk(data, sink, false);
}

Status ChatStreamDecoder::on_complete_body(std::string_view body, ChatStreamSink& sink) {
  if (failed_) return *failed_;
  LOQUI_TRY(decode_chunk(body, sink, true));
  done_ = true;
  return ok_status();
}

Status ChatStreamDecoder::decode_chunk(std::string_view data, ChatStreamSink& sink, bool whole_response) {
  ++chunks_;
  const std::string where = "chunk " + std::to_string(chunks_);
  struct ClearOnExit {
    Impl* impl;
    ~ClearOnExit() { impl->clear_memory(); }
  } clear_on_exit{impl_.get()};
  try {
    Document doc(&impl_->value_alloc, Impl::kParseBytes, &impl_->parse_alloc);
    doc.Parse(data.data(), data.size());
    if (doc.HasParseError())
      return fail(Error(errc::provider_protocol,
                        "malformed JSON in " + where + " at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                            rj::GetParseError_En(doc.GetParseError()) + " (data: " +
                            detail::printable_excerpt(data, 120) + ")"));
    if (!doc.IsObject())
      return fail(Error(errc::provider_protocol, where + " is not a JSON object (data: " +
                                                     detail::printable_excerpt(data, 120) + ")"));

    // Mid-stream errors (HTTP status already 200): {"error": {...}} or {"object": "error", ...}.
    const rj::Value* err = member(doc, "error");
    const rj::Value* object = member(doc, "object");
    if ((err && !err->IsNull()) || (object && object->IsString() && sv(*object) == "error")) {
      auto v = detail::parse_vendor_error(data);
      if (!v) v = detail::VendorError{detail::printable_excerpt(data), "", "", 0};
      Error e(errc_for_stream_error(*v), "server reported an error in " + where + ": " +
                                             (v->code.empty() ? "" : v->code + ": ") +
                                             detail::printable_excerpt(v->message, 300));
      if (!v->code.empty()) e.set_vendor_code(v->code);
      if (v->status_code > 0) e.set_http_status(v->status_code);
      return fail(std::move(e));
    }

    if (const rj::Value* u = member(doc, "usage"); u && !u->IsNull()) {
      if (!u->IsObject()) return fail(Error(errc::provider_protocol, where + ": \"usage\" is not an object"));
      impl_->usage = parse_usage(*u);
    }
    if (const rj::Value* xg = member(doc, "x_groq")) {
      if (const rj::Value* u = member(*xg, "usage"); u && u->IsObject()) impl_->usage = parse_usage(*u);
    }

    const rj::Value* choices = member(doc, "choices");
    if (!choices || choices->IsNull()) return ok_status();  // legal: usage-only or keepalive chunks
    if (!choices->IsArray()) return fail(Error(errc::provider_protocol, where + ": \"choices\" is not an array"));
    for (const rj::Value& choice : choices->GetArray()) {
      if (!choice.IsObject()) return fail(Error(errc::provider_protocol, where + ": a choice is not an object"));
      if (const rj::Value* idx = member(choice, "index"); idx && idx->IsInt64() && idx->GetInt64() != 0)
        continue;  // only the first choice (n = 1) is used
      const rj::Value* delta = member(choice, whole_response ? "message" : "delta");
      if (!delta) delta = member(choice, whole_response ? "delta" : "message");  // servers that mix them up
      if (delta && !delta->IsNull()) {
        if (!delta->IsObject()) return fail(Error(errc::provider_protocol, where + ": \"delta\" is not an object"));
        for (const char* key : {"content", "refusal"}) {
          const rj::Value* c = member(*delta, key);
          if (!c || c->IsNull()) continue;
          if (!c->IsString())
            return fail(Error(errc::provider_protocol,
                              where + ": delta." + key + " is not a string (" + detail::printable_excerpt(data, 120) + ")"));
          if (c->GetStringLength() > 0) sink.on_text(sv(*c));
          if (failed_) return *failed_;
        }
        for (const char* key : {"reasoning_content", "reasoning"}) {
          const rj::Value* c = member(*delta, key);
          if (c && c->IsString() && c->GetStringLength() > 0) sink.on_reasoning(sv(*c));
        }
        if (const rj::Value* tcs = member(*delta, "tool_calls"); tcs && !tcs->IsNull()) {
          if (!tcs->IsArray()) return fail(Error(errc::provider_protocol, where + ": delta.tool_calls is not an array"));
          for (const rj::Value& tc : tcs->GetArray()) {
            if (!tc.IsObject()) return fail(Error(errc::provider_protocol, where + ": a tool_calls entry is not an object"));
            std::optional<std::int64_t> index;
            if (const rj::Value* i = member(tc, "index"); i && !i->IsNull()) {
              if (!i->IsInt64() || i->GetInt64() < 0)
                return fail(Error(errc::provider_protocol, where + ": tool_calls[].index is not a non-negative integer"));
              index = i->GetInt64();
            }
            std::string_view id;
            if (const rj::Value* v = member(tc, "id"); v && v->IsString()) id = sv(*v);
            std::string_view name;
            const rj::Value* fn = member(tc, "function");
            const rj::Value* args = nullptr;
            if (fn && !fn->IsNull()) {
              if (!fn->IsObject())
                return fail(Error(errc::provider_protocol, where + ": tool_calls[].function is not an object"));
              if (const rj::Value* n = member(*fn, "name"); n && n->IsString()) name = sv(*n);
              args = member(*fn, "arguments");
            }
            // Find the call this fragment belongs to.
            auto& calls = impl_->calls;
            ToolAcc* acc = nullptr;
            if (index) {
              for (auto it = calls.rbegin(); it != calls.rend(); ++it)
                if (it->index == index) {
                  acc = &*it;
                  break;
                }
              if (acc && !id.empty() && !acc->id.empty() && acc->id != id) acc = nullptr;  // new call, same index
            } else if (!id.empty()) {
              for (auto& c : calls)
                if (c.id == id) acc = &c;
            } else if (!calls.empty()) {
              acc = &calls.back();  // no index, no id: continues the last call
            }
            if (!acc) {
              if (calls.size() >= limits_.max_tool_calls)
                return fail(Error(errc::provider_protocol,
                                  where + ": more than " + std::to_string(limits_.max_tool_calls) + " tool calls"));
              calls.push_back(ToolAcc{index, {}, {}, {}, impl_->next_order++});
              acc = &calls.back();
            }
            if (!id.empty() && acc->id.empty()) acc->id.assign(id);
            if (!name.empty()) {
              if (acc->name.empty()) acc->name.assign(name);
              else if (acc->name != name) acc->name.append(name);  // a name split across fragments
            }
            if (args && !args->IsNull()) {
              if (args->IsString()) {
                acc->arguments.append(args->GetString(), args->GetStringLength());
              } else if (args->IsObject() && acc->arguments.empty()) {  // some servers send an object
                rj::StringBuffer buf;
                rj::Writer<rj::StringBuffer> w(buf);
                args->Accept(w);
                acc->arguments.assign(buf.GetString(), buf.GetSize());
              } else {
                return fail(Error(errc::provider_protocol,
                                  where + ": tool_calls[].function.arguments is not a string"));
              }
              if (acc->arguments.size() > limits_.max_tool_arguments_bytes)
                return fail(Error(errc::provider_protocol, where + ": tool call arguments larger than " +
                                                               std::to_string(limits_.max_tool_arguments_bytes) +
                                                               " bytes"));
            }
          }
        }
      }
      if (const rj::Value* fr = member(choice, "finish_reason"); fr && !fr->IsNull()) {
        if (!fr->IsString()) return fail(Error(errc::provider_protocol, where + ": finish_reason is not a string"));
        if (fr->GetStringLength() > 0) finish_reason_.assign(fr->GetString(), std::min<std::size_t>(fr->GetStringLength(), 64));
      }
    }
    return ok_status();
  } catch (const std::exception& e) {
    return fail(Error(errc::provider_protocol, where + ": unexpected JSON shape (" + e.what() + ")"));
  }
}

Result<ChatCompletion> ChatStreamDecoder::finish() {
  if (failed_) return *failed_;
  ChatCompletion out;
  auto calls = impl_->calls;
  std::stable_sort(calls.begin(), calls.end(), [](const ToolAcc& a, const ToolAcc& b) {
    const std::int64_t ia = a.index.value_or(INT64_MAX), ib = b.index.value_or(INT64_MAX);
    return ia != ib ? ia < ib : a.order < b.order;
  });
  int generated = 0;
  for (auto& c : calls) {
    if (c.name.empty())
      return Error(errc::provider_protocol, "tool call " + (c.index ? "at index " + std::to_string(*c.index) : std::string("#") + std::to_string(c.order)) +
                                                (c.id.empty() ? "" : " (id " + detail::printable_excerpt(c.id, 64) + ")") +
                                                " has no function name");
    ToolCall t;
    // Some servers (older llama.cpp) send no id; the tool result must still echo one.
    t.id = c.id.empty() ? "call_loqui_" + std::to_string(generated++) : c.id;
    t.name = std::move(c.name);
    t.arguments = c.arguments.empty() ? std::string("{}") : std::move(c.arguments);
    out.tool_calls.push_back(std::move(t));
  }
  out.raw_finish_reason = finish_reason_;
  if (!out.tool_calls.empty()) out.reason = FinishReason::tool_calls;  // decide by calls, not finish_reason
  else if (finish_reason_ == "stop" || finish_reason_.empty()) out.reason = FinishReason::stop;
  else if (finish_reason_ == "length") out.reason = FinishReason::length;
  else if (finish_reason_ == "content_filter") out.reason = FinishReason::content_filter;
  else out.reason = FinishReason::other;
  out.usage = impl_->usage;
  return out;
}

}  // namespace loqui::openai
