// SPDX-License-Identifier: Apache-2.0
// File: Json parsing (rapidjson SAX, iterative, depth-limited) and printing.
#include "loqui/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>

#include "json/rapidjson.hpp"

namespace loqui {
namespace {

constexpr std::size_t kMaxDepth = 256;

// Builds a Json DOM from SAX events.
class DomBuilder {
 public:
  bool Null() { return add(Json()); }
  bool Bool(bool b) { return add(Json(b)); }
  bool Int(int i) { return add(Json(static_cast<std::int64_t>(i))); }
  bool Uint(unsigned u) { return add(Json(static_cast<std::int64_t>(u))); }
  bool Int64(std::int64_t i) { return add(Json(static_cast<long long>(i))); }
  bool Uint64(std::uint64_t u) {
    if (u <= static_cast<std::uint64_t>(INT64_MAX)) return add(Json(static_cast<long long>(u)));
    return add(Json(static_cast<double>(u)));
  }
  bool Double(double d) { return add(Json(d)); }
  bool RawNumber(const char*, detail::rj::SizeType, bool) { return false; }
  bool String(const char* s, detail::rj::SizeType n, bool) { return add(Json(std::string(s, n))); }
  bool StartObject() { return open(Json::object()); }
  bool Key(const char* s, detail::rj::SizeType n, bool) {
    pending_key_.assign(s, n);
    for (const auto& m : stack_.back().as_object()) {
      if (m.key == pending_key_) {
        error_ = "duplicate key \"" + pending_key_ + "\"";
        return false;
      }
    }
    return true;
  }
  bool EndObject(detail::rj::SizeType) { return close(); }
  bool StartArray() { return open(Json::array()); }
  bool EndArray(detail::rj::SizeType) { return close(); }

  Json take() { return std::move(root_); }
  const std::string& error() const { return error_; }

 private:
  bool open(Json container) {
    if (stack_.size() >= kMaxDepth) {
      error_ = "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    keys_.push_back(pending_key_);
    stack_.push_back(std::move(container));
    return true;
  }
  bool close() {
    Json done = std::move(stack_.back());
    stack_.pop_back();
    pending_key_ = std::move(keys_.back());
    keys_.pop_back();
    return add(std::move(done));
  }
  bool add(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    Json& top = stack_.back();
    if (top.is_array()) top.as_array().push_back(std::move(v));
    else top.as_object().push_back({std::move(pending_key_), std::move(v)});
    return true;
  }
  std::vector<Json> stack_;
  std::vector<std::string> keys_;
  std::string pending_key_;
  std::string error_;
  Json root_;
};

void line_col(std::string_view text, std::size_t offset, std::size_t& line, std::size_t& col) {
  line = 1;
  col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
}

void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN/inf
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view s(buf, static_cast<std::size_t>(end - buf));
  out += s;
  if (ec == std::errc() && s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void dump_into(const Json& v, std::string& out, int indent, int level) {
  auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * lvl), ' ');
  };
  switch (v.type()) {
    case Json::Type::null: out += "null"; break;
    case Json::Type::boolean: out += v.as_bool() ? "true" : "false"; break;
    case Json::Type::integer: out += std::to_string(v.as_int()); break;
    case Json::Type::number: append_number(out, v.as_number()); break;
    case Json::Type::string: out += json_quote(v.as_string()); break;
    case Json::Type::array: {
      const auto& a = v.as_array();
      out += '[';
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        dump_into(a[i], out, indent, level + 1);
      }
      if (!a.empty()) newline(level);
      out += ']';
      break;
    }
    case Json::Type::object: {
      const auto& o = v.as_object();
      out += '{';
      for (std::size_t i = 0; i < o.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        out += json_quote(o[i].key);
        out += indent < 0 ? ":" : ": ";
        dump_into(o[i].value, out, indent, level + 1);
      }
      if (!o.empty()) newline(level);
      out += '}';
      break;
    }
  }
}

[[noreturn]] void wrong_type(const char* wanted, const Json& v) {
  std::fprintf(stderr, "loqui: Json::as_%s() called on %s\n", wanted, v.describe().c_str());
  std::terminate();
}

}  // namespace

Json Json::array(std::initializer_list<Json> items) { return Json(Array(items)); }
Json Json::object(std::initializer_list<JsonMember> members) { return Json(Object(members)); }

Result<Json> Json::parse(std::string_view text) {
  DomBuilder builder;
  detail::rj::Reader reader;
  detail::rj::MemoryStream ms(text.data(), text.size());
  detail::rj::EncodedInputStream<detail::rj::UTF8<>, detail::rj::MemoryStream> is(ms);
  try {
    constexpr unsigned kFlags = detail::rj::kParseIterativeFlag | detail::rj::kParseValidateEncodingFlag |
                                detail::rj::kParseStopWhenDoneFlag;
    detail::rj::ParseResult ok = reader.Parse<kFlags>(is, builder);
    if (!ok) {
      std::size_t line = 0, col = 0;
      line_col(text, ok.Offset(), line, col);
      std::string why = builder.error().empty() ? detail::rj::GetParseError_En(ok.Code()) : builder.error();
      return Error(errc::parse_error,
                   "line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + why);
    }
    // Only whitespace may follow the value.
    for (std::size_t i = is.Tell(); i < text.size(); ++i) {
      const char c = text[i];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        std::size_t line = 0, col = 0;
        line_col(text, i, line, col);
        return Error(errc::parse_error, "line " + std::to_string(line) + ", column " + std::to_string(col) +
                                            ": unexpected text after the JSON value");
      }
    }
  } catch (const std::exception& e) {
    return Error(errc::parse_error, std::string("invalid JSON: ") + e.what());
  }
  return builder.take();
}

Result<Json> Json::parse_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(errc::not_found, path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error(errc::io_error, path.string() + ": read failed");
  auto r = parse(ss.str());
  if (!r) return std::move(r).error().add_context(path.string());
  return r;
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_into(*this, out, indent, 0);
  return out;
}

bool Json::as_bool() const {
  if (!is_bool()) wrong_type("bool", *this);
  return std::get<1>(v_);
}
std::int64_t Json::as_int() const {
  if (is_int()) return std::get<2>(v_);
  if (type() == Type::number) {
    const double d = std::get<3>(v_);
    if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(d);
  }
  wrong_type("int", *this);
}
double Json::as_number() const {
  if (is_int()) return static_cast<double>(std::get<2>(v_));
  if (type() == Type::number) return std::get<3>(v_);
  wrong_type("number", *this);
}
const std::string& Json::as_string() const {
  if (!is_string()) wrong_type("string", *this);
  return std::get<4>(v_);
}
const Json::Array& Json::as_array() const {
  if (!is_array()) wrong_type("array", *this);
  return std::get<5>(v_);
}
Json::Array& Json::as_array() {
  if (!is_array()) wrong_type("array", *this);
  return std::get<5>(v_);
}
const Json::Object& Json::as_object() const {
  if (!is_object()) wrong_type("object", *this);
  return std::get<6>(v_);
}
Json::Object& Json::as_object() {
  if (!is_object()) wrong_type("object", *this);
  return std::get<6>(v_);
}

double Json::number_or(double fallback) const noexcept {
  if (is_int()) return static_cast<double>(std::get<2>(v_));
  if (type() == Type::number) return std::get<3>(v_);
  return fallback;
}
std::string Json::string_or(std::string_view fallback) const {
  return is_string() ? std::get<4>(v_) : std::string(fallback);
}

const Json* Json::find(std::string_view key) const noexcept {
  if (!is_object()) return nullptr;
  for (const auto& m : std::get<6>(v_))
    if (m.key == key) return &m.value;
  return nullptr;
}
Json* Json::find(std::string_view key) noexcept {
  return const_cast<Json*>(static_cast<const Json*>(this)->find(key));
}

Json& Json::operator[](std::string_view key) {
  if (is_null()) v_ = Object{};
  if (Json* j = find(key)) return *j;
  auto& o = as_object();
  o.push_back({std::string(key), Json()});
  return o.back().value;
}

void Json::push_back(Json value) {
  if (is_null()) v_ = Array{};
  as_array().push_back(std::move(value));
}

std::size_t Json::size() const noexcept {
  if (is_array()) return std::get<5>(v_).size();
  if (is_object()) return std::get<6>(v_).size();
  return 0;
}

std::string Json::describe() const {
  switch (type()) {
    case Type::null: return "null";
    case Type::boolean:
    case Type::integer:
    case Type::number: return dump();
    case Type::string: {
      const auto& s = std::get<4>(v_);
      if (s.size() > 40) return json_quote(s.substr(0, 37) + "...");
      return json_quote(s);
    }
    case Type::array: return "an array of " + std::to_string(size());
    case Type::object: return "an object";
  }
  return "?";
}

bool operator==(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number() && a.type() != b.type()) return a.as_number() == b.as_number();
  return a.v_ == b.v_;
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace loqui
