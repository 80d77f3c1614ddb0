// SPDX-License-Identifier: Apache-2.0
// File: ConfigReader: validated reading of JSON configuration with path-named errors.
#include "loqui/config.hpp"

#include <algorithm>
#include <cmath>

namespace loqui {

Status ConfigErrors::status() const {
  if (messages_.empty()) return ok_status();
  std::string joined;
  for (const auto& m : messages_) {
    if (!joined.empty()) joined += "; ";
    joined += m;
  }
  return Error(errc::invalid_config, std::move(joined));
}

namespace {
const Json& empty_object() {
  static const Json j = Json::object();
  return j;
}
std::string describe_range(const IntRange& r) {
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  if (r.min == 1 && r.max == hi) return "a positive integer";
  if (r.min == 0 && r.max == hi) return "a non-negative integer";
  if (r.min == lo && r.max == hi) return "an integer";
  if (r.max == hi) return "an integer >= " + std::to_string(r.min);
  if (r.min == lo) return "an integer <= " + std::to_string(r.max);
  return "an integer between " + std::to_string(r.min) + " and " + std::to_string(r.max);
}
std::string fmt_double(double d) {
  std::string s = Json(d).dump();
  if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
  return s;
}
std::string describe_range(const NumberRange& r) {
  const bool lo = std::isfinite(r.min), hi = std::isfinite(r.max);
  if (lo && hi) return "a number between " + fmt_double(r.min) + " and " + fmt_double(r.max);
  if (lo) return r.min == 0 ? "a non-negative number" : "a number >= " + fmt_double(r.min);
  if (hi) return "a number <= " + fmt_double(r.max);
  return "a number";
}
}  // namespace

ConfigReader::ConfigReader(const Json& node, std::string path, ConfigErrors& errors)
    : node_(&node), path_(std::move(path)), errors_(&errors) {
  if (node.is_null()) {
    node_ = &empty_object();
  } else if (!node.is_object()) {
    errors_->add((path_.empty() ? std::string("config") : path_) + ": expected an object, found " + node.describe());
    node_ = &empty_object();
  }
}

std::string ConfigReader::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

bool ConfigReader::has(std::string_view key) const noexcept { return node_->find(key) != nullptr; }

const Json* ConfigReader::member(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return node_->find(key);
}

void ConfigReader::error(std::string_view message) {
  errors_->add((path_.empty() ? std::string("config") : path_) + ": " + std::string(message));
}
void ConfigReader::error_at(std::string_view key, std::string_view message) {
  errors_->add(path_of(key) + ": " + std::string(message));
}

std::string ConfigReader::get_string(std::string_view key, std::string_view fallback) {
  const Json* v = member(key);
  if (!v) return std::string(fallback);
  if (!v->is_string()) {
    error_at(key, "expected a string, found " + v->describe());
    return std::string(fallback);
  }
  return v->as_string();
}

std::optional<std::string> ConfigReader::get_optional_string(std::string_view key) {
  const Json* v = member(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    error_at(key, "expected a string, found " + v->describe());
    return std::nullopt;
  }
  return v->as_string();
}

std::string ConfigReader::require_string(std::string_view key) {
  const Json* v = member(key);
  if (!v) {
    error_at(key, "missing required key");
    return {};
  }
  if (!v->is_string() || v->as_string().empty()) {
    error_at(key, "expected a non-empty string, found " + v->describe());
    return {};
  }
  return v->as_string();
}

bool ConfigReader::get_bool(std::string_view key, bool fallback) {
  const Json* v = member(key);
  if (!v) return fallback;
  if (!v->is_bool()) {
    error_at(key, "expected true or false, found " + v->describe());
    return fallback;
  }
  return v->as_bool();
}

std::int64_t ConfigReader::get_int(std::string_view key, std::int64_t fallback, IntRange range) {
  const Json* v = member(key);
  if (!v) return fallback;
  bool integral = v->is_int();
  if (!integral && v->is_number()) {
    const double d = v->as_number();
    integral = std::trunc(d) == d && std::fabs(d) < 9e18;
  }
  if (!integral) {
    error_at(key, "expected " + describe_range(range) + ", found " + v->describe());
    return fallback;
  }
  const std::int64_t i = v->as_int();
  if (i < range.min || i > range.max) {
    error_at(key, "expected " + describe_range(range) + ", found " + v->describe());
    return fallback;
  }
  return i;
}

double ConfigReader::get_number(std::string_view key, double fallback, NumberRange range) {
  const Json* v = member(key);
  if (!v) return fallback;
  if (!v->is_number()) {
    error_at(key, "expected " + describe_range(range) + ", found " + v->describe());
    return fallback;
  }
  const double d = v->as_number();
  if (!(d >= range.min && d <= range.max)) {
    error_at(key, "expected " + describe_range(range) + ", found " + v->describe());
    return fallback;
  }
  return d;
}

std::vector<std::string> ConfigReader::get_string_list(std::string_view key, std::vector<std::string> fallback) {
  const Json* v = member(key);
  if (!v) return fallback;
  if (!v->is_array()) {
    error_at(key, "expected an array of strings, found " + v->describe());
    return fallback;
  }
  std::vector<std::string> out;
  const auto& a = v->as_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) {
      errors_->add(path_of(key) + "[" + std::to_string(i) + "]: expected a string, found " + a[i].describe());
      continue;
    }
    out.push_back(a[i].as_string());
  }
  return out;
}

std::string ConfigReader::get_enum(std::string_view key, std::string_view fallback,
                                   std::initializer_list<std::string_view> allowed) {
  const Json* v = member(key);
  if (!v) return std::string(fallback);
  std::string options;
  for (auto a : allowed) {
    if (!options.empty()) options += ", ";
    options += std::string(a);
  }
  if (!v->is_string() || std::find(allowed.begin(), allowed.end(), v->as_string()) == allowed.end()) {
    error_at(key, "expected one of " + options + ", found " + v->describe());
    return std::string(fallback);
  }
  return v->as_string();
}

const Json* ConfigReader::get_raw(std::string_view key) { return member(key); }

std::optional<Secret> ConfigReader::get_secret_env(std::string_view key) {
  auto name = get_optional_string(key);
  if (!name) return std::nullopt;
  auto secret = Secret::from_env(*name, path_of(key));
  if (!secret) {
    errors_->add(secret.error().message());
    return std::nullopt;
  }
  return std::move(secret).value();
}

ConfigReader ConfigReader::child(std::string_view key) {
  const Json* v = member(key);
  return ConfigReader(v ? *v : empty_object(), path_of(key), *errors_);
}

void ConfigReader::allow(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) (void)member(k);
}

Status ConfigReader::finish() {
  std::vector<std::string> unknown;
  for (const auto& m : node_->as_object()) {
    if (std::find(known_.begin(), known_.end(), m.key) == known_.end()) unknown.push_back(m.key);
  }
  if (!unknown.empty()) {
    std::string known;
    for (const auto& k : known_) {
      if (!known.empty()) known += ", ";
      known += k;
    }
    for (const auto& k : unknown) {
      errors_->add(path_of(k) + ": unknown key" + (known.empty() ? std::string() : " (known keys: " + known + ")"));
    }
  }
  return errors_->status();
}

}  // namespace loqui
