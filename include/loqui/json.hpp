// SPDX-License-Identifier: Apache-2.0
// File: a small JSON value type for the public API (configs, tool schemas, tool
// arguments and results, reports). Standard library only; parsing and printing are
// implemented with rapidjson inside the library, which never leaks into headers.
//
// Objects keep their members in insertion order, so configs round-trip readably.
// Integers that fit in int64 stay integers; other numbers are doubles.
//
// Thread safety: a value type. Distinct objects: safe. Shared objects: const use only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "loqui/error.hpp"

namespace loqui {

struct JsonMember;

class Json {
 public:
  enum class Type : std::uint8_t { null, boolean, integer, number, string, array, object };
  using Array = std::vector<Json>;
  using Object = std::vector<JsonMember>;

  Json() = default;
  Json(std::nullptr_t) noexcept;         // NOLINT
  Json(bool b) noexcept;                 // NOLINT
  Json(int i) noexcept;                  // NOLINT
  Json(long i) noexcept;                 // NOLINT
  Json(long long i) noexcept;            // NOLINT
  Json(unsigned i) noexcept;             // NOLINT
  Json(double d) noexcept;               // NOLINT
  Json(const char* s);                   // NOLINT
  Json(std::string s) noexcept;          // NOLINT
  Json(std::string_view s);              // NOLINT
  Json(Array a) noexcept;                // NOLINT
  Json(Object o) noexcept;               // NOLINT

  static Json array(std::initializer_list<Json> items = {});
  static Json object(std::initializer_list<JsonMember> members = {});

  /// Parses UTF-8 JSON text. Errors: errc::parse_error "line L, column C: <reason>".
  static Result<Json> parse(std::string_view text);
  /// Reads and parses a file. Errors name the file: "agent.json: line 3, column 5: ...".
  static Result<Json> parse_file(const std::filesystem::path& path);

  /// Serialises; indent < 0 gives the compact form.
  std::string dump(int indent = -1) const;

  Type type() const noexcept;
  bool is_null() const noexcept { return type() == Type::null; }
  bool is_bool() const noexcept { return type() == Type::boolean; }
  bool is_int() const noexcept { return type() == Type::integer; }
  /// True for integers and doubles.
  bool is_number() const noexcept { return type() == Type::integer || type() == Type::number; }
  bool is_string() const noexcept { return type() == Type::string; }
  bool is_array() const noexcept { return type() == Type::array; }
  bool is_object() const noexcept { return type() == Type::object; }

  /// Typed access. Calling the wrong one is a programmer error (terminates with a
  /// message); check the type first, or use the *_or forms.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_number() const;  ///< integers convert
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  bool bool_or(bool fallback) const noexcept;
  std::int64_t int_or(std::int64_t fallback) const noexcept;
  double number_or(double fallback) const noexcept;
  std::string string_or(std::string_view fallback) const;

  /// Object member lookup; nullptr if absent or not an object.
  const Json* find(std::string_view key) const noexcept;
  Json* find(std::string_view key) noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  /// Object member access, inserting null if absent (turns null into an object).
  Json& operator[](std::string_view key);
  /// Appends to an array (turns null into an array).
  void push_back(Json value);
  /// Array length or object member count; 0 otherwise.
  std::size_t size() const noexcept;

  /// A short description for error messages: `"16k"`, `3.5`, `true`, `null`,
  /// `an object`, `an array of 3`.
  std::string describe() const;

  friend bool operator==(const Json& a, const Json& b);

 private:
  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> v_;
};

struct JsonMember {
  std::string key;
  Json value;
  friend bool operator==(const JsonMember&, const JsonMember&) = default;
};

// Defined here, after JsonMember is complete (clang instantiates the variant's
// members eagerly and rejects the incomplete type inside the class).
inline Json::Json(std::nullptr_t) noexcept {}
inline Json::Json(bool b) noexcept : v_(b) {}
inline Json::Json(int i) noexcept : v_(static_cast<std::int64_t>(i)) {}
inline Json::Json(long i) noexcept : v_(static_cast<std::int64_t>(i)) {}
inline Json::Json(long long i) noexcept : v_(static_cast<std::int64_t>(i)) {}
inline Json::Json(unsigned i) noexcept : v_(static_cast<std::int64_t>(i)) {}
inline Json::Json(double d) noexcept : v_(d) {}
inline Json::Json(const char* s) : v_(std::string(s)) {}
inline Json::Json(std::string s) noexcept : v_(std::move(s)) {}
inline Json::Json(std::string_view s) : v_(std::string(s)) {}
inline Json::Json(Array a) noexcept : v_(std::move(a)) {}
inline Json::Json(Object o) noexcept : v_(std::move(o)) {}
inline Json::Type Json::type() const noexcept { return static_cast<Type>(v_.index()); }
inline bool Json::bool_or(bool fallback) const noexcept { return is_bool() ? std::get<1>(v_) : fallback; }
inline std::int64_t Json::int_or(std::int64_t fallback) const noexcept { return is_int() ? std::get<2>(v_) : fallback; }

/// Escapes `text` as a JSON string literal, including the quotes.
std::string json_quote(std::string_view text);

}  // namespace loqui
